//! Auth on manage_system: protected-by-default routes,
//! login / logout / expiry / disabled accounts, the permission hook, login
//! rate limits, tokens shared by two instances (MariaDB + Redis, when
//! `TEST_MYSQL_URL` / `TEST_REDIS_URL` are set) and token checks during a
//! Redis outage (a test-owned `redis-server`).

use keel::config::{BackendEntry, Config};
use keel_tests::ms::{KEEPER, MIGRATIONS, call_with, login, upgrading, with_keeper};
use keel_tests::redis_server::RedisServer;
use keel_tests::{Reply, ScratchDb, temp_home};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

async fn boot_with(home: &Path, config: Config) -> SocketAddr {
    let app = manage_system::uri_router::app().migrations(MIGRATIONS).home(home).config(with_keeper(config));
    keel_tests::serve(app).await
}

async fn boot(home: &Path) -> SocketAddr {
    boot_with(home, Config::default()).await
}

fn expect(reply: &Reply, status: u16, code: u64) -> serde_json::Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["code"], code, "{json}");
    json
}

async fn me(addr: SocketAddr, token: &str) -> Reply {
    call_with(addr, Some(token), "GET", "/v1.00.02/account/me", None).await
}

async fn create(addr: SocketAddr, admin: &str, username: &str, password: &str) -> i64 {
    let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
    let reply = call_with(addr, Some(admin), "POST", "/v1.00.02/account", Some(&body)).await;
    expect(&reply, 201, 0)["data"]["id"].as_i64().unwrap_or_default()
}

/// Walks the router: every route not marked public answers 401 without a
/// token and with a bogus one, so a new route cannot slip through; public
/// ones answer without.
#[tokio::test]
async fn every_route_not_marked_public_needs_a_token() {
    let home = temp_home("auth-walk");
    let addr = boot(&home).await;
    let router = manage_system::uri_router::uri_router();
    let bogus = "0".repeat(64);
    let mut protected = 0;
    for (verb, url, handler, access) in router.table() {
        let public = access == keel::Access::Public;
        let path = url.replace("{id}", "1");
        let body = matches!(verb.as_str(), "POST" | "PUT" | "PATCH").then_some("{}");
        let anonymous = call_with(addr, None, verb.as_str(), &path, body).await;
        if public {
            assert_ne!(anonymous.status, 401, "{handler} {url} is public: {}", anonymous.body);
            continue;
        }
        protected += 1;
        expect(&anonymous, 401, 40100);
        expect(&call_with(addr, Some(&bogus), verb.as_str(), &path, body).await, 401, 40100);
        expect(&call_with(addr, Some("not-a-token"), verb.as_str(), &path, body).await, 401, 40100);
    }
    assert!(protected >= 7, "{protected} protected routes");
}

#[tokio::test]
async fn login_logout_expiry_and_disabled_accounts() {
    let home = temp_home("auth-life");
    let mut config = Config::default();
    config.auth.session_ttl = 2;
    let addr = boot_with(&home, config).await;
    let admin = login(addr, KEEPER.0, KEEPER.1).await;
    let fay = create(addr, &admin, "fay", "secret-fay").await;

    // A token works; /account/me is its account.
    let token = login(addr, "fay", "secret-fay").await;
    let json = expect(&me(addr, &token).await, 200, 0);
    assert_eq!((json["data"]["id"].as_i64(), json["data"]["username"].as_str()), (Some(fay), Some("fay")));

    // Logout revokes that token only.
    let other = login(addr, "fay", "secret-fay").await;
    expect(&call_with(addr, Some(&token), "POST", "/v1.00.02/logout", None).await, 200, 0);
    expect(&me(addr, &token).await, 401, 40100);
    expect(&me(addr, &other).await, 200, 0);

    // Expiry (session_ttl = 2 s).
    keel_tests::eventually(Duration::from_secs(5), "the token expires", || async {
        me(addr, &other).await.status == 401
    })
    .await;
    expect(&me(addr, &other).await, 401, 40100);

    // Disabling revokes every session; the account gets 403 at login.
    let admin = login(addr, KEEPER.0, KEEPER.1).await;
    let token = login(addr, "fay", "secret-fay").await;
    let put = format!("/v1.00.02/account/{fay}");
    expect(&call_with(addr, Some(&admin), "PUT", &put, Some(r#"{"status":0}"#)).await, 200, 0);
    expect(&me(addr, &token).await, 401, 40100);
    let denied = call_with(
        addr,
        None,
        "POST",
        "/v1.00.02/login",
        Some(r#"{"username":"fay","password":"secret-fay"}"#),
    )
    .await;
    expect(&denied, 403, 40300);
    // A new password revokes sessions too.
    expect(&call_with(addr, Some(&admin), "PUT", &put, Some(r#"{"status":1}"#)).await, 200, 0);
    let token = login(addr, "fay", "secret-fay").await;
    expect(&call_with(addr, Some(&admin), "PUT", &put, Some(r#"{"password":"secret-fay-2"}"#)).await, 200, 0);
    expect(&me(addr, &token).await, 401, 40100);
    login(addr, "fay", "secret-fay-2").await;
}

/// Login records need `records.read`: the first account's `admin` role
/// holds it; an account without a role gets 403 naming the permission.
#[tokio::test]
async fn login_records_need_their_permission() {
    let home = temp_home("auth-perm");
    let addr = boot(&home).await;
    let admin = login(addr, KEEPER.0, KEEPER.1).await;
    create(addr, &admin, "gus", "secret-gus").await;
    let gus = login(addr, "gus", "secret-gus").await;
    let records = "/v1.00.02/records/login";
    expect(&call_with(addr, Some(&admin), "GET", records, None).await, 200, 0);
    let json = expect(&call_with(addr, Some(&gus), "GET", records, None).await, 403, 40300);
    assert!(json["msg"].as_str().unwrap_or_default().contains("`records.read`"), "{json}");
    expect(&call_with(addr, Some(&gus), "GET", "/v1.00.02/account", None).await, 403, 40300);
    expect(&me(addr, &gus).await, 200, 0);
}

/// A permission a deploy removed from the code: a role that still names it
/// keeps its other permissions, the removed name grants nothing, and boot
/// says so in one line of failed.log instead of refusing to start.
#[tokio::test]
async fn a_permission_removed_from_the_code_is_ignored_with_one_line() {
    keel_tests::failed_log::capture();
    let home = temp_home("auth-removed");
    let first = boot(&home).await;
    let admin = login(first, KEEPER.0, KEEPER.1).await;
    let ned = create(first, &admin, "ned", "secret-ned").await;
    // A role as an older release wrote it, naming `reports.export`.
    let entry = BackendEntry::Url(format!("sqlite://{}", home.join("data/manage_system.db").display()));
    let db = match keel::db::Db::connect("default", &entry, &home).await {
        Ok(db) => db,
        Err(err) => panic!("{err}"),
    };
    let insert = "INSERT INTO sys_role (name, permissions) VALUES ('legacy', 'account.read reports.export')";
    if let Err(err) = db.rbatis().exec(insert, vec![]).await {
        panic!("{err}");
    }
    let second = boot(&home).await;
    let lines = keel_tests::failed_log::lines();
    let warned =
        lines.iter().filter(|l| l.contains("role `legacy` names permission `reports.export`")).count();
    assert!(warned >= 1, "{lines:?}");
    let roles =
        expect(&call_with(second, Some(&admin), "GET", "/v1.00.02/role?size=100", None).await, 200, 0);
    let legacy =
        roles["data"]["list"].as_array().and_then(|l| l.iter().find(|r| r["name"] == "legacy")).cloned();
    let legacy_id = legacy.as_ref().and_then(|r| r["id"].as_i64()).unwrap_or_default();
    assert_eq!(
        legacy.map(|r| r["permissions"].clone()),
        Some(serde_json::json!(["account.read", "reports.export"]))
    );
    let grant = format!(r#"{{"role_id":{legacy_id}}}"#);
    let path = format!("/v1.00.02/account/{ned}");
    expect(&call_with(second, Some(&admin), "PUT", &path, Some(&grant)).await, 200, 0);
    let ned = login(second, "ned", "secret-ned").await;
    expect(&call_with(second, Some(&ned), "GET", "/v1.00.02/account", None).await, 200, 0);
    expect(&call_with(second, Some(&ned), "GET", "/v1.00.02/records/login", None).await, 403, 40300);
}

/// Five wrong passwords per account per window, then 429 with
/// `Retry-After`; another account from the same IP meets only the IP's
/// budget.
#[tokio::test]
async fn login_is_rate_limited_per_account_and_per_ip() {
    let home = temp_home("auth-rate");
    let mut config = Config::default();
    config.auth.login_attempts_per_ip = 9;
    let addr = boot_with(&home, config).await;
    let admin = login(addr, KEEPER.0, KEEPER.1).await; // attempt 1 of the IP's 9
    create(addr, &admin, "hal", "secret-hal").await;
    create(addr, &admin, "ivy", "secret-ivy").await;
    let attempt = |user: &'static str, password: &'static str| async move {
        let body = format!(r#"{{"username":"{user}","password":"{password}"}}"#);
        call_with(addr, None, "POST", "/v1.00.02/login", Some(&body)).await
    };
    for _ in 0..5 {
        expect(&attempt("hal", "wrong-pass").await, 401, 40100); // attempts 2–6
    }
    // The sixth wrong password — or even the right one — is refused.
    let limited = attempt("hal", "secret-hal").await; // attempt 7
    expect(&limited, 429, 42900);
    let retry: u64 = limited.headers.get("retry-after").and_then(|v| v.parse().ok()).unwrap_or_default();
    assert!((1..=900).contains(&retry), "Retry-After: {retry}");
    // ivy is not hal: only the IP budget (9) applies.
    expect(&attempt("ivy", "wrong-pass").await, 401, 40100); // 8
    expect(&attempt("ivy", "secret-ivy").await, 200, 0); // 9
    let over = attempt("ivy", "secret-ivy").await; // 10: over the IP's budget
    expect(&over, 429, 42900);
    assert!(over.headers.contains_key("retry-after"));
}

/// Two instances sharing MariaDB and Redis: a token from one works on the
/// other, a row updated on the other is read fresh on the first, and a
/// logout on the other is seen by the first.
#[tokio::test]
async fn two_instances_share_sessions_through_mariadb_and_redis() {
    let (Ok(mysql), Ok(redis)) = (std::env::var("TEST_MYSQL_URL"), std::env::var("TEST_REDIS_URL")) else {
        eprintln!("skipped: TEST_MYSQL_URL and TEST_REDIS_URL are not both set");
        return;
    };
    // Redis database 11 is this test's; session keys are unique per login.
    two_instances_share_sessions(&mysql, format!("{}/11", redis.trim_end_matches('/')), "auth_shared").await;
}

/// The same through a Redis Cluster (`TEST_REDIS_CLUSTER`).
#[tokio::test]
async fn two_instances_share_sessions_through_mariadb_and_a_redis_cluster() {
    let (Ok(mysql), Some(redis)) = (
        std::env::var("TEST_MYSQL_URL"),
        std::env::var("TEST_REDIS_CLUSTER").ok().filter(|url| url.starts_with("redis+cluster://")),
    ) else {
        eprintln!("skipped: TEST_MYSQL_URL and a TEST_REDIS_CLUSTER URL are not both set");
        return;
    };
    // Rows cached by an earlier run under the same ids must not answer.
    let cache = keel::cache::Cache::open("flush", &redis, vec![]).unwrap_or_else(|err| panic!("{err}"));
    for id in 1..=20 {
        cache.delete(&format!("sys_account:{id}")).await.unwrap_or_else(|err| panic!("{err}"));
    }
    two_instances_share_sessions(&mysql, redis, "auth_cluster").await;
}

async fn two_instances_share_sessions(mysql: &str, redis: String, tag: &str) {
    let scratch = ScratchDb::create(mysql, tag).await;
    let config = || {
        let mut config = Config::default();
        config.database.insert("default".to_owned(), upgrading(&scratch.url));
        config.cache.insert("default".to_owned(), BackendEntry::Url(redis.clone()));
        config
    };
    let (home_a, home_b) = (temp_home(&format!("{tag}-a")), temp_home(&format!("{tag}-b")));
    let first = boot_with(&home_a, config()).await;
    let second = boot_with(&home_b, config()).await;
    let token = login(first, KEEPER.0, KEEPER.1).await;
    expect(&me(second, &token).await, 200, 0);
    // A row cached through the first is read fresh there after the second
    // updates it: both share Redis, and the update invalidates it there.
    let id = create(first, &token, "jon", "secret-jon").await;
    let path = format!("/v1.00.02/account/{id}");
    let read = |addr| {
        let (token, path) = (token.clone(), path.clone());
        async move {
            expect(&call_with(addr, Some(&token), "GET", &path, None).await, 200, 0)["data"]["display_name"]
                .clone()
        }
    };
    assert_eq!(read(first).await, serde_json::Value::Null);
    let body = r#"{"display_name":"Jon"}"#;
    expect(&call_with(second, Some(&token), "PUT", &path, Some(body)).await, 200, 0);
    assert_eq!(read(first).await, "Jon");
    // A role change made through the second is enforced by the first at
    // the next request: jon may read accounts, then no longer.
    let role = r#"{"name":"reader","permissions":["account.read"]}"#;
    let role_id =
        expect(&call_with(second, Some(&token), "POST", "/v1.00.02/role", Some(role)).await, 201, 0)["data"]
            ["id"]
            .as_i64()
            .unwrap_or_default();
    let grant = format!(r#"{{"role_id":{role_id}}}"#);
    expect(&call_with(second, Some(&token), "PUT", &path, Some(&grant)).await, 200, 0);
    let jon = login(first, "jon", "secret-jon").await;
    expect(&call_with(first, Some(&jon), "GET", "/v1.00.02/account", None).await, 200, 0);
    let role_path = format!("/v1.00.02/role/{role_id}");
    let revoke = r#"{"permissions":[]}"#;
    expect(&call_with(second, Some(&token), "PUT", &role_path, Some(revoke)).await, 200, 0);
    expect(&call_with(first, Some(&jon), "GET", "/v1.00.02/account", None).await, 403, 40300);
    expect(&call_with(second, Some(&token), "POST", "/v1.00.02/logout", None).await, 200, 0);
    expect(&me(first, &token).await, 401, 40100);
    scratch.drop().await;
}

/// Token checks answer from the database while Redis is away, and from
/// Redis again once it is back.
#[tokio::test]
async fn token_checks_survive_a_redis_outage() {
    if !RedisServer::available() && std::env::var("TEST_REDIS_URL").is_err() {
        eprintln!("skipped: no redis-server on this machine");
        return;
    }
    let mut redis = RedisServer::start(None);
    let home = temp_home("auth-outage");
    let mut config = Config::default();
    config
        .cache
        .insert("default".to_owned(), BackendEntry::Url(format!("redis://127.0.0.1:{}/", redis.port)));
    let addr = boot_with(&home, config).await;
    let token = login(addr, KEEPER.0, KEEPER.1).await;
    expect(&me(addr, &token).await, 200, 0);
    redis.kill();
    for _ in 0..10 {
        expect(&me(addr, &token).await, 200, 0);
    }
    // A login and a logout during the outage reach the database.
    let during = login(addr, KEEPER.0, KEEPER.1).await;
    expect(&call_with(addr, Some(&during), "POST", "/v1.00.02/logout", None).await, 200, 0);
    expect(&me(addr, &during).await, 401, 40100);
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let health = call_with(addr, None, "GET", "/health", None).await.json();
        if health["data"]["checks"]["cache"]["status"] == "up" {
            break;
        }
        assert!(Instant::now() < deadline, "the cache never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    expect(&me(addr, &token).await, 200, 0);
    expect(&me(addr, &during).await, 401, 40100);
}
