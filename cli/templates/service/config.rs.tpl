//! The service's identity (seed: `config/conf_{{name}}.py`). Deployment
//! settings live in `config/default.toml`.

/// {{name}}: id {{id}}, port {{port}}, tables and cache keys prefixed `{{prefix}}`.
#[keel::service(name = "{{name}}", id = {{id}}, port = {{port}}, prefix = "{{prefix}}", version = "{{version}}")]
pub struct {{Conf}};
