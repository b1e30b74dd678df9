//! Booting a service (seed: `http_manage_sys.py`): config → logs → caches
//! → databases → boot hooks → router with versions → frame → serve → drain
//! on SIGTERM. [`App`] is the builder; `start` turns it into one
//! [`AppState`] that serving, jobs, scripts and tests share; `cli` is the
//! binary's command line.

mod cli;
mod listener;
mod serve;
mod start;
mod systemd;
#[cfg(feature = "testing")]
pub mod testing;

pub use cli::routes_table;
pub use serve::RunningServer;

use crate::auth::{Authority, Gate};
use crate::config::Config;
use crate::error::BoxError;
use crate::http::frame::Frame;
use crate::http::health::HealthCheck;
use crate::http::router::UriRouter;
use crate::kind::Kind;
use crate::service::ServiceInfo;
use crate::state::{AppState, Sockets};
use salvo::Handler;
use std::sync::{Arc, OnceLock};

/// A service ready to boot.
///
/// ```no_run
/// # #[keel::service(name = "demo", id = 9, port = 8009, prefix = "demo", version = "1.00.00")]
/// # pub struct DemoConf;
/// # #[keel::api(path = "/ping", public)]
/// # impl Ping { async fn get() -> keel::ApiResult<&'static str> { Ok(keel::answer_json("pong")) } }
/// # keel::uri_router!(DemoConf => Ping);
/// #[keel::main(bin_name = "http_demo")]
/// async fn main() -> std::process::ExitCode {
///     keel::App::new(uri_router()) // router with versions
///         .run()                   // CLI: serve (default), routes, openapi
///         .await
/// }
/// ```
pub struct App<K: Kind> {
    router: UriRouter<K>,
    /// Shared as they are: each top-level route node holds a clone.
    hoops: Vec<Arc<dyn Handler>>,
    config: Config,
    health: Vec<HealthCheck>,
    home: std::path::PathBuf,
    models: Option<fn() -> Vec<crate::TableSchema>>,
    migrations: Option<std::path::PathBuf>,
    /// Migration files compiled into the binary (`embed_migrations!`).
    embedded_migrations: Option<&'static [(&'static str, &'static str)]>,
    /// The service's `config/default.toml`, compiled in.
    embedded_config: Option<&'static str>,
    databases: std::collections::BTreeMap<String, crate::data::db::Db>,
    caches: std::collections::BTreeMap<String, crate::cache::Cache>,
    auth: Option<Arc<dyn Authority>>,
    jobs: Vec<crate::jobs::JobDecl>,
    scripts: Vec<crate::jobs::ScriptDecl>,
    sockets: Arc<Sockets>,
    pubsub: Option<crate::cache::pubsub::PubSub>,
    on_start: Vec<BootHook>,
    log_files: Vec<&'static str>,
    sections: Vec<SectionDecl>,
    /// Built once — by boot, or on first use by an app that was not booted.
    state: OnceLock<Arc<AppState>>,
}

/// A configuration section the service owns, and how to check it.
pub(crate) struct SectionDecl {
    pub(crate) name: &'static str,
    pub(crate) check: fn(&Config, &str) -> Result<(), crate::config::ConfigError>,
}

/// Work done once at boot with the database ready (e.g. the first account).
pub(crate) type BootHook =
    Box<dyn FnOnce(Arc<AppState>) -> futures_util::future::BoxFuture<'static, Result<(), BoxError>> + Send>;

impl<K: Kind> App<K> {
    /// An app serving `router` on the embedded default configuration; every
    /// answer, including 404/405 and panics, comes back in the envelope.
    pub fn new(router: UriRouter<K>) -> Self {
        App {
            router,
            hoops: Vec::new(),
            config: Config::default(),
            health: Vec::new(),
            home: std::path::PathBuf::from("."),
            models: None,
            migrations: None,
            embedded_migrations: None,
            embedded_config: None,
            databases: std::collections::BTreeMap::new(),
            caches: std::collections::BTreeMap::new(),
            auth: None,
            jobs: Vec::new(),
            scripts: Vec::new(),
            sockets: Arc::default(),
            pubsub: None,
            on_start: Vec::new(),
            log_files: Vec::new(),
            sections: Vec::new(),
            state: OnceLock::new(),
        }
    }

    /// Uses `config` instead of the embedded defaults (`run` loads it from
    /// the config files and the environment).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The project root that relative paths (`data/`, `logs/`) start from;
    /// `run` takes it from `--home` / `KEEL_HOME`.
    pub fn home(mut self, home: impl Into<std::path::PathBuf>) -> Self {
        self.home = home.into();
        self
    }

    /// The service's tables (`keel::models!`): the `default` database is
    /// connected at boot — `database.default`, else an embedded SQLite file
    /// `data/<service>.db` — and must be at the last migration: boot
    /// applies pending ones when `auto_upgrade` is on (always for the
    /// embedded SQLite), else refuses in one line.
    pub fn models(mut self, models: fn() -> Vec<crate::TableSchema>) -> Self {
        self.models = Some(models);
        self
    }

    /// Turns on sign-in (seed: `api_base`): routes not marked `public`
    /// need a bearer token that `authority` maps to an active account.
    /// Sessions live in `keel_session` (list `keel::auth::Session` in the
    /// service's models) and in the cache.
    pub fn auth(mut self, authority: impl Authority) -> Self {
        self.auth = Some(Arc::new(authority));
        self
    }

    /// A job on a cron schedule with a seconds field (`"0 */5 * * * *"`:
    /// every five minutes), run inside the service; each tick runs once
    /// across the instances sharing the cache. `[jobs] <name>` in the
    /// configuration overrides the schedule (`"off"` disables the job).
    pub fn job<F, Fut>(mut self, name: &'static str, schedule: &'static str, job: F) -> Self
    where
        F: Fn(crate::jobs::JobCtx) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let run: crate::jobs::RunFn = Arc::new(move |ctx| Box::pin(job(ctx)));
        self.jobs.push(crate::jobs::JobDecl { name, schedule, run });
        self
    }

    /// A script run from the command line (`<binary> script <name>`): a
    /// one-off `script_…` (recorded, refuses a second run) or a reusable
    /// `rescript_…`.
    pub fn script<F, Fut>(mut self, name: &'static str, script: F) -> Self
    where
        F: Fn(crate::jobs::JobCtx) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let run: crate::jobs::RunFn = Arc::new(move |ctx| Box::pin(script(ctx)));
        self.scripts.push(crate::jobs::ScriptDecl { name, run });
        self
    }

    /// Uses `pubsub` for notices instead of the one made from the cache
    /// configuration (tests and benchmarks share one between apps).
    pub fn pubsub(mut self, pubsub: crate::cache::pubsub::PubSub) -> Self {
        self.pubsub = Some(pubsub);
        self
    }

    /// The folder of this service's migration files, instead of
    /// `<home>/migrations/<service>`.
    pub fn migrations(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.migrations = Some(dir.into());
        self
    }

    /// Migration files built into the binary, used where the migrations
    /// folder is absent (a binary deployed alone) and checked against it
    /// where present:
    /// `.embedded_migrations(keel::embed_migrations!("../../migrations/manage_system"))`.
    pub fn embedded_migrations(mut self, files: &'static [(&'static str, &'static str)]) -> Self {
        self.embedded_migrations = Some(files);
        self
    }

    /// The service's `config/default.toml`, built into the binary and used
    /// when the file is not on disk; profile files and `KEEL_…` variables
    /// still override it: `.embedded_config(include_str!("../config/default.toml"))`.
    pub fn embedded_config(mut self, text: &'static str) -> Self {
        self.embedded_config = Some(text);
        self
    }

    fn migrations_dir(&self, database: &str) -> std::path::PathBuf {
        let service = self.service_info().name;
        let dir = self.migrations.clone().unwrap_or_else(|| self.home.join("migrations").join(service));
        if database == "default" { dir } else { dir.join(database) }
    }

    /// Runs `hook` once at boot, after the database is ready and before
    /// serving; an error stops boot with its message. The hook gets the
    /// state that requests will share.
    pub fn on_start<F, Fut>(mut self, hook: F) -> Self
    where
        F: FnOnce(Arc<AppState>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.on_start.push(Box::new(move |state| Box::pin(hook(state))));
        self
    }

    /// A top-level configuration section the service owns (manage_system's
    /// `[admin]`), typed as `T`: read from the files and `KEEL_<NAME>__…`
    /// like the framework's own, checked against `T` at boot (an unknown
    /// key or a bad value stops boot naming it), and read back with
    /// `config().section::<T>(name)`.
    pub fn section<T: serde::de::DeserializeOwned + Default>(mut self, name: &'static str) -> Self {
        let check: fn(&Config, &str) -> Result<(), crate::config::ConfigError> =
            |config, name| config.section::<T>(name).map(drop);
        self.sections.push(SectionDecl { name, check });
        self
    }

    /// A named log file the service always writes (`logs/<service>/<name>.log`,
    /// through `ctx.log.to(name, ..)`), besides those in `log.files`.
    pub fn log_file(mut self, name: &'static str) -> Self {
        self.log_files.push(name);
        self
    }

    /// Adds middleware that runs before each matched route (seed: the
    /// service's registered middleware).
    pub fn hoop(mut self, hoop: impl Handler) -> Self {
        self.hoops.push(Arc::new(hoop));
        self
    }

    /// Adds a readiness check reported by `GET /health` (a database, a
    /// cache…); `/health` answers 503 while any check fails.
    pub fn health_check(mut self, check: HealthCheck) -> Self {
        self.health.push(check);
        self
    }

    /// The service's identity.
    pub fn service_info(&self) -> ServiceInfo {
        self.router.service()
    }

    /// The routes.
    pub fn uri_router(&self) -> &UriRouter<K> {
        &self.router
    }

    /// The salvo service: keel's frame (request id, body limit, panics,
    /// envelopes, access line) around the versioned routes and the
    /// operational ones (`/health`, `/openapi.json`, `/docs`).
    pub fn salvo_service(&self) -> salvo::Service {
        let authority = self.auth.clone();
        // Protected by default: every route not marked `public` checks its
        // token before the handler runs.
        let guard = move |endpoint: &crate::http::declare::Endpoint| -> Arc<dyn salvo::Handler> {
            Arc::new(Gate::new(endpoint.decl, endpoint.handler.clone(), authority.clone()))
        };
        let mut routes = self.router.salvo_router(&guard);
        // The hoops wrap every versioned route, not the operational ones.
        // They go on each top-level node, not on a router around them, and
        // those nodes go in the root itself: one router level fewer for
        // every request to walk (about 500 instructions a request).
        for node in routes.routers_mut() {
            node.hoops_mut().extend(self.hoops.iter().cloned());
        }
        let metrics = crate::metrics::metrics();
        metrics.set_enabled(self.config.metrics.enabled);
        let service = self.router.service();
        metrics.build_info(service.name, service.version);
        let operational =
            crate::http::health::routes(&self.router, self.health.clone(), &self.config.metrics);
        let root = routes.push(operational);
        salvo::Service::new(root).hoop(Frame::new(self.state()))
    }

    /// The shared state: the one boot built, or — for an app used without
    /// booting (`routes`, a router test) — one made once from what the
    /// builder holds.
    pub fn state(&self) -> Arc<AppState> {
        Arc::clone(self.state.get_or_init(|| self.assemble_state()))
    }

    fn assemble_state(&self) -> Arc<AppState> {
        Arc::new(AppState::new(
            self.router.service(),
            self.config.clone(),
            self.databases.clone(),
            self.caches.clone(),
            self.pubsub.clone().unwrap_or_else(crate::cache::pubsub::PubSub::in_process),
            Arc::clone(&self.sockets),
        ))
    }
}

/// Boot failed; the message names what and why, in one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BootError(String);
