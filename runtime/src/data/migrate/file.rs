//! Migration files: `migrations/<service>/0002_add_note.json`, one per
//! migration, written by `db migrate` and never edited once applied.
//!
//! A file holds its upgrade and downgrade steps (dialect-neutral), the
//! snapshot of the models after it — so the next `migrate` diffs against
//! the last *file*, whatever any database holds (aerich kept the snapshot in
//! the database and broke fresh deployments: tortoise/aerich#133, #270) —
//! and the format's version (aerich#273/#293).
//!
//! ```json
//! {
//!   "keel_migration": 1,
//!   "version": 2,
//!   "name": "add_note",
//!   "upgrade": [
//!     {
//!       "op": "add_column",
//!       "table": "sys_account",
//!       "column": {"name": "note", "type": "text", "len": 200, "nullable": true}
//!     }
//!   ],
//!   "downgrade": [ … ],
//!   "snapshot": [ … ]
//! }
//! ```

use super::MigrateError;
use super::op::Op;
use super::snapshot::Snapshot;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The version of the file format this keel writes and reads.
pub const FORMAT: u32 = 1;

/// One migration file's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationFile {
    /// The file format's version ([`FORMAT`]).
    pub keel_migration: u32,
    /// 1, 2, 3…: the order of application.
    pub version: u32,
    /// A snake_case label (`init`, `add_note`).
    pub name: String,
    /// Steps from the previous snapshot to this one.
    pub upgrade: Vec<Op>,
    /// Steps back.
    pub downgrade: Vec<Op>,
    /// Every table after this migration.
    pub snapshot: Snapshot,
}

impl MigrationFile {
    /// The file's name: `0002_add_note.json`.
    pub fn file_name(&self) -> String {
        format!("{:04}_{}.json", self.version, self.name)
    }

    /// The text written to disk: JSON whose objects of plain values (a
    /// column) stay on one line, so a review reads one change per line.
    pub fn to_text(&self) -> Result<String, MigrateError> {
        let value =
            serde_json::to_value(self).map_err(|e| MigrateError(format!("encoding migration: {e}")))?;
        let mut out = String::new();
        write_block(&mut out, &value, 0);
        out.push('\n');
        Ok(out)
    }
}

/// A migration read from disk.
#[derive(Clone, Debug)]
pub struct Migration {
    /// Its contents.
    pub file: MigrationFile,
    /// Where it was read from.
    pub path: PathBuf,
    /// SHA-256 of its text (line endings normalized), hex.
    pub checksum: String,
}

impl Migration {
    /// `0002_add_note`.
    pub fn label(&self) -> String {
        format!("{:04}_{}", self.file.version, self.file.name)
    }
}

/// SHA-256 of `text`, hex; `\r\n` counts as `\n` so a checkout's line
/// endings do not make an applied file look edited.
pub fn checksum(text: &str) -> String {
    let digest = Sha256::digest(text.replace("\r\n", "\n").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every migration of one database, in order, checked for consistency.
#[derive(Clone, Debug)]
pub struct MigrationSet {
    /// `migrations/<service>[/<database>]`.
    pub dir: PathBuf,
    /// In version order, 1 to n.
    pub migrations: Vec<Migration>,
}

impl MigrationSet {
    /// Reads `dir` (missing = no migrations yet). Refuses a file of another
    /// format, a gap or a duplicate in the numbering, and a file whose
    /// upgrade does not lead from the previous snapshot to its own (a sign
    /// of a hand edit or a lost file).
    pub fn load(dir: &Path) -> Result<MigrationSet, MigrateError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(MigrationSet { dir: dir.to_owned(), migrations: Vec::new() });
            }
            Err(err) => return Err(MigrateError(format!("reading {}: {err}", dir.display()))),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| MigrateError(format!("reading {}: {e}", path.display())))?;
            files.push((path, text));
        }
        MigrationSet::from_files(dir, files)
    }

    /// The files built into the binary (`keel::embed_migrations!`), as if
    /// read from `dir`.
    pub fn from_embedded(dir: &Path, files: &[(&str, &str)]) -> Result<MigrationSet, MigrateError> {
        MigrationSet::from_files(
            dir,
            files.iter().map(|(name, text)| (dir.join(name), (*text).to_owned())).collect(),
        )
    }

    /// The migrations to use: the folder on disk when there is no built-in
    /// set, the built-in set when there is no folder (a binary deployed
    /// alone), and when there are both, the folder if it agrees with the
    /// built-in files — or extends them (migrations written since the
    /// binary was built). A file that differs is an error naming it.
    pub fn resolve(dir: &Path, embedded: Option<&[(&str, &str)]>) -> Result<MigrationSet, MigrateError> {
        let Some(files) = embedded else { return MigrationSet::load(dir) };
        let built = MigrationSet::from_embedded(dir, files)?;
        if !dir.exists() {
            return Ok(built);
        }
        let disk = MigrationSet::load(dir)?;
        for (on_disk, inside) in disk.migrations.iter().zip(&built.migrations) {
            if on_disk.checksum != inside.checksum {
                return Err(MigrateError(format!(
                    "{} differs from the migration built into this binary: rebuild it, or remove {} to use the built-in migrations",
                    on_disk.path.display(),
                    dir.display()
                )));
            }
        }
        if disk.migrations.len() < built.migrations.len() {
            let missing = &built.migrations[disk.migrations.len()];
            return Err(MigrateError(format!(
                "{} is missing {} that this binary was built with: restore it, or remove the folder to use the built-in migrations",
                dir.display(),
                missing.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
            )));
        }
        Ok(disk)
    }

    fn from_files(dir: &Path, files: Vec<(PathBuf, String)>) -> Result<MigrationSet, MigrateError> {
        let mut migrations = Vec::new();
        for (path, text) in files {
            let format = serde_json::from_str::<Value>(&text)
                .map_err(|e| MigrateError(format!("{}: not JSON: {e}", path.display())))?
                .get("keel_migration")
                .and_then(Value::as_u64);
            if format != Some(u64::from(FORMAT)) {
                return Err(MigrateError(format!(
                    "{}: migration format {} is not the one this keel reads ({FORMAT}); upgrade keel or regenerate the file",
                    path.display(),
                    format.map_or_else(|| "missing".to_owned(), |f| f.to_string())
                )));
            }
            let file: MigrationFile =
                serde_json::from_str(&text).map_err(|e| MigrateError(format!("{}: {e}", path.display())))?;
            let expected = migrations.len() as u32 + 1;
            if file.version != expected || path.file_name().is_none_or(|n| *n != *file.file_name()) {
                return Err(MigrateError(format!(
                    "{}: expected migration {expected:04}_…json here (file name and `version` agree, numbered from 1 without gaps)",
                    path.display()
                )));
            }
            migrations.push(Migration { checksum: checksum(&text), file, path });
        }
        let set = MigrationSet { dir: dir.to_owned(), migrations };
        set.check_chain()?;
        Ok(set)
    }

    fn check_chain(&self) -> Result<(), MigrateError> {
        let mut state = Snapshot::default();
        for migration in &self.migrations {
            for op in &migration.file.upgrade {
                state.apply(op).map_err(|err| {
                    MigrateError(format!("{}: step {}: {err}", migration.path.display(), op.describe()))
                })?;
            }
            if !state.same_schema(&migration.file.snapshot) {
                return Err(MigrateError(format!(
                    "{}: its upgrade steps do not lead to its snapshot; was it edited by hand?",
                    migration.path.display()
                )));
            }
            state = migration.file.snapshot.clone();
        }
        Ok(())
    }

    /// The snapshot after the last migration (empty with none).
    pub fn last_snapshot(&self) -> Snapshot {
        self.migrations.last().map(|m| m.file.snapshot.clone()).unwrap_or_default()
    }

    /// The snapshot before migration number `version` (1-based).
    pub fn snapshot_before(&self, version: u32) -> Snapshot {
        match version {
            0 | 1 => Snapshot::default(),
            v => self.migrations.get(v as usize - 2).map(|m| m.file.snapshot.clone()).unwrap_or_default(),
        }
    }
}

/// A valid `--name`: snake_case, 1–48 characters.
pub fn check_name(name: &str) -> Result<(), MigrateError> {
    let valid = !name.is_empty()
        && name.len() <= 48
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.starts_with('_')
        && !name.ends_with('_');
    if valid {
        Ok(())
    } else {
        Err(MigrateError(format!(
            "--name `{name}`: use snake_case letters and digits (a–z, 0–9, _), at most 48 characters"
        )))
    }
}

/// A name for a migration nobody named: `init`, the single step's
/// description (`add_column_sys_account_note`), else `update`.
pub fn default_name(version: u32, upgrade: &[Op]) -> String {
    if version == 1 {
        return "init".to_owned();
    }
    match upgrade {
        [op] => {
            let mut name: String = op
                .describe()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
                .collect();
            while name.contains("__") {
                name = name.replace("__", "_");
            }
            name.truncate(48);
            name.trim_matches('_').to_owned()
        }
        _ => "update".to_owned(),
    }
}

fn is_container(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    }
}

/// Objects and arrays holding containers go one entry per line; the rest
/// stay inline.
fn write_block(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent + 2);
    match value {
        Value::Object(map) if map.values().any(is_container) => {
            out.push_str("{\n");
            for (i, (key, item)) in map.iter().enumerate() {
                out.push_str(&pad);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_block(out, item, indent + 2);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                write_block(out, item, indent + 2);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
        }
        other => write_inline(out, other),
    }
}

fn write_inline(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_inline(out, item);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_inline(out, item);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
