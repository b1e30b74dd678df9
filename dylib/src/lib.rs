//! keel and everything it depends on, built once as one shared library.
//!
//! A development build links a service's binary against this library
//! instead of copying keel, salvo, rbatis and the drivers into it: the
//! link of an incremental build goes from about 0.5 s to almost nothing.
//! A service opts in with a cargo feature and one line in its binary:
//!
//! ```toml
//! [dependencies]
//! keel-dylib = { workspace = true, optional = true }
//!
//! [features]
//! dylib = ["dep:keel-dylib"]
//! ```
//!
//! ```ignore
//! #[cfg(feature = "dylib")]
//! use keel_dylib as _;
//! ```
//!
//! and builds with `cargo run --features dylib`. The binary then needs the
//! shared libraries at run time (keel's and Rust's standard library), which
//! `cargo run` and `cargo test` find by themselves: for development only,
//! never for a release that is deployed.

// Naming keel is what puts it, and its dependencies, into this library.
#[allow(unused_imports, clippy::single_component_path_imports)]
use keel;
