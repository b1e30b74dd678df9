//! Timed jobs: each tick runs exactly once across three instances sharing
//! Redis (`TEST_REDIS_URL`), and a job that panics is logged while the next
//! tick still runs. (One-off scripts are tested through the binary in
//! services/manage_system/tests/cli.rs.)

use keel::App;
use keel::config::{BackendEntry, Config};
use keel_tests::probe;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Ticks = Arc<Mutex<BTreeMap<i64, u32>>>;

fn counting_app(config: Config, ticks: &Ticks) -> App<keel::kind::HttpAndWs> {
    let ticks = Arc::clone(ticks);
    App::new(probe::uri_router()).config(config).job("count_ticks", "* * * * * *", move |ctx| {
        let ticks = Arc::clone(&ticks);
        async move {
            *ticks.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(ctx.tick).or_default() +=
                1;
            Ok(())
        }
    })
}

#[tokio::test]
async fn each_tick_runs_once_across_three_instances() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("skipped: TEST_REDIS_URL is not set (in-process caches do not share locks)");
        return;
    };
    // Redis database 12 is this test's; lock keys name the tick, so runs never meet.
    once_per_tick(format!("{}/12", url.trim_end_matches('/'))).await;
}

/// The same with the locks on a Redis Cluster (`TEST_REDIS_CLUSTER`).
#[tokio::test]
async fn each_tick_runs_once_across_three_instances_on_a_redis_cluster() {
    let Some(url) =
        std::env::var("TEST_REDIS_CLUSTER").ok().filter(|url| url.starts_with("redis+cluster://"))
    else {
        eprintln!("skipped: TEST_REDIS_CLUSTER names no cluster");
        return;
    };
    once_per_tick(url).await;
}

async fn once_per_tick(url: String) {
    let ticks = Ticks::default();
    let mut servers = Vec::new();
    for _ in 0..3 {
        let mut config = Config::default();
        config.cache.insert("default".to_owned(), BackendEntry::Url(url.clone()));
        match counting_app(config, &ticks).bind("127.0.0.1:0").await {
            Ok(server) => servers.push(server),
            Err(err) => panic!("{err}"),
        }
    }
    let seen = || ticks.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len();
    keel_tests::eventually(Duration::from_secs(10), "three ticks", || async { seen() >= 3 }).await;
    for server in &servers {
        server.stop_graceful(Duration::from_secs(1));
    }
    let ticks = ticks.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    assert!(ticks.len() >= 3, "ticks seen: {ticks:?}");
    assert!(ticks.values().all(|&runs| runs == 1), "every tick exactly once: {ticks:?}");
}

#[tokio::test]
async fn a_panicking_job_is_logged_and_the_next_tick_still_runs() {
    keel_tests::failed_log::capture();
    let runs = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&runs);
    let app = App::new(probe::uri_router()).job("flaky", "* * * * * *", move |_ctx| {
        let counter = Arc::clone(&counter);
        async move {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("the first run of flaky fails");
            }
            Err("the second run reports an error".into())
        }
    });
    let server = match app.bind("127.0.0.1:0").await {
        Ok(server) => server,
        Err(err) => panic!("{err}"),
    };
    keel_tests::eventually(Duration::from_secs(10), "three runs of flaky", || async {
        runs.load(Ordering::SeqCst) >= 3
    })
    .await;
    server.stop_graceful(Duration::from_secs(1));
    assert!(runs.load(Ordering::SeqCst) >= 3, "{} runs", runs.load(Ordering::SeqCst));
    let lines = keel_tests::failed_log::lines();
    assert_eq!(lines.iter().filter(|l| l.starts_with("job `flaky` panicked")).count(), 1, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("job `flaky` failed") && l.contains("reports an error")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_bad_schedule_or_an_unknown_job_stops_boot_with_one_line() {
    let app = App::new(probe::uri_router()).job("nightly", "0 0 3 * *", |_ctx| async { Ok(()) });
    let err = app.bind("127.0.0.1:0").await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("job `nightly`: schedule `0 0 3 * *`") && err.lines().count() == 1, "{err}");
    let mut config = Config::default();
    config.jobs.insert("nigthly".to_owned(), "off".to_owned());
    let app =
        App::new(probe::uri_router()).config(config).job("nightly", "0 0 3 * * *", |_ctx| async { Ok(()) });
    let err = app.bind("127.0.0.1:0").await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("`jobs.nigthly`: no such job (jobs: nightly)"), "{err}");
}
