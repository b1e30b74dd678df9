//! The service's identity (seed: `config/conf_manage_sys.py`, `SysConf`).
//! Deployment settings live in `config/*.toml`.

/// manage_system: id 1, port 8001, tables and cache keys prefixed `sys`.
#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

// What routes may require; roles (`sys_role`) grant them to accounts.
keel::permissions!(
    SysConf => "account.read", "account.write", "role.read", "role.write", "records.read", "notice.send"
);
