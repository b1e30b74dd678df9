//! The service's identity (seed: `config/conf_guidance.py`).

/// guidance: id 2, port 8002, keys prefixed `gui`.
#[keel::service(name = "guidance", id = 2, port = 8002, prefix = "gui", version = "1.00.00")]
pub struct GuidanceConf;
