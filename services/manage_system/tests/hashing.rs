//! Password hashing is bounded — in a test binary of its own, because the
//! bound is per process and a burst would refuse the other tests' logins.

use keel::config::Config;
use keel::testing::TestClient;
use manage_system::config::AdminSettings;
use serde_json::json;

const ADMIN: (&str, &str) = ("root", "root-secret-1");

/// Password hashing is bounded: a burst of failing logins past the workers
/// and their short queue is answered 503 with `Retry-After` at once instead
/// of piling up Argon2 runs (each holds ~19 MiB); every other one is the
/// usual 401, and no answer is a 500.
#[tokio::test]
async fn a_burst_of_logins_is_bounded_not_queued_without_end() {
    let mut config = Config::default();
    let admin = AdminSettings { username: Some(ADMIN.0.to_owned()), password: Some(ADMIN.1.to_owned()) };
    config.set_section(AdminSettings::SECTION, &admin).expect("serializable");
    config.auth.login_attempts_per_ip = 10_000;
    let client = std::sync::Arc::new(
        TestClient::boot(manage_system::uri_router::app().config(config)).await.expect("boots"),
    );
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let client = std::sync::Arc::clone(&client);
            tokio::spawn(async move {
                let body = json!({"username": format!("nobody{i}"), "password": "wrong-password"});
                let answer = client.post("/v1.00.02/login").json(&body).send().await;
                (answer.status, answer.header("retry-after").map(str::to_owned))
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("a login task"));
    }
    let busy = statuses.iter().filter(|(s, _)| *s == 503).count();
    let refused = statuses.iter().filter(|(s, _)| *s == 401).count();
    assert_eq!(busy + refused, statuses.len(), "{statuses:?}");
    assert!(busy > 0 && refused > 0, "{statuses:?}");
    assert!(
        statuses.iter().filter(|(s, _)| *s == 503).all(|(_, retry)| retry.as_deref() == Some("1")),
        "{statuses:?}"
    );
    // Afterwards the gate is free again.
    let body = json!({"username": ADMIN.0, "password": ADMIN.1});
    assert_eq!(client.post("/v1.00.02/login").json(&body).send().await.status, 200);
}
