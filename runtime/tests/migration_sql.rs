//! Golden tests: for each kind of change, the SQL of the upgrade and the
//! downgrade in MySQL, PostgreSQL and SQLite, checked in under
//! `tests/golden/<case>.sql`. After an intended change, regenerate with
//! `KEEL_BLESS=1 cargo test -p keel --test migration_sql` and review the diff.

use keel::db::Dialect;
use keel::migrate::op::{Op, RawSql, invert};
use keel::migrate::render::render;
use keel::migrate::{diff::diff, snapshot::Snapshot};
use keel::{ColumnSchema, SqlType, TableSchema};
use std::path::PathBuf;

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

/// The table every case starts from: a key, a unique name, an indexed
/// number, a nullable note.
fn item() -> TableSchema {
    TableSchema {
        name: "shop_item",
        renamed_from: None,
        columns: vec![
            ColumnSchema { primary: true, ..col("id", SqlType::BigInt) },
            ColumnSchema { unique: true, len: Some(32), ..col("code", SqlType::Text) },
            ColumnSchema { index: true, ..col("qty", SqlType::Integer) },
            ColumnSchema { nullable: true, len: Some(100), ..col("note", SqlType::Text) },
            ColumnSchema { default: Some("0"), ..col("hidden", SqlType::Bool) },
        ],
        database: "default",
    }
}

fn changed(f: impl Fn(&mut TableSchema)) -> Vec<TableSchema> {
    let mut table = item();
    f(&mut table);
    vec![table]
}

fn cases() -> Vec<(&'static str, Vec<TableSchema>, Vec<TableSchema>)> {
    let base = vec![item()];
    vec![
        ("create_table", vec![], base.clone()),
        ("drop_table", base.clone(), vec![]),
        (
            "rename_table",
            base.clone(),
            vec![TableSchema { name: "shop_product", renamed_from: Some("shop_item"), ..item() }],
        ),
        (
            "add_column",
            base.clone(),
            changed(|t| t.columns.push(ColumnSchema { nullable: true, ..col("color", SqlType::Text) })),
        ),
        (
            "add_column_unique",
            base.clone(),
            changed(|t| {
                t.columns.push(ColumnSchema {
                    nullable: true,
                    unique: true,
                    len: Some(64),
                    ..col("sku", SqlType::Text)
                })
            }),
        ),
        ("drop_column", base.clone(), changed(|t| t.columns.retain(|c| c.name != "note"))),
        ("drop_column_indexed", base.clone(), changed(|t| t.columns.retain(|c| c.name != "qty"))),
        (
            "rename_column",
            base.clone(),
            changed(|t| {
                t.columns[3].name = "remark";
                t.columns[3].renamed_from = Some("note");
            }),
        ),
        (
            "rename_column_indexed",
            base.clone(),
            changed(|t| {
                t.columns[2].name = "quantity";
                t.columns[2].renamed_from = Some("qty");
            }),
        ),
        ("alter_length", base.clone(), changed(|t| t.columns[3].len = Some(500))),
        ("alter_type", base.clone(), changed(|t| t.columns[2].sql_type = SqlType::BigInt)),
        ("alter_nullability", base.clone(), changed(|t| t.columns[3].nullable = false)),
        ("alter_default", base.clone(), changed(|t| t.columns[4].default = Some("1"))),
        ("add_unique", base.clone(), changed(|t| t.columns[3].unique = true)),
        ("drop_unique", base.clone(), changed(|t| t.columns[1].unique = false)),
        ("add_index", base.clone(), changed(|t| t.columns[3].index = true)),
        ("drop_index", base.clone(), changed(|t| t.columns[2].index = false)),
        // Its downgrade adds a NOT NULL time back to rows: they get the epoch.
        ("drop_column_time", changed(|t| t.columns.push(col("sold_at", SqlType::DateTime))), base.clone()),
        (
            "native_time",
            changed(|t| {
                t.columns.push(ColumnSchema { nullable: true, ..col("sold_at", SqlType::Timestamp) })
            }),
            changed(|t| t.columns.push(ColumnSchema { nullable: true, ..col("sold_at", SqlType::DateTime) })),
        ),
    ]
}

fn render_case(before: &Snapshot, upgrade: &[Op], after: &Snapshot, downgrade: &[Op]) -> String {
    let mut out = String::new();
    for (dialect, label) in
        [(Dialect::MySql, "mysql"), (Dialect::Postgres, "postgres"), (Dialect::Sqlite, "sqlite")]
    {
        for (direction, start, ops) in [("upgrade", before, upgrade), ("downgrade", after, downgrade)] {
            out.push_str(&format!("-- {label} {direction}\n"));
            match render(start, ops, dialect) {
                Ok(statements) => {
                    for statement in statements {
                        out.push_str(&statement);
                        out.push_str(";\n");
                    }
                }
                Err(err) => panic!("{label} {direction}: {err}"),
            }
        }
    }
    out
}

fn check_golden(case: &str, actual: &str, mismatches: &mut Vec<String>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{case}.sql"));
    if std::env::var_os("KEEL_BLESS").is_some() {
        if let Err(err) = std::fs::write(&path, actual) {
            panic!("writing {}: {err}", path.display());
        }
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        mismatches.push(format!("{}:\n--- expected\n{expected}\n--- actual\n{actual}", path.display()));
    }
}

#[test]
fn each_kind_of_change_renders_in_three_dialects() {
    let mut mismatches = Vec::new();
    for (case, old, new) in cases() {
        let before = Snapshot::from_models(&old);
        let upgrade = match diff(&before, &new) {
            Ok(ops) => ops,
            Err(errors) => panic!("{case}: {errors:?}"),
        };
        assert!(!upgrade.is_empty(), "{case}: no change found");
        let Some(downgrade) = invert(&upgrade) else { panic!("{case}: no inverse") };
        let after = Snapshot::from_models(&new);
        check_golden(case, &render_case(&before, &upgrade, &after, &downgrade), &mut mismatches);
    }
    assert!(
        mismatches.is_empty(),
        "{}\n(regenerate with KEEL_BLESS=1 after review)",
        mismatches.join("\n\n")
    );
}

#[test]
fn raw_sql_steps_take_their_dialect_or_any() {
    let before = Snapshot::from_models(&[item()]);
    let step = Op::Sql(RawSql {
        any: Some("UPDATE shop_item SET note = 'n/a' WHERE note IS NULL".to_owned()),
        mysql: Some("UPDATE shop_item SET note = CONCAT('n/', 'a') WHERE note IS NULL;".to_owned()),
        ..RawSql::default()
    });
    let mut out = String::new();
    for dialect in [Dialect::MySql, Dialect::Postgres, Dialect::Sqlite] {
        out.push_str(&render(&before, std::slice::from_ref(&step), dialect).unwrap_or_default().join(";\n"));
        out.push_str(";\n");
    }
    let mut mismatches = Vec::new();
    check_golden("raw_sql", &out, &mut mismatches);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let missing = Op::Sql(RawSql { mysql: Some("SELECT 1".to_owned()), ..RawSql::default() });
    let err = render(&before, &[missing], Dialect::Postgres).err().unwrap_or_default();
    assert!(err.contains("no `postgres` statement"), "{err}");
}
