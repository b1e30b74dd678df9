//! Deployment configuration (seed: the `BaseConf` subclasses in `config/`).
//!
//! Identity lives in code (`#[keel::service]`); what a deployment changes
//! lives in `services/<name>/config/default.toml`, plus `config/<profile>.toml`
//! when a profile is chosen, then `KEEL_…` environment variables, then the
//! `--port`/`--bind` flags. Every key has one spelling in every layer:
//! `server.port` in TOML is `KEEL_SERVER__PORT` in the environment.
//!
//! A bad layer stops boot with one line naming the key and where it came
//! from (file or variable).

use crate::service::ServiceInfo;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Prefix of configuration variables.
pub const ENV_PREFIX: &str = "KEEL_";
/// Variable choosing the project root (not a configuration key).
pub const ENV_HOME: &str = "KEEL_HOME";
/// Variable choosing the profile (not a configuration key).
pub const ENV_PROFILE: &str = "KEEL_PROFILE";

/// A service's deployment settings.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[server]`: where and how to listen.
    pub server: ServerConfig,
    /// `[log]`: MultLogger files and rotation.
    pub log: LogConfig,
    /// `[database]`: named databases; when any is set, `default` must be.
    pub database: BTreeMap<String, BackendEntry>,
    /// `[cache]`: named caches; when any is set, `default` must be.
    pub cache: BTreeMap<String, BackendEntry>,
    /// `[auth]`: sessions and login limits.
    pub auth: AuthConfig,
    /// `[jobs]`: a job's schedule by name (a cron expression with seconds,
    /// or `off`), over the one in the code.
    pub jobs: BTreeMap<String, String>,
    /// `[settings]`: the service's own keys (read with `Config::setting`).
    pub settings: BTreeMap<String, toml::Value>,
    /// Sections a service declares for itself (`App::section`), e.g.
    /// manage_system's `[admin]`, kept as read and typed by the service
    /// (`Config::section`).
    #[serde(skip)]
    pub sections: BTreeMap<String, toml::Value>,
}

impl Config {
    /// The service's own setting `settings.<key>`, converted to `T`; `None`
    /// when unset. A value of the wrong type is an error naming the key.
    pub fn setting<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, String> {
        match self.settings.get(key) {
            None => Ok(None),
            Some(value) => value.clone().try_into().map(Some).map_err(|e| format!("settings.{key}: {e}")),
        }
    }
}

/// `[auth]` (docs/conventions.md).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Seconds a token stays valid after login.
    pub session_ttl: u64,
    /// Wrong passwords allowed per account within `login_failure_window`.
    pub login_failures: u32,
    /// Seconds the failures of an account are counted over.
    pub login_failure_window: u64,
    /// Login attempts allowed per client IP within `login_ip_window`.
    pub login_attempts_per_ip: u32,
    /// Seconds the attempts of an IP are counted over.
    pub login_ip_window: u64,
    /// Proxies whose `X-Forwarded-For` names the client (exact IPs).
    pub trusted_proxies: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl: 86_400,
            login_failures: 5,
            login_failure_window: 900,
            login_attempts_per_ip: 20,
            login_ip_window: 60,
            trusted_proxies: Vec::new(),
        }
    }
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to bind.
    #[serde(deserialize_with = "lenient_string")]
    pub bind: String,
    /// Port; the service identity's port when unset.
    pub port: Option<u16>,
    /// Seconds in-flight requests get to finish after SIGTERM / Ctrl-C.
    pub shutdown_timeout: u64,
    /// Largest request body accepted, in bytes (413 beyond, refused from
    /// its `Content-Length` before a byte of it is read).
    pub body_limit: usize,
    /// Seconds a request body may take to arrive in full (408 beyond).
    pub body_timeout: u64,
    /// Longest URI accepted, in bytes (414 beyond).
    pub uri_limit: usize,
    /// Largest header block accepted, names and values, in bytes (431 beyond).
    pub header_limit: usize,
    /// Seconds a client may take to send a request's headers; past it the
    /// connection is closed.
    pub header_timeout: u64,
    /// Seconds a connection may stay silent (a kept-alive connection between
    /// requests) before it is closed. Open WebSockets are exempt: they have
    /// `ws_idle_timeout`.
    pub idle_timeout: u64,
    /// Seconds between pings on an open WebSocket.
    pub ws_ping_interval: u64,
    /// Seconds a WebSocket client may stay silent (no message, no pong)
    /// before it is closed.
    pub ws_idle_timeout: u64,
    /// Connections served at once; past it new ones wait in the kernel's
    /// backlog. Below the usual 1 024 open-file limit, so a flood of idle
    /// connections cannot take the descriptors the database and cache need.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "0.0.0.0".to_owned(),
            port: None,
            shutdown_timeout: 30,
            body_limit: 64 * 1024,
            body_timeout: 10,
            uri_limit: 8 * 1024,
            header_limit: 32 * 1024,
            header_timeout: 10,
            idle_timeout: 75,
            ws_ping_interval: 20,
            ws_idle_timeout: 60,
            max_connections: 768,
        }
    }
}

/// `[log]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Lowest level written: off, error, warn, info, debug, trace.
    pub level: LogLevel,
    /// A log file rolls over past this many MiB (the seed: 50).
    pub max_size_mib: u64,
    /// Rolled files kept per log (the seed: 10).
    pub keep: u32,
    /// Extra named files besides info and failed (`ctx.log.to("audit")`).
    pub files: Vec<String>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: LogLevel::Info, max_size_mib: 50, keep: 10, files: Vec::new() }
    }
}

/// A log level.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs, reason = "the variants are the level names")]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// As a `log` filter.
    pub fn filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Off => log::LevelFilter::Off,
            LogLevel::Error => log::LevelFilter::Error,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Trace => log::LevelFilter::Trace,
        }
    }
}

/// Where configuration is read from.
#[derive(Clone, Debug)]
pub struct ConfigSources {
    /// Project root: `logs/`, `data/`, `migrations/` and `services/<name>/config/` are below it.
    pub home: PathBuf,
    /// Profile adding `config/<profile>.toml`.
    pub profile: Option<String>,
    /// The `KEEL_…` variables (passed in, so tests need not touch the process environment).
    pub env: Vec<(String, String)>,
}

impl ConfigSources {
    /// Home from `--home`, else `KEEL_HOME`, else the working directory;
    /// profile from `--profile`, else `KEEL_PROFILE`; the process's `KEEL_` variables.
    pub fn from_process(home_flag: Option<PathBuf>, profile_flag: Option<String>) -> ConfigSources {
        let env: Vec<(String, String)> =
            std::env::vars().filter(|(k, _)| k.starts_with(ENV_PREFIX)).collect();
        let lookup = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let home =
            home_flag.or_else(|| lookup(ENV_HOME).map(PathBuf::from)).unwrap_or_else(|| PathBuf::from("."));
        let profile = profile_flag.or_else(|| lookup(ENV_PROFILE)).filter(|p| !p.is_empty());
        ConfigSources { home, profile, env }
    }

    /// The service's config folder: `<home>/services/<name>/config`.
    pub fn config_dir(&self, service: &ServiceInfo) -> PathBuf {
        self.home.join("services").join(service.name).join("config")
    }
}

/// Configuration that stopped boot: one line naming the key and its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads `default.toml`, the profile's file and the `KEEL_` variables, in
    /// that order, each overriding the one before.
    pub fn load(service: &ServiceInfo, sources: &ConfigSources) -> Result<Config, ConfigError> {
        Config::load_with_sections(service, sources, &[])
    }

    /// [`load`](Self::load), with the top-level sections the service owns
    /// (`App::section`) kept aside for it instead of refused as unknown.
    /// Their values from the environment stay text, exactly as written
    /// (`KEEL_ADMIN__PASSWORD=000123` is `"000123"`).
    pub fn load_with_sections(
        service: &ServiceInfo,
        sources: &ConfigSources,
        sections: &[&str],
    ) -> Result<Config, ConfigError> {
        let dir = sources.config_dir(service);
        let mut layers =
            Layers { sections: sections.iter().map(|s| (*s).to_owned()).collect(), ..Layers::default() };
        let default_file = dir.join("default.toml");
        // A service without a default.toml runs on the embedded defaults.
        if default_file.exists() {
            layers.add_file(&default_file)?;
        }
        if let Some(profile) = &sources.profile {
            let file = dir.join(format!("{profile}.toml"));
            if !file.exists() {
                return Err(ConfigError(format!(
                    "profile `{profile}` needs {}, which does not exist",
                    file.display()
                )));
            }
            layers.add_file(&file)?;
        }
        for (name, value) in &sources.env {
            if name == ENV_HOME || name == ENV_PROFILE {
                continue;
            }
            if let Some(path) = name.strip_prefix(ENV_PREFIX) {
                layers.add_env(name, path, value)?;
            }
        }
        layers.into_config()
    }

    /// The service's own section `name` (declared with `App::section`),
    /// typed; the type's defaults when the section is absent. A wrong key
    /// or value is an error naming `name.key`.
    pub fn section<T: serde::de::DeserializeOwned + Default>(&self, name: &str) -> Result<T, ConfigError> {
        match self.sections.get(name) {
            None => Ok(T::default()),
            Some(value) => serde_path_to_error::deserialize(value.clone()).map_err(|err| {
                let path = err.path().to_string();
                let msg = err.into_inner().to_string();
                let msg = msg.lines().next().unwrap_or_default().trim().to_owned();
                let key = if path == "." { name.to_owned() } else { format!("{name}.{path}") };
                ConfigError(format!("key `{key}`: {msg}"))
            }),
        }
    }

    /// Sets the service's own section `name` (tests, or a service filling
    /// defaults in code).
    pub fn set_section<T: serde::Serialize>(&mut self, name: &str, value: &T) -> Result<(), ConfigError> {
        let value =
            toml::Value::try_from(value).map_err(|err| ConfigError(format!("section `{name}`: {err}")))?;
        self.sections.insert(name.to_owned(), value);
        Ok(())
    }

    /// The port to listen on: `server.port`, else the identity's.
    pub fn port(&self, service: &ServiceInfo) -> u16 {
        self.server.port.unwrap_or(service.port)
    }
}

/// The merged TOML tree and, for each leaf, where its value came from.
#[derive(Default)]
struct Layers {
    root: toml::Table,
    origins: BTreeMap<String, String>,
    /// Top-level sections the service owns.
    sections: Vec<String>,
}

impl Layers {
    fn add_file(&mut self, file: &Path) -> Result<(), ConfigError> {
        let origin = file.display().to_string();
        let text =
            std::fs::read_to_string(file).map_err(|e| ConfigError(format!("cannot read {origin}: {e}")))?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
            ConfigError(format!("{origin}{at} is not valid TOML: {}", e.message()))
        })?;
        merge(&mut self.root, table, "", &origin, &mut self.origins);
        Ok(())
    }

    fn add_env(&mut self, name: &str, path: &str, raw: &str) -> Result<(), ConfigError> {
        let origin = format!("environment variable {name}");
        let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        if keys.iter().any(String::is_empty) {
            return Err(ConfigError(format!(
                "{origin} is not a key: sections are joined by `__`, e.g. KEEL_SERVER__PORT"
            )));
        }
        let mut table = &mut self.root;
        for key in &keys[..keys.len() - 1] {
            let slot = table.entry(key.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            // `KEEL_DATABASE__DEFAULT=url` then `…__DEFAULT__POOL_SIZE=16`:
            // the URL form becomes the table form.
            if let toml::Value::String(url) = slot {
                let mut as_table = toml::Table::new();
                as_table.insert("url".to_owned(), toml::Value::String(std::mem::take(url)));
                *slot = toml::Value::Table(as_table);
            }
            table = match slot {
                toml::Value::Table(t) => t,
                _ => {
                    return Err(ConfigError(format!(
                        "{origin}: `{key}` is a value, not a section (in key `{}`)",
                        keys.join(".")
                    )));
                }
            };
        }
        let last = keys[keys.len() - 1].clone();
        let value =
            if self.sections.contains(&keys[0]) { toml::Value::String(raw.to_owned()) } else { scalar(raw) };
        match table.get_mut(&last) {
            // `KEEL_DATABASE__DEFAULT=url` over a `[database.default]` table sets its url.
            Some(toml::Value::Table(existing)) if matches!(value, toml::Value::String(_)) => {
                existing.insert("url".to_owned(), value);
                self.origins.insert(format!("{}.url", keys.join(".")), origin);
            }
            _ => {
                table.insert(last, value);
                self.origins.insert(keys.join("."), origin);
            }
        }
        Ok(())
    }

    fn into_config(mut self) -> Result<Config, ConfigError> {
        let origins = self.origins;
        let mut sections = BTreeMap::new();
        for name in &self.sections {
            if let Some(value) = self.root.remove(name) {
                sections.insert(name.clone(), value);
            }
        }
        let mut config: Config =
            serde_path_to_error::deserialize(toml::Value::Table(self.root)).map_err(|err| {
                let path = err.path().to_string();
                let msg = err.into_inner().to_string();
                // The TOML deserializer appends "in `section`"; the key says it.
                let msg = msg.lines().next().unwrap_or_default().trim();
                let key = match msg.strip_prefix("unknown field `").and_then(|m| m.split_once('`')) {
                    Some((field, _)) if path == "." => field.to_owned(),
                    Some((field, _)) if !path.ends_with(&format!(".{field}")) && path != field => {
                        format!("{path}.{field}")
                    }
                    _ => path,
                };
                let source = origin_of(&origins, &key);
                ConfigError(format!("key `{key}` ({source}): {msg}"))
            })?;
        for (section, entries) in [("database", &config.database), ("cache", &config.cache)] {
            if !entries.is_empty() && !entries.contains_key("default") {
                let named = entries.keys().next().map(String::as_str).unwrap_or_default();
                let source = origin_of(&origins, &format!("{section}.{named}"));
                return Err(ConfigError(format!(
                    "key `{section}` ({source}): a configured {section} set must name a `default` one (e.g. `{section}.default`), found only `{named}`"
                )));
            }
        }
        config.sections = sections;
        Ok(config)
    }
}

/// The origin of `key` or of the nearest key below or above it.
fn origin_of(origins: &BTreeMap<String, String>, key: &str) -> String {
    if let Some(origin) = origins.get(key) {
        return origin.clone();
    }
    if let Some((_, origin)) = origins.iter().find(|(k, _)| k.starts_with(&format!("{key}."))) {
        return origin.clone();
    }
    let mut parent = key;
    while let Some((p, _)) = parent.rsplit_once('.') {
        if let Some(origin) = origins.get(p) {
            return origin.clone();
        }
        parent = p;
    }
    "default".to_owned()
}

fn merge(
    into: &mut toml::Table,
    from: toml::Table,
    prefix: &str,
    origin: &str,
    origins: &mut BTreeMap<String, String>,
) {
    for (key, value) in from {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(table)) => {
                merge(existing, table, &path, origin, origins);
            }
            (_, value) => {
                record(&value, &path, origin, origins);
                into.insert(key, value);
            }
        }
    }
}

fn record(value: &toml::Value, path: &str, origin: &str, origins: &mut BTreeMap<String, String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, value) in table {
                record(value, &format!("{path}.{key}"), origin, origins);
            }
        }
        _ => {
            origins.insert(path.to_owned(), origin.to_owned());
        }
    }
}

/// An environment value as TOML: integers, floats and booleans keep their
/// type, the rest is a string (`lenient_string` takes any of them back).
fn scalar(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = raw.parse::<bool>() {
        toml::Value::Boolean(b)
    } else if let Ok(f) = raw.parse::<f64>()
        && raw.contains('.')
        && !raw.contains(':')
    {
        toml::Value::Float(f)
    } else {
        toml::Value::String(raw.to_owned())
    }
}

/// A string field that also takes numbers and booleans (a password `12345`
/// from the environment arrives as an integer).
pub(super) fn lenient_string<'de, D: serde::Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        S(String),
        I(i64),
        F(f64),
        B(bool),
    }
    Ok(match Scalar::deserialize(de)? {
        Scalar::S(s) => s,
        Scalar::I(i) => i.to_string(),
        Scalar::F(f) => f.to_string(),
        Scalar::B(b) => b.to_string(),
    })
}

mod backend;

pub use backend::{BackendEntry, BackendTable};

#[cfg(test)]
mod tests;
