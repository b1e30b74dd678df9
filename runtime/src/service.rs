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
