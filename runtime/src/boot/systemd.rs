//! `systemd [--user] [--install]`: the service's unit file, printed or
//! installed (seed: the deployment section — units for root in
//! `/etc/systemd/system`, for a normal account in `~/.config/systemd/user`).

use crate::config::Config;
use crate::service::ServiceInfo;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What the unit is made from.
pub(crate) struct UnitSpec<'a> {
    pub(crate) service: ServiceInfo,
    /// The binary's name (`http_manage_sys`): the unit is `<bin>.service`.
    pub(crate) bin: &'a str,
    /// The binary's absolute path.
    pub(crate) exec: PathBuf,
    /// The project root, absolute.
    pub(crate) home: PathBuf,
    pub(crate) config: &'a Config,
    /// `--user`: a user unit (no `User=`/`Group=`, `default.target`).
    pub(crate) user_unit: bool,
    /// The account and group a system unit runs as.
    pub(crate) account: (String, String),
}

/// Seconds systemd waits after SIGTERM before SIGKILL: above the drain.
fn stop_timeout(config: &Config) -> u64 {
    config.server.shutdown_timeout + 15
}

/// The unit file's text.
pub(crate) fn unit(spec: &UnitSpec<'_>) -> String {
    let home = spec.home.display();
    let mut unit = String::new();
    let _ = writeln!(
        unit,
        "# {}.service — written by `{} systemd{}`",
        spec.bin,
        spec.bin,
        if spec.user_unit { " --user" } else { "" }
    );
    let _ = writeln!(unit, "[Unit]");
    let _ = writeln!(
        unit,
        "Description=keel service {} {} ({})",
        spec.service.name, spec.service.version, spec.bin
    );
    if !spec.user_unit {
        let _ = writeln!(unit, "Wants=network-online.target");
        let _ = writeln!(unit, "After=network-online.target");
    }
    let _ = writeln!(unit, "\n[Service]");
    let _ = writeln!(unit, "Type=simple");
    if !spec.user_unit {
        let _ = writeln!(unit, "User={}", spec.account.0);
        let _ = writeln!(unit, "Group={}", spec.account.1);
    }
    let _ = writeln!(unit, "WorkingDirectory={home}");
    let _ = writeln!(unit, "Environment=KEEL_HOME={home}");
    // Secrets (KEEL_ADMIN__PASSWORD, database URLs) live here, not in the unit.
    let _ = writeln!(unit, "EnvironmentFile=-{}", env_file(&spec.home, spec.bin).display());
    let _ = writeln!(unit, "ExecStart={} serve", spec.exec.display());
    let _ = writeln!(unit, "Restart=on-failure");
    let _ = writeln!(unit, "RestartSec=2");
    let _ = writeln!(unit, "KillSignal=SIGTERM");
    let _ = writeln!(unit, "TimeoutStopSec={}", stop_timeout(spec.config));
    let _ = writeln!(unit, "LimitNOFILE=65536");
    let _ = writeln!(unit, "NoNewPrivileges=true");
    if !spec.user_unit {
        // A user manager cannot set up these namespaces without privileges.
        let _ = writeln!(unit, "ProtectSystem=strict");
        let _ = writeln!(unit, "ReadWritePaths={home}/logs {home}/data");
        let _ = writeln!(unit, "PrivateTmp=true");
    }
    let _ = writeln!(unit, "\n[Install]");
    let _ =
        writeln!(unit, "WantedBy={}", if spec.user_unit { "default.target" } else { "multi-user.target" });
    unit
}

/// The optional environment file the unit reads: `<home>/<bin>.env`.
pub(crate) fn env_file(home: &Path, bin: &str) -> PathBuf {
    home.join(format!("{bin}.env"))
}

/// Where `--install` writes the unit.
pub(crate) fn unit_dir(user_unit: bool) -> Result<PathBuf, String> {
    if !user_unit {
        return Ok(PathBuf::from("/etc/systemd/system"));
    }
    match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(config) => Ok(PathBuf::from(config).join("systemd/user")),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => Ok(PathBuf::from(home).join(".config/systemd/user")),
            None => Err("neither XDG_CONFIG_HOME nor HOME is set: cannot place a user unit".to_owned()),
        },
    }
}

/// The commands to run it (the seed's `service …` for root, `systemctl
/// --user …` for an account).
pub(crate) fn how_to_run(bin: &str, user_unit: bool) -> String {
    let ctl = if user_unit { "systemctl --user" } else { "systemctl" };
    let journal = if user_unit { "journalctl --user" } else { "journalctl" };
    let mut text = format!(
        "enable and start:  {ctl} enable --now {bin}\nstart / stop:      {ctl} start {bin} / {ctl} stop {bin}\nstatus:            {ctl} status {bin}\nstdout/stderr:     {journal} -u {bin}\n"
    );
    if user_unit {
        text.push_str("keep it running after logout: loginctl enable-linger $USER\n");
    } else {
        let _ = writeln!(text, "or, the SysV way:  service {bin} start | stop | status");
    }
    text
}

/// The account the unit runs as, for `User=`/`Group=` (names from
/// /etc/passwd and /etc/group): the current one — or, under `sudo` (needed
/// to write /etc/systemd/system), the account that ran sudo, so that
/// installing does not make the service run as root.
#[cfg(unix)]
pub(crate) fn current_account() -> (String, String) {
    let sudo_id =
        |key: &str| std::env::var(key).ok().and_then(|v| v.parse::<u32>().ok()).filter(|id| *id != 0);
    let root = rustix::process::getuid().is_root();
    let uid = sudo_id("SUDO_UID").filter(|_| root).unwrap_or_else(|| rustix::process::getuid().as_raw());
    let gid = sudo_id("SUDO_GID").filter(|_| root).unwrap_or_else(|| rustix::process::getgid().as_raw());
    let name_of = |file: &str, id: u32| -> Option<String> {
        std::fs::read_to_string(file).ok()?.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let _password = fields.next();
            (fields.next()?.parse::<u32>().ok()? == id).then(|| name.to_owned())
        })
    };
    (
        name_of("/etc/passwd", uid).unwrap_or_else(|| uid.to_string()),
        name_of("/etc/group", gid).unwrap_or_else(|| gid.to_string()),
    )
}

#[cfg(not(unix))]
pub(crate) fn current_account() -> (String, String) {
    ("root".to_owned(), "root".to_owned())
}

/// Whether a systemd manager runs here (for `daemon-reload`).
pub(crate) fn systemd_running(user_unit: bool) -> bool {
    if user_unit {
        std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| Path::new(&dir).join("systemd").exists())
    } else {
        Path::new("/run/systemd/system").exists()
    }
}
