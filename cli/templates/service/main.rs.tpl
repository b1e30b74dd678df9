//! Boots {{name}} (seed: `{{bin}}.py`): config → database → routes →
//! serve; `{{bin}} --help` lists the commands (db, routes, script, systemd).

#[keel::main]
async fn main() -> std::process::ExitCode {
    {{crate}}::{{app_path}}().run().await
}
