//! Migrations applied to real databases: SQLite always; MariaDB and
//! PostgreSQL when `TEST_MYSQL_URL` / `TEST_PG_URL` are set (each in a
//! scratch database). One scenario per dialect, in order: init, rows, a
//! second migration with declared renames and a SQLite rebuild, a failing
//! step and its re-run, downgrade back to the start, two concurrent
//! upgrade processes, and an edited applied file.

use keel::Table;
use keel::db::{Db, Dialect};
use keel::migrate::apply::Migrator;
use keel::migrate::file::{FORMAT, MigrationFile, MigrationSet};
use keel::migrate::op::{Op, RawSql};
use keel::migrate::snapshot::{Column, Snapshot};
use keel::migrate::{next_migration, write_migration};
use keel::{SqlType, TableSchema};
use keel_tests::{ScratchDb, temp_home};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[allow(dead_code)] // Only their schemas are used.
mod v1 {
    /// An item as the first migration knows it.
    #[keel::table(prefix = "tst", name = "item")]
    pub(crate) struct Item {
        #[column(primary)]
        pub(crate) id: Option<i64>,
        #[column(index, len = 16)]
        pub(crate) code: String,
        #[column(len = 40)]
        pub(crate) title: String,
        pub(crate) qty: i32,
        #[column(len = 50)]
        pub(crate) memo: Option<String>,
    }

    /// A table renamed in the second migration.
    #[keel::table(prefix = "tst", name = "label")]
    pub(crate) struct Label {
        #[column(primary)]
        pub(crate) id: Option<i64>,
        #[column(unique, len = 20)]
        pub(crate) name: String,
    }
}

#[allow(dead_code)]
mod v2 {
    /// `code` longer (SQLite: a rebuild keeping rows and the index),
    /// `title` renamed `label`, `memo` dropped, `note` added.
    #[keel::table(prefix = "tst", name = "item")]
    pub(crate) struct Item {
        #[column(primary)]
        pub(crate) id: Option<i64>,
        #[column(index, len = 32)]
        pub(crate) code: String,
        #[column(len = 40, renamed_from = "title")]
        pub(crate) label: String,
        pub(crate) qty: i32,
        pub(crate) note: Option<String>,
    }

    /// `tst_label`, renamed.
    #[keel::table(prefix = "tst", name = "tag", renamed_from = "tst_label")]
    pub(crate) struct Tag {
        #[column(primary)]
        pub(crate) id: Option<i64>,
        #[column(unique, len = 20)]
        pub(crate) name: String,
    }
}

fn models_v1() -> Vec<TableSchema> {
    vec![v1::Item::schema(), v1::Label::schema()]
}

fn models_v2() -> Vec<TableSchema> {
    vec![v2::Item::schema(), v2::Tag::schema()]
}

async fn connect(url: &str, home: &Path) -> Db {
    match Db::connect("default", &keel::config::BackendEntry::Url(url.to_owned()), home).await {
        Ok(db) => db,
        Err(err) => panic!("{url}: {err}"),
    }
}

fn load(dir: &Path) -> MigrationSet {
    match MigrationSet::load(dir) {
        Ok(set) => set,
        Err(err) => panic!("{err}"),
    }
}

fn migrate(dir: &Path, models: &[TableSchema], name: Option<&str>) -> PathBuf {
    let set = load(dir);
    let file = match next_migration(&set, models, name) {
        Ok(Some(file)) => file,
        Ok(None) => panic!("no changes found"),
        Err(err) => panic!("{err}"),
    };
    match write_migration(&set, &file) {
        Ok(path) => path,
        Err(err) => panic!("{err}"),
    }
}

async fn upgrade(db: &Db, dir: &Path) -> Result<Vec<String>, String> {
    let set = load(dir);
    Migrator { db, set: &set, service: "tst" }.upgrade(&|_| {}).await.map_err(|e| e.0)
}

async fn downgrade(db: &Db, dir: &Path, to: u32) -> Vec<String> {
    let set = load(dir);
    match (Migrator { db, set: &set, service: "tst" }).downgrade(to, &|_| {}).await {
        Ok(done) => done,
        Err(err) => panic!("downgrade to {to}: {err}"),
    }
}

async fn rows(db: &Db, sql: &str) -> Vec<Value> {
    match db.rbatis().exec_decode::<Vec<Value>>(sql, vec![]).await {
        Ok(rows) => rows,
        Err(err) => panic!("{sql}: {err}"),
    }
}

async fn exec(db: &Db, sql: &str) {
    if let Err(err) = db.rbatis().exec(sql, vec![]).await {
        panic!("{sql}: {err}");
    }
}

fn names(rows: &[Value]) -> Vec<String> {
    rows.iter().filter_map(|r| r["name"].as_str().map(str::to_owned)).collect()
}

async fn columns(db: &Db, table: &str) -> Vec<String> {
    let sql = match db.dialect() {
        Dialect::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
        Dialect::MySql => format!(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}' ORDER BY column_name"
        ),
        Dialect::Postgres => format!(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY column_name"
        ),
    };
    let mut found = names(&rows(db, &sql).await);
    found.sort();
    found
}

async fn indexes(db: &Db, table: &str) -> Vec<String> {
    let sql = match db.dialect() {
        Dialect::Sqlite => format!("SELECT name FROM pragma_index_list('{table}')"),
        Dialect::MySql => format!(
            "SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '{table}'"
        ),
        Dialect::Postgres => format!("SELECT indexname AS name FROM pg_indexes WHERE tablename = '{table}'"),
    };
    names(&rows(db, &sql).await)
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort();
    names
}

/// A third migration by hand: a column, then a unique index the rows
/// violate, so its second statement fails.
fn write_failing_migration(dir: &Path) {
    let set = load(dir);
    let mut snapshot: Snapshot = set.last_snapshot();
    let extra = Column {
        name: "extra".to_owned(),
        sql_type: SqlType::Integer,
        len: None,
        nullable: true,
        primary: false,
        unique: false,
        index: false,
        default: None,
    };
    if let Some(item) = snapshot.tables.iter_mut().find(|t| t.name == "tst_item") {
        item.columns.push(extra.clone());
    }
    let file = MigrationFile {
        keel_migration: FORMAT,
        version: 3,
        name: "unique_qty".to_owned(),
        upgrade: vec![
            Op::AddColumn { table: "tst_item".to_owned(), column: extra.clone() },
            Op::Sql(RawSql {
                any: Some("CREATE UNIQUE INDEX ux_tst_item_qty ON tst_item (qty)".to_owned()),
                ..RawSql::default()
            }),
        ],
        downgrade: vec![
            Op::Sql(RawSql {
                any: Some("DROP INDEX ux_tst_item_qty".to_owned()),
                mysql: Some("DROP INDEX ux_tst_item_qty ON tst_item".to_owned()),
                ..RawSql::default()
            }),
            Op::DropColumn { table: "tst_item".to_owned(), column: extra },
        ],
        snapshot,
    };
    if let Err(err) = write_migration(&set, &file) {
        panic!("{err}");
    }
}

async fn scenario(url: &str, tag: &str) {
    let home = temp_home(&format!("mig-{tag}"));
    let dir = home.join("migrations/tst");
    let db = connect(url, &home).await;

    // 1. The first migration, on an empty database.
    migrate(&dir, &models_v1(), Some("init"));
    assert_eq!(upgrade(&db, &dir).await, Ok(vec!["0001_init".to_owned()]));
    assert_eq!(upgrade(&db, &dir).await, Ok(vec![]), "a second upgrade has nothing to do");
    exec(&db, "INSERT INTO tst_item (code, title, qty, memo) VALUES ('a-1', 'Apple', 3, 'm1')").await;
    exec(&db, "INSERT INTO tst_item (code, title, qty, memo) VALUES ('b-2', 'Banana', 3, 'm2')").await;
    exec(&db, "INSERT INTO tst_label (name) VALUES ('fresh')").await;

    // 2. Renames keep data; the SQLite rebuild keeps rows and the index.
    let second = migrate(&dir, &models_v2(), None);
    assert!(second.ends_with("0002_update.json"), "{}", second.display());
    let set = load(&dir);
    assert!(matches!(next_migration(&set, &models_v2(), None), Ok(None)), "migrate twice: no changes");
    assert_eq!(upgrade(&db, &dir).await, Ok(vec!["0002_update".to_owned()]));
    assert_eq!(columns(&db, "tst_item").await, sorted(&["id", "code", "label", "qty", "note"]));
    let items = rows(&db, "SELECT code, label, qty FROM tst_item ORDER BY code").await;
    assert_eq!(items[0]["label"], "Apple", "{items:?}");
    assert_eq!(items[1]["label"], "Banana", "{items:?}");
    assert_eq!(items[1]["code"], "b-2", "{items:?}");
    assert!(indexes(&db, "tst_item").await.contains(&"ix_tst_item_code".to_owned()));
    assert_eq!(rows(&db, "SELECT name FROM tst_tag").await[0]["name"], "fresh");
    exec(&db, "UPDATE tst_item SET code = 'a-1-longer' WHERE code = 'a-1'").await;

    // 3. A failing statement leaves the recorded version where it was;
    //    after the cause is fixed, the re-run finishes (on MySQL it resumes
    //    at the failed statement: re-adding `extra` would fail).
    write_failing_migration(&dir);
    let err = upgrade(&db, &dir).await.err().unwrap_or_default();
    assert!(
        err.contains("0003_unique_qty failed at statement 2 of 2") && err.contains("ux_tst_item_qty"),
        "{err}"
    );
    let set = load(&dir);
    let status = match (Migrator { db: &db, set: &set, service: "tst" }).status().await {
        Ok(status) => status,
        Err(err) => panic!("{err}"),
    };
    assert_eq!(status.current, 2);
    if db.dialect() == Dialect::MySql {
        let partial = status.partial().map(|row| (row.state.clone(), row.steps_done));
        assert_eq!(partial, Some(("upgrading".to_owned(), 1)));
    } else {
        assert!(status.partial().is_none());
        assert!(!columns(&db, "tst_item").await.contains(&"extra".to_owned()), "rolled back");
    }
    exec(&db, "UPDATE tst_item SET qty = 4 WHERE code = 'b-2'").await;
    assert_eq!(upgrade(&db, &dir).await, Ok(vec!["0003_unique_qty".to_owned()]));
    assert!(columns(&db, "tst_item").await.contains(&"extra".to_owned()));

    // 4. Downgrade: back to the first schema, untouched columns intact.
    assert_eq!(downgrade(&db, &dir, 1).await, ["0003_unique_qty", "0002_update"]);
    assert_eq!(columns(&db, "tst_item").await, sorted(&["id", "code", "title", "qty", "memo"]));
    let items = rows(&db, "SELECT code, title, qty, memo FROM tst_item ORDER BY title").await;
    assert_eq!((items[0]["title"].as_str(), items[0]["qty"].as_i64()), (Some("Apple"), Some(3)), "{items:?}");
    assert_eq!(items[0]["code"], "a-1-longer", "{items:?}");
    assert_eq!(items[0]["memo"], Value::Null, "a dropped column comes back empty");
    assert_eq!(rows(&db, "SELECT name FROM tst_label").await[0]["name"], "fresh");
    assert!(indexes(&db, "tst_item").await.contains(&"ix_tst_item_code".to_owned()));
    assert_eq!(downgrade(&db, &dir, 0).await, ["0001_init"]);
    assert!(columns(&db, "tst_item").await.is_empty(), "every table dropped");

    // 5. Two upgrade processes at once: each migration applied once.
    let worker = env!("CARGO_BIN_EXE_migrate_worker");
    let spawn = || tokio::process::Command::new(worker).arg(url).arg(&dir).kill_on_drop(true).output();
    let (first, second) = tokio::join!(spawn(), spawn());
    let mut applied = Vec::new();
    for output in [first, second] {
        let output = match output {
            Ok(output) => output,
            Err(err) => panic!("migrate_worker: {err}"),
        };
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        applied.extend(String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned));
    }
    applied.sort();
    let labels: Vec<&str> = applied
        .iter()
        .filter_map(|l| l.strip_prefix("applied "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert_eq!(labels, ["0001_init", "0002_update", "0003_unique_qty"], "{applied:?}");
    let recorded =
        rows(&db, "SELECT version FROM keel_migration WHERE service = 'tst' ORDER BY version").await;
    assert_eq!(recorded.len(), 3, "{recorded:?}");

    // 6. An applied file that changed is refused, naming it and both checksums.
    let first_file = dir.join("0001_init.json");
    let text = std::fs::read_to_string(&first_file).unwrap_or_default();
    if let Err(err) = std::fs::write(&first_file, format!("{text}\n")) {
        panic!("{err}");
    }
    let err = upgrade(&db, &dir).await.err().unwrap_or_default();
    assert!(
        err.contains("0001_init.json was edited after it was applied")
            && err.matches("checksum").count() == 1,
        "{err}"
    );
    let set = load(&dir);
    assert!(err.contains(&set.migrations[0].checksum), "{err}");
}

/// manage_system's own migrations on a database holding rows written
/// while times were RFC 3339 text: `0005_native_times` makes them the
/// database's time type without losing or shifting a row; they read back
/// as the same instants, compare as times, and a downgrade gives the text
/// back as it was.
async fn native_times(url: &str, tag: &str) {
    use keel::db::Filter;
    use keel::time::DateTime;
    use keel_common::model_db::Stamps;
    use manage_system::db_model::main::Account;

    let home = temp_home(&format!("mig-times-{tag}"));
    let dir = home.join("migrations/manage_system");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/manage_system");
    let copy = |name: &str| {
        if let Err(err) =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::copy(shipped.join(name), dir.join(name)))
        {
            panic!("{name}: {err}");
        }
    };
    let db = connect(url, &home).await;
    let upgrade = |dir: PathBuf| {
        let db = &db;
        async move {
            let set = load(&dir);
            match (Migrator { db, set: &set, service: "manage_system" }).upgrade(&|_| {}).await {
                Ok(done) => done,
                Err(err) => panic!("{err}"),
            }
        }
    };
    for name in ["0001_init.json", "0002_sessions.json", "0003_scripts.json", "0004_roles.json"] {
        copy(name);
    }
    assert_eq!(upgrade(dir.clone()).await.len(), 4);
    // Rows as the text-times binary wrote them.
    exec(
        &db,
        "INSERT INTO sys_account (username, password_hash, status, created_at, updated_at) \
               VALUES ('old', 'h', 1, '2026-11-25T10:00:00Z', NULL)",
    )
    .await;
    exec(
        &db,
        "INSERT INTO sys_account (username, password_hash, status, created_at, updated_at) \
               VALUES ('older', 'h', 1, '1999-12-31T23:59:59Z', '2000-01-01T00:00:01Z')",
    )
    .await;
    exec(
        &db,
        "INSERT INTO sys_records_login (account_id, username, ip, success, created_at) \
               VALUES (1, 'old', '127.0.0.1', TRUE, '2026-11-25T10:00:00Z')",
    )
    .await;

    // Every pooled connection reads the schema before the migration
    // rebuilds tables (SQLite) through one of them.
    let all = Filter::<Account>::new().order_by(Account::ID);
    let read_all = || futures_util::future::join_all((0..8).map(|_| db.select(&all)));
    for read in read_all().await {
        assert_eq!(read.map(|rows| rows.len()).ok(), Some(2), "text times read before the migration");
    }
    copy("0005_native_times.json");
    assert_eq!(upgrade(dir.clone()).await, ["0005_native_times"]);
    let column_type = match db.dialect() {
        Dialect::MySql => {
            "SELECT CAST(column_type AS CHAR(64)) AS t FROM information_schema.columns \
                           WHERE table_schema = DATABASE() AND table_name = 'sys_account' AND column_name = 'created_at'"
        }
        Dialect::Postgres => {
            "SELECT data_type AS t FROM information_schema.columns \
                              WHERE table_name = 'sys_account' AND column_name = 'created_at'"
        }
        Dialect::Sqlite => "SELECT type AS t FROM pragma_table_info('sys_account') WHERE name = 'created_at'",
    };
    let expected = match db.dialect() {
        Dialect::MySql => "datetime(6)",
        Dialect::Postgres => "timestamp with time zone",
        Dialect::Sqlite => "TEXT",
    };
    assert_eq!(rows(&db, column_type).await[0]["t"].as_str(), Some(expected));
    // The instant, as the database itself counts it (no zone involved).
    let seconds = match db.dialect() {
        Dialect::MySql => {
            "SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', created_at) AS s FROM sys_account ORDER BY id"
        }
        Dialect::Postgres => {
            "SELECT CAST(EXTRACT(EPOCH FROM created_at) AS BIGINT) AS s FROM sys_account ORDER BY id"
        }
        Dialect::Sqlite => {
            "SELECT CAST(strftime('%s', created_at) AS INTEGER) AS s FROM sys_account ORDER BY id"
        }
    };
    let seconds: Vec<Option<i64>> = rows(&db, seconds).await.iter().map(|r| r["s"].as_i64()).collect();
    assert_eq!(seconds, [Some(1_795_600_800), Some(946_684_799)]);

    let at = |text: &str| match serde_json::from_value::<DateTime>(Value::String(text.to_owned())) {
        Ok(at) => at,
        Err(err) => panic!("{err}"),
    };
    let mut reads = read_all().await.into_iter();
    let accounts = match reads.next() {
        Some(Ok(rows)) => rows,
        other => panic!("{other:?}"),
    };
    let stamps: Vec<Stamps> = accounts.iter().map(|a| a.stamps).collect();
    for read in reads {
        let read = read.map(|rows| rows.iter().map(|a| a.stamps).collect::<Vec<_>>());
        assert_eq!(read.ok().as_ref(), Some(&stamps), "every pooled connection reads the new shape");
    }
    assert_eq!(
        stamps,
        [
            Stamps { created_at: Some(at("2026-11-25T10:00:00Z")), updated_at: None },
            Stamps {
                created_at: Some(at("1999-12-31T23:59:59Z")),
                updated_at: Some(at("2000-01-01T00:00:01Z"))
            },
        ]
    );
    // New rows are native times too, and filters compare times, not text.
    let mut new = accounts[0].clone();
    (new.id, new.username) = (None, "new".to_owned());
    new.stamps.created_at = Some(at("2030-01-02T03:04:05+02:00"));
    if let Err(err) = db.insert(&new).await {
        panic!("{err}");
    }
    let since =
        Filter::<Account>::new().gt(Stamps::CREATED_AT, at("2000-01-01T00:00:00Z")).order_by(Account::ID);
    let names: Vec<String> = match db.select(&since).await {
        Ok(rows) => rows.into_iter().map(|a| a.username).collect(),
        Err(err) => panic!("{err}"),
    };
    assert_eq!(names, ["old", "new"]);

    // Downgrade: the text comes back as the text-times binary reads it.
    let set = load(&dir);
    if let Err(err) = (Migrator { db: &db, set: &set, service: "manage_system" }).downgrade(4, &|_| {}).await
    {
        panic!("{err}");
    }
    let texts = rows(&db, "SELECT created_at, updated_at FROM sys_account ORDER BY id").await;
    let texts: Vec<(Option<&str>, Option<&str>)> =
        texts.iter().map(|r| (r["created_at"].as_str(), r["updated_at"].as_str())).collect();
    assert_eq!(
        texts,
        [
            (Some("2026-11-25T10:00:00Z"), None),
            (Some("1999-12-31T23:59:59Z"), Some("2000-01-01T00:00:01Z")),
            (Some("2030-01-02T01:04:05Z"), None),
        ]
    );
    let logins = rows(&db, "SELECT created_at FROM sys_records_login").await;
    assert_eq!(logins[0]["created_at"].as_str(), Some("2026-11-25T10:00:00Z"));
}

#[tokio::test]
async fn migrations_on_sqlite() {
    let home = temp_home("mig-sqlite-db");
    let url = format!("sqlite://{}", home.join("data/tst.db").display());
    scenario(&url, "sqlite").await;
    native_times(&url, "sqlite").await;
}

async fn on_server(variable: &str, tag: &str) {
    let Ok(base) = std::env::var(variable) else {
        eprintln!("skipped: {variable} is not set");
        return;
    };
    let scratch = ScratchDb::create(&base, &format!("mig_{tag}")).await;
    scenario(&scratch.url, tag).await;
    native_times(&scratch.url, tag).await;
    scratch.drop().await;
}

#[tokio::test]
async fn migrations_on_mariadb() {
    on_server("TEST_MYSQL_URL", "mysql").await;
}

#[tokio::test]
async fn migrations_on_postgres() {
    on_server("TEST_PG_URL", "pg").await;
}

#[keel::service(name = "drift", id = 90, port = 8090, prefix = "tst", version = "1.00.00")]
struct DriftConf;

/// A model changed without a migration stops boot with one line naming the
/// last migration and the command; once `db migrate` wrote the next one
/// (and it is applied at boot, as the embedded SQLite is), it boots.
#[tokio::test]
async fn models_changed_without_a_migration_stop_boot_until_migrated() {
    let home = temp_home("drift");
    let dir = home.join("migrations/drift");
    migrate(&dir, &models_v1(), Some("init"));
    let app = || {
        keel::App::new(keel::UriRouter::new(<DriftConf as keel::Service>::INFO))
            .models(models_v2)
            .migrations(&dir)
            .home(home.path())
    };
    let refused = keel::testing::TestClient::boot(app()).await.map(drop).expect_err("drifted models boot");
    let line = refused.to_string();
    assert!(
        line.contains("models of drift differ from 0001_init (")
            && line.contains("add_column tst_item.note")
            && line.ends_with("): run `drift db migrate`"),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1, "{line}");
    migrate(&dir, &models_v2(), None);
    if let Err(err) = keel::testing::TestClient::boot(app()).await {
        panic!("after db migrate: {err}");
    }
}

/// Tables on two databases: `db migrate/upgrade` act on one database at a
/// time (`--database stats` for `two_hit`), boot migrates and checks both,
/// and each table is read through its own database — the other refuses it,
/// naming the one to use. A database the configuration lacks stops boot.
#[tokio::test]
async fn tables_on_a_named_database_have_their_own_migrations_and_handle() {
    use keel::config::{BackendEntry, Config};
    use keel_tests::twodb::{Hit, Note};
    let home = temp_home("twodb");
    let main_db = format!("sqlite://{}", home.join("data/main.db").display());
    let stats_db = format!("sqlite://{}", home.join("data/stats.db").display());
    let db = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_service_twodb"))
            .arg("db")
            .args(args)
            .env("KEEL_HOME", home.path())
            .env("KEEL_DATABASE__DEFAULT", &main_db)
            .env("KEEL_DATABASE__STATS", &stats_db)
            .output()
            .unwrap_or_else(|err| panic!("service_twodb: {err}"));
        let text =
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.success(), text)
    };
    let (ok, out) = db(&["migrate", "--name", "init"]);
    assert!(ok && out.contains("create_table two_note") && !out.contains("two_hit"), "{out}");
    let (ok, out) = db(&["migrate", "--database", "stats", "--name", "init"]);
    assert!(ok && out.contains("create_table two_hit") && !out.contains("two_note"), "{out}");
    assert!(home.join("migrations/twodb/stats/0001_init.json").is_file());
    let (ok, out) = db(&["upgrade", "--database", "stats"]);
    assert!(ok && out.contains("applied 0001_init"), "{out}");
    let (ok, out) = db(&["upgrade"]);
    assert!(ok && out.contains("applied 0001_init"), "{out}");
    let (ok, out) = db(&["--database", "stats", "heads"]);
    assert!(ok && out.contains("database `stats` is up to date (0001_init)"), "{out}");
    let (ok, out) = db(&["migrate", "--database", "audit"]);
    assert!(!ok && out.contains("database `audit` has no tables"), "{out}");

    let mut config = Config::default();
    config.database.insert("default".to_owned(), BackendEntry::Url(main_db.clone()));
    let app = |config: Config| {
        keel::testing::TestClient::boot(keel_tests::twodb::app().home(home.path()).config(config))
    };
    let Err(refused) = app(config.clone()).await.map(drop) else { panic!("booted without database.stats") };
    assert!(refused.to_string().contains("table `two_hit` lives on database `stats`, which the configuration does not name: set database.stats"), "{refused}");

    config.database.insert("stats".to_owned(), BackendEntry::Url(stats_db.clone()));
    let client = app(config).await.unwrap_or_else(|err| panic!("boot: {err}"));
    let state = client.state();
    use keel::Backends;
    let stats = state.db_named("stats").unwrap_or_else(|err| panic!("{err}"));
    let main = state.db().unwrap_or_else(|err| panic!("{err}"));
    let hit = Hit { id: None, page: "/home".to_owned() };
    let id = stats.insert(&hit).await.unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(stats.get::<Hit>(id).await.ok().flatten().map(|h| h.page), Some("/home".to_owned()));
    let misplaced = main.insert(&hit).await.map(drop).expect_err("two_hit is not on default");
    assert!(misplaced.to_string().contains("ctx.db_named(\"stats\")"), "{misplaced}");
    assert!(stats.count(&keel::db::Filter::<Note>::new()).await.is_err());
    let note = main.insert(&Note { id: None, body: "hi".to_owned() }).await;
    assert!(note.is_ok(), "{note:?}");
    keel::testing::assert_migrations_match(
        &keel_tests::twodb::app().migrations(home.join("migrations/twodb")),
    );
}
