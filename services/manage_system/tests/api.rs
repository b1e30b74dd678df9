//! manage_system through `keel::testing::TestClient`: booted once on an
//! embedded SQLite in a temporary home, every request sharing its state.
//! Authorization: the take-over reproduction, a matrix over every route,
//! delegation through roles, the last-admin rule and the recovery script.

use keel::Access;
use keel::config::Config;
use keel::testing::{TestAnswer, TestClient};
use manage_system::config::AdminSettings;
use serde_json::{Value, json};

const ADMIN: (&str, &str) = ("root", "root-secret-1");

fn config() -> Config {
    let mut config = Config::default();
    let admin = AdminSettings { username: Some(ADMIN.0.to_owned()), password: Some(ADMIN.1.to_owned()) };
    config.set_section(AdminSettings::SECTION, &admin).expect("serializable");
    config
}

async fn boot() -> TestClient {
    match TestClient::boot(manage_system::uri_router::app().config(config())).await {
        Ok(client) => client,
        Err(err) => panic!("boot: {err}"),
    }
}

async fn login(client: &TestClient, username: &str, password: &str) -> String {
    let answer = client
        .post("/v1.00.02/login")
        .json(&json!({"username": username, "password": password}))
        .send()
        .await;
    assert_eq!(answer.status, 200, "login of {username}: {}", answer.text);
    answer.json["data"]["token"].as_str().map(str::to_owned).expect("a token")
}

#[track_caller]
fn expect(answer: &TestAnswer, status: u16, code: u64) -> Value {
    assert_eq!((answer.status, answer.json["code"].as_u64()), (status, Some(code)), "{}", answer.text);
    answer.json["data"].clone()
}

/// Creates an account as `admin` (optionally with a role); returns its id.
async fn create(client: &TestClient, admin: &str, username: &str, role_id: Option<i64>) -> i64 {
    let body = json!({"username": username, "password": format!("{username}-secret"), "role_id": role_id});
    let answer = client.post("/v1.00.02/account").bearer(admin).json(&body).send().await;
    expect(&answer, 201, 0)["id"].as_i64().expect("an id")
}

async fn create_role(client: &TestClient, admin: &str, name: &str, permissions: &[&str]) -> i64 {
    let body = json!({"name": name, "permissions": permissions});
    let answer = client.post("/v1.00.02/role").bearer(admin).json(&body).send().await;
    expect(&answer, 201, 0)["id"].as_i64().expect("an id")
}

async fn admin_role_id(client: &TestClient, admin: &str) -> i64 {
    let me = client.get("/v1.00.02/account/me").bearer(admin).send().await;
    expect(&me, 200, 0)["role_id"].as_i64().expect("the first account has the admin role")
}

/// Load balancers probe with HEAD: every GET route answers it, and the
/// operational ones too; a route without GET still answers 405.
#[tokio::test]
async fn head_is_answered_wherever_get_is() {
    let client = boot().await;
    assert_eq!(client.request("HEAD", "/health").send().await.status, 200);
    assert_eq!(client.request("HEAD", "/openapi.json").send().await.status, 200);
    assert_eq!(client.request("HEAD", "/v1.00.02/test").send().await.status, 200);
    assert_eq!(client.request("HEAD", "/v1.00.02/account/me").send().await.status, 401);
    assert_eq!(client.request("HEAD", "/v1.00.02/login").send().await.status, 405);
}

#[tokio::test]
async fn a_bearer_token_through_the_test_client_reaches_a_protected_route() {
    let client = boot().await;
    let anonymous = client.get("/v1.00.02/account/me").send().await;
    expect(&anonymous, 401, 40100);
    // The session is in the state the next request shares.
    let token = login(&client, ADMIN.0, ADMIN.1).await;
    let me = client.get("/v1.00.02/account/me").bearer(&token).send().await;
    assert_eq!(expect(&me, 200, 0)["username"], ADMIN.0);
    assert!(me.request_id.is_some());
    // The session is cached for at most SESSION_CACHE_TTL, not its own day.
    use keel::Backends;
    use keel::auth::{SESSION_CACHE_TTL, token_hash};
    let key = format!("keel_session:{}", token_hash(&token));
    let ttl = client.state().cache().ttl(&key).await.expect("the cache answers").flatten();
    assert!(ttl.is_some_and(|t| t > std::time::Duration::ZERO && t <= SESSION_CACHE_TTL), "{ttl:?}");
    // The account row went through the cache, without its password hash.
    let cached = client.state().cache().get("sys_account:1").await.expect("the cache answers");
    let cached = String::from_utf8(cached.expect("the row is cached")).expect("JSON text");
    assert!(cached.contains("\"username\":\"root\""), "{cached}");
    assert!(!cached.contains("password_hash") && !cached.contains("argon2"), "{cached}");
}

/// The take-over reported against the previous release, replayed: a plain
/// account created by the admin tried to reset the admin's password,
/// disable it and take its role. Every step is now 403, the admin still
/// signs in, and the plain account can only change itself.
#[tokio::test]
async fn a_plain_account_cannot_take_over_the_admin() {
    let client = boot().await;
    let root = login(&client, ADMIN.0, ADMIN.1).await;
    let admin_role = admin_role_id(&client, &root).await;
    create(&client, &root, "ann", None).await;
    let ann = login(&client, "ann", "ann-secret").await;

    for body in [json!({"password": "taken-over-1"}), json!({"status": 0}), json!({"role_id": admin_role})] {
        let answer = client.put("/v1.00.02/account/1").bearer(&ann).json(&body).send().await;
        let msg = expect(&answer, 403, 40300);
        assert!(answer.json["msg"].as_str().unwrap_or_default().contains("account.write"), "{msg}");
    }
    let new = json!({"username": "mallory", "password": "mallory-secret"});
    expect(&client.post("/v1.00.02/account").bearer(&ann).json(&new).send().await, 403, 40300);
    let role = json!({"name": "mine", "permissions": ["role.write"]});
    expect(&client.post("/v1.00.02/role").bearer(&ann).json(&role).send().await, 403, 40300);
    expect(&client.get("/v1.00.02/records/login").bearer(&ann).send().await, 403, 40300);

    // Her own account: the display name; the password only with the old one.
    let me = "/v1.00.02/account/me";
    let renamed = client.put(me).bearer(&ann).json(&json!({"display_name": "Ann"})).send().await;
    assert_eq!(expect(&renamed, 200, 0)["display_name"], "Ann");
    let no_old = client.put(me).bearer(&ann).json(&json!({"password": "ann-secret-2"})).send().await;
    assert_eq!(expect(&no_old, 400, 40001)["errors"][0]["field"], "old_password");
    let wrong = json!({"password": "ann-secret-2", "old_password": "not-hers-1"});
    let wrong = client.put(me).bearer(&ann).json(&wrong).send().await;
    assert_eq!(expect(&wrong, 400, 40001)["errors"][0]["field"], "old_password");
    for own in [json!({"status": 0}), json!({"role_id": admin_role})] {
        expect(&client.put(me).bearer(&ann).json(&own).send().await, 400, 40001);
    }
    let right = json!({"password": "ann-secret-2", "old_password": "ann-secret"});
    expect(&client.put(me).bearer(&ann).json(&right).send().await, 200, 0);
    // The change ended her sessions; the new password signs in.
    expect(&client.get(me).bearer(&ann).send().await, 401, 40100);
    login(&client, "ann", "ann-secret-2").await;
    // The admin was never touched.
    let root_again = login(&client, ADMIN.0, ADMIN.1).await;
    assert_eq!(expect(&client.get(me).bearer(&root_again).send().await, 200, 0)["status"], 1);
}

/// Every route of the router, for four callers; what each may do follows
/// from the route's declared access, so a new route is covered the day it
/// is listed.
#[tokio::test]
async fn every_route_answers_by_its_declared_access() {
    let client = boot().await;
    let root = login(&client, ADMIN.0, ADMIN.1).await;
    let reader_role = create_role(&client, &root, "reader", &["account.read"]).await;
    create(&client, &root, "plain", None).await;
    create(&client, &root, "reader", Some(reader_role)).await;
    let callers: [(&str, Option<String>, &[&str]); 4] = [
        ("nobody", None, &[]),
        ("plain", Some(login(&client, "plain", "plain-secret").await), &[]),
        ("reader", Some(login(&client, "reader", "reader-secret").await), &["account.read"]),
        ("admin", Some(root), manage_system::SysConf::PERMISSIONS),
    ];
    let mut rows = manage_system::uri_router::uri_router().table();
    // Logging out ends the caller's session: walk it last.
    rows.sort_by_key(|(_, url, _, _)| url.ends_with("/logout"));
    let mut checked = 0;
    for (name, token, held) in &callers {
        for (verb, url, handler, access) in &rows {
            let path = url.replace("{id}", "1");
            let mut request = client.request(verb.as_str(), &path);
            if let Some(token) = token {
                request = request.bearer(token);
            }
            if matches!(verb.as_str(), "POST" | "PUT" | "PATCH") {
                request = request.json(&json!({}));
            }
            let answer = request.send().await;
            let expected = match (access, token) {
                (Access::Public, _) => None,
                (_, None) => Some(401),
                (Access::SignedIn, Some(_)) => None,
                (Access::Permission(p), Some(_)) => (!held.contains(p)).then_some(403),
            };
            match expected {
                Some(status) => assert_eq!(
                    answer.status, status,
                    "{name}: {verb:?} {url} ({handler}, {access}): {}",
                    answer.text
                ),
                None => assert!(
                    ![401, 403].contains(&answer.status) && answer.status < 500,
                    "{name}: {verb:?} {url} ({handler}, {access}) should pass the gate: {} {}",
                    answer.status,
                    answer.text
                ),
            }
            checked += 1;
        }
    }
    assert!(checked >= 4 * 12, "{checked} checks");
}

/// The admin delegates `account.read` to an operator role through the API;
/// a role naming an undeclared permission is refused naming it; a change
/// to the role is enforced at the operator's next request.
#[tokio::test]
async fn the_admin_delegates_through_a_role() {
    let client = boot().await;
    let root = login(&client, ADMIN.0, ADMIN.1).await;
    let bad = json!({"name": "typo", "permissions": ["account.read", "acount.write"]});
    let refused = client.post("/v1.00.02/role").bearer(&root).json(&bad).send().await;
    let errors = expect(&refused, 400, 40001)["errors"].clone();
    assert_eq!(errors[0]["field"], "permissions[1]");
    assert!(errors[0]["msg"].as_str().unwrap_or_default().contains("`acount.write`"), "{errors}");

    let operator = create_role(&client, &root, "operator", &["account.read"]).await;
    let bob_id = create(&client, &root, "bob", None).await;
    let grant = json!({"role_id": operator});
    let granted = client.put(&format!("/v1.00.02/account/{bob_id}")).bearer(&root).json(&grant).send().await;
    assert_eq!(expect(&granted, 200, 0)["role_id"], operator);
    let bob = login(&client, "bob", "bob-secret").await;
    expect(&client.get("/v1.00.02/account").bearer(&bob).send().await, 200, 0);
    let new = json!({"username": "carl", "password": "carl-secret"});
    expect(&client.post("/v1.00.02/account").bearer(&bob).json(&new).send().await, 403, 40300);
    let role = client.get(&format!("/v1.00.02/role/{operator}")).bearer(&root).send().await;
    assert_eq!(expect(&role, 200, 0)["permissions"], json!(["account.read"]));

    let emptied = json!({"permissions": []});
    let path = format!("/v1.00.02/role/{operator}");
    expect(&client.put(&path).bearer(&root).json(&emptied).send().await, 200, 0);
    expect(&client.get("/v1.00.02/account").bearer(&bob).send().await, 403, 40300);
}

/// Nobody changes their own role or status; an operator holding
/// `account.write` cannot reset the password of an account that holds more
/// than it does, nor grant a role beyond its own; the last enabled account
/// holding `role.write` cannot be disabled, demoted or lose it (409).
#[tokio::test]
async fn the_last_admin_stays_and_nobody_escalates() {
    let client = boot().await;
    let root = login(&client, ADMIN.0, ADMIN.1).await;
    let admin_role = admin_role_id(&client, &root).await;
    let root_path = "/v1.00.02/account/1";
    let own = client.put(root_path).bearer(&root).json(&json!({"status": 0})).send().await;
    expect(&own, 403, 40300);

    let writer = create_role(&client, &root, "writer", &["account.read", "account.write"]).await;
    create(&client, &root, "olga", Some(writer)).await;
    let olga = login(&client, "olga", "olga-secret").await;
    let reset = client.put(root_path).bearer(&olga).json(&json!({"password": "olga-owns-it"})).send().await;
    expect(&reset, 403, 40300);
    let new = json!({"username": "pete", "password": "pete-secret", "role_id": admin_role});
    expect(&client.post("/v1.00.02/account").bearer(&olga).json(&new).send().await, 403, 40300);

    // The `admin` role keeps its name and every permission.
    let path = format!("/v1.00.02/role/{admin_role}");
    let demote = json!({"permissions": ["account.read"]});
    expect(&client.put(&path).bearer(&root).json(&demote).send().await, 403, 40300);
    expect(&client.put(&path).bearer(&root).json(&json!({"name": "superuser"})).send().await, 403, 40300);
    // No other role can take its name, so boot completes no other role.
    let taken = client
        .put(&format!("/v1.00.02/role/{writer}"))
        .bearer(&root)
        .json(&json!({"name": "admin"}))
        .send()
        .await;
    expect(&taken, 409, 40900);

    // chief holds every permission under another name.
    let all = manage_system::SysConf::PERMISSIONS;
    let chief = create_role(&client, &root, "chief", all).await;
    let second_id = create(&client, &root, "second", Some(chief)).await;
    let second = login(&client, "second", "second-secret").await;
    let disable = json!({"status": 0});
    expect(&client.put(root_path).bearer(&second).json(&disable).send().await, 200, 0);
    // second is now the only enabled holder of role.write: chief keeps it.
    let chief_path = format!("/v1.00.02/role/{chief}");
    let strip = json!({"permissions": ["account.read", "account.write"]});
    expect(&client.put(&chief_path).bearer(&second).json(&strip).send().await, 409, 40900);
    expect(&client.put(root_path).bearer(&second).json(&json!({"status": 1})).send().await, 200, 0);
    let root = login(&client, ADMIN.0, ADMIN.1).await;
    let second_path = format!("/v1.00.02/account/{second_id}");
    expect(&client.put(&second_path).bearer(&root).json(&disable).send().await, 200, 0);
    expect(&client.put(&second_path).bearer(&root).json(&json!({"role_id": writer})).send().await, 200, 0);
}

/// Two admins disabling each other at the same moment: the check that a
/// role.write holder remains and the write run under one lock, so exactly
/// one of them wins and the other gets 409 — never both.
#[tokio::test]
async fn racing_demotions_leave_an_admin() {
    let client = std::sync::Arc::new(boot().await);
    let root = login(&client, ADMIN.0, ADMIN.1).await;
    let admin_role = admin_role_id(&client, &root).await;
    for round in 0..5 {
        let name = format!("twin{round}");
        let twin_id = create(&client, &root, &name, Some(admin_role)).await;
        let twin = login(&client, &name, &format!("{name}-secret")).await;
        let disable = |token: String, id: i64| {
            let client = std::sync::Arc::clone(&client);
            tokio::spawn(async move {
                let path = format!("/v1.00.02/account/{id}");
                client.put(&path).bearer(&token).json(&json!({"status": 0})).send().await.status
            })
        };
        let (a, b) = (disable(root.clone(), twin_id), disable(twin, 1));
        let mut statuses = vec![a.await.expect("a"), b.await.expect("b")];
        statuses.sort_unstable();
        // root may win (twin disabled) or lose (root disabled, 409 for twin);
        // a 401/403 means the loser's token died with its account first.
        assert!(statuses[0] == 200 && statuses[1] != 200, "round {round}: {statuses:?}");
        let signed_in = client
            .post("/v1.00.02/login")
            .json(&json!({"username": ADMIN.0, "password": ADMIN.1}))
            .send()
            .await;
        if signed_in.status != 200 {
            // twin disabled root: root is re-enabled by the twin for the next round.
            return;
        }
    }
}

/// Locked out: the admin account was disabled by another admin who then
/// lost access. `http_manage_sys script rescript_restore_admin` re-enables
/// it with the password from the environment and the admin role, and
/// revokes its sessions; every change went to audit.log without a secret.
#[tokio::test]
async fn the_recovery_script_restores_a_locked_out_admin() {
    let home = keel::testing::TempHome::new("restore").expect("a temp home");
    // This test binary's log lines (its other tests' too) go to this home.
    let log = keel::config::LogConfig { files: vec!["audit".to_owned()], ..Default::default() };
    let log_guard = keel::logging::init(home.path(), "manage_system", &log).expect("logs");
    let app = || manage_system::uri_router::app().home(home.path()).config(config());
    let (old_token, admin_role) = {
        let client = TestClient::boot(app()).await.expect("boots");
        let root = login(&client, ADMIN.0, ADMIN.1).await;
        let admin_role = admin_role_id(&client, &root).await;
        create(&client, &root, "second", Some(admin_role)).await;
        let second = login(&client, "second", "second-secret").await;
        let path = "/v1.00.02/account/1";
        expect(&client.put(path).bearer(&second).json(&json!({"status": 0})).send().await, 200, 0);
        (root, admin_role)
    };
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(&migrations)
        .arg(home.path().join("migrations"))
        .status();
    assert!(copy.is_ok_and(|s| s.success()));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_http_manage_sys"))
        .args(["script", "rescript_restore_admin"])
        .env("KEEL_HOME", home.path())
        .env("KEEL_ADMIN__USERNAME", ADMIN.0)
        .env("KEEL_ADMIN__PASSWORD", "root-restored-9")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("rescript_restore_admin"), "{stdout}");

    let client = TestClient::boot(app()).await.expect("boots again");
    expect(&client.get("/v1.00.02/account/me").bearer(&old_token).send().await, 401, 40100);
    let wrong = json!({"username": ADMIN.0, "password": ADMIN.1});
    expect(&client.post("/v1.00.02/login").json(&wrong).send().await, 401, 40100);
    let root = login(&client, ADMIN.0, "root-restored-9").await;
    let me = expect(&client.get("/v1.00.02/account/me").bearer(&root).send().await, 200, 0);
    assert_eq!((me["status"].as_i64(), me["role_id"].as_i64()), (Some(1), Some(admin_role)));

    drop(log_guard);
    let audit = std::fs::read_to_string(home.path().join("logs/manage_system/audit.log")).unwrap_or_default();
    assert!(audit.contains("account.create") && audit.contains("account.update"), "{audit}");
    assert!(audit.contains("rescript_restore_admin"), "{audit}");
    assert!(!audit.contains("root-restored-9") && !audit.contains("$argon2"), "{audit}");
}

/// Usernames have one form: stored lower-case, `Root` signs in as `root`,
/// and a spacing or character outside the set is refused before anything
/// is looked up or counted.
#[tokio::test]
async fn usernames_are_canonical() {
    let client = boot().await;
    let root = login(&client, ADMIN.0, ADMIN.1).await;
    let created = client
        .post("/v1.00.02/account")
        .bearer(&root)
        .json(&json!({"username": "Ann.Lee", "password": "ann-secret-1"}))
        .send()
        .await;
    assert_eq!(expect(&created, 201, 0)["username"], "ann.lee");
    let taken = client
        .post("/v1.00.02/account")
        .bearer(&root)
        .json(&json!({"username": "ANN.LEE", "password": "ann-secret-1"}))
        .send()
        .await;
    expect(&taken, 409, 40900);
    login(&client, "ANN.lee", "ann-secret-1").await;
    for bad in ["root    ", " root", "ro ot", "röot", "ro\u{0}ot"] {
        let answer =
            client.post("/v1.00.02/login").json(&json!({"username": bad, "password": ADMIN.1})).send().await;
        assert_eq!(expect(&answer, 400, 40001)["errors"][0]["field"], "username", "{bad:?}");
    }
}

/// Input that used to reach the database as a 500: a page past any offset
/// and a NUL character in text.
#[tokio::test]
async fn hostile_paging_and_nul_characters_are_400s() {
    let client = boot().await;
    let root = login(&client, ADMIN.0, ADMIN.1).await;
    let far = client.get("/v1.00.02/account?page=9223372036854775807&size=20").bearer(&root).send().await;
    assert_eq!(expect(&far, 400, 40001)["errors"][0]["field"], "page");
    let last = client.get("/v1.00.02/account?page=461168601842738790&size=20").bearer(&root).send().await;
    assert_eq!(expect(&last, 200, 0)["list"], json!([]));
    let nul = client.get("/v1.00.02/account?username=a%00b").bearer(&root).send().await;
    assert_eq!(expect(&nul, 400, 40001)["errors"][0]["field"], "username");
    let body = json!({"username": "zed", "password": "zed-secret-1", "display_name": "Z\u{0}"});
    let nul = client.post("/v1.00.02/account").bearer(&root).json(&body).send().await;
    assert_eq!(expect(&nul, 400, 40001)["errors"][0]["field"], "display_name");
    let nul =
        client.post("/v1.00.02/login").json(&json!({"username": "root", "password": "x\u{0}"})).send().await;
    assert_eq!(expect(&nul, 400, 40001)["errors"][0]["field"], "password");
}

/// The models match the latest committed migration (boot checks the same).
#[test]
fn models_match_the_migrations() {
    keel::testing::assert_migrations_match(&manage_system::uri_router::app());
}
