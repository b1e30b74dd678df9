//! The service's identity (seed: `config/conf_manage_sys.py`, `SysConf`).
//! Deployment settings live in `config/*.toml`.

/// manage_system: id 1, port 8001, tables and cache keys prefixed `sys`.
#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

// What routes may require; roles (`sys_role`) grant them to accounts.
keel::permissions!(
    SysConf => "account.read", "account.write", "role.read", "role.write", "records.read", "notice.send"
);

/// `[admin]` (manage_system's own section): the first account, created
/// when `sys_account` is empty at boot, and the account
/// `script rescript_restore_admin` restores. Set it from the environment
/// (`KEEL_ADMIN__USERNAME`, `KEEL_ADMIN__PASSWORD`); no password ships in
/// the repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Username of the first account.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<String>,
}

impl AdminSettings {
    /// The section's name in the configuration.
    pub const SECTION: &'static str = "admin";
}
