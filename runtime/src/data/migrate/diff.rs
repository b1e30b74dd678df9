//! The differ: the last migration's snapshot against the models, into the
//! operations of the next migration. Renames are only those the models
//! declare with `renamed_from` — a differ that guesses them drops data when
//! it guesses wrong (aerich#519, #232) — and it never asks.

use super::op::Op;
use super::snapshot::{Column, Snapshot, TableDef};
use crate::data::table::TableSchema;

/// The upgrade steps from `old` to `models`, in an order that applies:
/// renames and creates first, drops last. An error names the table and
/// column the differ cannot migrate, and what to do instead.
pub fn diff(old: &Snapshot, models: &[TableSchema]) -> Result<Vec<Op>, Vec<String>> {
    let mut ops = Vec::new();
    let mut errors = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    for model in models {
        let new = TableDef::from_schema(model);
        let renamed = model.renamed_from.filter(|from| {
            old.table(from).is_some()
                && old.table(model.name).is_none()
                && !models.iter().any(|m| m.name == *from)
        });
        let before = match (old.table(model.name), renamed) {
            (Some(before), _) => before,
            (None, Some(from)) => {
                ops.push(Op::RenameTable { from: from.to_owned(), to: new.name.clone() });
                let Some(before) = old.table(from) else { continue };
                kept.push(from);
                before
            }
            (None, None) => {
                for column in new.columns.iter().filter(|c| c.primary) {
                    if !matches!(column.sql_type, crate::SqlType::BigInt | crate::SqlType::Integer) {
                        errors.push(format!(
                            "table `{}`: primary key `{}` must be an integer column (i64)",
                            new.name, column.name
                        ));
                    }
                }
                ops.push(Op::CreateTable { table: new });
                continue;
            }
        };
        kept.push(model.name);
        diff_columns(before, model, &new, &mut ops, &mut errors);
    }
    for table in &old.tables {
        if !kept.contains(&table.name.as_str()) {
            ops.push(Op::DropTable { table: table.clone() });
        }
    }
    if errors.is_empty() { Ok(ops) } else { Err(errors) }
}

fn diff_columns(
    before: &TableDef,
    model: &TableSchema,
    new: &TableDef,
    ops: &mut Vec<Op>,
    errors: &mut Vec<String>,
) {
    let table = &new.name;
    let mut kept: Vec<&str> = Vec::new();
    let mut drops = Vec::new();
    for (schema, column) in model.columns.iter().zip(&new.columns) {
        let renamed = schema.renamed_from.filter(|from| {
            before.column(from).is_some()
                && before.column(&column.name).is_none()
                && new.column(from).is_none()
        });
        let old = match (before.column(&column.name), renamed) {
            (Some(old), _) => old,
            (None, Some(from)) => {
                ops.push(Op::RenameColumn {
                    table: table.clone(),
                    from: from.to_owned(),
                    to: column.name.clone(),
                });
                let Some(old) = before.column(from) else { continue };
                kept.push(from);
                old
            }
            (None, None) => {
                if !column.nullable && column.default.is_none() {
                    errors.push(format!(
                        "column `{table}.{}` is new and NOT NULL without a default, which fails on a table with rows: make it an Option or give it `#[column(default = \"…\")]`",
                        column.name
                    ));
                }
                if column.primary {
                    errors.push(format!(
                        "column `{table}.{}`: a new primary key cannot be added to an existing table; create a new table instead",
                        column.name
                    ));
                }
                ops.push(Op::AddColumn { table: table.clone(), column: column.clone() });
                continue;
            }
        };
        kept.push(&column.name);
        // Compare under the new name: a rename was emitted already.
        let old = Column { name: column.name.clone(), ..old.clone() };
        if old.primary != column.primary {
            errors.push(format!(
                "column `{table}.{}`: the primary key cannot change by migration; write a raw `sql` step for it",
                column.name
            ));
            continue;
        }
        if old.shape_differs(column) {
            let to = Column { unique: old.unique, index: old.index, ..column.clone() };
            ops.push(Op::AlterColumn { table: table.clone(), from: old.clone(), to });
        }
        let name = || column.name.clone();
        // Drops before adds: a unique column turned plain-indexed loses
        // its constraint before it gets its index.
        if old.unique && !column.unique {
            ops.push(Op::DropUnique { table: table.clone(), column: name() });
        }
        if old.index && !column.index {
            ops.push(Op::DropIndex { table: table.clone(), column: name() });
        }
        if !old.unique && column.unique {
            ops.push(Op::AddUnique { table: table.clone(), column: name() });
        }
        if !old.index && column.index {
            ops.push(Op::AddIndex { table: table.clone(), column: name() });
        }
    }
    for column in &before.columns {
        if !kept.contains(&column.name.as_str()) {
            drops.push(Op::DropColumn { table: table.clone(), column: column.clone() });
        }
    }
    ops.extend(drops);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::migrate::op::invert;
    use crate::data::table::{ColumnSchema, SqlType};

    fn col(name: &'static str, sql_type: SqlType) -> ColumnSchema {
        ColumnSchema {
            name,
            sql_type,
            nullable: false,
            primary: false,
            unique: false,
            index: false,
            len: None,
            default: None,
            renamed_from: None,
        }
    }

    fn id() -> ColumnSchema {
        ColumnSchema { primary: true, ..col("id", SqlType::BigInt) }
    }

    fn table(name: &'static str, columns: Vec<ColumnSchema>) -> TableSchema {
        TableSchema { name, renamed_from: None, columns, database: "default" }
    }

    fn account() -> TableSchema {
        table(
            "sys_account",
            vec![
                id(),
                ColumnSchema { unique: true, len: Some(32), ..col("username", SqlType::Text) },
                ColumnSchema { nullable: true, ..col("note", SqlType::Text) },
            ],
        )
    }

    fn names(ops: &[Op]) -> Vec<String> {
        ops.iter().map(Op::describe).collect()
    }

    /// (old models, new models) → upgrade steps; then the downgrade steps
    /// must lead from the new snapshot back to the old one.
    #[test]
    fn differ_table() {
        let base = vec![account()];
        let with = |f: &dyn Fn(&mut TableSchema)| {
            let mut t = account();
            f(&mut t);
            vec![t]
        };
        /// (case, old models, new models, expected upgrade steps).
        type Case = (&'static str, Vec<TableSchema>, Vec<TableSchema>, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            ("no-op", base.clone(), base.clone(), vec![]),
            ("table added", vec![], base.clone(), vec!["create_table sys_account"]),
            ("table dropped", base.clone(), vec![], vec!["drop_table sys_account"]),
            (
                "table renamed",
                vec![table("sys_user", account().columns)],
                with(&|t| t.renamed_from = Some("sys_user")),
                vec!["rename_table sys_user -> sys_account"],
            ),
            (
                "column added",
                base.clone(),
                with(&|t| t.columns.push(ColumnSchema { nullable: true, ..col("email", SqlType::Text) })),
                vec!["add_column sys_account.email"],
            ),
            (
                "column dropped",
                base.clone(),
                with(&|t| {
                    t.columns.pop();
                }),
                vec!["drop_column sys_account.note"],
            ),
            (
                "column renamed",
                base.clone(),
                with(&|t| {
                    t.columns[2].name = "remark";
                    t.columns[2].renamed_from = Some("note");
                }),
                vec!["rename_column sys_account.note -> remark"],
            ),
            (
                "undeclared rename is a drop and an add",
                base.clone(),
                with(&|t| t.columns[2].name = "remark"),
                vec!["add_column sys_account.remark", "drop_column sys_account.note"],
            ),
            (
                "length changed",
                base.clone(),
                with(&|t| t.columns[1].len = Some(64)),
                vec!["alter_column sys_account.username"],
            ),
            (
                "type changed",
                base.clone(),
                with(&|t| t.columns[2].sql_type = SqlType::BigInt),
                vec!["alter_column sys_account.note"],
            ),
            (
                "nullability changed",
                base.clone(),
                with(&|t| t.columns[2].nullable = false),
                vec!["alter_column sys_account.note"],
            ),
            (
                "default changed",
                base.clone(),
                with(&|t| t.columns[2].default = Some("'-'")),
                vec!["alter_column sys_account.note"],
            ),
            (
                "unique dropped, index added",
                base.clone(),
                with(&|t| {
                    t.columns[1].unique = false;
                    t.columns[1].index = true;
                }),
                vec!["drop_unique sys_account.username", "add_index sys_account.username"],
            ),
            (
                "unique added",
                base.clone(),
                with(&|t| t.columns[2].unique = true),
                vec!["add_unique sys_account.note"],
            ),
            (
                "rename and retype at once",
                base.clone(),
                with(&|t| {
                    t.columns[2].name = "remark";
                    t.columns[2].renamed_from = Some("note");
                    t.columns[2].len = Some(200);
                }),
                vec!["rename_column sys_account.note -> remark", "alter_column sys_account.remark"],
            ),
            (
                "a stale renamed_from is ignored",
                base.clone(),
                with(&|t| t.columns[2].renamed_from = Some("remark")),
                vec![],
            ),
        ];
        for (case, old, new, expected) in cases {
            let old_snapshot = Snapshot::from_models(&old);
            let upgrade = match diff(&old_snapshot, &new) {
                Ok(ops) => ops,
                Err(errors) => panic!("{case}: {errors:?}"),
            };
            assert_eq!(names(&upgrade), expected, "{case}");
            let mut state = old_snapshot.clone();
            for op in &upgrade {
                if let Err(err) = state.apply(op) {
                    panic!("{case}: upgrade {}: {err}", op.describe());
                }
            }
            assert!(state.same_schema(&Snapshot::from_models(&new)), "{case}: upgrade lands on the models");
            let Some(downgrade) = invert(&upgrade) else { panic!("{case}: no inverse") };
            for op in &downgrade {
                if let Err(err) = state.apply(op) {
                    panic!("{case}: downgrade {}: {err}", op.describe());
                }
            }
            assert!(state.same_schema(&old_snapshot), "{case}: downgrade lands on the old snapshot");
        }
    }

    #[test]
    fn inverse_steps() {
        let c = Column::from_schema(&col("note", SqlType::Text));
        let pairs = [
            (Op::AddColumn { table: "t".into(), column: c.clone() }, "drop_column t.note"),
            (Op::DropColumn { table: "t".into(), column: c.clone() }, "add_column t.note"),
            (
                Op::RenameColumn { table: "t".into(), from: "a".into(), to: "b".into() },
                "rename_column t.b -> a",
            ),
            (Op::RenameTable { from: "a".into(), to: "b".into() }, "rename_table b -> a"),
            (Op::AddUnique { table: "t".into(), column: "c".into() }, "drop_unique t.c"),
            (Op::DropUnique { table: "t".into(), column: "c".into() }, "add_unique t.c"),
            (Op::AddIndex { table: "t".into(), column: "c".into() }, "drop_index t.c"),
            (Op::DropIndex { table: "t".into(), column: "c".into() }, "add_index t.c"),
        ];
        for (op, expected) in pairs {
            assert_eq!(op.inverse().map(|o| o.describe()).as_deref(), Some(expected));
            assert_eq!(op.inverse().and_then(|o| o.inverse()), Some(op));
        }
        assert_eq!(Op::Sql(Default::default()).inverse(), None);
    }

    #[test]
    fn unmigratable_changes_are_errors_naming_the_column_and_the_fix() {
        let old = Snapshot::from_models(&[account()]);
        let mut new = account();
        new.columns.push(col("email", SqlType::Text));
        let errors = diff(&old, &[new]).err().unwrap_or_default();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("sys_account.email") && errors[0].contains("Option"), "{errors:?}");

        let mut new = account();
        new.columns[0].primary = false;
        let errors = diff(&old, &[new]).err().unwrap_or_default();
        assert!(errors[0].contains("primary key"), "{errors:?}");
    }
}
