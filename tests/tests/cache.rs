//! The cache: its API on the in-process cache and on Redis
//! (`TEST_REDIS_URL`), cache models, manage_system's account reads through
//! the cache, and a Redis outage — a test-owned `redis-server` killed and
//! started again — that the service rides out on its database.

use keel::cache::{Cache, CacheError, CacheModel};
use keel::config::{BackendEntry, BackendTable, Config};
use keel_tests::ms::{MIGRATIONS, call, sign_in, with_keeper};
use keel_tests::redis_server::RedisServer;
use keel_tests::{Reply, temp_home};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- models

/// A keyed entry: `tst_token:{token}`.
#[keel::cache(prefix = "tst", name = "token", key = "{token}", ttl = 60)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Token {
    token: String,
    account_id: i64,
}

/// A two-parameter entry with no expiry: `tst_records_seen:{account_id}:{day}`.
#[keel::cache(prefix = "tst", kind = "records", name = "seen", key = "{account_id}:{day}")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Seen {
    account_id: i64,
    day: String,
    count: u32,
}

/// Tied to manage_system's table: the key's name comes from the table.
#[keel::cache(table = "manage_system::db_model::main::Account", key = "{id}:card", ttl = 30)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct AccountCard {
    id: i64,
    username: String,
}

// ---------------------------------------------------------------- the API

async fn exercise_api(cache: &Cache) {
    let run = std::process::id();
    let ok = |r: Result<(), CacheError>| {
        if let Err(err) = r {
            panic!("{}: {err}", cache.kind());
        }
    };
    if let Err(err) = cache.ping().await {
        panic!("{} cache unreachable: {err}", cache.kind());
    }
    // Raw bytes and JSON, with and without expiry.
    let key = format!("tst_raw:{run}");
    ok(cache.set(&key, b"bytes", None).await);
    assert_eq!(cache.get(&key).await.ok().flatten().as_deref(), Some(&b"bytes"[..]));
    assert!(matches!(cache.ttl(&key).await, Ok(Some(None))), "no expiry");
    ok(cache.set_json(&key, &vec![1, 2, 3], Some(Duration::from_secs(30))).await);
    assert_eq!(cache.get_json::<Vec<i32>>(&key).await.ok().flatten(), Some(vec![1, 2, 3]));
    let ttl = cache.ttl(&key).await.ok().flatten().flatten().unwrap_or_default();
    assert!(ttl > Duration::from_secs(25) && ttl <= Duration::from_secs(30), "{ttl:?}");
    assert!(matches!(cache.get_json::<String>(&key).await, Err(CacheError::Codec(_))), "a wrong type");
    ok(cache.delete(&key).await);
    assert_eq!(cache.exists(&key).await.ok(), Some(false));
    // Expiry.
    let short = format!("tst_short:{run}");
    ok(cache.set(&short, b"x", Some(Duration::from_millis(100))).await);
    assert_eq!(cache.exists(&short).await.ok(), Some(true));
    keel_tests::eventually(Duration::from_secs(2), "the short entry expires", || async {
        cache.get(&short).await.ok() == Some(None)
    })
    .await;

    // Cache models: keys from fields, TTL from the attribute.
    let token = Token { token: format!("t{run}"), account_id: 7 };
    assert_eq!(token_key(&token), format!("tst_token:t{run}"));
    ok(token.set(cache).await);
    assert_eq!(Token::get(cache, (&token.token,)).await.ok().flatten(), Some(token.clone()));
    assert_eq!(Token::exists(cache, (&token.token,)).await.ok(), Some(true));
    let ttl = cache.ttl(&Token::key_of((&token.token,))).await.ok().flatten().flatten().unwrap_or_default();
    assert!(ttl > Duration::from_secs(55), "{ttl:?}");
    ok(Token::delete(cache, (&token.token,)).await);
    assert_eq!(Token::get(cache, (&token.token,)).await.ok(), Some(None));

    let seen = Seen { account_id: i64::from(run), day: "2026-11-25".into(), count: 3 };
    assert_eq!(Seen::key_of((&run, &"2026-11-25")), format!("tst_records_seen:{run}:2026-11-25"));
    ok(seen.set(cache).await);
    assert_eq!(Seen::get(cache, (&run, &"2026-11-25")).await.ok().flatten().map(|s| s.count), Some(3));
    assert!(matches!(cache.ttl(&Seen::key_of((&run, &"2026-11-25"))).await, Ok(Some(None))));
    ok(Seen::delete(cache, (&run, &"2026-11-25")).await);

    assert_eq!(AccountCard::key_of((&42,)), "sys_account:42:card");

    // Limits and locks: counts in a window (an atomic pipeline on one key)
    // land in the store itself, and a lock is taken once.
    let counter = format!("tst_limit:{run}");
    let window = Duration::from_secs(30);
    assert_eq!(cache.incr(&counter, window).await.0, 1);
    assert_eq!(cache.incr(&counter, window).await.0, 2);
    assert_eq!(cache.count_of(&counter).await.0, 2);
    assert_eq!(cache.get(&counter).await.ok().flatten().as_deref(), Some(&b"2"[..]), "counted in the store");
    let lock = format!("tst_lock:{run}");
    assert_eq!(cache.set_nx(&lock, b"a", window).await.ok(), Some(true));
    assert_eq!(cache.set_nx(&lock, b"b", window).await.ok(), Some(false), "taken once");
    ok(cache.delete(&counter).await);
    ok(cache.delete(&lock).await);
}

fn token_key(token: &Token) -> String {
    <Token as keel::cache::CacheModel>::key(token)
}

#[tokio::test]
async fn the_api_on_the_in_process_cache() {
    exercise_api(&Cache::memory("default")).await;
}

#[tokio::test]
async fn the_api_on_redis() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("skipped: TEST_REDIS_URL is not set");
        return;
    };
    let cache = match Cache::open("default", &url, vec![]) {
        Ok(cache) => cache,
        Err(err) => panic!("{err}"),
    };
    exercise_api(&cache).await;
}

// ---------------------------------------------------------------- rows

fn data(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["data"].clone()
}

async fn boot(home: &Path, cache: Option<&str>) -> SocketAddr {
    let mut config = Config::default();
    config.database.insert(
        "default".to_owned(),
        BackendEntry::Table(BackendTable {
            url: "sqlite://data/manage_system.db".to_owned(),
            pool_size: None,
            connect_timeout: None,
            auto_upgrade: Some(true),
            query_timeout_ms: None,
        }),
    );
    if let Some(url) = cache {
        config.cache.insert("default".to_owned(), BackendEntry::Url(url.to_owned()));
    }
    let app = manage_system::uri_router::app().migrations(MIGRATIONS).home(home).config(with_keeper(config));
    let addr = keel_tests::serve(app).await;
    sign_in(addr).await;
    addr
}

/// Changes a row behind the service's back, as another program would.
async fn rename_behind(home: &Path, id: i64, name: &str) {
    let url = format!("sqlite://{}", home.join("data/manage_system.db").display());
    let db = match keel::db::Db::connect("behind", &BackendEntry::Url(url), home).await {
        Ok(db) => db,
        Err(err) => panic!("{err}"),
    };
    let sql = "UPDATE sys_account SET display_name = ? WHERE id = ?";
    if let Err(err) = db.rbatis().exec(sql, vec![rbs::Value::from(name), rbs::Value::from(id)]).await {
        panic!("{err}");
    }
}

async fn create_account(addr: SocketAddr, username: &str) -> i64 {
    let body = format!(r#"{{"username":"{username}","password":"secret-1","display_name":"First"}}"#);
    let reply = call(addr, "POST", "/v1.00.02/account", Some(&body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["data"]["id"].as_i64().unwrap_or_default()
}

async fn display_name(addr: SocketAddr, id: i64) -> String {
    let reply = call(addr, "GET", &format!("/v1.00.02/account/{id}"), None).await;
    data(&reply)["display_name"].as_str().unwrap_or_default().to_owned()
}

async fn rename(addr: SocketAddr, id: i64, name: &str) {
    let body = format!(r#"{{"display_name":"{name}"}}"#);
    data(&call(addr, "PUT", &format!("/v1.00.02/account/{id}"), Some(&body)).await);
}

/// A second read comes from the cache (a change made behind the service
/// does not show); an update through the service invalidates it.
async fn reads_go_through_the_cache(addr: SocketAddr, home: &Path) {
    let id = create_account(addr, "carol").await;
    assert_eq!(display_name(addr, id).await, "First");
    rename_behind(home, id, "Behind").await;
    assert_eq!(display_name(addr, id).await, "First", "served from the cache");
    rename(addr, id, "Second").await;
    assert_eq!(display_name(addr, id).await, "Second", "the update invalidated the cached row");
    // An unknown id is a 404, and the miss is cached only briefly.
    let missing = call(addr, "GET", "/v1.00.02/account/999999", None).await;
    assert_eq!(missing.status, 404, "{}", missing.body);
}

#[tokio::test]
async fn account_reads_go_through_the_in_process_cache() {
    let home = temp_home("rt-memory");
    let addr = boot(&home, None).await;
    reads_go_through_the_cache(addr, &home).await;
}

#[tokio::test]
async fn account_reads_go_through_redis() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("skipped: TEST_REDIS_URL is not set");
        return;
    };
    // Database 9 of that server is this test's namespace: the keys are the
    // real ones (`sys_account:1`), so they must not meet another test's.
    let url = format!("{}/9", url.trim_end_matches('/'));
    let cache = match Cache::open("flush", &url, vec![]) {
        Ok(cache) => cache,
        Err(err) => panic!("{err}"),
    };
    flush(&cache).await;
    let home = temp_home("rt-redis");
    let addr = boot(&home, Some(&url)).await;
    reads_go_through_the_cache(addr, &home).await;
    flush(&cache).await;
}

async fn flush(cache: &Cache) {
    // Only this test's keys live in its database.
    for id in 1..=4 {
        if let Err(err) = cache.delete(&format!("sys_account:{id}")).await {
            panic!("{err}");
        }
    }
    if let Err(err) = cache.delete("sys_account:999999").await {
        panic!("{err}");
    }
}

// ---------------------------------------------------------------- outage

fn failed_lines(needle: &str) -> usize {
    keel_tests::failed_log::lines().iter().filter(|l| l.contains(needle)).count()
}

async fn health_cache(addr: SocketAddr) -> (u16, String) {
    let reply = call(addr, "GET", "/health", None).await;
    let json = reply.json();
    (reply.status, json["data"]["checks"]["cache"]["status"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_redis_outage_costs_nothing_and_serves_nothing_stale() {
    if !RedisServer::available() && std::env::var("TEST_REDIS_URL").is_err() {
        eprintln!("skipped: no redis-server on this machine");
        return;
    }
    keel_tests::failed_log::capture();
    let home = temp_home("outage");
    // Persisting every write: a restart brings back what the cache held,
    // including the rows that went stale while it was away.
    let mut redis = RedisServer::start(Some(home.join("redis")));
    let url = redis.url();
    let addr = boot(&home, Some(&url)).await;
    assert_eq!(health_cache(addr).await, (200, "up".to_owned()));

    let id = create_account(addr, "dave").await;
    let other = create_account(addr, "erin").await;
    assert_eq!(display_name(addr, id).await, "First");
    assert_eq!(display_name(addr, other).await, "First");

    // Redis dies. Reads keep answering, correctly, from the database.
    redis.kill();
    let mut slowest = Duration::ZERO;
    for round in 0..30 {
        let started = Instant::now();
        assert_eq!(display_name(addr, id).await, "First");
        if round > 0 {
            // The first read pays the one failed call that opens the breaker.
            slowest = slowest.max(started.elapsed());
        }
    }
    assert!(slowest < Duration::from_millis(250), "a read took {slowest:?} during the outage");
    let (status, cache) = health_cache(addr).await;
    assert_eq!((status, cache.as_str()), (200, "down"), "the cache is down, the service is not");
    // A write during the outage reaches the database; its invalidation
    // cannot reach Redis.
    rename(addr, id, "During").await;
    assert_eq!(display_name(addr, id).await, "During");

    // Redis is back with what it held before — `sys_account:<id>` says
    // "First". The service drops its keys before it reads the cache again.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    while health_cache(addr).await.1 != "up" {
        assert!(Instant::now() < deadline, "the cache never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(display_name(addr, id).await, "During", "no stale row after the outage");
    // Every key of the service was dropped, not only the ones this instance
    // invalidated: erin's row is read afresh once, then cached again — a
    // change behind the service is not seen.
    assert_eq!(display_name(addr, other).await, "First");
    rename_behind(&home, other, "Behind").await;
    assert_eq!(display_name(addr, other).await, "First", "served from Redis again");
    rename_behind(&home, id, "Behind").await;
    assert_eq!(display_name(addr, id).await, "During", "refilled from the database and cached");

    // One line when the outage started, one when it ended.
    assert_eq!(failed_lines("cache `default` unreachable"), 1);
    assert_eq!(failed_lines("cache `default` reachable again"), 1);
    drop(redis);
}

// ---------------------------------------------------------------- cluster

/// `TEST_REDIS_CLUSTER`: a cluster URL (`redis+cluster://…`) shared by the
/// suites; any other value only asks the failover test to run (it starts a
/// cluster of its own, since it kills a node).
fn cluster_url() -> Option<String> {
    std::env::var("TEST_REDIS_CLUSTER").ok().filter(|url| url.starts_with("redis+cluster://"))
}

#[tokio::test]
async fn the_api_on_a_redis_cluster() {
    let Some(url) = cluster_url() else {
        eprintln!("skipped: TEST_REDIS_CLUSTER names no cluster");
        return;
    };
    let cache = match Cache::open("default", &url, vec![]) {
        Ok(cache) => cache,
        Err(err) => panic!("{err}"),
    };
    exercise_api(&cache).await;
}

#[tokio::test]
async fn account_reads_go_through_a_redis_cluster() {
    let Some(url) = cluster_url() else {
        eprintln!("skipped: TEST_REDIS_CLUSTER names no cluster");
        return;
    };
    let cache = match Cache::open("flush", &url, vec![]) {
        Ok(cache) => cache,
        Err(err) => panic!("{err}"),
    };
    flush(&cache).await;
    let home = temp_home("rt-cluster");
    let addr = boot(&home, Some(&url)).await;
    reads_go_through_the_cache(addr, &home).await;
}

/// A primary of the cluster dies while reads flow: no read fails (they go
/// to the database while its slots have no primary), a write made then is
/// not hidden by the row cached before, and once the replica took over the
/// cache serves again. Prints the figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_primary_killed_under_load_fails_no_read_and_serves_nothing_stale() {
    if std::env::var("TEST_REDIS_CLUSTER").is_err() {
        eprintln!("skipped: TEST_REDIS_CLUSTER is not set");
        return;
    }
    let cluster =
        tokio::task::spawn_blocking(|| keel_tests::redis_server::RedisCluster::start("failover")).await;
    let mut cluster = cluster.unwrap_or_else(|err| panic!("{err}"));
    keel_tests::failed_log::capture();
    let home = temp_home("cluster-failover");
    let addr = boot(&home, Some(&cluster.url())).await;
    assert_eq!(health_cache(addr).await, (200, "up".to_owned()));
    let id = create_account(addr, "fay").await;
    assert_eq!(display_name(addr, id).await, "First");

    // Bounded load: four readers, at most 20 000 reads or until stopped.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let stop = std::sync::Arc::clone(&stop);
            tokio::spawn(async move {
                let (mut done, mut failed) = (0u32, 0u32);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && done < 5_000 {
                    let reply = call(addr, "GET", &format!("/v1.00.02/account/{id}"), None).await;
                    done += 1;
                    failed += u32::from(reply.status != 200);
                }
                (done, failed)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let victim = cluster.primary_of(&format!("sys_account:{id}"));
    cluster.kill(victim);
    let killed = Instant::now();
    // A write while the row's slot has no primary: it reaches the database,
    // its invalidation cannot reach the cache.
    rename(addr, id, "During").await;
    assert_eq!(display_name(addr, id).await, "During");
    let deadline = Instant::now() + Duration::from_secs(40);
    while health_cache(addr).await.1 != "up" || display_name(addr, id).await != "During" {
        if Instant::now() > deadline {
            let health = call(addr, "GET", "/health", None).await;
            panic!(
                "the cache never came back after the failover: {}\n{:?}",
                health.body,
                keel_tests::failed_log::lines()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = killed.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut requests, mut failed) = (0, 0);
    for reader in readers {
        let (done, bad) = reader.await.unwrap_or_else(|err| panic!("{err}"));
        (requests, failed) = (requests + done, failed + bad);
    }
    println!(
        "cluster failover: primary :{victim} killed under load; {requests} reads, {failed} failed; \
         cache serving again after {:.1} s",
        recovered.as_secs_f64()
    );
    assert_eq!(failed, 0, "reads failed during the failover");
    assert!(requests > 100, "the load ran ({requests} reads)");
    // The promoted replica serves the slot, and the cache is used again.
    assert_eq!(display_name(addr, id).await, "During", "nothing stale after the failover");
    rename_behind(&home, id, "Behind").await;
    assert_eq!(display_name(addr, id).await, "During", "cached again on the promoted replica");
    // Sessions, limits and locks work again on every slot, the promoted
    // replica's included: a new login is honoured, and counts and locks on
    // keys spread over all slots land.
    sign_in(addr).await;
    assert_eq!(display_name(addr, id).await, "During");
    let cache = Cache::open("check", &cluster.url(), vec![]).unwrap_or_else(|err| panic!("{err}"));
    let run = std::process::id();
    for i in 0..64 {
        let (counter, lock) = (format!("tst_limit:{run}:{i}"), format!("tst_lock:{run}:{i}"));
        assert_eq!(cache.incr(&counter, Duration::from_secs(30)).await.0, 1, "{counter}");
        assert_eq!(
            cache.get(&counter).await.ok().flatten().as_deref(),
            Some(&b"1"[..]),
            "{counter} in Redis"
        );
        assert_eq!(cache.set_nx(&lock, b"x", Duration::from_secs(30)).await.ok(), Some(true), "{lock}");
        assert_eq!(cache.set_nx(&lock, b"y", Duration::from_secs(30)).await.ok(), Some(false), "{lock}");
    }
    drop(cluster);
}
