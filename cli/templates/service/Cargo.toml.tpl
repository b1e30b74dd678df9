[package]
name = "{{name}}"
description = "{{description}}"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish = false

[[bin]]
name = "{{bin}}"
path = "src/bin/{{bin}}.rs"

[dependencies]
keel.workspace = true
serde.workspace = true
log.workspace = true
tokio = { workspace = true, features = ["rt"] }

[dev-dependencies]
serde_json.workspace = true
tokio = { workspace = true, features = ["rt-multi-thread", "macros", "time"] }{{dev_dependencies}}

[lints]
workspace = true
