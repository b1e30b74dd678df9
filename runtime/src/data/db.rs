//! Databases through rbatis: one pool per named database, the driver chosen
//! by the URL's scheme (`mysql://`, `postgres://`, `sqlite://`), table
//! creation from schema descriptions, and row helpers over `#[keel::table]`
//! types. All SQL is parameterized (`?`, which rbdc-pg turns into `$n`).

use crate::config::{BackendEntry, redact};
use fast_pool::plugin::{CheckMode, DurationManager};
use rbatis::RBatis;
use rbdc_pool_fast::{ConnManagerProxy, FastPool};
use rbs::Value;
use serde::de::DeserializeOwned;
use std::path::Path;
use std::time::{Duration, Instant};

pub use crate::data::column::{Bind, Column, ColumnOf, Flattens, SetColumn, SqlValue, TextColumn};
pub use crate::data::filter::{Filter, Paging, Set};
use crate::data::guard::{DEFAULT_QUERY_TIMEOUT, StatementGuard};
pub use crate::data::rows::{Sql, Statements, Tx};
use std::sync::Arc;

/// Which SQL dialect a database speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// MySQL and MariaDB (≥ 10.5 for `RETURNING`).
    MySql,
    /// PostgreSQL.
    Postgres,
    /// SQLite (bundled).
    Sqlite,
}

impl Dialect {
    /// The cargo feature of keel that brings this dialect's driver.
    pub(crate) fn feature(self) -> &'static str {
        match self {
            Dialect::MySql => "mysql",
            Dialect::Postgres => "pg",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// The dialect of a connection URL, by its scheme.
    pub fn from_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite://") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("mysql://") {
            Some(Dialect::MySql)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }
}

/// A database error, classified for the answer: 409 for a taken unique
/// key, 503 when the database cannot be reached, 500 otherwise. The driver's
/// text goes to the logs only.
#[derive(Clone, Debug, thiserror::Error)]
pub enum DbError {
    /// A unique key is taken.
    #[error("unique key taken: {0}")]
    Conflict(String),
    /// The database cannot be reached or refuses work.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a bug, a schema mismatch).
    #[error("database error: {0}")]
    Other(String),
}

impl DbError {
    /// Classifies a driver's message. rbatis errors are strings, so each
    /// driver's wording is matched (tested on all three).
    pub fn classify(message: String) -> DbError {
        let lower = message.to_ascii_lowercase();
        const CONFLICT: [&str; 3] = [
            "duplicate entry",            // MySQL / MariaDB 1062
            "violates unique constraint", // PostgreSQL 23505
            "unique constraint failed",   // SQLite
        ];
        const UNAVAILABLE: [&str; 16] = [
            "connection refused",
            "connection aborted", // rbdc-mysql and rbdc-pg on a killed connection
            "connection reset",
            "broken pipe",
            "timed out",
            "timeout",
            "pool",
            "no route to host",
            "connection closed",
            "unexpected eof",
            "database is locked",
            "unable to open database",
            "readonly database",
            "disk i/o error",
            "shutting down",
            "server has gone away",
        ];
        // PostgreSQL errors come as `SQLSTATE:message`; class 08 is a
        // connection exception, 57P01–57P03 a server shutting down or
        // restarting (a killed backend says 57P01).
        let sqlstate = message.split_once(':').map(|(code, _)| code).filter(|c| c.len() == 5);
        let lost_connection = sqlstate.is_some_and(|c| c.starts_with("08") || c.starts_with("57P0"));
        if CONFLICT.iter().any(|m| lower.contains(m)) {
            DbError::Conflict(message)
        } else if lost_connection
            || UNAVAILABLE.iter().any(|m| lower.contains(m))
            || lower.contains("io error")
        {
            DbError::Unavailable(message)
        } else {
            DbError::Other(message)
        }
    }
}

impl DbError {
    /// Whether the statement named a table the database does not have
    /// (SQLite "no such table", MySQL 1146 "doesn't exist", PostgreSQL
    /// 42P01): a database that was never migrated for it.
    pub fn is_missing_table(&self) -> bool {
        let DbError::Other(message) = self else { return false };
        let lower = message.to_ascii_lowercase();
        lower.contains("no such table")
            || (lower.contains("table") && lower.contains("doesn't exist"))
            || message.starts_with("42P01")
    }
}

impl From<rbatis::Error> for DbError {
    fn from(err: rbatis::Error) -> Self {
        DbError::classify(err.to_string())
    }
}

/// SQLite pools live as long as the process. The bundled SQLite 3.51.1 can
/// deadlock when two connections to one WAL file close at the same moment —
/// which is what dropping a pool does (seen here: `db heads` hung in
/// `unixClose` against `unixIsSharingShmNode` on two worker threads). Kept
/// open, connections are released by the OS at exit; the WAL is checkpointed
/// by the next open. The cost: a test process that opens many SQLite
/// databases keeps their connections.
fn keep_open(rb: &RBatis) {
    static POOLS: std::sync::Mutex<Vec<RBatis>> = std::sync::Mutex::new(Vec::new());
    POOLS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(rb.clone());
}

/// One named database.
#[derive(Clone, Debug)]
pub struct Db {
    pub(super) name: String,
    dialect: Dialect,
    pub(super) rb: RBatis,
    /// Rows read through it and invalidated on write (the `default` database).
    pub(crate) cache: Option<crate::cache::Cache>,
    pub(crate) flights: std::sync::Arc<crate::data::read_through::Flights>,
    /// The statement deadline and the breaker, shared by clones.
    pub(super) guard: Arc<StatementGuard>,
}

/// The driver's pool for `url`, or why it cannot be opened. A dialect whose
/// driver this build left out (keel's `sqlite`, `mysql` and `pg` features)
/// is refused by name, so a configuration naming it stops boot on one line.
// With no driver at all every arm returns early, and only SQLite reads `home`.
#[cfg_attr(not(any(feature = "sqlite", feature = "mysql", feature = "pg")), allow(unreachable_code))]
#[cfg_attr(not(feature = "sqlite"), allow(unused_variables))]
fn driver_pool(name: &str, dialect: Dialect, url: &str, home: &Path) -> Result<FastPool, DbError> {
    let opened: Result<FastPool, rbatis::rbdc::Error> = match dialect {
        #[cfg(feature = "sqlite")]
        Dialect::Sqlite => {
            let path = url.trim_start_matches("sqlite://");
            let path =
                if path.starts_with('/') || path.starts_with(':') { path.into() } else { home.join(path) };
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    DbError::Unavailable(format!(
                        "cannot create {} for database `{name}`: {e}",
                        dir.display()
                    ))
                })?;
            }
            FastPool::new_url(rbdc_sqlite::SqliteDriver {}, &format!("sqlite://{}", path.display()))
        }
        #[cfg(feature = "mysql")]
        Dialect::MySql => {
            // DATETIME keeps no zone and keel stores the UTC wall clock:
            // read it back at offset 0, not at the machine's local offset
            // (the driver's default), so the same row is the same instant
            // on every machine.
            let options = <rbdc_mysql::options::MySqlConnectOptions as std::str::FromStr>::from_str(url)
                .map(|options| options.offset_sec(0))
                .map_err(|e| DbError::Other(format!("database `{name}`: {e}")))?;
            FastPool::new_option(rbdc_mysql::MysqlDriver {}, options)
        }
        // The driver would shift every time it writes by that offset.
        #[cfg(feature = "pg")]
        Dialect::Postgres if url.contains("timezone_sec") => {
            return Err(DbError::Other(format!(
                "database `{name}`: drop `timezone_sec` from the URL; keel stores and reads times in UTC"
            )));
        }
        #[cfg(feature = "pg")]
        Dialect::Postgres => FastPool::new_url(rbdc_pg::PgDriver {}, url),
        // Reached only in a build without some driver.
        #[allow(unreachable_patterns)]
        left_out => {
            let feature = left_out.feature();
            return Err(DbError::Other(format!(
                "database `{name}`: this binary was built without keel's `{feature}` feature, which `{}` needs; enable it (keel = {{ features = [\"{feature}\"] }}) or name another database",
                redact(url)
            )));
        }
    };
    opened.map_err(|e| DbError::Other(format!("database `{name}`: {e}")))
}

/// Default pool size when the configuration names none.
const DEFAULT_POOL: u64 = 16;
/// How long a pooled connection goes unchecked after a check.
const POOL_CHECK_INTERVAL: Duration = Duration::from_secs(5);

impl Db {
    /// Connects `entry` (URL or table form), retrying with backoff until
    /// `connect_timeout` (10 s by default) has passed. A relative SQLite
    /// path is taken from `home`, and its folder is created.
    pub async fn connect(name: &str, entry: &BackendEntry, home: &Path) -> Result<Db, DbError> {
        let url = entry.url();
        let (pool_size, timeout, query_timeout) = match entry {
            BackendEntry::Table(t) => (t.pool_size.map(u64::from), t.connect_timeout, t.query_timeout_ms),
            BackendEntry::Url(_) => (None, None, None),
        };
        let deadline = query_timeout.map_or(DEFAULT_QUERY_TIMEOUT, |ms| Duration::from_millis(ms.max(1)));
        let rb = RBatis::new();
        let dialect = Dialect::from_url(url).ok_or_else(|| {
            DbError::Other(format!(
                "database `{name}`: URL `{}` has no known scheme; use mysql://, postgres:// or sqlite://",
                redact(url)
            ))
        })?;
        let pool = driver_pool(name, dialect, url, home)?;
        // rbatis' pool pings a connection on every checkout: one extra round
        // trip per query. Checking at most every few seconds measured +14 %
        // on a primary-key read (measured: docs/benchmarks.md). The price: a connection that
        // died within the interval fails its next query (a 503) instead of
        // being replaced at checkout.
        if let Some(manager) = pool.inner.downcast_manager::<DurationManager<ConnManagerProxy>>() {
            manager.mode.set_mode(CheckMode::SkipInterval(POOL_CHECK_INTERVAL));
        }
        rb.init_pool(pool).map_err(|e| DbError::Other(format!("database `{name}`: {e}")))?;
        // SQLite runs one OS thread per pooled connection (measured: docs/benchmarks.md), and
        // one writer at a time anyway.
        let default_pool = if dialect == Dialect::Sqlite { 4 } else { DEFAULT_POOL };
        if dialect == Dialect::Sqlite {
            keep_open(&rb);
        }
        if let Ok(pool) = rb.get_pool() {
            pool.set_max_open_conns(pool_size.unwrap_or(default_pool)).await;
            pool.set_timeout(Some(Duration::from_secs(5))).await;
        }
        let guard = StatementGuard::new(deadline);
        let db = Db { name: name.to_owned(), dialect, rb, cache: None, flights: Default::default(), guard };
        let deadline = Instant::now() + Duration::from_secs(timeout.unwrap_or(10));
        let mut wait = Duration::from_millis(100);
        loop {
            match db.ping_unguarded().await {
                Ok(()) => return Ok(db),
                Err(err) if Instant::now() + wait < deadline => {
                    log::warn!(target: crate::logging::FAILED, "database `{name}` not reachable yet ({err}); retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                Err(err) => {
                    return Err(DbError::Unavailable(format!(
                        "database `{name}` at {} unreachable: {err}",
                        redact(url)
                    )));
                }
            }
        }
    }

    /// The database's name in the configuration.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The rbatis handle, for what keel has no helper for (DDL, a
    /// connection of one's own). Statements sent through it are not under
    /// the statement deadline and breaker: prefer [`Db::exec`] and
    /// [`Db::query`].
    pub fn rbatis(&self) -> &RBatis {
        &self.rb
    }

    /// One round trip, under the deadline and breaker.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.exec("SELECT 1", vec![]).await.map(drop)
    }

    /// A hand-written statement that returns no rows (`?` placeholders,
    /// values bound), under the deadline and breaker; returns the rows
    /// changed.
    pub async fn exec(&self, sql: &str, args: Vec<Value>) -> Result<u64, DbError> {
        Ok(self.exec_result(sql, args).await?.rows_affected)
    }

    /// A hand-written query (`?` placeholders, values bound) decoded into
    /// `T` (usually `Vec<Row>`), under the deadline and breaker.
    pub async fn query<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &str,
        args: Vec<Value>,
    ) -> Result<T, DbError> {
        let (rb, sql) = (self.rb.clone(), sql.to_owned());
        self.guarded(async move { rb.exec_decode::<T>(&sql, args).await }).await
    }

    async fn exec_result(
        &self,
        sql: &str,
        args: Vec<Value>,
    ) -> Result<rbatis::rbdc::db::ExecResult, DbError> {
        let (rb, sql) = (self.rb.clone(), sql.to_owned());
        self.guarded(async move { rb.exec(&sql, args).await }).await
    }
}

/// Reads a boolean column stored as a number (SQLite has no boolean type
/// and MySQL's BOOLEAN is TINYINT): `#[serde(deserialize_with = "keel::db::bool_column")]`.
pub fn bool_column<'de, D: serde::Deserializer<'de>>(de: D) -> Result<bool, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Bool(bool),
        Int(i64),
    }
    Ok(match <Stored as serde::Deserialize>::deserialize(de)? {
        Stored::Bool(b) => b,
        Stored::Int(i) => i != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_shifting_times_is_refused() {
        let entry =
            BackendEntry::Url("postgres://postgres@127.0.0.1:5432/test?timezone_sec=28800".to_owned());
        let refused = crate::__private::block_on(Db::connect("default", &entry, Path::new(".")));
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("database `default`: drop `timezone_sec` from the URL"), "{message}");
    }

    // Runs in a build without the `mysql` feature (CI: `cargo test -p keel
    // --no-default-features --features sqlite --lib left_out`).
    #[cfg(not(feature = "mysql"))]
    #[test]
    fn a_left_out_driver_is_refused_by_its_feature() {
        let entry = BackendEntry::Url("mysql://root:hunter2@127.0.0.1:3306/test".to_owned());
        let refused = crate::__private::block_on(Db::connect("orders", &entry, Path::new(".")));
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("database `orders`: this binary was built without keel's `mysql` feature"),
            "{message}"
        );
        assert!(message.contains(r#"features = ["mysql"]"#), "{message}");
        assert!(!message.contains("hunter2"), "the password is redacted: {message}");
        assert!(!message.contains('\n'), "one line: {message}");
    }

    #[test]
    fn driver_messages_map_to_conflict_unavailable_or_other() {
        let cases = [
            ("Duplicate entry 'ann' for key 'uq_sys_account_username'", "conflict"),
            ("duplicate key value violates unique constraint \"uq_sys_account_username\"", "conflict"),
            ("UNIQUE constraint failed: sys_account.username", "conflict"),
            ("io error: Connection refused (os error 111)", "unavailable"),
            ("57P01:terminating connection due to administrator command", "unavailable"),
            ("08006:connection failure", "unavailable"),
            ("connection aborted", "unavailable"),
            ("42P01:relation \"sys_acount\" does not exist", "other"),
            ("database is locked", "unavailable"),
            ("attempt to write a readonly database", "unavailable"),
            ("no such column: nme", "other"),
        ];
        for (message, class) in cases {
            let got = match DbError::classify(message.to_owned()) {
                DbError::Conflict(_) => "conflict",
                DbError::Unavailable(_) => "unavailable",
                DbError::Other(_) => "other",
            };
            assert_eq!(got, class, "{message}");
        }
    }

    #[test]
    fn a_missing_table_is_told_apart_in_each_dialect() {
        for message in [
            "no such table: keel_session",
            "1146 (42S02): Table 'test.keel_session' doesn't exist",
            "42P01:relation \"keel_session\" does not exist",
        ] {
            assert!(DbError::classify(message.to_owned()).is_missing_table(), "{message}");
        }
        assert!(!DbError::classify("no such column: nme".to_owned()).is_missing_table());
        assert!(!DbError::classify("connection refused".to_owned()).is_missing_table());
    }

    #[test]
    fn urls_are_redacted_in_messages() {
        assert_eq!(redact("mysql://root:secret@127.0.0.1:3306/test"), "mysql://root:***@127.0.0.1:3306/test");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
