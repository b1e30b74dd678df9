//! Boot: configuration, logs, caches, databases (at their last migration),
//! boot hooks, job schedules — then the state is built, once.

use super::{App, BootError};
use crate::config::{Config, ConfigSources};
use crate::http::health::HealthCheck;
use crate::kind::Kind;
use crate::state::AppState;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use tokio::task::JoinHandle;

impl<K: Kind> App<K> {
    /// Scripts and schedules checked, backends connected, the state built,
    /// boot hooks run; then the jobs start on that same state.
    pub(crate) async fn start(&mut self) -> Result<(Arc<AppState>, Vec<JoinHandle<()>>), BootError> {
        for section in &self.sections {
            (section.check)(&self.config, section.name).map_err(|err| BootError(err.to_string()))?;
        }
        self.check_scripts()?;
        let schedules = self.schedules()?;
        let state = self.connect().await?;
        for hook in std::mem::take(&mut self.on_start) {
            hook(Arc::clone(&state)).await.map_err(|err| BootError(err.to_string()))?;
        }
        let jobs = schedules
            .into_iter()
            .map(|(job, schedule)| tokio::spawn(crate::jobs::run_schedule(job, schedule, Arc::clone(&state))))
            .collect();
        Ok((state, jobs))
    }

    /// Caches and databases, then the state: built here, once, and kept.
    pub(crate) async fn connect(&mut self) -> Result<Arc<AppState>, BootError> {
        self.open_caches()?;
        self.connect_database().await?;
        let state = self.assemble_state();
        self.state = OnceLock::from(Arc::clone(&state));
        Ok(state)
    }

    /// Every script name follows the seed's rule; no name twice.
    pub(super) fn check_scripts(&self) -> Result<(), BootError> {
        let mut seen = std::collections::BTreeSet::new();
        for script in &self.scripts {
            crate::jobs::check_script_name(script.name).map_err(BootError)?;
            if !seen.insert(script.name) {
                return Err(BootError(format!("script `{}` is declared twice", script.name)));
            }
        }
        Ok(())
    }

    /// Each job's schedule (configuration over code); one line per mistake.
    pub(super) fn schedules(&self) -> Result<Vec<(crate::jobs::JobDecl, cron::Schedule)>, BootError> {
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
            if let Some(schedule) = crate::jobs::parse_schedule(job, configured).map_err(BootError)? {
                schedules.push((job.clone(), schedule));
            }
        }
        Ok(schedules)
    }

    /// Opens every configured cache — Redis lazily, so boot does not wait
    /// for it — or an in-process `default` one. `/health` reports each; a
    /// cache that is down degrades the service but does not stop it.
    pub(super) fn open_caches(&mut self) -> Result<(), BootError> {
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
                #[cfg(feature = "redis")]
                (Some(entry), Some(cache)) if cache.kind() == "redis" => {
                    crate::cache::pubsub::PubSub::redis(entry.url(), cache.clone())
                        .map_err(|err| BootError(err.to_string()))?
                }
                _ => crate::cache::pubsub::PubSub::in_process(),
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
                async move { Ok(cache.ping().await?) }
            }));
        }
        self.caches = caches;
        Ok(())
    }

    /// Connects every configured database — and, for a service with
    /// models, the `default` one (an embedded SQLite file when none is
    /// configured), which must be at its last migration.
    pub(super) async fn connect_database(&mut self) -> Result<(), BootError> {
        let mut entries = self.config.database.clone();
        let models = self.models.map(|models| models()).unwrap_or_default();
        if models.iter().any(|t| t.database == "default") && !entries.contains_key("default") {
            entries.insert("default".to_owned(), self.embedded_database());
        }
        for (name, entry) in &entries {
            let db = crate::data::db::Db::connect(name, entry, &self.home)
                .await
                .map_err(|err| BootError(err.to_string()))?;
            let check = if name == "default" { "database".to_owned() } else { format!("database.{name}") };
            let probe = db.clone();
            self.health.push(HealthCheck::new(check, move || {
                let db = probe.clone();
                async move { Ok(db.ready(std::time::Duration::from_millis(300)).await?) }
            }));
            // Rows of the default database read through the default cache.
            let db = match (name.as_str(), self.caches.get("default")) {
                ("default", Some(cache)) => db.with_cache(cache.clone()),
                _ => db,
            };
            self.databases.insert(name.clone(), db);
        }
        // Each database holding tables must be at its last migration.
        for name in crate::data::table::databases_of(&models) {
            let tables: Vec<crate::TableSchema> =
                models.iter().filter(|t| t.database == name).cloned().collect();
            let Some(db) = self.databases.get(name) else {
                return Err(BootError(format!(
                    "table `{}` lives on database `{name}`, which the configuration does not name: set database.{name} (KEEL_DATABASE__{})",
                    tables.first().map_or("", |t| t.name),
                    name.to_ascii_uppercase()
                )));
            };
            let auto_upgrade = match self.config.database.get(name) {
                None => name == "default", // the embedded SQLite
                Some(crate::config::BackendEntry::Table(table)) => table.auto_upgrade.unwrap_or(false),
                Some(crate::config::BackendEntry::Url(_)) => false,
            };
            self.check_migrations(db, name, &tables, auto_upgrade).await?;
        }
        Ok(())
    }

    /// Boot refuses a database behind its migrations, unless `auto_upgrade`
    /// is on; then it applies them (under the migration lock, so instances
    /// booting together apply each one once).
    pub(super) async fn check_migrations(
        &self,
        db: &crate::data::db::Db,
        database: &str,
        models: &[crate::TableSchema],
        auto_upgrade: bool,
    ) -> Result<(), BootError> {
        use crate::data::migrate::{apply::Migrator, file::MigrationSet};
        let info = self.service_info();
        // The binary's name as `#[keel::main]` recorded it, for the fix in messages.
        let bin = crate::service::binary_name().unwrap_or(info.name);
        let dir = self.migrations_dir(database);
        // `embed_migrations!` carries the `default` database's folder.
        let embedded = self.embedded_migrations.filter(|_| database == "default");
        let flag = if database == "default" { String::new() } else { format!(" --database {database}") };
        let set = MigrationSet::resolve(&dir, embedded).map_err(|err| BootError(err.to_string()))?;
        let Some(last) = set.migrations.last() else {
            return Err(BootError(format!(
                "database `{database}`: no migrations in {} for the tables of `{}`: run `{bin} db init-db{flag}` (or start from the project root / set KEEL_HOME)",
                dir.display(),
                info.name
            )));
        };
        let built_in = || embedded.and_then(|files| MigrationSet::from_embedded(&dir, files).ok());
        if let Some(line) = crate::data::migrate::drift_line(info.name, bin, &set, built_in, models) {
            return Err(BootError(line));
        }
        let migrator = Migrator { db, set: &set, service: info.name };
        let status = migrator.status().await.map_err(|err| BootError(err.to_string()))?;
        if status.current as usize != set.migrations.len() || status.partial().is_some() {
            if !auto_upgrade {
                let at = match status.current {
                    0 => "no migration".to_owned(),
                    v => set.migrations[v as usize - 1].label(),
                };
                return Err(BootError(format!(
                    "database `{database}` is behind its migrations (at {at}, the code needs {}): run `{bin} db upgrade{flag}`, or set database.{database}.auto_upgrade = true",
                    last.label()
                )));
            }
            migrator
                .upgrade(&|line| log::info!(target: crate::logging::INFO, "database `{database}`: {line}"))
                .await
                .map_err(|err| BootError(err.to_string()))?;
        } else if auto_upgrade {
            migrator
                .convert_legacy_charset(
                    &|line| log::info!(target: crate::logging::INFO, "database `{database}`: {line}"),
                )
                .await
                .map_err(|err| BootError(err.to_string()))?;
        } else if let Ok(tables) = migrator.legacy_charset_tables().await
            && !tables.is_empty()
        {
            log::warn!(
                target: crate::logging::FAILED,
                "database `{database}`: tables {} are not utf8mb4 (emoji and CJK do not fit, names compare loosely): run `{bin} db upgrade{flag}` to convert them",
                tables.join(", ")
            );
        }
        crate::metrics::metrics()
            .migration_version(database, i64::try_from(set.migrations.len()).unwrap_or(i64::MAX));
        Ok(())
    }

    /// The configuration of a command run from the binary: files, then
    /// `KEEL_…` variables (`--home` and `--profile` choose which). A bad
    /// key ends the command with code 2 and one line.
    pub(crate) fn configure(
        &mut self,
        home: Option<std::path::PathBuf>,
        profile: Option<String>,
    ) -> Result<(), ExitCode> {
        let info = self.service_info();
        let sources = ConfigSources::from_process(home, profile);
        let names: Vec<&str> = self.sections.iter().map(|s| s.name).collect();
        let loaded = Config::load_over(&info, &sources, &names, self.embedded_config).and_then(|config| {
            self.sections.iter().try_for_each(|s| (s.check)(&config, s.name)).map(|()| config)
        });
        self.config = loaded.map_err(|err| {
            eprintln!("{}: {err}", info.name);
            ExitCode::from(2)
        })?;
        self.home = sources.home;
        Ok(())
    }

    /// The service's log files under its home.
    pub(crate) fn open_logs(&self) -> Result<crate::logging::LogGuard, ExitCode> {
        let info = self.service_info();
        let mut log = self.config.log.clone();
        for name in &self.log_files {
            if !log.files.iter().any(|f| f == name) {
                log.files.push((*name).to_owned());
            }
        }
        crate::logging::init(&self.home, info.name, &log).map_err(|err| {
            eprintln!("{}: {err}", info.name);
            ExitCode::FAILURE
        })
    }

    /// The `default` database of a service with tables and no
    /// `database.default`: an embedded SQLite file under `data/`.
    pub(crate) fn embedded_database(&self) -> crate::config::BackendEntry {
        crate::config::BackendEntry::Url(format!("sqlite://data/{}.db", self.service_info().name))
    }
}
