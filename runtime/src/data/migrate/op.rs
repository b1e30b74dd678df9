//! Dialect-neutral migration operations: what a migration file lists, in
//! order, for its upgrade and its downgrade.

use super::snapshot::{Column, TableDef};
use serde::{Deserialize, Serialize};

/// One step of a migration. Every step but [`Op::Sql`] has an exact inverse,
/// which is how the differ writes the downgrade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// A new table with its keys and indexes.
    CreateTable {
        /// The whole table, so the inverse of a drop can recreate it.
        table: TableDef,
    },
    /// Drops a table (and its rows).
    DropTable {
        /// The whole table as it was.
        table: TableDef,
    },
    /// A declared rename (`#[table(renamed_from = "…")]`).
    RenameTable {
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// A new column.
    AddColumn {
        /// Its table.
        table: String,
        /// The column.
        column: Column,
    },
    /// Drops a column (and its data).
    DropColumn {
        /// Its table.
        table: String,
        /// The column as it was.
        column: Column,
    },
    /// A declared rename (`#[column(renamed_from = "…")]`): the data stays.
    RenameColumn {
        /// Its table.
        table: String,
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// Type, length, nullability or default changed (keys are separate steps).
    AlterColumn {
        /// Its table.
        table: String,
        /// The column before.
        from: Column,
        /// The column after.
        to: Column,
    },
    /// A unique constraint `uq_<table>_<column>`.
    AddUnique {
        /// Its table.
        table: String,
        /// The column.
        column: String,
    },
    /// Drops `uq_<table>_<column>`.
    DropUnique {
        /// Its table.
        table: String,
        /// The column.
        column: String,
    },
    /// An index `ix_<table>_<column>`.
    AddIndex {
        /// Its table.
        table: String,
        /// The column.
        column: String,
    },
    /// Drops `ix_<table>_<column>`.
    DropIndex {
        /// Its table.
        table: String,
        /// The column.
        column: String,
    },
    /// Raw SQL written by hand (a data backfill): one statement per dialect,
    /// or `any` for all of them.
    Sql(RawSql),
}

/// The statements of an [`Op::Sql`] step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSql {
    /// For every dialect without its own entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<String>,
    /// MySQL / MariaDB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql: Option<String>,
    /// PostgreSQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<String>,
    /// SQLite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite: Option<String>,
}

impl Op {
    /// The step that undoes this one; `None` for raw SQL, whose undoing
    /// only its author knows (they write it in the downgrade list).
    pub fn inverse(&self) -> Option<Op> {
        let (t, c) = (String::clone, String::clone);
        Some(match self {
            Op::CreateTable { table } => Op::DropTable { table: table.clone() },
            Op::DropTable { table } => Op::CreateTable { table: table.clone() },
            Op::RenameTable { from, to } => Op::RenameTable { from: to.clone(), to: from.clone() },
            Op::AddColumn { table, column } => Op::DropColumn { table: t(table), column: column.clone() },
            Op::DropColumn { table, column } => Op::AddColumn { table: t(table), column: column.clone() },
            Op::RenameColumn { table, from, to } => {
                Op::RenameColumn { table: t(table), from: to.clone(), to: from.clone() }
            }
            Op::AlterColumn { table, from, to } => {
                Op::AlterColumn { table: t(table), from: to.clone(), to: from.clone() }
            }
            Op::AddUnique { table, column } => Op::DropUnique { table: t(table), column: c(column) },
            Op::DropUnique { table, column } => Op::AddUnique { table: t(table), column: c(column) },
            Op::AddIndex { table, column } => Op::DropIndex { table: t(table), column: c(column) },
            Op::DropIndex { table, column } => Op::AddIndex { table: t(table), column: c(column) },
            Op::Sql(_) => return None,
        })
    }

    /// A short description for messages: `add_column sys_account.note`.
    pub fn describe(&self) -> String {
        match self {
            Op::CreateTable { table } => format!("create_table {}", table.name),
            Op::DropTable { table } => format!("drop_table {}", table.name),
            Op::RenameTable { from, to } => format!("rename_table {from} -> {to}"),
            Op::AddColumn { table, column } => format!("add_column {table}.{}", column.name),
            Op::DropColumn { table, column } => format!("drop_column {table}.{}", column.name),
            Op::RenameColumn { table, from, to } => format!("rename_column {table}.{from} -> {to}"),
            Op::AlterColumn { table, to, .. } => format!("alter_column {table}.{}", to.name),
            Op::AddUnique { table, column } => format!("add_unique {table}.{column}"),
            Op::DropUnique { table, column } => format!("drop_unique {table}.{column}"),
            Op::AddIndex { table, column } => format!("add_index {table}.{column}"),
            Op::DropIndex { table, column } => format!("drop_index {table}.{column}"),
            Op::Sql(_) => "sql".to_owned(),
        }
    }
}

/// The downgrade of `upgrade`: the inverses, last step first. `None` when
/// a step has no inverse.
pub fn invert(upgrade: &[Op]) -> Option<Vec<Op>> {
    upgrade.iter().rev().map(Op::inverse).collect()
}
