//! A service's identity, declared with `#[keel::service]`.

/// Identity of a service: the seed's SERVER_NAME, SERVER_ID, RUN_PORT, table
/// prefix and VER_CODE. Lives in code and is checked at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceInfo {
    /// Snake-case name; also the folder of its logs, config and migrations.
    pub name: &'static str,
    /// Unique among the workspace's services.
    pub id: u32,
    /// Default TCP port.
    pub port: u16,
    /// Prefix of the service's tables and cache keys (`sys` → `sys_account`).
    pub prefix: &'static str,
    /// Version routes take when `#[api]` names none (`1.00.02`).
    pub version: &'static str,
}

/// Implemented by `#[keel::service(...)]`.
///
/// ```
/// #[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
/// pub struct SysConf;
///
/// use keel::Service;
/// assert_eq!(SysConf::INFO.prefix, "sys");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a keel service",
    note = "declare it with `#[keel::service(name = \"…\", id = …, port = …, prefix = \"…\", version = \"1.00.00\")]`"
)]
pub trait Service: 'static {
    /// The identity given to `#[keel::service]`.
    const INFO: ServiceInfo;
}

/// Checks that no two services share a name, id, port or prefix; the
/// error names both services and what they share.
pub fn check_distinct_services(services: &[ServiceInfo]) -> Result<(), String> {
    let mut clashes = Vec::new();
    for (i, a) in services.iter().enumerate() {
        for b in &services[i + 1..] {
            let mut shared = Vec::new();
            if a.name == b.name {
                shared.push(format!("name `{}`", a.name));
            }
            if a.id == b.id {
                shared.push(format!("id {}", a.id));
            }
            if a.port == b.port {
                shared.push(format!("port {}", a.port));
            }
            if a.prefix == b.prefix {
                shared.push(format!("prefix `{}`", a.prefix));
            }
            if !shared.is_empty() {
                clashes.push(format!("`{}` and `{}` share {}", a.name, b.name, shared.join(", ")));
            }
        }
    }
    if clashes.is_empty() { Ok(()) } else { Err(clashes.join("; ")) }
}

static BINARY_NAME: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Records the binary's name (`#[keel::main]` calls it first thing).
#[doc(hidden)]
pub fn set_binary_name(name: &'static str) {
    let _ = BINARY_NAME.set(name);
}

/// The binary's name, when `#[keel::main]` set it.
pub(crate) fn binary_name() -> Option<&'static str> {
    BINARY_NAME.get().copied()
}
