//! Booting a service (seed: `http_manage_sys.py`): config → logs → router
//! with versions → middleware → error catchers → serve → drain on SIGTERM.

use crate::answer::{ApiError, ErrorCode, write_error};
use crate::cli::{Cli, Command, ServeFlags};
use crate::config::{Config, ConfigSources};
use crate::kind::Kind;
use crate::ops::HealthCheck;
use crate::request_id::{REQUEST_ID_HEADER, RequestId};
use crate::router::UriRouter;
use crate::service::ServiceInfo;
use futures_util::FutureExt;
use salvo::conn::{Acceptor, Listener, TcpListener};
use salvo::handler::ArcHandler;
use salvo::http::header::HeaderValue;
use salvo::http::{HeaderName, ResBody};
use salvo::server::ServerHandle;
use salvo::{Depot, FlowCtrl, Handler, Request, Response, Router, Server, async_trait};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// State shared by every request of a service.
#[derive(Debug)]
pub struct AppState {
    /// The service's identity.
    pub service: ServiceInfo,
    /// The deployment settings it booted with.
    pub config: Config,
    /// The `default` database, when the service has tables.
    pub db: Option<crate::db::Db>,
    /// Every connected database by name, `default` included.
    pub databases: std::collections::BTreeMap<String, crate::db::Db>,
    /// The `default` cache: `cache.default`, else in-process.
    pub cache: crate::cache::Cache,
    /// Every cache by name, `default` included.
    pub caches: std::collections::BTreeMap<String, crate::cache::Cache>,
    /// The service's authorization, when it offers sign-in.
    pub auth: Option<Arc<dyn crate::auth::Authority>>,
    /// Open WebSocket connections, closed (1001) at shutdown.
    pub sockets: Arc<crate::ws::Sockets>,
    /// Notices across processes: Redis pub/sub, else in-process.
    pub pubsub: crate::pubsub::PubSub,
}

impl std::fmt::Debug for dyn crate::auth::Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authority")
    }
}

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
    hoops: Vec<ArcHandler>,
    config: Config,
    health: Vec<HealthCheck>,
    home: std::path::PathBuf,
    models: Option<fn() -> Vec<crate::TableSchema>>,
    migrations: Option<std::path::PathBuf>,
    databases: std::collections::BTreeMap<String, crate::db::Db>,
    caches: std::collections::BTreeMap<String, crate::cache::Cache>,
    auth: Option<Arc<dyn crate::auth::Authority>>,
    jobs: Vec<crate::script::JobDecl>,
    scripts: Vec<crate::script::ScriptDecl>,
    sockets: Arc<crate::ws::Sockets>,
    pubsub: Option<crate::pubsub::PubSub>,
    on_start: Vec<BootHook>,
}

/// Work done once at boot with the database ready (e.g. the first account).
pub(crate) type BootHook =
    Box<dyn FnOnce(Arc<AppState>) -> futures_util::future::BoxFuture<'static, Result<(), String>> + Send>;

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
            databases: std::collections::BTreeMap::new(),
            caches: std::collections::BTreeMap::new(),
            auth: None,
            jobs: Vec::new(),
            scripts: Vec::new(),
            sockets: Arc::default(),
            pubsub: None,
            on_start: Vec::new(),
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
    pub fn auth(mut self, authority: impl crate::auth::Authority) -> Self {
        self.auth = Some(Arc::new(authority));
        self
    }

    /// A job on a cron schedule with a seconds field (`"0 */5 * * * *"`:
    /// every five minutes), run inside the service; each tick runs once
    /// across the instances sharing the cache. `[jobs] <name>` in the
    /// configuration overrides the schedule (`"off"` disables the job).
    pub fn job<F, Fut>(mut self, name: &'static str, schedule: &'static str, job: F) -> Self
    where
        F: Fn(crate::script::JobCtx) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        let run: crate::script::RunFn = Arc::new(move |ctx| Box::pin(job(ctx)));
        self.jobs.push(crate::script::JobDecl { name, schedule, run });
        self
    }

    /// A script run from the command line (`<binary> script <name>`): a
    /// one-off `script_…` (recorded, refuses a second run) or a reusable
    /// `rescript_…`.
    pub fn script<F, Fut>(mut self, name: &'static str, script: F) -> Self
    where
        F: Fn(crate::script::JobCtx) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        let run: crate::script::RunFn = Arc::new(move |ctx| Box::pin(script(ctx)));
        self.scripts.push(crate::script::ScriptDecl { name, run });
        self
    }

    /// Uses `pubsub` for notices instead of the one made from the cache
    /// configuration (tests and benchmarks share one between apps).
    pub fn pubsub(mut self, pubsub: crate::pubsub::PubSub) -> Self {
        self.pubsub = Some(pubsub);
        self
    }

    /// The folder of this service's migration files, instead of
    /// `<home>/migrations/<service>`.
    pub fn migrations(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.migrations = Some(dir.into());
        self
    }

    fn migrations_dir(&self, database: &str) -> std::path::PathBuf {
        let service = self.service_info().name;
        let dir = self.migrations.clone().unwrap_or_else(|| self.home.join("migrations").join(service));
        if database == "default" { dir } else { dir.join(database) }
    }

    /// Runs `hook` once at boot, after the database is ready and before
    /// serving; an error stops boot with its message.
    pub fn on_start<F, Fut>(mut self, hook: F) -> Self
    where
        F: FnOnce(Arc<AppState>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        self.on_start.push(Box::new(move |state| Box::pin(hook(state))));
        self
    }

    /// Adds middleware that runs before each matched route (seed: the
    /// service's registered middleware).
    pub fn hoop(mut self, hoop: impl Handler) -> Self {
        self.hoops.push(hoop.arc());
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
        let state = self.state();
        let mut routes = self.router.salvo_router();
        for hoop in &self.hoops {
            routes = routes.hoop(hoop.clone());
        }
        let root = Router::new().push(routes).push(crate::ops::routes(&self.router, self.health.clone()));
        // The frame is a Service hoop: Router hoops do not run when no route
        // matches, and 404/405 must get an envelope and an access line too.
        salvo::Service::new(root).hoop(Frame { state })
    }

    fn state(&self) -> Arc<AppState> {
        Arc::new(AppState {
            service: self.router.service(),
            config: self.config.clone(),
            db: self.databases.get("default").cloned(),
            databases: self.databases.clone(),
            cache: self
                .caches
                .get("default")
                .cloned()
                .unwrap_or_else(|| crate::cache::Cache::memory("default")),
            caches: self.caches.clone(),
            auth: self.auth.clone(),
            sockets: Arc::clone(&self.sockets),
            pubsub: self.pubsub.clone().unwrap_or_else(crate::pubsub::PubSub::in_process),
        })
    }

    /// Opens every configured cache — Redis lazily, so boot does not wait
    /// for it — or an in-process `default` one. `/health` reports each; a
    /// cache that is down degrades the service but does not stop it.
    fn open_caches(&mut self) -> Result<(), BootError> {
        let info = self.service_info();
        let patterns = vec![format!("{}_*", info.prefix), "keel_*".to_owned()];
        let mut caches = std::collections::BTreeMap::new();
        for (name, entry) in &self.config.cache {
            let cache = crate::cache::Cache::open(name, entry.url(), patterns.clone())
                .map_err(|err| BootError(err.to_string()))?;
            caches.insert(name.clone(), cache);
        }
        // Pub/sub rides on the default cache's Redis: it publishes through
        // the cache's command connection and listens on one of its own.
        if self.pubsub.is_none() {
            self.pubsub = Some(match (self.config.cache.get("default"), caches.get("default")) {
                (Some(entry), Some(cache)) if cache.kind() == "redis" => {
                    crate::pubsub::PubSub::redis(entry.url(), cache.clone())
                        .map_err(|err| BootError(err.to_string()))?
                }
                _ => crate::pubsub::PubSub::in_process(),
            });
        }
        if !caches.contains_key("default") {
            caches.insert("default".to_owned(), crate::cache::Cache::memory("default"));
        }
        for (name, cache) in &caches {
            let check = if name == "default" { "cache".to_owned() } else { format!("cache.{name}") };
            let probe = cache.clone();
            self.health.push(HealthCheck::optional(check, move || {
                let cache = probe.clone();
                async move { cache.ping().await.map_err(|err| err.to_string()) }
            }));
        }
        self.caches = caches;
        Ok(())
    }

    /// Connects every configured database — and, for a service with
    /// models, the `default` one (an embedded SQLite file when none is
    /// configured), which must be at its last migration.
    async fn connect_database(&mut self) -> Result<(), BootError> {
        let mut entries = self.config.database.clone();
        if self.models.is_some() && !entries.contains_key("default") {
            entries.insert("default".to_owned(), self.embedded_database());
        }
        for (name, entry) in &entries {
            let db = crate::db::Db::connect(name, entry, &self.home)
                .await
                .map_err(|err| BootError(err.to_string()))?;
            let check = if name == "default" { "database".to_owned() } else { format!("database.{name}") };
            let probe = db.clone();
            self.health.push(HealthCheck::new(check, move || {
                let db = probe.clone();
                async move { db.ping().await.map_err(|err| err.to_string()) }
            }));
            // Rows of the default database read through the default cache.
            let db = match (name.as_str(), self.caches.get("default")) {
                ("default", Some(cache)) => db.with_cache(cache.clone()),
                _ => db,
            };
            self.databases.insert(name.clone(), db);
        }
        if let (Some(models), Some(db)) = (self.models, self.databases.get("default")) {
            let auto_upgrade = match self.config.database.get("default") {
                None => true, // the embedded SQLite
                Some(crate::config::BackendEntry::Table(table)) => table.auto_upgrade.unwrap_or(false),
                Some(crate::config::BackendEntry::Url(_)) => false,
            };
            self.check_migrations(db, &models(), auto_upgrade).await?;
        }
        Ok(())
    }

    /// Boot refuses a database behind its migrations, unless `auto_upgrade`
    /// is on; then it applies them (under the migration lock, so instances
    /// booting together apply each one once).
    async fn check_migrations(
        &self,
        db: &crate::db::Db,
        models: &[crate::TableSchema],
        auto_upgrade: bool,
    ) -> Result<(), BootError> {
        use crate::migrate::{apply::Migrator, file::MigrationSet};
        let info = self.service_info();
        // The binary's name as `#[keel::main]` recorded it, for the fix in messages.
        let bin = crate::service::binary_name().unwrap_or(info.name);
        let dir = self.migrations_dir("default");
        let set = MigrationSet::load(&dir).map_err(|err| BootError(err.to_string()))?;
        let Some(last) = set.migrations.last() else {
            return Err(BootError(format!(
                "database `default`: no migrations in {} for the tables of `{}`: run `{bin} db init-db` (or start from the project root / set KEEL_HOME)",
                dir.display(),
                info.name
            )));
        };
        let migrator = Migrator { db, set: &set, service: info.name };
        let status = migrator.status().await.map_err(|err| BootError(err.to_string()))?;
        if status.current as usize != set.migrations.len() || status.partial().is_some() {
            if !auto_upgrade {
                let at = match status.current {
                    0 => "no migration".to_owned(),
                    v => set.migrations[v as usize - 1].label(),
                };
                return Err(BootError(format!(
                    "database `default` is behind its migrations (at {at}, the code needs {}): run `{bin} db upgrade`, or set database.default.auto_upgrade = true",
                    last.label()
                )));
            }
            migrator
                .upgrade(&|line| log::info!(target: crate::log::INFO, "database `default`: {line}"))
                .await
                .map_err(|err| BootError(err.to_string()))?;
        }
        if let Ok(steps) = crate::migrate::diff::diff(&set.last_snapshot(), models)
            && !steps.is_empty()
        {
            let steps: Vec<String> = steps.iter().map(|s| s.describe()).collect();
            log::warn!(
                target: crate::log::FAILED,
                "the models differ from the last migration {} ({}): run `{bin} db migrate`",
                last.label(),
                steps.join(", ")
            );
        }
        Ok(())
    }

    /// The configuration of a command run from the binary: files, then
    /// `KEEL_…` variables (`--home` and `--profile` choose which). A bad
    /// key ends the command with code 2 and one line.
    fn configure(
        &mut self,
        home: Option<std::path::PathBuf>,
        profile: Option<String>,
    ) -> Result<(), ExitCode> {
        let info = self.service_info();
        let sources = ConfigSources::from_process(home, profile);
        self.config = Config::load(&info, &sources).map_err(|err| {
            eprintln!("{}: {err}", info.name);
            ExitCode::from(2)
        })?;
        self.home = sources.home;
        Ok(())
    }

    /// The service's log files under its home.
    fn open_logs(&self) -> Result<crate::logging::LogGuard, ExitCode> {
        let info = self.service_info();
        crate::logging::init(&self.home, info.name, &self.config.log).map_err(|err| {
            eprintln!("{}: {err}", info.name);
            ExitCode::FAILURE
        })
    }

    /// The `default` database of a service with tables and no
    /// `database.default`: an embedded SQLite file under `data/`.
    fn embedded_database(&self) -> crate::config::BackendEntry {
        crate::config::BackendEntry::Url(format!("sqlite://data/{}.db", self.service_info().name))
    }

    /// `db …`: migrations of one database.
    async fn db_command(
        mut self,
        flags: ServeFlags,
        database: String,
        command: crate::cli::DbCommand,
    ) -> ExitCode {
        let info = self.service_info();
        if let Err(code) = self.configure(flags.home, flags.profile) {
            return code;
        }
        let Some(models) = self.models else {
            eprintln!("{}: the service has no tables (no `keel::models!` given to App::models)", info.name);
            return ExitCode::FAILURE;
        };
        if database != "default" {
            eprintln!(
                "{}: database `{database}` has no models: keel::models! lists the `default` database's tables",
                info.name
            );
            return ExitCode::FAILURE;
        }
        let entry = self.config.database.get(&database).cloned().unwrap_or_else(|| self.embedded_database());
        let target = crate::migrate::command::DbTarget {
            service: info.name,
            dir: self.migrations_dir(&database),
            database,
            entry,
            home: self.home.clone(),
            models: models(),
        };
        match crate::migrate::command::run(&command, target).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("{}: {err}", info.name);
                ExitCode::FAILURE
            }
        }
    }

    /// Parses the command line and runs the command: `serve` (default),
    /// `db`, `script`, `routes` or `openapi`. Returns the process exit code.
    ///
    /// A binary calls `.run()` instead, which `#[keel::main]` provides only
    /// when the app's [kind](crate::kind) matches the binary's name; this is
    /// the same command line without that compile-time check.
    pub async fn run_cli(self) -> ExitCode {
        let cli = Cli::parse_for(self.service_info());
        match cli.command.unwrap_or_default() {
            Command::Serve => self.serve(cli.serve).await,
            Command::Db { database, command } => self.db_command(cli.serve, database, command).await,
            Command::Script { name, list } => self.script_command(cli.serve, name, list).await,
            Command::Routes => {
                print!("{}", crate::cli::routes_table(&self.router));
                ExitCode::SUCCESS
            }
            Command::Openapi => match crate::openapi::document(&self.router).to_pretty_json() {
                Ok(json) => {
                    println!("{json}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("openapi: {err}");
                    ExitCode::FAILURE
                }
            },
        }
    }

    /// config → logs → listen → serve until SIGTERM / Ctrl-C → drain → flush.
    async fn serve(mut self, flags: ServeFlags) -> ExitCode {
        let info = self.service_info();
        if let Err(code) = self.configure(flags.home, flags.profile) {
            return code;
        }
        let log_guard = match self.open_logs() {
            Ok(guard) => guard,
            Err(code) => return code,
        };
        let bind = flags.bind.unwrap_or_else(|| self.config.server.bind.clone());
        let port = flags.port.unwrap_or_else(|| self.config.port(&info));
        let drain = Duration::from_secs(self.config.server.shutdown_timeout);
        let shutdown = match ShutdownSignal::install() {
            Ok(shutdown) => shutdown,
            Err(err) => {
                eprintln!("{}: cannot listen for SIGTERM: {err}", info.name);
                return ExitCode::FAILURE;
            }
        };
        if self.router.endpoints().is_empty() {
            return self.run_headless(shutdown, log_guard).await;
        }
        let running = match self.bind(&format!("{bind}:{port}")).await {
            Ok(running) => running,
            Err(err) => {
                eprintln!("{}: {err}", info.name);
                log::error!(target: crate::log::FAILED, "boot failed: {err}");
                return ExitCode::FAILURE;
            }
        };
        let url = format!("http://{}", running.addr);
        log::info!(target: crate::log::INFO, "{} {} listening on {url}", info.name, info.version);
        println!("{} {} listening on {url} (logs in {})", info.name, info.version, log_guard.dir.display());
        let signal = shutdown.recv().await;
        log::info!(target: crate::log::INFO, "{signal}: draining in-flight requests (up to {}s)", drain.as_secs());
        running.stop_graceful(drain);
        running.wait().await;
        log::info!(target: crate::log::INFO, "{} stopped", info.name);
        // Writes every queued line before the process exits.
        drop(log_guard);
        ExitCode::SUCCESS
    }

    /// A service with no external interface (a `service_*` binary, no
    /// routes): its jobs run until SIGTERM / Ctrl-C.
    async fn run_headless(
        mut self,
        shutdown: ShutdownSignal,
        log_guard: crate::logging::LogGuard,
    ) -> ExitCode {
        let info = self.service_info();
        let jobs = match self.start().await {
            Ok(jobs) => jobs,
            Err(err) => {
                eprintln!("{}: {err}", info.name);
                log::error!(target: crate::log::FAILED, "boot failed: {err}");
                return ExitCode::FAILURE;
            }
        };
        let names: Vec<&str> = self.jobs.iter().map(|job| job.name).collect();
        log::info!(
            target: crate::log::INFO,
            "{} {} running {} job(s), no external interface",
            info.name,
            info.version,
            jobs.len()
        );
        println!(
            "{} {} running jobs [{}], no external interface (logs in {})",
            info.name,
            info.version,
            names.join(", "),
            log_guard.dir.display()
        );
        let signal = shutdown.recv().await;
        for job in &jobs {
            job.abort();
        }
        log::info!(target: crate::log::INFO, "{signal}: {} stopped", info.name);
        drop(log_guard);
        ExitCode::SUCCESS
    }

    /// Caches, databases, boot hooks, then the jobs' schedules.
    async fn start(&mut self) -> Result<Vec<tokio::task::JoinHandle<()>>, BootError> {
        self.check_scripts()?;
        let schedules = self.schedules()?;
        self.open_caches()?;
        self.connect_database().await?;
        let hooks = std::mem::take(&mut self.on_start);
        for hook in hooks {
            hook(self.state()).await.map_err(BootError)?;
        }
        let state = self.state();
        Ok(schedules
            .into_iter()
            .map(|(job, schedule)| {
                tokio::spawn(crate::script::run_schedule(job, schedule, Arc::clone(&state)))
            })
            .collect())
    }

    /// Connects the database, runs the boot hooks, starts the jobs, binds
    /// `addr` (port 0 picks a free one) and serves in the background.
    pub async fn bind(mut self, addr: &str) -> Result<RunningServer, BootError> {
        let jobs = self.start().await?;
        let acceptor = TcpListener::new(addr.to_owned())
            .try_bind()
            .await
            .map_err(|err| BootError(format!("cannot listen on {addr}: {err}")))?;
        let local = acceptor
            .holdings()
            .first()
            .map(|h| h.local_addr.clone())
            .ok_or_else(|| BootError(format!("cannot listen on {addr}: no address bound")))?;
        let addr =
            local.into_std().ok_or_else(|| BootError(format!("{addr} is not an IP socket address")))?;
        let server = Server::new(acceptor);
        let handle = server.handle();
        let service = self.salvo_service();
        let task = tokio::spawn(async move { server.serve(service).await });
        Ok(RunningServer { addr, handle, task, jobs, sockets: Arc::clone(&self.sockets) })
    }

    /// Every script name follows the seed's rule; no name twice.
    fn check_scripts(&self) -> Result<(), BootError> {
        let mut seen = std::collections::BTreeSet::new();
        for script in &self.scripts {
            crate::script::check_script_name(script.name).map_err(BootError)?;
            if !seen.insert(script.name) {
                return Err(BootError(format!("script `{}` is declared twice", script.name)));
            }
        }
        Ok(())
    }

    /// Each job's schedule (configuration over code); one line per mistake.
    fn schedules(&self) -> Result<Vec<(crate::script::JobDecl, cron::Schedule)>, BootError> {
        let mut schedules = Vec::new();
        for name in self.config.jobs.keys() {
            if !self.jobs.iter().any(|job| job.name == name) {
                let known: Vec<&str> = self.jobs.iter().map(|job| job.name).collect();
                return Err(BootError(format!(
                    "config: key `jobs.{name}`: no such job (jobs: {})",
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                )));
            }
        }
        for job in &self.jobs {
            let configured = self.config.jobs.get(job.name).map(String::as_str);
            if let Some(schedule) = crate::script::parse_schedule(job, configured).map_err(BootError)? {
                schedules.push((job.clone(), schedule));
            }
        }
        Ok(schedules)
    }

    /// `script <name>` / `script --list`.
    async fn script_command(mut self, flags: ServeFlags, name: Option<String>, list: bool) -> ExitCode {
        let info = self.service_info();
        if list || name.is_none() {
            for script in &self.scripts {
                let kind = if script.name.starts_with("script_") { "once" } else { "reusable" };
                println!("{:<40} {kind}", script.name);
            }
            for job in &self.jobs {
                println!("{:<40} job, schedule `{}`", job.name, job.schedule);
            }
            return ExitCode::SUCCESS;
        }
        let name = name.unwrap_or_default();
        let Some(script) = self.scripts.iter().find(|s| s.name == name).cloned() else {
            eprintln!("{}: no script `{name}`; `script --list` shows them", info.name);
            return ExitCode::FAILURE;
        };
        if let Err(code) = self.configure(flags.home, flags.profile) {
            return code;
        }
        // Scripts log like the service: their lines land in its log files.
        let log_guard = match self.open_logs() {
            Ok(guard) => guard,
            Err(code) => return code,
        };
        let prepared = async {
            self.check_scripts()?;
            self.open_caches()?;
            self.connect_database().await?;
            Ok::<_, BootError>(self.state())
        };
        let code = match prepared.await {
            Ok(state) => match crate::script::run_script(&script, state).await {
                Ok(done) => {
                    log::info!(target: crate::log::INFO, "{done}");
                    println!("{done}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    log::error!(target: crate::log::FAILED, "{err}");
                    eprintln!("{}: {err}", info.name);
                    ExitCode::FAILURE
                }
            },
            Err(err) => {
                eprintln!("{}: {err}", info.name);
                ExitCode::FAILURE
            }
        };
        drop(log_guard);
        code
    }
}

/// Boot failed; the message names what and why, in one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BootError(String);

/// A service serving in the background.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<()>,
    /// The scheduled jobs; stopped with the server.
    jobs: Vec<tokio::task::JoinHandle<()>>,
    /// Open WebSockets; closed with 1001 when the server stops.
    sockets: Arc<crate::ws::Sockets>,
}

impl RunningServer {
    /// Stops accepting and lets in-flight requests finish within `timeout`;
    /// no job starts another tick.
    pub fn stop_graceful(&self, timeout: Duration) {
        for job in &self.jobs {
            job.abort();
        }
        // Upgraded connections are detached from the server: tell each to
        // close with 1001 ("going away").
        self.sockets.shutdown();
        self.handle.stop_graceful(Some(timeout));
    }

    /// Waits until the server stops.
    pub async fn wait(self) {
        if let Err(err) = self.task.await {
            log::error!(target: crate::log::FAILED, "server task failed: {err}");
        }
        self.sockets.close_all(Duration::from_secs(5)).await;
    }
}

/// SIGTERM and Ctrl-C, listened to from before the service announces it is
/// up: a supervisor may signal as soon as it sees the "listening" line.
struct ShutdownSignal {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    fn install() -> std::io::Result<ShutdownSignal> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(ShutdownSignal {
                term: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignal {})
    }

    /// Waits for the first signal and names it.
    async fn recv(mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "Ctrl-C",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// keel's frame around every request, matched or not.
struct Frame {
    state: Arc<AppState>,
}

#[async_trait]
impl Handler for Frame {
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
        let started = Instant::now();
        let request_id = RequestId::from_header(req.headers().get(&X_REQUEST_ID).map(HeaderValue::as_bytes));
        // A sane or generated id is always a valid header value.
        if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
            res.headers_mut().insert(X_REQUEST_ID.clone(), value);
        }
        req.set_secure_max_size(self.state.config.server.body_limit);
        depot.insert_typed(request_id);
        depot.insert_typed(self.state.clone());

        let outcome = AssertUnwindSafe(ctrl.call_next(req, depot, res)).catch_unwind().await;
        if let Err(panic) = outcome {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-text panic payload".to_owned());
            res.replace_body(ResBody::None);
            write_error(ApiError::internal(format!("handler panicked: {what}")), depot, res);
        }
        // Error statuses nobody answered (salvo's 404/405, a hoop that only
        // set a status) get the envelope too.
        let status = res.status_code.unwrap_or(salvo::http::StatusCode::NOT_FOUND);
        if (status.is_client_error() || status.is_server_error())
            && (res.body.is_none() || res.body.is_error())
        {
            res.replace_body(ResBody::None);
            write_error(ApiError::new(ErrorCode::from_status(status)), depot, res);
        }
        crate::logging::access(
            RequestId::of(depot),
            req.method().as_str(),
            req.uri().path(),
            res.status_code.map_or(0, |s| s.as_u16()),
            started.elapsed(),
        );
    }
}
