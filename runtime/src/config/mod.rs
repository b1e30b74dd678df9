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
use std::path::PathBuf;

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
    /// `[cors]`: which browser origins may call the service (off by default).
    pub cors: CorsConfig,
    /// `[metrics]`: `GET /metrics` for Prometheus.
    pub metrics: MetricsConfig,
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
            Some(value) => {
                T::deserialize(TextValue(value.clone())).map(Some).map_err(|e| format!("settings.{key}: {e}"))
            }
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

/// `[metrics]`: Prometheus metrics at `GET /metrics`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Count requests and serve `/metrics` (off: `/metrics` is 404 and
    /// requests cost nothing more).
    pub enabled: bool,
    /// Client addresses that may read `/metrics` (exact IPs); others get 403.
    pub allow_from: Vec<String>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig { enabled: true, allow_from: vec!["127.0.0.1".to_owned(), "::1".to_owned()] }
    }
}

/// `[cors]`: cross-origin requests from browsers. Off while
/// `allow_origins` is empty; preflights are answered before routing and
/// sign-in, so a protected route can be called from an allowed origin.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    /// Origins allowed (`https://admin.example.com`), or `["*"]` for any.
    pub allow_origins: Vec<String>,
    /// Methods a cross-origin request may use.
    pub allow_methods: Vec<String>,
    /// Request headers it may send.
    pub allow_headers: Vec<String>,
    /// Response headers its script may read.
    pub expose_headers: Vec<String>,
    /// Whether it may send cookies or HTTP authentication (needs explicit
    /// origins, not `*`).
    pub allow_credentials: bool,
    /// Seconds a browser may cache a preflight's answer.
    pub max_age: u64,
}

impl Default for CorsConfig {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        CorsConfig {
            allow_origins: Vec::new(),
            allow_methods: list(&["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
            allow_headers: list(&["authorization", "content-type", "x-request-id"]),
            expose_headers: list(&["x-request-id", "retry-after"]),
            allow_credentials: false,
            max_age: 600,
        }
    }
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to bind.
    pub bind: String,
    /// Port; the service identity's port when unset.
    pub port: Option<u16>,
    /// Seconds in-flight requests get to finish after SIGTERM / Ctrl-C.
    pub shutdown_timeout: u64,
    /// Largest request body accepted, in bytes (413 beyond, refused from
    /// its `Content-Length` before a byte of it is read); also the largest
    /// WebSocket message (the socket is closed with 1009 beyond).
    pub body_limit: usize,
    /// Seconds a request body may take to arrive in full (408 beyond).
    pub body_timeout: u64,
    /// Seconds from a request's head to its answer being ready: past it the
    /// handler's work is dropped (cancelled at its next `.await`), the
    /// client gets the 504 envelope (50400), and a `failed.log` line names
    /// the method and path. 0: no deadline.
    /// Keep it below a proxy's read timeout, so the envelope arrives before
    /// the proxy gives up, and above `body_timeout`, so a slow upload gets
    /// its 408. Not counted: time a connection waited to be accepted (past
    /// `max_connections`), writing the answer out (see `idle_timeout`), and
    /// open WebSockets.
    pub response_timeout: u64,
    /// Longest URI accepted, in bytes (414 beyond).
    pub uri_limit: usize,
    /// Largest header block accepted, names and values, in bytes (431 beyond).
    pub header_limit: usize,
    /// Seconds a client may take to send a request's headers; past it the
    /// connection is closed. The clock runs from when the server starts
    /// waiting for a head, so a kept-alive connection waiting for its next
    /// request is closed after the shorter of this and `idle_timeout`.
    pub header_timeout: u64,
    /// Seconds one write to the client may stay blocked (a client that
    /// takes none of its answer) before the connection is closed; also caps
    /// the wait for the next request (see `header_timeout`). A request being
    /// handled has `response_timeout`. Open WebSockets are exempt: they
    /// have `ws_idle_timeout`.
    pub idle_timeout: u64,
    /// Seconds between pings on an open WebSocket.
    pub ws_ping_interval: u64,
    /// Seconds a WebSocket client may stay silent (no message, no pong)
    /// before it is closed; also how long one write to it may stay blocked
    /// (a client that stopped reading) before the connection is dropped.
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
            response_timeout: 25,
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
    /// A level per target over `level`: `info`, `failed`, `access` (the
    /// request lines), a file of `files`, or a library's module path
    /// (`salvo_core`).
    pub levels: BTreeMap<String, LogLevel>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: LogLevel::Info,
            max_size_mib: 50,
            keep: 10,
            files: Vec::new(),
            levels: BTreeMap::new(),
        }
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
    /// Values from the environment are read by the type of their key: a
    /// string stays exactly as written (`KEEL_ADMIN__PASSWORD=000123` is
    /// `"000123"`), numbers and booleans are parsed, lists and tables are
    /// inline TOML or JSON.
    pub fn load_with_sections(
        service: &ServiceInfo,
        sources: &ConfigSources,
        sections: &[&str],
    ) -> Result<Config, ConfigError> {
        Config::load_over(service, sources, sections, None)
    }

    /// [`load_with_sections`](Self::load_with_sections), with the text of
    /// `default.toml` built into the binary, used when the file is not on
    /// disk (a binary deployed alone).
    pub fn load_over(
        service: &ServiceInfo,
        sources: &ConfigSources,
        sections: &[&str],
        built_in_default: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let dir = sources.config_dir(service);
        let mut layers =
            Layers { sections: sections.iter().map(|s| (*s).to_owned()).collect(), ..Layers::default() };
        let default_file = dir.join("default.toml");
        // A service without a default.toml runs on the embedded defaults.
        if default_file.exists() {
            layers.add_file(&default_file)?;
        } else if let Some(text) = built_in_default {
            layers.add_text(text, "the built-in default.toml")?;
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
            Some(value) => serde_path_to_error::deserialize(TextValue(value.clone())).map_err(|err| {
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

mod backend;
mod layers;
mod text_value;

use layers::Layers;
use text_value::TextValue;

pub(crate) use backend::redact;
pub use backend::{BackendEntry, BackendTable};

#[cfg(test)]
mod tests;
