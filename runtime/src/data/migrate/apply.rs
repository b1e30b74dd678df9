//! Applying migrations to a database: the version table `keel_migration`,
//! the lock that keeps two processes from migrating at once, checksums,
//! and progress that survives a failed step.
//!
//! - **PostgreSQL**: a session advisory lock on one connection for the whole
//!   run; each migration in a transaction with its version row.
//! - **SQLite**: the whole run in one `BEGIN EXCLUSIVE` transaction; each
//!   migration in a savepoint, so a failure keeps the ones before it.
//! - **MySQL/MariaDB**: `GET_LOCK` on one connection; DDL commits by
//!   itself, so the version row records each statement as it completes
//!   (`state = 'upgrading'`, `steps_done`): a failed step leaves the
//!   recorded version where it was, and a re-run resumes at the statement
//!   that failed — no statement runs twice.

use super::MigrateError;
use super::file::{Migration, MigrationSet};
use super::render::render;
use crate::data::db::{Db, Dialect};
use rbatis::executor::RBatisConnExecutor;
use rbs::Value;
use std::time::{Duration, Instant};

/// The version table (framework prefix `keel_`).
pub const VERSION_TABLE: &str = "keel_migration";

const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS keel_migration (
  service VARCHAR(64) NOT NULL,
  database_name VARCHAR(64) NOT NULL,
  version INTEGER NOT NULL,
  name VARCHAR(64) NOT NULL,
  checksum VARCHAR(64) NOT NULL,
  applied_at VARCHAR(32) NOT NULL,
  state VARCHAR(16) NOT NULL,
  steps_done INTEGER NOT NULL,
  PRIMARY KEY (service, database_name, version)
)";

/// How long a second process waits for the first one's lock.
const LOCK_WAIT: Duration = Duration::from_secs(300);

/// One row of `keel_migration`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct AppliedRow {
    /// Migration number.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// Checksum of the file when it was applied.
    pub checksum: String,
    /// When, UTC (RFC 3339).
    pub applied_at: String,
    /// `applied`, or `upgrading` / `downgrading` when a MySQL run stopped
    /// part-way.
    pub state: String,
    /// Statements completed while not `applied` (MySQL).
    pub steps_done: i64,
}

impl AppliedRow {
    fn complete(&self) -> bool {
        self.state == "applied"
    }
}

/// The migrations of one database of one service against that database.
pub struct Migrator<'a> {
    /// The database.
    pub db: &'a Db,
    /// Its migration files.
    pub set: &'a MigrationSet,
    /// The service's name (a column of the version table: services may share a database).
    pub service: &'a str,
}

/// Where a database stands against its files.
#[derive(Clone, Debug)]
pub struct Status {
    /// Rows of the version table, by version.
    pub applied: Vec<AppliedRow>,
    /// The highest fully applied version (0 for none).
    pub current: u32,
}

impl Status {
    /// Files not applied yet.
    pub fn pending<'s>(&self, set: &'s MigrationSet) -> &'s [Migration] {
        set.migrations.get(self.current as usize..).unwrap_or_default()
    }

    /// A row left by a MySQL run that stopped part-way.
    pub fn partial(&self) -> Option<&AppliedRow> {
        self.applied.iter().find(|row| !row.complete())
    }
}

impl Migrator<'_> {
    fn database(&self) -> &str {
        self.db.name()
    }

    /// The version table's rows (none when it does not exist yet), checked
    /// against the files: an applied file that changed, or a version the
    /// files do not have, is refused.
    pub async fn status(&self) -> Result<Status, MigrateError> {
        let rows = self.read_rows(None).await?;
        self.check(rows)
    }

    async fn read_rows(&self, conn: Option<&RBatisConnExecutor>) -> Result<Vec<AppliedRow>, MigrateError> {
        let sql = "SELECT version, name, checksum, applied_at, state, steps_done FROM keel_migration \
                   WHERE service = ? AND database_name = ? ORDER BY version";
        let args = vec![Value::from(self.service), Value::from(self.database())];
        let rows = match conn {
            Some(conn) => conn.exec_decode::<Vec<AppliedRow>>(sql, args).await,
            None => self.db.rbatis().exec_decode::<Vec<AppliedRow>>(sql, args).await,
        };
        match rows {
            Ok(rows) => Ok(rows),
            Err(err) => {
                let text = err.to_string().to_ascii_lowercase();
                let missing = text.contains("no such table")
                    || text.contains("doesn't exist")
                    || text.contains("does not exist")
                    || text.contains("42p01");
                if missing {
                    Ok(Vec::new())
                } else {
                    Err(MigrateError(format!("reading {VERSION_TABLE}: {err}")))
                }
            }
        }
    }

    fn check(&self, applied: Vec<AppliedRow>) -> Result<Status, MigrateError> {
        let mut current = 0;
        for row in &applied {
            let Some(migration) =
                usize::try_from(row.version - 1).ok().and_then(|i| self.set.migrations.get(i))
            else {
                return Err(MigrateError(format!(
                    "database `{}` has migration {:04}_{} applied, which is not in {}: a newer version of the service migrated it; deploy that version (or its migration files)",
                    self.database(),
                    row.version,
                    row.name,
                    self.set.dir.display()
                )));
            };
            if migration.checksum != row.checksum {
                return Err(MigrateError(format!(
                    "{} was edited after it was applied to database `{}` (checksum {} when applied, {} now): restore the file and put the change in a new migration (`db migrate`)",
                    migration.path.display(),
                    self.database(),
                    row.checksum,
                    migration.checksum
                )));
            }
            if row.complete() {
                current = row.version as u32;
            }
        }
        Ok(Status { applied, current })
    }

    /// The SQL `upgrade` would run (dry run).
    pub fn upgrade_sql(&self, status: &Status) -> Result<Vec<(String, Vec<String>)>, MigrateError> {
        status.pending(self.set).iter().map(|m| Ok((m.label(), self.statements(m, true)?))).collect()
    }

    /// The SQL `downgrade --to target` would run (dry run).
    pub fn downgrade_sql(
        &self,
        status: &Status,
        target: u32,
    ) -> Result<Vec<(String, Vec<String>)>, MigrateError> {
        self.reverting(status, target)?
            .into_iter()
            .map(|m| Ok((m.label(), self.statements(m, false)?)))
            .collect()
    }

    fn statements(&self, migration: &Migration, up: bool) -> Result<Vec<String>, MigrateError> {
        let version = migration.file.version;
        let (before, ops) = if up {
            (self.set.snapshot_before(version), &migration.file.upgrade)
        } else {
            (migration.file.snapshot.clone(), &migration.file.downgrade)
        };
        render(&before, ops, self.db.dialect())
            .map_err(|err| MigrateError(format!("{}: {err}", migration.path.display())))
    }

    fn reverting<'s>(&'s self, status: &Status, target: u32) -> Result<Vec<&'s Migration>, MigrateError> {
        if target > status.current {
            return Err(MigrateError(format!(
                "database `{}` is at version {}; `downgrade --to {target}` would go up (use `db upgrade`)",
                self.database(),
                status.current
            )));
        }
        Ok(self.set.migrations[target as usize..status.current as usize].iter().rev().collect())
    }

    /// Applies every pending migration under the lock; `report` hears one
    /// line per migration. Returns the labels applied (none when another
    /// process got there first).
    pub async fn upgrade(&self, report: &(dyn Fn(&str) + Send + Sync)) -> Result<Vec<String>, MigrateError> {
        self.locked(|conn| async move {
            let status = self.check(self.read_rows(Some(&conn)).await?)?;
            if let Some(row) = status.partial()
                && row.state != "upgrading"
            {
                return Err(self.partial_error(row));
            }
            let mut done = Vec::new();
            for migration in status.pending(self.set) {
                let statements = self.statements(migration, true)?;
                let resume = status.partial().filter(|r| r.version == i64::from(migration.file.version));
                self.run_one(&conn, migration, &statements, true, resume).await?;
                report(&format!("applied {} ({} statements)", migration.label(), statements.len()));
                done.push(migration.label());
            }
            self.convert_legacy_charset(report).await?;
            Ok((conn, done))
        })
        .await
    }

    /// Reverts applied migrations down to version `target` (0: all).
    pub async fn downgrade(
        &self,
        target: u32,
        report: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<Vec<String>, MigrateError> {
        self.locked(|conn| async move {
            let status = self.check(self.read_rows(Some(&conn)).await?)?;
            let mut done = Vec::new();
            let resume = match status.partial() {
                Some(row) if row.state == "downgrading" => Some(row.clone()),
                Some(row) => return Err(self.partial_error(row)),
                None => None,
            };
            let mut chain = Vec::new();
            if let Some(row) = &resume {
                // Finish the interrupted one first.
                chain.push(&self.set.migrations[(row.version - 1) as usize]);
            }
            chain.extend(self.reverting(&status, target)?);
            for migration in chain {
                let statements = self.statements(migration, false)?;
                let row = resume.as_ref().filter(|r| r.version == i64::from(migration.file.version));
                self.run_one(&conn, migration, &statements, false, row).await?;
                report(&format!("reverted {} ({} statements)", migration.label(), statements.len()));
                done.push(migration.label());
            }
            Ok((conn, done))
        })
        .await
    }

    fn partial_error(&self, row: &AppliedRow) -> MigrateError {
        let (verb, command) =
            if row.state == "upgrading" { ("applied", "upgrade") } else { ("reverted", "downgrade") };
        MigrateError(format!(
            "migration {:04}_{} was being {verb} on database `{}` and stopped after {} statement(s); fix the cause and run `db {command}` again to resume it",
            row.version,
            row.name,
            self.database(),
            row.steps_done
        ))
    }

    /// Runs `work` on one connection holding the dialect's migration lock.
    async fn locked<'s, F, Fut>(&'s self, work: F) -> Result<Vec<String>, MigrateError>
    where
        F: FnOnce(RBatisConnExecutor) -> Fut,
        Fut: std::future::Future<Output = Result<(RBatisConnExecutor, Vec<String>), MigrateError>> + 's,
    {
        let conn = self.db.rbatis().acquire().await.map_err(|e| self.failed("connecting", e))?;
        let key = format!("keel_migration:{}:{}", self.service, self.database());
        match self.db.dialect() {
            Dialect::Postgres => {
                let id = lock_id(&key);
                exec(&conn, &format!("SELECT pg_advisory_lock({id})"))
                    .await
                    .map_err(|e| self.failed("locking", e))?;
                exec(&conn, CREATE_VERSION_TABLE)
                    .await
                    .map_err(|e| self.failed("creating keel_migration", e))?;
                let result = work(conn.clone()).await;
                let _ = exec(&conn, &format!("SELECT pg_advisory_unlock({id})")).await;
                result.map(|(_, done)| done)
            }
            Dialect::MySql => {
                let got = conn
                    .exec_decode::<Vec<serde_json::Value>>(
                        &format!("SELECT GET_LOCK(?, {}) AS got", LOCK_WAIT.as_secs()),
                        vec![Value::from(key.as_str())],
                    )
                    .await
                    .map_err(|e| self.failed("locking", e))?;
                if got.first().and_then(|row| row.get("got")).and_then(serde_json::Value::as_i64) != Some(1) {
                    return Err(MigrateError(format!(
                        "database `{}`: another process held the migration lock for {} s; try again",
                        self.database(),
                        LOCK_WAIT.as_secs()
                    )));
                }
                exec(&conn, CREATE_VERSION_TABLE)
                    .await
                    .map_err(|e| self.failed("creating keel_migration", e))?;
                let result = work(conn.clone()).await;
                let _ = conn.exec("SELECT RELEASE_LOCK(?)", vec![Value::from(key.as_str())]).await;
                result.map(|(_, done)| done)
            }
            Dialect::Sqlite => {
                // The exclusive transaction is the lock; a second process
                // waits here until the first commits.
                let deadline = Instant::now() + LOCK_WAIT;
                loop {
                    match exec(&conn, "BEGIN EXCLUSIVE").await {
                        Ok(()) => break,
                        Err(err) if err.contains("locked") || err.contains("busy") => {
                            if Instant::now() > deadline {
                                return Err(self.failed("locking", err));
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(err) => return Err(self.failed("locking", err)),
                    }
                }
                if let Err(err) = exec(&conn, CREATE_VERSION_TABLE).await {
                    let _ = exec(&conn, "ROLLBACK").await;
                    return Err(self.failed("creating keel_migration", err));
                }
                match work(conn.clone()).await {
                    Ok((_, done)) => {
                        exec(&conn, "COMMIT").await.map_err(|e| self.failed("committing", e))?;
                        Ok(done)
                    }
                    Err(err) => {
                        // Savepoints already undid the failed migration:
                        // keep the ones before it.
                        let _ = exec(&conn, "COMMIT").await;
                        Err(err)
                    }
                }
            }
        }
    }

    fn failed(&self, what: &str, err: impl std::fmt::Display) -> MigrateError {
        MigrateError(format!("database `{}`: {what}: {err}", self.database()))
    }

    /// One migration, up or down, with its version row.
    async fn run_one(
        &self,
        conn: &RBatisConnExecutor,
        migration: &Migration,
        statements: &[String],
        up: bool,
        resume: Option<&AppliedRow>,
    ) -> Result<(), MigrateError> {
        let version = i64::from(migration.file.version);
        let key = || vec![Value::from(self.service), Value::from(self.database()), Value::from(version)];
        let fail = |index: usize, statement: &str, err: String| {
            let verb = if up { "applying" } else { "reverting" };
            MigrateError(format!(
                "{verb} {} failed at statement {} of {}: {err}\n  statement: {}",
                migration.label(),
                index + 1,
                statements.len(),
                statement.replace('\n', " ")
            ))
        };
        let record_sql = if up {
            "INSERT INTO keel_migration (service, database_name, version, name, checksum, applied_at, state, steps_done) VALUES (?, ?, ?, ?, ?, ?, 'applied', 0)"
        } else {
            "DELETE FROM keel_migration WHERE service = ? AND database_name = ? AND version = ?"
        };
        let record_args = || {
            let mut args = key();
            if up {
                args.push(Value::from(migration.file.name.as_str()));
                args.push(Value::from(migration.checksum.as_str()));
                args.push(Value::from(crate::time::now_rfc3339()));
            }
            args
        };
        match self.db.dialect() {
            Dialect::Postgres | Dialect::Sqlite => {
                let sqlite = self.db.dialect() == Dialect::Sqlite;
                let savepoint = format!("keel_migration_{version}");
                let (begin, commit, rollback) = if sqlite {
                    (
                        format!("SAVEPOINT {savepoint}"),
                        format!("RELEASE {savepoint}"),
                        format!("ROLLBACK TO {savepoint}"),
                    )
                } else {
                    ("BEGIN".to_owned(), "COMMIT".to_owned(), "ROLLBACK".to_owned())
                };
                exec(conn, &begin).await.map_err(|e| self.failed("beginning", e))?;
                for (index, statement) in statements.iter().enumerate() {
                    if let Err(err) = exec(conn, statement).await {
                        let _ = exec(conn, &rollback).await;
                        if sqlite {
                            let _ = exec(conn, &commit).await;
                        }
                        return Err(fail(index, statement, err));
                    }
                }
                if let Err(err) = conn.exec(record_sql, record_args()).await {
                    let _ = exec(conn, &rollback).await;
                    return Err(self.failed("recording the version", err));
                }
                exec(conn, &commit).await.map_err(|e| self.failed("committing", e))?;
            }
            Dialect::MySql => {
                // DDL commits by itself: record each statement as it lands.
                let state = if up { "upgrading" } else { "downgrading" };
                let start = match resume {
                    Some(row) => row.steps_done.max(0) as usize,
                    None if up => {
                        conn.exec(
                            "INSERT INTO keel_migration (service, database_name, version, name, checksum, applied_at, state, steps_done) VALUES (?, ?, ?, ?, ?, ?, 'upgrading', 0)",
                            record_args(),
                        )
                        .await
                        .map_err(|e| self.failed("recording the version", e))?;
                        0
                    }
                    None => {
                        conn.exec(
                            "UPDATE keel_migration SET state = 'downgrading', steps_done = 0 WHERE service = ? AND database_name = ? AND version = ?",
                            key(),
                        )
                        .await
                        .map_err(|e| self.failed("recording the version", e))?;
                        0
                    }
                };
                for (index, statement) in statements.iter().enumerate().skip(start) {
                    exec(conn, statement).await.map_err(|err| fail(index, statement, err))?;
                    let mut args = vec![Value::from(state), Value::from((index + 1) as i64)];
                    args.extend(key());
                    conn.exec(
                        "UPDATE keel_migration SET state = ?, steps_done = ? WHERE service = ? AND database_name = ? AND version = ?",
                        args,
                    )
                    .await
                    .map_err(|e| self.failed("recording progress", e))?;
                }
                if up {
                    let mut args = vec![Value::from(crate::time::now_rfc3339())];
                    args.extend(key());
                    conn.exec(
                        "UPDATE keel_migration SET state = 'applied', steps_done = 0, applied_at = ? WHERE service = ? AND database_name = ? AND version = ?",
                        args,
                    )
                    .await
                    .map_err(|e| self.failed("recording the version", e))?;
                } else {
                    conn.exec(record_sql, key())
                        .await
                        .map_err(|e| self.failed("recording the version", e))?;
                }
            }
        }
        Ok(())
    }
}

async fn exec(conn: &RBatisConnExecutor, sql: &str) -> Result<(), String> {
    conn.exec(sql, vec![]).await.map(drop).map_err(|e| e.to_string())
}

/// A stable 63-bit id for PostgreSQL's advisory lock.
fn lock_id(key: &str) -> i64 {
    let hex = super::file::checksum(key);
    i64::from_str_radix(&hex[..15], 16).unwrap_or(0x6b65656c)
}
