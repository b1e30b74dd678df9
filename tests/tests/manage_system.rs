//! manage_system's HTTP contract (the HTTP contract in the README) on a real database: SQLite
//! always; MariaDB and PostgreSQL when `TEST_MYSQL_URL` / `TEST_PG_URL` are
//! set (then a failed connection fails the test). Each run works in its own
//! SQLite file or its own database, dropped afterwards.

use keel::config::{BackendEntry, BackendTable, Config};
use keel_tests::freeze_proxy::{FreezeProxy, upstream_of};
use keel_tests::ms::{MIGRATIONS, call, remember, sign_in, upgrading, with_keeper};
use keel_tests::{Reply, ScratchDb};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;

/// Asserts the envelope's status and code; returns the JSON.
fn expect(reply: &Reply, status: u16, code: u64) -> Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["code"], code, "{json}");
    json
}

fn temp_home(tag: &str) -> keel::testing::TempHome {
    keel_tests::temp_home(&format!("ms-{tag}"))
}

fn app() -> keel::App<keel::kind::HttpOnly> {
    manage_system::uri_router::app().migrations(MIGRATIONS)
}

async fn boot(home: &Path, database: Option<&str>) -> SocketAddr {
    let mut config = Config::default();
    if let Some(url) = database {
        config.database.insert("default".to_owned(), upgrading(url));
    }
    let addr = keel_tests::serve(app().home(home).config(with_keeper(config))).await;
    sign_in(addr).await;
    addr
}

/// The whole contract, on whatever database the service was booted with.
async fn exercise(addr: SocketAddr) {
    // Create: 201, the account without any password field.
    let reply = call(
        addr,
        "POST",
        "/v1.00.02/account",
        Some(r#"{"username":"ann","password":"secret-1","display_name":"Ann"}"#),
    )
    .await;
    let ann = expect(&reply, 201, 0)["data"].clone();
    assert_eq!(ann["username"], "ann");
    assert_eq!(ann["status"], 1);
    assert!(ann.get("password").is_none() && ann.get("password_hash").is_none(), "{ann}");
    let created = ann["created_at"].as_str().unwrap_or_default().to_owned();
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    let ann_id = ann["id"].as_i64().unwrap_or_default();
    assert!(ann_id > 0);

    // All of Unicode round-trips, on every database (MySQL tables are
    // utf8mb4 whatever the database's default).
    let wide = "测试 🙂 Zoë — Ωμέγα";
    let body = serde_json::json!({"display_name": wide}).to_string();
    let path = format!("/v1.00.02/account/{ann_id}");
    expect(&call(addr, "PUT", &path, Some(&body)).await, 200, 0);
    assert_eq!(expect(&call(addr, "GET", &path, None).await, 200, 0)["data"]["display_name"], wide);
    let body = serde_json::json!({"display_name": "Ann"}).to_string();
    expect(&call(addr, "PUT", &path, Some(&body)).await, 200, 0);

    // Taken username: 409. Bad input: 400 naming the field.
    expect(
        &call(addr, "POST", "/v1.00.02/account", Some(r#"{"username":"ann","password":"secret-2"}"#)).await,
        409,
        40900,
    );
    let bad = expect(
        &call(
            addr,
            "POST",
            "/v1.00.02/account",
            Some(r#"{"username":"bob","password":"secret-2","status":7}"#),
        )
        .await,
        400,
        40001,
    );
    assert_eq!(bad["data"]["errors"][0]["field"], "status");
    assert!(
        bad["data"]["errors"][0]["msg"].as_str().unwrap_or_default().contains("1 (active), 0 (disabled)"),
        "{bad}"
    );
    let bad = expect(
        &call(addr, "POST", "/v1.00.02/account", Some(r#"{"username":"b","password":"short"}"#)).await,
        400,
        40001,
    );
    let fields: Vec<&str> =
        bad["data"]["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["username", "password"]);

    // Stored lower-case: `Zed.Admin` is listed as `zed.admin`.
    for (name, status) in [("ab_cd", 1), ("abXcd", 1), ("Zed.Admin", 0)] {
        let body = format!(r#"{{"username":"{name}","password":"secret-3","status":{status}}}"#);
        expect(&call(addr, "POST", "/v1.00.02/account", Some(&body)).await, 201, 0);
    }

    // Paging and filters.
    let page = expect(&call(addr, "GET", "/v1.00.02/account?page=1&size=2", None).await, 200, 0);
    assert_eq!(page["data"]["total"], 5, "four accounts and the keeper");
    assert_eq!(page["data"]["list"].as_array().map(Vec::len), Some(2));
    assert_eq!((page["data"]["page"].as_u64(), page["data"]["size"].as_u64()), (Some(1), Some(2)));
    let last = expect(&call(addr, "GET", "/v1.00.02/account?page=2&size=3", None).await, 200, 0);
    assert_eq!(last["data"]["list"].as_array().map(Vec::len), Some(2));
    let names = |json: &Value| -> Vec<String> {
        json["data"]["list"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["username"].as_str().map(str::to_owned))
            .collect()
    };
    // Case-insensitive substring; `_` and `%` are literal, quotes inert.
    assert_eq!(
        names(&expect(&call(addr, "GET", "/v1.00.02/account?username=B_C", None).await, 200, 0)),
        ["ab_cd"]
    );
    assert_eq!(
        names(&expect(&call(addr, "GET", "/v1.00.02/account?username=%25", None).await, 200, 0)),
        Vec::<String>::new()
    );
    let injection = "/v1.00.02/account?username=%27%20OR%20%271%27%3D%271";
    assert_eq!(expect(&call(addr, "GET", injection, None).await, 200, 0)["data"]["total"], 0);
    assert_eq!(
        names(&expect(&call(addr, "GET", "/v1.00.02/account?username=ADMIN", None).await, 200, 0)),
        ["zed.admin"]
    );
    assert_eq!(
        expect(&call(addr, "GET", "/v1.00.02/account?status=0", None).await, 200, 0)["data"]["total"],
        1
    );
    let bad = expect(&call(addr, "GET", "/v1.00.02/account?size=101", None).await, 400, 40001);
    assert_eq!(bad["data"]["errors"][0]["field"], "size");
    let bad = expect(&call(addr, "GET", "/v1.00.02/account?page=0", None).await, 400, 40001);
    assert_eq!(bad["data"]["errors"][0]["field"], "page");
    let bad = expect(&call(addr, "GET", "/v1.00.02/account?status=9", None).await, 400, 40001);
    assert_eq!(bad["data"]["errors"][0]["field"], "status");
    let future = "/v1.00.02/account?created_from=2999-01-01T00:00:00Z";
    assert_eq!(expect(&call(addr, "GET", future, None).await, 200, 0)["data"]["total"], 0);
    let past = format!("/v1.00.02/account?created_from=2000-01-01T00:00:00Z&created_to={created}");
    assert!(expect(&call(addr, "GET", &past, None).await, 200, 0)["data"]["total"].as_u64() >= Some(1));

    // One account; update.
    let one = expect(&call(addr, "GET", &format!("/v1.00.02/account/{ann_id}"), None).await, 200, 0);
    assert_eq!(one["data"]["display_name"], "Ann");
    expect(&call(addr, "GET", "/v1.00.02/account/999999", None).await, 404, 40400);
    let put = format!("/v1.00.02/account/{ann_id}");
    let updated = expect(&call(addr, "PUT", &put, Some(r#"{"display_name":"Ann B."}"#)).await, 200, 0);
    assert_eq!(
        (updated["data"]["display_name"].as_str(), updated["data"]["status"].as_i64()),
        (Some("Ann B."), Some(1))
    );
    expect(&call(addr, "PUT", "/v1.00.02/account/999999", Some(r#"{"status":0}"#)).await, 404, 40400);

    // Login: success, wrong password and unknown user alike, all recorded.
    let ok = expect(
        &call(addr, "POST", "/v1.00.02/login", Some(r#"{"username":"ann","password":"secret-1"}"#)).await,
        200,
        0,
    );
    assert_eq!(ok["data"]["account"]["id"], ann_id);
    assert_eq!(ok["data"]["token"].as_str().map(str::len), Some(64), "{ok}");
    assert_eq!(ok["data"]["expires_in"], 86_400);
    let wrong = expect(
        &call(addr, "POST", "/v1.00.02/login", Some(r#"{"username":"ann","password":"nope-nope"}"#)).await,
        401,
        40100,
    );
    let unknown = expect(
        &call(addr, "POST", "/v1.00.02/login", Some(r#"{"username":"ghost","password":"nope-nope"}"#)).await,
        401,
        40100,
    );
    assert_eq!(wrong["msg"], unknown["msg"]);
    // A disabled account cannot log in, even with its password: 403.
    expect(&call(addr, "PUT", &put, Some(r#"{"status":0}"#)).await, 200, 0);
    expect(
        &call(addr, "POST", "/v1.00.02/login", Some(r#"{"username":"ann","password":"secret-1"}"#)).await,
        403,
        40300,
    );

    let records = expect(
        &call(addr, "GET", &format!("/v1.00.02/records/login?account_id={ann_id}"), None).await,
        200,
        0,
    );
    assert_eq!(records["data"]["total"], 3);
    let record = &records["data"]["list"][0];
    assert_eq!((record["ip"].as_str(), record["success"].as_bool()), (Some("127.0.0.1"), Some(false)));
    let good = expect(
        &call(addr, "GET", &format!("/v1.00.02/records/login?account_id={ann_id}&success=true"), None).await,
        200,
        0,
    );
    assert_eq!(good["data"]["total"], 1);
    let all_failed = expect(&call(addr, "GET", "/v1.00.02/records/login?success=false", None).await, 200, 0);
    assert_eq!(all_failed["data"]["total"], 3);
}

/// Without `auto_upgrade`, a database behind the migrations stops boot
/// with one line naming the database, where it is and the fix.
async fn boot_is_refused_while_behind(home: &Path, url: &str) {
    let mut config = Config::default();
    config.database.insert("default".to_owned(), BackendEntry::Url(url.to_owned()));
    let Err(err) = app().home(home).config(config).bind("127.0.0.1:0").await else {
        panic!("booted against a database with no migration applied");
    };
    let err = err.to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "database `default` is behind its migrations (at no migration, the code needs 0005_native_times)"
        ) && err.contains("db upgrade")
            && err.contains("auto_upgrade"),
        "{err}"
    );
}

#[tokio::test]
async fn boot_refuses_a_database_behind_unless_auto_upgrade() {
    let home = temp_home("behind");
    boot_is_refused_while_behind(&home, "sqlite://data/behind.db").await;
    let addr = boot(&home, Some("sqlite://data/behind.db")).await;
    expect(&call(addr, "GET", "/v1.00.02/account", None).await, 200, 0);
}

#[tokio::test]
async fn the_contract_holds_on_embedded_sqlite() {
    let home = temp_home("sqlite");
    let addr = boot(&home, None).await;
    exercise(addr).await;
    assert!(home.join("data/manage_system.db").exists());
}

async fn on_server(variable: &str, tag: &str) {
    let Ok(base) = std::env::var(variable) else {
        eprintln!("skipped: {variable} is not set");
        return;
    };
    let scratch = ScratchDb::create(&base, tag).await;
    let home = temp_home(tag);
    boot_is_refused_while_behind(&home, &scratch.url).await;
    let addr = boot(&home, Some(&scratch.url)).await;
    exercise(addr).await;
    lost_connections_answer_503_then_recover(addr, &scratch).await;
    a_hung_database_fails_fast_then_recovers(&scratch, tag).await;
    scratch.drop().await;
}

/// A database that hangs (takes connections and statements, answers
/// nothing) costs one statement deadline; then requests answer 503 at once
/// and `/health` within its 400 ms, until the database answers again — and
/// what is read afterwards is in step with what was written.
async fn a_hung_database_fails_fast_then_recovers(scratch: &ScratchDb, tag: &str) {
    use std::time::{Duration, Instant};
    let proxy = FreezeProxy::start(upstream_of(&scratch.url)).await;
    let home = temp_home(&format!("{tag}-hung"));
    let mut config = Config::default();
    let entry = BackendTable {
        url: proxy.url_for(&scratch.url),
        pool_size: Some(4),
        connect_timeout: None,
        auto_upgrade: Some(true),
        query_timeout_ms: Some(300),
    };
    config.database.insert("default".to_owned(), BackendEntry::Table(entry));
    let addr = keel_tests::serve(app().home(home.path()).config(with_keeper(config))).await;
    sign_in(addr).await;
    let list = "/v1.00.02/account?size=1";
    expect(&call(addr, "GET", list, None).await, 200, 0);

    proxy.freeze();
    let started = Instant::now();
    expect(&call(addr, "GET", list, None).await, 503, 50300);
    let first = started.elapsed();
    assert!(first < Duration::from_secs(2), "the first statement waited {first:?}, not the 300 ms deadline");
    // A ping confirms the database is hung (another deadline), then the
    // breaker opens.
    keel_tests::eventually(Duration::from_secs(3), "the breaker opens", || async {
        let started = Instant::now();
        call(addr, "GET", list, None).await.status == 503 && started.elapsed() < Duration::from_millis(100)
    })
    .await;
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        expect(&call(addr, "GET", list, None).await, 503, 50300);
        slowest = slowest.max(started.elapsed());
    }
    assert!(slowest <= Duration::from_millis(100), "with the breaker open a request took {slowest:?}");
    let started = Instant::now();
    let health = call(addr, "GET", "/health", None).await;
    let took = started.elapsed();
    assert_eq!(health.status, 503, "{}", health.body);
    assert_eq!(health.json()["data"]["checks"]["database"]["status"], "down", "{}", health.body);
    assert!(took < Duration::from_millis(500), "/health took {took:?}");

    proxy.thaw();
    keel_tests::eventually(Duration::from_secs(15), "the database answers again", || async {
        call(addr, "GET", list, None).await.status == 200
    })
    .await;
    // Statements cut by the deadline finished in the background: no
    // connection hands a stale answer to the next query.
    for i in 0..8 {
        let name = format!("hung{i}");
        let body = format!(r#"{{"username":"{name}","password":"secret-{i}-pw"}}"#);
        let id = expect(&call(addr, "POST", "/v1.00.02/account", Some(&body)).await, 201, 0)["data"]["id"]
            .as_i64()
            .unwrap_or_default();
        let read = expect(&call(addr, "GET", &format!("/v1.00.02/account/{id}"), None).await, 200, 0);
        assert_eq!(read["data"]["username"], name.as_str(), "{read}");
    }
    expect(&call(addr, "GET", "/health", None).await, 200, 0);
}

/// The server drops every connection of the service (as a restart would):
/// requests answer 503 — never a 500 or driver text — until the pool has
/// connected again.
async fn lost_connections_answer_503_then_recover(addr: SocketAddr, scratch: &ScratchDb) {
    let rb = scratch.admin.rbatis();
    let killed = match scratch.admin.dialect() {
        keel::db::Dialect::Postgres => {
            let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()";
            rb.exec(sql, vec![rbs::Value::String(scratch.name.clone())]).await.map(|_| ())
        }
        _ => {
            let sql = "SELECT id FROM information_schema.processlist WHERE db = ?";
            let ids: Result<Vec<rbs::Value>, _> =
                rb.exec_decode(sql, vec![rbs::Value::String(scratch.name.clone())]).await;
            match ids {
                Ok(ids) => {
                    for id in ids {
                        let id = id["id"]
                            .as_i64()
                            .or_else(|| id["id"].as_u64().and_then(|u| i64::try_from(u).ok()));
                        if let Some(id) = id {
                            let _ = rb.exec(&format!("KILL {id}"), vec![]).await;
                        }
                    }
                    Ok(())
                }
                Err(err) => Err(err),
            }
        }
    };
    if let Err(err) = killed {
        panic!("dropping the service's connections: {err}");
    }
    // Pooled connections are checked at most every 5 s, so dead ones are
    // handed out (and answer 503) until then; recovery means three 200s in a row.
    let mut statuses = Vec::new();
    for _ in 0..60 {
        let reply = call(addr, "GET", "/v1.00.02/account?size=1", None).await;
        let json = reply.json();
        assert!(matches!(reply.status, 200 | 503), "{}", reply.body);
        if reply.status == 503 {
            assert_eq!(
                (json["code"].as_u64(), json["msg"].as_str()),
                (Some(50300), Some("database unavailable")),
                "{json}"
            );
        }
        statuses.push(reply.status);
        if statuses.ends_with(&[200, 200, 200]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(statuses.ends_with(&[200, 200, 200]), "never recovered: {statuses:?}");
    assert!(statuses.contains(&503), "the lost connections were never noticed: {statuses:?}");
}

#[tokio::test]
async fn the_contract_holds_on_mariadb() {
    on_server("TEST_MYSQL_URL", "mysql").await;
}

#[tokio::test]
async fn the_contract_holds_on_postgresql() {
    on_server("TEST_PG_URL", "pg").await;
}

#[tokio::test]
async fn an_unreachable_database_stops_boot_with_one_line_and_no_password() {
    let mut config = Config::default();
    let entry = BackendTable {
        url: "mysql://root:hunter2@127.0.0.1:9/nowhere".to_owned(),
        pool_size: Some(1),
        connect_timeout: Some(1),
        auto_upgrade: None,
        query_timeout_ms: None,
    };
    config.database.insert("default".to_owned(), BackendEntry::Table(entry));
    let started = std::time::Instant::now();
    let down = temp_home("down");
    let result = app().home(down.path()).config(config).bind("127.0.0.1:0").await;
    let Err(err) = result else { panic!("boot succeeded without a database") };
    let err = err.to_string();
    assert!(err.contains("database `default`") && err.contains("unreachable"), "{err}");
    assert!(!err.contains("hunter2") && err.lines().count() == 1, "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "retried for {:?}", started.elapsed());
}

#[tokio::test]
async fn the_first_account_comes_from_the_admin_settings() {
    let home = temp_home("admin");
    let config = keel_tests::ms::with_admin(Config::default(), "root_admin", "first-password");
    let addr = keel_tests::serve(app().home(&home).config(config)).await;
    let login = expect(
        &call(
            addr,
            "POST",
            "/v1.00.02/login",
            Some(r#"{"username":"root_admin","password":"first-password"}"#),
        )
        .await,
        200,
        0,
    );
    remember(addr, login["data"]["token"].as_str().unwrap_or_default().to_owned());
    let list = expect(&call(addr, "GET", "/v1.00.02/account", None).await, 200, 0);
    assert_eq!(list["data"]["total"], 1);
    assert_eq!(list["data"]["list"][0]["username"], "root_admin");
}

#[tokio::test]
async fn a_locked_database_answers_503_and_the_service_recovers_when_it_is_released() {
    let home = temp_home("locked");
    let addr = boot(&home, None).await;
    let first = r#"{"username":"first","password":"secret-1"}"#;
    expect(&call(addr, "POST", "/v1.00.02/account", Some(first)).await, 201, 0);

    // Another writer holds SQLite's write lock past the busy timeout.
    let file = BackendEntry::Url("sqlite://data/manage_system.db".to_owned());
    let holder = match keel::db::Db::connect("holder", &file, &home).await {
        Ok(db) => db,
        Err(err) => panic!("second connection: {err}"),
    };
    let conn = match holder.rbatis().acquire().await {
        Ok(conn) => conn,
        Err(err) => panic!("acquire: {err}"),
    };
    if let Err(err) = conn.exec("BEGIN EXCLUSIVE", vec![]).await {
        panic!("BEGIN EXCLUSIVE: {err}");
    }
    let second = r#"{"username":"second","password":"secret-2"}"#;
    let json = expect(&call(addr, "POST", "/v1.00.02/account", Some(second)).await, 503, 50300);
    assert_eq!(json["msg"], "database unavailable");
    assert!(!json.to_string().contains("locked"), "driver text must not leak: {json}");
    let health = expect(&call(addr, "GET", "/health", None).await, 200, 0);
    assert_eq!(health["data"]["checks"]["database"]["status"], "up", "reads still work: {health}");

    if let Err(err) = conn.exec("COMMIT", vec![]).await {
        panic!("COMMIT: {err}");
    }
    // Recovered. (The refused write itself can still land once the lock is
    // released — rbdc-sqlite finishes a statement that already reported
    // "database is locked" — so the check uses a third name.)
    let third = r#"{"username":"third","password":"secret-3"}"#;
    expect(&call(addr, "POST", "/v1.00.02/account", Some(third)).await, 201, 0);
}

#[tokio::test]
async fn every_named_database_is_connected_and_reported_by_health() {
    let home = temp_home("named");
    let mut config = Config::default();
    config.database.insert("default".to_owned(), upgrading("sqlite://data/main.db"));
    config.database.insert("archive".to_owned(), BackendEntry::Url("sqlite://data/archive.db".to_owned()));
    let addr = keel_tests::serve(app().home(&home).config(with_keeper(config))).await;
    sign_in(addr).await;
    let health = expect(&call(addr, "GET", "/health", None).await, 200, 0);
    assert_eq!(health["data"]["checks"]["database"]["status"], "up", "{health}");
    assert_eq!(health["data"]["checks"]["database.archive"]["status"], "up", "{health}");
    // Tables live in `default`; the other database is only connected.
    expect(
        &call(addr, "POST", "/v1.00.02/account", Some(r#"{"username":"ann","password":"secret-1"}"#)).await,
        201,
        0,
    );
    assert!(home.join("data/main.db").exists() && home.join("data/archive.db").exists());
}

/// Tables made before keel declared `utf8mb4` (here: converted back to
/// the database's `latin1`) are converted in place at the next upgrade —
/// boot with `auto_upgrade` — with every row as it was; then emoji fit.
#[tokio::test]
async fn legacy_latin1_tables_are_converted_at_upgrade_without_losing_rows() {
    let Ok(base) = std::env::var("TEST_MYSQL_URL") else {
        eprintln!("skipped: TEST_MYSQL_URL is not set");
        return;
    };
    let scratch = ScratchDb::create(&base, "legacy").await;
    let home = temp_home("legacy");
    let addr = boot(&home, Some(&scratch.url)).await;
    let body = r#"{"username":"zoe","password":"secret-1","display_name":"Zoë Ünal"}"#;
    let id = expect(&call(addr, "POST", "/v1.00.02/account", Some(body)).await, 201, 0)["data"]["id"]
        .as_i64()
        .unwrap_or_default();
    let legacy = format!("ALTER TABLE {}.sys_account CONVERT TO CHARACTER SET latin1", scratch.name);
    if let Err(err) = scratch.admin.rbatis().exec(&legacy, vec![]).await {
        panic!("{legacy}: {err}");
    }
    let collation = || async {
        let sql = "SELECT TABLE_COLLATION AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'sys_account'";
        let rows: Vec<Value> =
            scratch.admin.query(sql, vec![rbs::Value::from(scratch.name.as_str())]).await.unwrap_or_default();
        rows.first().and_then(|r| r["c"].as_str()).unwrap_or_default().to_owned()
    };
    assert!(collation().await.starts_with("latin1"), "{}", collation().await);

    // The next boot (auto_upgrade, nothing pending) converts it.
    let again = temp_home("legacy-again");
    let addr = boot(&again, Some(&scratch.url)).await;
    assert_eq!(collation().await, "utf8mb4_bin");
    let path = format!("/v1.00.02/account/{id}");
    assert_eq!(expect(&call(addr, "GET", &path, None).await, 200, 0)["data"]["display_name"], "Zoë Ünal");
    let wide = "测试 🙂 Zoë";
    let change = serde_json::json!({"display_name": wide}).to_string();
    expect(&call(addr, "PUT", &path, Some(&change)).await, 200, 0);
    assert_eq!(expect(&call(addr, "GET", &path, None).await, 200, 0)["data"]["display_name"], wide);
    scratch.drop().await;
}
