//! The `db` subcommands, as the service binary runs them. The command line
//! itself (clap) belongs to boot; this takes the action as plain data.

use super::apply::{Migrator, Status};
use super::file::MigrationSet;
use super::{MigrateError, next_migration, sql_listing, write_migration};
use crate::config::BackendEntry;
use crate::data::db::{Db, Dialect};
use crate::data::table::TableSchema;
use std::path::PathBuf;

/// What `db …` was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DbAction {
    /// Write the first migration from the models and apply it.
    InitDb,
    /// Write the next migration (or print its SQL with `dry_run`).
    Migrate { name: Option<String>, dry_run: bool },
    /// Apply pending migrations.
    Upgrade { dry_run: bool },
    /// Revert the last migration, or every one above `to`.
    Downgrade { to: Option<u32>, dry_run: bool },
    /// Applied migrations.
    History,
    /// Pending migrations.
    Heads,
}

/// One database of one service, as the command line names it.
pub(crate) struct DbTarget {
    pub(crate) service: &'static str,
    pub(crate) database: String,
    pub(crate) entry: BackendEntry,
    pub(crate) home: PathBuf,
    pub(crate) dir: PathBuf,
    pub(crate) models: Vec<TableSchema>,
    /// The migrations built into the binary, if any.
    pub(crate) embedded: Option<&'static [(&'static str, &'static str)]>,
}

impl DbTarget {
    fn dialect(&self) -> Result<Dialect, MigrateError> {
        Dialect::from_url(self.entry.url()).ok_or_else(|| {
            MigrateError(format!(
                "database `{}`: the URL's scheme is none of mysql://, postgres://, sqlite://",
                self.database
            ))
        })
    }

    async fn connect(&self) -> Result<Db, MigrateError> {
        Db::connect(&self.database, &self.entry, &self.home).await.map_err(|e| MigrateError(e.to_string()))
    }
}

fn label(set: &MigrationSet, version: u32) -> String {
    match version {
        0 => "no migration".to_owned(),
        v => set.migrations.get(v as usize - 1).map_or_else(|| format!("{v:04}"), |m| m.label()),
    }
}

/// Runs `command`; prints what it did on stdout.
pub(crate) async fn run(command: &DbAction, target: DbTarget) -> Result<(), MigrateError> {
    // Writing a migration works on the source tree; applying and reading
    // use the built-in set where the folder is absent.
    let writes = matches!(command, DbAction::Migrate { .. } | DbAction::InitDb);
    let set = if writes {
        MigrationSet::load(&target.dir)?
    } else {
        MigrationSet::resolve(&target.dir, target.embedded)?
    };
    let dir = target.dir.display();
    match command {
        DbAction::Migrate { name, dry_run } => {
            let Some(file) = next_migration(&set, &target.models, name.as_deref())? else {
                println!(
                    "No changes: the models of `{}` match {} in {dir}; nothing written.",
                    target.service,
                    label(&set, set.migrations.len() as u32)
                );
                return Ok(());
            };
            let steps: Vec<String> = file.upgrade.iter().map(|op| op.describe()).collect();
            if *dry_run {
                let dialect = target.dialect()?;
                let before = set.last_snapshot();
                let up = super::render::render(&before, &file.upgrade, dialect).map_err(MigrateError)?;
                let down =
                    super::render::render(&file.snapshot, &file.downgrade, dialect).map_err(MigrateError)?;
                let stem = file.file_name().trim_end_matches(".json").to_owned();
                print!("{}", sql_listing(&stem, "upgrade", dialect, &up));
                print!("{}", sql_listing(&stem, "downgrade", dialect, &down));
                println!("(dry run: {}/{} not written)", dir, file.file_name());
                return Ok(());
            }
            let path = write_migration(&set, &file)?;
            println!("wrote {}: {}", path.display(), steps.join(", "));
            println!("review it, then apply it with `db upgrade`");
        }
        DbAction::InitDb => {
            if !set.migrations.is_empty() {
                return Err(MigrateError(format!(
                    "{dir} already has {} migration(s); init-db writes the first one only: apply them with `db upgrade`",
                    set.migrations.len()
                )));
            }
            let file = next_migration(&set, &target.models, Some("init"))?.ok_or_else(|| {
                MigrateError(format!("service `{}` has no tables to migrate", target.service))
            })?;
            let path = write_migration(&set, &file)?;
            println!("wrote {}", path.display());
            let set = MigrationSet::load(&target.dir)?;
            let db = target.connect().await?;
            let migrator = Migrator { db: &db, set: &set, service: target.service };
            migrator.upgrade(&|line| println!("{line}")).await?;
        }
        DbAction::Upgrade { dry_run } => {
            let db = target.connect().await?;
            let migrator = Migrator { db: &db, set: &set, service: target.service };
            let status = migrator.status().await?;
            if *dry_run {
                print_plan(&migrator, &status, migrator.upgrade_sql(&status)?, "upgrade");
                return Ok(());
            }
            let done = migrator.upgrade(&|line| println!("{line}")).await?;
            if done.is_empty() {
                println!("database `{}` is up to date ({})", target.database, label(&set, status.current));
            }
        }
        DbAction::Downgrade { to, dry_run } => {
            let db = target.connect().await?;
            let migrator = Migrator { db: &db, set: &set, service: target.service };
            let status = migrator.status().await?;
            if status.current == 0 && status.partial().is_none() {
                println!("database `{}` has no migration applied; nothing to downgrade", target.database);
                return Ok(());
            }
            let target_version = to.unwrap_or(status.current.saturating_sub(1));
            if *dry_run {
                print_plan(&migrator, &status, migrator.downgrade_sql(&status, target_version)?, "downgrade");
                return Ok(());
            }
            migrator.downgrade(target_version, &|line| println!("{line}")).await?;
            println!("database `{}` is at {}", target.database, label(&set, target_version));
        }
        DbAction::History => {
            let db = target.connect().await?;
            let status = Migrator { db: &db, set: &set, service: target.service }.status().await?;
            if status.applied.is_empty() {
                println!("no migration applied to database `{}`", target.database);
            }
            for row in &status.applied {
                let label = format!("{:04}_{}", row.version, row.name);
                match row.state.as_str() {
                    "applied" => println!("{label}  applied {}", row.applied_at),
                    state => println!("{label}  {state}, stopped after {} statement(s)", row.steps_done),
                }
            }
        }
        DbAction::Heads => {
            let db = target.connect().await?;
            let status = Migrator { db: &db, set: &set, service: target.service }.status().await?;
            let pending = status.pending(&set);
            if pending.is_empty() {
                println!("database `{}` is up to date ({})", target.database, label(&set, status.current));
            }
            for migration in pending {
                println!("{}  pending", migration.label());
            }
        }
    }
    Ok(())
}

fn print_plan(migrator: &Migrator<'_>, status: &Status, plan: Vec<(String, Vec<String>)>, direction: &str) {
    if plan.is_empty() {
        println!(
            "database `{}` needs no {direction} ({})",
            migrator.db.name(),
            label(migrator.set, status.current)
        );
    }
    for (label, statements) in plan {
        print!("{}", sql_listing(&label, direction, migrator.db.dialect(), &statements));
    }
    println!("(dry run: nothing executed)");
}
