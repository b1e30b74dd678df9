//! Renders operations to one dialect's DDL. Each operation is rendered
//! against the schema as it stands just before it, which is what lets SQLite
//! rebuild a table it cannot `ALTER`: create the new shape, copy the rows,
//! drop the old table, rename, recreate the indexes — inside the migration's
//! transaction.

use super::op::Op;
use super::snapshot::{Column, Snapshot, TableDef};
use crate::SqlType;
use crate::data::db::Dialect;

/// The statements of `ops` in `dialect`, starting from the schema `before`.
pub fn render(before: &Snapshot, ops: &[Op], dialect: Dialect) -> Result<Vec<String>, String> {
    let mut state = before.clone();
    let mut statements = Vec::new();
    for op in ops {
        let mut after = state.clone();
        after.apply(op).map_err(|err| format!("{}: {err}", op.describe()))?;
        statements.extend(
            render_op(&state, &after, op, dialect).map_err(|err| format!("{}: {err}", op.describe()))?,
        );
        state = after;
    }
    Ok(statements)
}

fn render_op(before: &Snapshot, after: &Snapshot, op: &Op, dialect: Dialect) -> Result<Vec<String>, String> {
    use Dialect::{MySql, Postgres, Sqlite};
    let table_after = |name: &str| after.table(name).ok_or_else(|| format!("no table `{name}`"));
    let table_before = |name: &str| before.table(name).ok_or_else(|| format!("no table `{name}`"));
    Ok(match op {
        Op::CreateTable { table } => create_table(dialect, table),
        Op::DropTable { table } => vec![format!("DROP TABLE {}", table.name)],
        Op::RenameTable { from, to } => {
            let table = table_after(to)?;
            let mut sql = vec![match dialect {
                MySql => format!("RENAME TABLE {from} TO {to}"),
                Postgres | Sqlite => format!("ALTER TABLE {from} RENAME TO {to}"),
            }];
            // Keys are named after their table: keep them findable.
            for column in &table.columns {
                sql.extend(rename_keys(dialect, (from, to), (&column.name, &column.name), column));
            }
            sql
        }
        Op::AddColumn { table, column } => {
            if dialect == Sqlite && column.unique {
                // SQLite cannot add a column with a UNIQUE constraint.
                return Ok(rebuild(table_before(table)?, table_after(table)?));
            }
            let mut sql = match fill_value(dialect, column) {
                // NOT NULL with no default (a dropped column coming back in
                // a downgrade): existing rows get the type's zero, then the
                // column takes the declared shape. MySQL fills implicitly.
                Some(zero) => {
                    let filled = Column { default: Some(zero.to_owned()), ..column.clone() };
                    let mut sql =
                        vec![format!("ALTER TABLE {table} ADD COLUMN {}", column_sql(dialect, &filled))];
                    if dialect != Sqlite {
                        sql.push(format!("ALTER TABLE {table} ALTER COLUMN {} DROP DEFAULT", column.name));
                    }
                    sql
                }
                None => vec![format!("ALTER TABLE {table} ADD COLUMN {}", column_sql(dialect, column))],
            };
            if column.unique {
                sql.push(add_unique(table, &column.name));
            }
            if column.index {
                sql.push(create_index(table, &column.name));
            }
            sql
        }
        Op::DropColumn { table, column } => match dialect {
            Sqlite if column.unique => rebuild(table_before(table)?, table_after(table)?),
            Sqlite if column.index => vec![
                format!("DROP INDEX {}", index_name(table, &column.name)),
                format!("ALTER TABLE {table} DROP COLUMN {}", column.name),
            ],
            // MySQL and PostgreSQL drop the column's keys with it.
            _ => vec![format!("ALTER TABLE {table} DROP COLUMN {}", column.name)],
        },
        Op::RenameColumn { table, from, to } => {
            let column = table_after(table)?.column(to).ok_or_else(|| format!("no column `{table}.{to}`"))?;
            let mut sql = vec![format!("ALTER TABLE {table} RENAME COLUMN {from} TO {to}")];
            sql.extend(rename_keys(dialect, (table, table), (from, to), column));
            sql
        }
        Op::AlterColumn { table, from, to } => {
            let current = table_after(table)?
                .column(&to.name)
                .ok_or_else(|| format!("no column `{table}.{}`", to.name))?;
            if let Some(mut sql) = convert_times(dialect, table, from, current) {
                if dialect == Sqlite {
                    sql.extend(rebuild(table_before(table)?, table_after(table)?));
                }
                return Ok(sql);
            }
            match dialect {
                MySql => vec![format!("ALTER TABLE {table} MODIFY COLUMN {}", column_sql(dialect, current))],
                Postgres => alter_postgres(table, from, current),
                Sqlite => rebuild(table_before(table)?, table_after(table)?),
            }
        }
        Op::AddUnique { table, column } => match dialect {
            Sqlite => rebuild(table_before(table)?, table_after(table)?),
            MySql => {
                let mut sql = mysql_indexable_text(table_after(table)?, column);
                sql.push(add_unique(table, column));
                sql
            }
            Postgres => vec![add_unique(table, column)],
        },
        Op::DropUnique { table, column } => match dialect {
            Sqlite => rebuild(table_before(table)?, table_after(table)?),
            MySql => vec![format!("ALTER TABLE {table} DROP INDEX {}", unique_name(table, column))],
            Postgres => vec![format!("ALTER TABLE {table} DROP CONSTRAINT {}", unique_name(table, column))],
        },
        Op::AddIndex { table, column } => {
            let mut sql =
                if dialect == MySql { mysql_indexable_text(table_after(table)?, column) } else { Vec::new() };
            sql.push(create_index(table, column));
            sql
        }
        Op::DropIndex { table, column } => match dialect {
            MySql => vec![format!("DROP INDEX {} ON {table}", index_name(table, column))],
            Postgres | Sqlite => vec![format!("DROP INDEX {}", index_name(table, column))],
        },
        Op::Sql(raw) => {
            let own = match dialect {
                MySql => &raw.mysql,
                Postgres => &raw.postgres,
                Sqlite => &raw.sqlite,
            };
            match own.as_ref().or(raw.any.as_ref()) {
                Some(sql) => vec![sql.trim().trim_end_matches(';').to_owned()],
                None => {
                    return Err(format!("the step has no `{}` statement and no `any`", dialect_key(dialect)));
                }
            }
        }
    })
}

/// The value rows get when a NOT NULL column without default is added to
/// a table that may have rows (PostgreSQL and SQLite refuse it otherwise;
/// MySQL fills in the type's zero, which for a time is no time at all).
fn fill_value(dialect: Dialect, column: &Column) -> Option<&'static str> {
    if column.nullable || column.default.is_some() || column.primary {
        return None;
    }
    Some(match (column.sql_type, dialect) {
        (SqlType::DateTime, _) => epoch(dialect),
        (_, Dialect::MySql) => return None,
        (SqlType::Bool, Dialect::Postgres) => "FALSE",
        (SqlType::Text | SqlType::Timestamp, _) => "''",
        (SqlType::Blob, Dialect::Postgres) => "''::bytea",
        (SqlType::Blob, _) => "X''",
        _ => "0",
    })
}

/// The first time there is, as a literal of `dialect`'s time type.
fn epoch(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "'1970-01-01 00:00:00'",
        Dialect::Postgres | Dialect::Sqlite => "'1970-01-01T00:00:00Z'",
    }
}

/// Converts a time column between RFC 3339 text (`SqlType::Timestamp`)
/// and the native type (`SqlType::DateTime`), rows kept: empty text
/// (what a NOT NULL text column got when it was added) becomes NULL or
/// the epoch first; MySQL reads no `T`/`Z`, so its text is rewritten to
/// its own spelling before the type changes, and back after. `None` when
/// the change is not between those two types.
fn convert_times(dialect: Dialect, table: &str, from: &Column, to: &Column) -> Option<Vec<String>> {
    use Dialect::{MySql, Postgres, Sqlite};
    let c = &to.name;
    let empty = if from.nullable && to.nullable { "NULL" } else { epoch(dialect) };
    let clear_empty = format!("UPDATE {table} SET {c} = {empty} WHERE {c} = ''");
    Some(match (from.sql_type, to.sql_type, dialect) {
        (SqlType::Timestamp, SqlType::DateTime, MySql) => vec![
            clear_empty,
            format!("UPDATE {table} SET {c} = REPLACE(REPLACE({c}, 'T', ' '), 'Z', '') WHERE {c} LIKE '%Z'"),
            format!("ALTER TABLE {table} MODIFY COLUMN {}", column_sql(MySql, to)),
        ],
        (SqlType::DateTime, SqlType::Timestamp, MySql) => vec![
            format!("ALTER TABLE {table} MODIFY COLUMN {}", column_sql(MySql, to)),
            format!(
                "UPDATE {table} SET {c} = CONCAT(REPLACE(LEFT({c}, 19), ' ', 'T'), 'Z') WHERE {c} NOT LIKE '%Z'"
            ),
        ],
        (SqlType::Timestamp | SqlType::DateTime, SqlType::Timestamp | SqlType::DateTime, Postgres)
            if from.sql_type != to.sql_type =>
        {
            let mut sql = if to.sql_type == SqlType::DateTime {
                vec![
                    clear_empty,
                    format!("ALTER TABLE {table} ALTER COLUMN {c} TYPE TIMESTAMPTZ USING {c}::timestamptz"),
                ]
            } else {
                vec![format!(
                    "ALTER TABLE {table} ALTER COLUMN {c} TYPE VARCHAR(32) \
                     USING to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                )]
            };
            // Nullability and default, if they changed too.
            sql.extend(alter_postgres(table, &Column { sql_type: to.sql_type, ..from.clone() }, to));
            sql
        }
        // SQLite's text is RFC 3339 both ways: only the declared type changes.
        (SqlType::Timestamp, SqlType::DateTime, Sqlite) => vec![clear_empty],
        (SqlType::DateTime, SqlType::Timestamp, Sqlite) => Vec::new(),
        _ => return None,
    })
}

/// The file key of a dialect in raw `sql` steps.
pub fn dialect_key(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "mysql",
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
    }
}

fn unique_name(table: &str, column: &str) -> String {
    format!("uq_{table}_{column}")
}

fn index_name(table: &str, column: &str) -> String {
    format!("ix_{table}_{column}")
}

fn add_unique(table: &str, column: &str) -> String {
    format!("ALTER TABLE {table} ADD CONSTRAINT {} UNIQUE ({column})", unique_name(table, column))
}

fn create_index(table: &str, column: &str) -> String {
    format!("CREATE INDEX {} ON {table} ({column})", index_name(table, column))
}

/// MySQL indexes no TEXT without a length: such a column becomes
/// `VARCHAR(255)` first (what `CREATE TABLE` gives an indexed TEXT).
fn mysql_indexable_text(table: &TableDef, column: &str) -> Vec<String> {
    match table.column(column) {
        Some(c) if c.sql_type == SqlType::Text && c.len.is_none() => {
            vec![format!("ALTER TABLE {} MODIFY COLUMN {}", table.name, column_sql(Dialect::MySql, c))]
        }
        _ => Vec::new(),
    }
}

/// Renames the keys of `column` (`uq_<table>_<column>`, `ix_…`) after its
/// table or the column itself was renamed, `old` → `new` for each.
fn rename_keys(
    dialect: Dialect,
    tables: (&str, &str),
    columns: (&str, &str),
    column: &Column,
) -> Vec<String> {
    let (old_table, table) = tables;
    let (old_column, name) = columns;
    let (old_uq, new_uq) = (unique_name(old_table, old_column), unique_name(table, name));
    let (old_ix, new_ix) = (index_name(old_table, old_column), index_name(table, name));
    match (dialect, column.unique, column.index) {
        (Dialect::MySql, true, _) => vec![format!("ALTER TABLE {table} RENAME INDEX {old_uq} TO {new_uq}")],
        (Dialect::MySql, _, true) => vec![format!("ALTER TABLE {table} RENAME INDEX {old_ix} TO {new_ix}")],
        (Dialect::Postgres, true, _) => {
            vec![format!("ALTER TABLE {table} RENAME CONSTRAINT {old_uq} TO {new_uq}")]
        }
        (Dialect::Postgres, _, true) => vec![format!("ALTER INDEX {old_ix} RENAME TO {new_ix}")],
        // SQLite renames no index; a unique constraint's name lives in the
        // table's text, where only a rebuild reads it (and writes it anew).
        (Dialect::Sqlite, false, true) => vec![format!("DROP INDEX {old_ix}"), create_index(table, name)],
        _ => Vec::new(),
    }
}

fn alter_postgres(table: &str, from: &Column, to: &Column) -> Vec<String> {
    let c = &to.name;
    let mut sql = Vec::new();
    if from.sql_type != to.sql_type {
        let ty = type_sql(Dialect::Postgres, to);
        sql.push(format!("ALTER TABLE {table} ALTER COLUMN {c} TYPE {ty} USING {c}::{ty}"));
    } else if from.len != to.len {
        // No `USING` cast: an explicit cast would cut values that are too
        // long; without it PostgreSQL refuses them, as MySQL does.
        sql.push(format!("ALTER TABLE {table} ALTER COLUMN {c} TYPE {}", type_sql(Dialect::Postgres, to)));
    }
    if from.nullable != to.nullable {
        let change = if to.nullable { "DROP NOT NULL" } else { "SET NOT NULL" };
        sql.push(format!("ALTER TABLE {table} ALTER COLUMN {c} {change}"));
    }
    if from.default != to.default {
        sql.push(match &to.default {
            Some(default) => format!("ALTER TABLE {table} ALTER COLUMN {c} SET DEFAULT {default}"),
            None => format!("ALTER TABLE {table} ALTER COLUMN {c} DROP DEFAULT"),
        });
    }
    sql
}

/// SQLite's way to change what `ALTER TABLE` cannot: a new table of the
/// new shape, the rows of the columns both shapes have, then the swap.
fn rebuild(before: &TableDef, after: &TableDef) -> Vec<String> {
    let name = &after.name;
    let scratch = format!("keel_rebuild_{name}");
    let shared: Vec<&str> =
        after.columns.iter().filter(|c| before.column(&c.name).is_some()).map(|c| c.name.as_str()).collect();
    let shared = shared.join(", ");
    let mut sql =
        vec![table_sql(Dialect::Sqlite, &TableDef { name: scratch.clone(), ..after.clone() }, false, name)];
    sql.push(format!("INSERT INTO {scratch} ({shared}) SELECT {shared} FROM {name}"));
    sql.push(format!("DROP TABLE {name}"));
    sql.push(format!("ALTER TABLE {scratch} RENAME TO {name}"));
    for column in after.columns.iter().filter(|c| c.index) {
        sql.push(create_index(name, &column.name));
    }
    sql
}

/// `CREATE TABLE` with its keys and indexes. `IF NOT EXISTS`, so the first
/// migration adopts tables made before migrations existed.
pub fn create_table(dialect: Dialect, table: &TableDef) -> Vec<String> {
    let mut sql = vec![table_sql(dialect, table, true, &table.name)];
    if dialect != Dialect::MySql {
        for column in table.columns.iter().filter(|c| c.index) {
            sql.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                index_name(&table.name, &column.name),
                table.name,
                column.name
            ));
        }
    }
    sql
}

/// The `CREATE TABLE` statement; keys are named after `key_table` (the
/// final name when building a scratch table for a rebuild).
fn table_sql(dialect: Dialect, table: &TableDef, if_not_exists: bool, key_table: &str) -> String {
    let mut lines: Vec<String> = table.columns.iter().map(|c| column_sql(dialect, c)).collect();
    for column in table.columns.iter().filter(|c| c.unique) {
        lines.push(format!("CONSTRAINT {} UNIQUE ({})", unique_name(key_table, &column.name), column.name));
    }
    if dialect == Dialect::MySql {
        for column in table.columns.iter().filter(|c| c.index) {
            lines.push(format!("INDEX {} ({})", index_name(key_table, &column.name), column.name));
        }
    }
    let guard = if if_not_exists { "IF NOT EXISTS " } else { "" };
    // Whatever the server's default: all of Unicode (emoji, CJK), compared
    // byte-wise — no case folding or trailing-space padding behind a
    // unique key.
    let options = if dialect == Dialect::MySql { " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin" } else { "" };
    format!("CREATE TABLE {guard}{} (\n  {}\n){options}", table.name, lines.join(",\n  "))
}

/// A column's definition: name, type, `NOT NULL`, `DEFAULT`.
pub fn column_sql(dialect: Dialect, column: &Column) -> String {
    if column.primary && matches!(column.sql_type, SqlType::BigInt | SqlType::Integer) {
        return match dialect {
            Dialect::MySql => format!("{} BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY", column.name),
            Dialect::Postgres => format!("{} BIGSERIAL PRIMARY KEY", column.name),
            // Only an exact INTEGER PRIMARY KEY auto-increments (measured: docs/benchmarks.md).
            Dialect::Sqlite => format!("{} INTEGER PRIMARY KEY AUTOINCREMENT", column.name),
        };
    }
    let mut sql = format!("{} {}", column.name, type_sql(dialect, column));
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        sql.push_str(" DEFAULT ");
        sql.push_str(default);
    }
    sql
}

fn type_sql(dialect: Dialect, column: &Column) -> String {
    use Dialect::{MySql, Postgres, Sqlite};
    match (column.sql_type, dialect) {
        (SqlType::Bool, Sqlite) => "INTEGER".to_owned(),
        (SqlType::Bool, _) => "BOOLEAN".to_owned(),
        (SqlType::SmallInt, _) => "SMALLINT".to_owned(),
        (SqlType::Integer, MySql) => "INT".to_owned(),
        (SqlType::Integer, _) => "INTEGER".to_owned(),
        (SqlType::BigInt, Sqlite) => "INTEGER".to_owned(),
        (SqlType::BigInt, _) => "BIGINT".to_owned(),
        (SqlType::Float, MySql) => "FLOAT".to_owned(),
        (SqlType::Float, _) => "REAL".to_owned(),
        (SqlType::Double, Postgres) => "DOUBLE PRECISION".to_owned(),
        (SqlType::Double, MySql) => "DOUBLE".to_owned(),
        (SqlType::Double, Sqlite) => "REAL".to_owned(),
        // MySQL cannot index TEXT without a length: indexed text gets one.
        (SqlType::Text, _) => match column.len {
            Some(len) => format!("VARCHAR({len})"),
            None if dialect == MySql && (column.unique || column.index) => "VARCHAR(255)".to_owned(),
            None => "TEXT".to_owned(),
        },
        (SqlType::Blob, MySql) => "LONGBLOB".to_owned(),
        (SqlType::Blob, Postgres) => "BYTEA".to_owned(),
        (SqlType::Blob, Sqlite) => "BLOB".to_owned(),
        // Times of migrations written before native times: RFC 3339 UTC
        // text (`2026-11-25T10:00:00Z`).
        (SqlType::Timestamp, _) => "VARCHAR(32)".to_owned(),
        // MySQL keeps no zone: the column holds the UTC wall clock.
        (SqlType::DateTime, MySql) => "DATETIME(6)".to_owned(),
        (SqlType::DateTime, Postgres) => "TIMESTAMPTZ".to_owned(),
        // Fixed-width RFC 3339 UTC text sorts and compares in time order.
        (SqlType::DateTime, Sqlite) => "TEXT".to_owned(),
    }
}
