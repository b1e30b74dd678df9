//! The typed row operations on real databases: SQLite always, MariaDB and
//! PostgreSQL when `TEST_MYSQL_URL` / `TEST_PG_URL` are set (each in a
//! scratch database). One scenario per dialect: every operation, filters
//! (eq/ne/lt/gt/in/or/null/contains/starts_with, times), order and limits,
//! transactions committed and rolled back (by an error, a panic, a drop),
//! the read-through cache kept fresh by filtered writes, and the escape
//! hatch for hand-written SQL.

use keel::Table;
use keel::db::{Db, DbError, Filter, Paging, Set};
use keel::migrate::render::create_table;
use keel::migrate::snapshot::TableDef;
use keel::time::DateTime;
use keel_tests::{ScratchDb, eventually, temp_home};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(keel::BaseEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    #[base_enum(value = 1, label = "low")]
    Low,
    #[base_enum(value = 2, label = "high")]
    High,
}

/// A column set, flattened into the table: its constants filter the table.
#[keel::columns]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Times {
    created_at: Option<DateTime>,
}

#[keel::table(prefix = "tst", name = "row_item", cache_ttl = 30)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Item {
    #[column(primary)]
    id: Option<i64>,
    #[column(len = 40)]
    name: String,
    qty: i32,
    #[column(len = 40)]
    note: Option<String>,
    #[column(default = "1")]
    level: Level,
    #[column(flatten)]
    times: Times,
}

fn item(name: &str, qty: i32, note: Option<&str>, level: Level, day: u8) -> Item {
    let at = time::Date::from_calendar_date(2026, time::Month::March, day)
        .map(|d| d.midnight().assume_utc())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Item {
        id: None,
        name: name.to_owned(),
        qty,
        note: note.map(str::to_owned),
        level,
        times: Times { created_at: Some(DateTime(at)) },
    }
}

fn names(rows: &[Item]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

#[track_caller]
fn ok<T>(result: Result<T, DbError>) -> T {
    result.unwrap_or_else(|err| panic!("{err}"))
}

async fn scenario(url: &str, tag: &str) {
    let home = temp_home(tag);
    let entry = keel::config::BackendEntry::Url(url.to_owned());
    let db =
        ok(Db::connect("default", &entry, &home).await).with_cache(keel::cache::Cache::memory("default"));
    for statement in create_table(db.dialect(), &TableDef::from_schema(&Item::schema())) {
        ok(db.sql::<Item>(&statement).exec().await);
    }
    assert_eq!(<Item as Table>::CACHE_TTL, Some(30));

    // insert_many: one transaction, keys in order.
    let ids = ok(db
        .insert_many(&[
            item("apple", 3, None, Level::Low, 1),
            item("banana", 7, Some("50% off"), Level::High, 2),
            item("cherry", 1, Some("ripe_now"), Level::Low, 3),
            item("date", 9, None, Level::High, 4),
        ])
        .await);
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let elder = ok(db.insert(&item("elderberry", 5, Some("x"), Level::Low, 5)).await);

    // get, get_many, first, exists, count.
    let apple = ok(db.get::<Item>(ids[0]).await).unwrap_or_else(|| panic!("apple"));
    assert_eq!((apple.name.as_str(), apple.level, apple.note.as_deref()), ("apple", Level::Low, None));
    assert_eq!(apple.times, item("apple", 3, None, Level::Low, 1).times, "times read back unshifted");
    assert_eq!(ok(db.get::<Item>(elder + 1000).await), None);
    let many = ok(db.get_many::<Item>(&[ids[1], ids[3], elder + 1000]).await);
    assert_eq!(names(&many), ["date", "banana"]);
    assert!(ok(db.get_many::<Item>(&[]).await).is_empty());
    let first = ok(db.first(&Filter::new().eq(Item::LEVEL, Level::High).order_by(Item::NAME)).await);
    assert_eq!(first.map(|r| r.name), Some("banana".to_owned()));
    assert!(ok(db.exists(&Filter::new().eq(Item::NAME, "cherry")).await));
    assert!(!ok(db.exists(&Filter::new().eq(Item::NAME, "fig")).await));
    assert_eq!(ok(db.count(&Filter::<Item>::new()).await), 5);

    // Filters, order, limits.
    let select = |filter: Filter<Item>| {
        let db = db.clone();
        async move { ok(db.select(&filter.order_by(Item::NAME)).await) }
    };
    assert_eq!(names(&select(Filter::new().ne(Item::LEVEL, Level::Low)).await), ["banana", "date"]);
    assert_eq!(
        names(&select(Filter::new().gt(Item::QTY, 3).lt(Item::QTY, 9)).await),
        ["banana", "elderberry"]
    );
    assert_eq!(names(&select(Filter::new().is_in(Item::QTY, [1, 9])).await), ["cherry", "date"]);
    assert!(select(Filter::new().is_in(Item::QTY, Vec::<i32>::new())).await.is_empty());
    let either =
        Filter::new().eq(Item::NAME, "apple").or(Filter::new().eq(Item::QTY, 9).eq(Item::LEVEL, Level::High));
    assert_eq!(names(&select(either.clone()).await), ["apple", "date"]);
    assert_eq!(names(&select(either.ne(Item::NAME, "date")).await), ["apple"]);
    assert_eq!(names(&select(Filter::new().is_null(Item::NOTE)).await), ["apple", "date"]);
    assert_eq!(names(&select(Filter::new().not_null(Item::NOTE)).await), ["banana", "cherry", "elderberry"]);
    // `%` and `_` are literal; case does not matter.
    assert_eq!(names(&select(Filter::new().contains_ci(Item::NOTE, "50%")).await), ["banana"]);
    assert_eq!(names(&select(Filter::new().contains_ci(Item::NOTE, "E_N")).await), ["cherry"]);
    assert!(select(Filter::new().contains_ci(Item::NOTE, "e%n")).await.is_empty());
    assert_eq!(names(&select(Filter::new().contains_ci(Item::NAME, "ELDER")).await), ["elderberry"]);
    assert_eq!(names(&select(Filter::new().starts_with(Item::NAME, "ba")).await), ["banana"]);
    // Times compare as times.
    let march_3 = item("", 0, None, Level::Low, 3).times.created_at;
    let since = select(Filter::new().ge(Times::CREATED_AT, march_3.unwrap_or(DateTime::now()))).await;
    assert_eq!(names(&since), ["cherry", "date", "elderberry"]);
    // Several orders, limit and offset; the default order is newest first.
    let ordered =
        ok(db.select(&Filter::new().order_by(Item::LEVEL).order_by_desc(Item::QTY).limit(3).offset(1)).await);
    assert_eq!(names(&ordered), ["apple", "cherry", "date"]);
    let newest = ok(db.select(&Filter::<Item>::new().limit(2)).await);
    assert_eq!(names(&newest), ["elderberry", "date"]);
    let (page, total) = ok(db.page(&Filter::new().order_by(Item::NAME), Paging { page: 2, size: 2 }).await);
    assert_eq!((names(&page), total), (vec!["cherry", "date"], 5));

    // Writes keep the read-through cache fresh.
    assert_eq!(ok(db.get_cached::<Item>(ids[0]).await).map(|r| r.qty), Some(3));
    assert_eq!(
        ok(db.update_where(&Filter::new().eq(Item::LEVEL, Level::Low), &Set::new().set(Item::QTY, 10)).await),
        3
    );
    assert_eq!(ok(db.get_cached::<Item>(ids[0]).await).map(|r| r.qty), Some(10));
    let set_note = Set::new().set(Item::NOTE, "noted").set(Item::LEVEL, Level::High);
    assert_eq!(ok(db.update_where(&Filter::new().eq(Item::NAME, "apple"), &set_note).await), 1);
    let cleared =
        ok(db.update_where(&Filter::new().eq(Item::NAME, "apple"), &Set::new().set_null(Item::NOTE)).await);
    assert_eq!(cleared, 1);
    let mut date = ok(db.get::<Item>(ids[3]).await).unwrap_or_else(|| panic!("date"));
    date.qty = 99;
    assert_eq!(ok(db.update(ids[3], &date).await), 1);
    assert_eq!(ok(db.get_cached::<Item>(ids[3]).await).map(|r| r.qty), Some(99));
    assert_eq!(ok(db.delete_where(&Filter::new().eq(Item::NAME, "cherry")).await), 1);
    assert_eq!(ok(db.get_cached::<Item>(ids[2]).await), None);
    assert_eq!(ok(db.delete::<Item>(elder).await), 1);
    assert_eq!(ok(db.count(&Filter::<Item>::new()).await), 3);

    // A hand-written statement takes the table's name from the model.
    let bumped =
        ok(db.sql::<Item>("UPDATE {table} SET qty = qty + ? WHERE id = ?").bind(1).bind(ids[0]).exec().await);
    assert_eq!(bumped, 1);
    db.invalidate::<Item>(ids[0]).await;
    #[derive(Deserialize)]
    struct Qty {
        qty: i32,
    }
    let rows: Vec<Qty> =
        ok(db.sql::<Item>("SELECT qty FROM {table} WHERE name <> ?").bind_text("x").fetch().await);
    assert_eq!(rows.iter().map(|r| r.qty).sum::<i32>(), 11 + 7 + 99);

    // Transactions: committed, rolled back by an error, by a drop, by a panic.
    let tx = ok(db.begin().await);
    let fig = ok(tx.insert(&item("fig", 1, None, Level::Low, 6)).await);
    ok(tx.update_where(&Filter::new().eq(Item::ID, ids[0]), &Set::new().set(Item::QTY, 42)).await);
    assert_eq!(ok(tx.count(&Filter::<Item>::new()).await), 4, "the transaction sees its own insert");
    ok(tx.commit().await);
    assert_eq!(ok(db.get_cached::<Item>(ids[0]).await).map(|r| r.qty), Some(42), "cache dropped at commit");
    assert!(ok(db.get::<Item>(fig).await).is_some());

    async fn fails_halfway(db: &Db) -> Result<(), DbError> {
        let tx = db.begin().await?;
        tx.insert(&item("grape", 1, None, Level::Low, 7)).await?;
        tx.delete_where(&Filter::<Item>::new()).await?;
        Err(DbError::Other("a later step failed".to_owned()))
    }
    assert!(fails_halfway(&db).await.is_err());
    let all = |db: Db| async move { ok(db.count(&Filter::<Item>::new()).await) };
    eventually(Duration::from_secs(5), "rollback after an error", || all(db.clone()).then_is(4)).await;

    let tx = ok(db.begin().await);
    ok(tx.delete::<Item>(fig).await);
    drop(tx);
    eventually(Duration::from_secs(5), "rollback after a drop", || all(db.clone()).then_is(4)).await;

    let panicking = db.clone();
    let task = tokio::spawn(async move {
        let tx = ok(panicking.begin().await);
        ok(tx.insert(&item("kiwi", 1, None, Level::Low, 8)).await);
        panic!("a handler panicked inside its transaction");
    });
    assert!(task.await.is_err());
    eventually(Duration::from_secs(5), "rollback after a panic", || all(db.clone()).then_is(4)).await;
    assert!(!ok(db.exists(&Filter::new().eq(Item::NAME, "kiwi")).await));

    let tx = ok(db.begin().await);
    ok(tx.insert(&item("lime", 1, None, Level::Low, 9)).await);
    ok(tx.rollback().await);
    assert_eq!(ok(db.count(&Filter::<Item>::new()).await), 4);
    // The connections went back to the pool usable (no transaction left open).
    let after = ok(db.insert(&item("mango", 2, None, Level::High, 10)).await);
    assert!(ok(db.get::<Item>(after).await).is_some());
}

/// Awaits a count and compares it.
trait ThenIs {
    fn then_is(self, expected: u64) -> impl std::future::Future<Output = bool>;
}

impl<F: std::future::Future<Output = u64>> ThenIs for F {
    async fn then_is(self, expected: u64) -> bool {
        self.await == expected
    }
}

#[tokio::test]
async fn rows_on_sqlite() {
    let home = temp_home("rows-sqlite");
    scenario(&format!("sqlite://{}", home.join("rows.db").display()), "rows_sqlite").await;
}

async fn on_server(variable: &str, tag: &str) {
    let Ok(base) = std::env::var(variable) else { return };
    let scratch = ScratchDb::create(&base, tag).await;
    scenario(&scratch.url, tag).await;
    scratch.drop().await;
}

#[tokio::test]
async fn rows_on_mariadb() {
    on_server("TEST_MYSQL_URL", "rows_mysql").await;
}

#[tokio::test]
async fn rows_on_postgres() {
    on_server("TEST_PG_URL", "rows_pg").await;
}
