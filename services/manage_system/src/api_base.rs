//! The service's base (seed: `api_base.py`): password hashing and the first
//! account. Token auth arrives with the auth issue; until then the
//! "token" routes of DESIGN §7 are served to everyone, and `#[api(public)]`
//! marks the ones that stay open.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use keel::prelude::*;

/// Hashes with Argon2 (default parameters) off the async threads.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(format!("argon2: {e}")))
}

/// A hash of a password nobody has, checked when the user is unknown so both
/// failures cost the same time.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Y7ozO5PTYuwhWScSTNHWAV1r8qKvVuGeWBTGbbgEcM";

/// Whether `password` matches `hash` (an unknown user passes `None`).
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&hash).map_err(|e| ApiError::internal(format!("stored hash: {e}")))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && known)
    })
    .await
    .map_err(ApiError::internal)?
}

/// At boot: when `sys_account` is empty, create the account configured in
/// `admin.username` / `admin.password`; otherwise say how to.
pub async fn ensure_first_account(state: std::sync::Arc<keel::AppState>) -> Result<(), String> {
    let Some(db) = &state.db else { return Ok(()) };
    let (_, total) = db
        .page::<crate::db_model::main::Account>(&keel::db::Filter::new(), 1, 1)
        .await
        .map_err(|e| format!("reading sys_account: {e}"))?;
    if total > 0 {
        return Ok(());
    }
    let admin = &state.config.admin;
    match (&admin.username, &admin.password) {
        (Some(username), Some(password)) => {
            let new = crate::interface::account::NewAccount {
                username: username.clone(),
                password: password.clone(),
                display_name: None,
                status: None,
            };
            let view = crate::interface::account::create_account(db, new).await.map_err(|e| {
                format!("first account `{username}` (admin.username / admin.password): {}", e.message())
            })?;
            log::info!(target: keel::log::INFO, "created the first account `{}` (id {})", view.username, view.id);
        }
        _ => log::info!(
            target: keel::log::INFO,
            "sys_account is empty: set KEEL_ADMIN__USERNAME and KEEL_ADMIN__PASSWORD to create the first account at boot"
        ),
    }
    Ok(())
}
