//! A client for manage_system in tests: requests carry the bearer token of
//! the service's first account (the "keeper"), signed in once at boot.

use crate::{Reply, send};
use keel::config::Config;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;

/// The bearer token each booted service's keeper signed in with.
static TOKENS: Mutex<BTreeMap<SocketAddr, String>> = Mutex::new(BTreeMap::new());

/// The first account of every booted service (not "admin": a filter test
/// looks for that substring). It has the `admin` role.
pub const KEEPER: (&str, &str) = ("keeper", "keeper-secret-1");

/// `config` with the keeper as the first account.
pub fn with_keeper(config: Config) -> Config {
    with_admin(config, KEEPER.0, KEEPER.1)
}

/// `config` with `username`/`password` in manage_system's `[admin]`.
pub fn with_admin(mut config: Config, username: &str, password: &str) -> Config {
    let admin = manage_system::config::AdminSettings {
        username: Some(username.to_owned()),
        password: Some(password.to_owned()),
    };
    if let Err(err) = config.set_section(manage_system::config::AdminSettings::SECTION, &admin) {
        panic!("{err}");
    }
    config
}

/// `url` with `auto_upgrade`: boot applies pending migrations.
pub fn upgrading(url: &str) -> keel::config::BackendEntry {
    keel::config::BackendEntry::Table(keel::config::BackendTable {
        url: url.to_owned(),
        pool_size: None,
        connect_timeout: None,
        auto_upgrade: Some(true),
        query_timeout_ms: None,
    })
}

/// The committed migrations of manage_system (a temp home has none).
pub const MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/manage_system");

/// A request with an explicit token (or none).
pub async fn call_with(
    addr: SocketAddr,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    match send(addr, method, path, &headers, body).await {
        Ok(reply) => reply,
        Err(err) => panic!("{method} {path}: {err}"),
    }
}

/// A request as the service's keeper (once signed in with [`sign_in`]).
pub async fn call(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Reply {
    let token = TOKENS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&addr).cloned();
    call_with(addr, token.as_deref(), method, path, body).await
}

/// Logs in; returns the token (panics unless 200).
pub async fn login(addr: SocketAddr, username: &str, password: &str) -> String {
    let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
    let reply = call_with(addr, None, "POST", "/v1.00.02/login", Some(&body)).await;
    assert_eq!(reply.status, 200, "login of {username}: {}", reply.body);
    let token = reply.json()["data"]["token"].as_str().unwrap_or_default().to_owned();
    assert_eq!(token.len(), 64, "{}", reply.body);
    token
}

/// Logs in as the keeper and remembers the token for [`call`].
pub async fn sign_in(addr: SocketAddr) {
    let token = login(addr, KEEPER.0, KEEPER.1).await;
    remember(addr, token);
}

/// Makes [`call`] use `token` for `addr`.
pub fn remember(addr: SocketAddr, token: String) {
    TOKENS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(addr, token);
}
