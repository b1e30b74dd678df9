//! Migrations (seed: aerich), per service and per named database, in
//! `migrations/<service>/` (`migrations/<service>/<database>/` for a named
//! one): `db init-db`, `db migrate [--name]`, `db upgrade`, `db downgrade
//! [--to N]`, `db history`, `db heads`, with `--dry-run` to print the SQL.
//!
//! - [`file`]: the file format — dialect-neutral steps up and down, the
//!   models' snapshot after the migration, a format version.
//! - [`diff`]: the last file's snapshot against the models → the steps.
//! - [`render`]: steps → MySQL, PostgreSQL or SQLite DDL.
//! - [`apply`]: the version table `keel_migration`, locks, checksums.
//!
//! ```
//! use keel::migrate::{diff::diff, render::render, snapshot::Snapshot};
//! use keel::{ColumnSchema, SqlType, TableSchema, db::Dialect};
//!
//! let note = ColumnSchema {
//!     name: "note", sql_type: SqlType::Text, nullable: true, primary: false, unique: false,
//!     index: false, len: Some(200), default: None, renamed_from: None,
//! };
//! let id = ColumnSchema { name: "id", sql_type: SqlType::BigInt, nullable: false, primary: true, ..note.clone() };
//! let before = Snapshot::from_models(&[TableSchema { name: "sys_account", renamed_from: None, columns: vec![id.clone()], database: "default" }]);
//! let now = [TableSchema { name: "sys_account", renamed_from: None, columns: vec![id, note], database: "default" }];
//! let steps = diff(&before, &now).expect("a migratable change");
//! let sql = render(&before, &steps, Dialect::Postgres).expect("renders");
//! assert_eq!(sql, ["ALTER TABLE sys_account ADD COLUMN note VARCHAR(200)"]);
//! ```

pub mod apply;
mod charset;
pub(crate) mod command;
pub mod diff;
pub mod file;
pub mod op;
pub mod render;
pub mod snapshot;

use crate::data::db::Dialect;
use crate::data::table::TableSchema;
use file::{MigrationFile, MigrationSet};
use std::path::PathBuf;

/// A migration command's failure: one message naming the file, the
/// database or the step, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MigrateError(pub String);

/// The next migration from the models, or `None` when nothing changed.
/// Every step must render in all three dialects, so a file that cannot be
/// applied somewhere is never written.
pub fn next_migration(
    set: &MigrationSet,
    models: &[TableSchema],
    name: Option<&str>,
) -> Result<Option<MigrationFile>, MigrateError> {
    if let Some(name) = name {
        file::check_name(name)?;
    }
    let before = set.last_snapshot();
    let upgrade = diff::diff(&before, models).map_err(|errors| MigrateError(errors.join("\n")))?;
    if upgrade.is_empty() {
        return Ok(None);
    }
    let downgrade = op::invert(&upgrade)
        .ok_or_else(|| MigrateError("a generated step has no inverse (a bug in keel)".to_owned()))?;
    let version = set.migrations.len() as u32 + 1;
    let name = match name {
        Some(name) => name.to_owned(),
        None => file::default_name(version, &upgrade),
    };
    let snapshot = snapshot::Snapshot::from_models(models);
    for dialect in [Dialect::MySql, Dialect::Postgres, Dialect::Sqlite] {
        render::render(&before, &upgrade, dialect).map_err(MigrateError)?;
        render::render(&snapshot, &downgrade, dialect).map_err(MigrateError)?;
    }
    Ok(Some(MigrationFile { keel_migration: file::FORMAT, version, name, upgrade, downgrade, snapshot }))
}

/// How `models` differ from the latest migration of `set`: `Ok` with the
/// steps a `db migrate` would write, `Err` with why it could not — or
/// `None` when they match. Boot refuses drifted models, as it refuses a
/// database behind its migrations: a column added without a migration
/// would otherwise boot and fail on every write.
pub fn drift(set: &MigrationSet, models: &[TableSchema]) -> Option<Result<String, String>> {
    match diff::diff(&set.last_snapshot(), models) {
        Ok(steps) if steps.is_empty() => None,
        Ok(steps) => Some(Ok(steps.iter().map(op::Op::describe).collect::<Vec<_>>().join(", "))),
        Err(errors) => Some(Err(errors.join("; "))),
    }
}

/// What boot says when `models` differ from the latest migration of `set`,
/// or `None` when they match. Two cases: the models changed without a
/// migration (`models of <service> differ from <last> (<steps>): run
/// `<bin> db migrate``), or the folder on disk holds migrations newer than
/// the ones `built_in` to the binary (read only when there is drift), which
/// the models do match — writing a migration then would undo the newer
/// ones, so the line says to rebuild.
pub fn drift_line(
    service: &str,
    bin: &str,
    set: &MigrationSet,
    built_in: impl FnOnce() -> Option<MigrationSet>,
    models: &[TableSchema],
) -> Option<String> {
    let drifted = drift(set, models)?;
    let last = set.migrations.last().map_or_else(|| "no migration".to_owned(), file::Migration::label);
    if let Some(built_in) = built_in()
        && built_in.migrations.len() < set.migrations.len()
        && drift(&built_in, models).is_none()
    {
        return Some(format!(
            "this {bin} is older than {last} in {}: build it again (its models match its own migrations), or remove the folder to use the built-in ones",
            set.dir.display()
        ));
    }
    Some(match drifted {
        Ok(steps) => format!("models of {service} differ from {last} ({steps}): run `{bin} db migrate`"),
        Err(why) => format!(
            "models of {service} cannot be migrated from {last}: {why}; change the models, then run `{bin} db migrate`"
        ),
    })
}

/// Writes `file` into the set's folder; refuses to overwrite.
pub fn write_migration(set: &MigrationSet, file: &MigrationFile) -> Result<PathBuf, MigrateError> {
    std::fs::create_dir_all(&set.dir)
        .map_err(|e| MigrateError(format!("creating {}: {e}", set.dir.display())))?;
    let path = set.dir.join(file.file_name());
    let text = file.to_text()?;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| MigrateError(format!("writing {}: {e}", path.display())))?;
    std::io::Write::write_all(&mut out, text.as_bytes())
        .map_err(|e| MigrateError(format!("writing {}: {e}", path.display())))?;
    Ok(path)
}

/// SQL for review: a comment line naming the migration, then each
/// statement ending with `;`.
pub fn sql_listing(label: &str, direction: &str, dialect: Dialect, statements: &[String]) -> String {
    let how = match dialect {
        Dialect::MySql => "each statement commits by itself; progress is recorded per statement",
        Dialect::Postgres | Dialect::Sqlite => "in one transaction",
    };
    let mut out = format!("-- {label} ({direction}, {}: {how})\n", render::dialect_key(dialect));
    for statement in statements {
        out.push_str(statement);
        out.push_str(";\n");
    }
    out
}
