//! The service's base (seed: `api_base.py`): who a token's account is and
//! what it may do, password hashing, and the first account. Every route not
//! marked `#[api(public)]` needs a bearer token (keel's gate asks
//! [`ManageAuthority`]).

use crate::db_model::main::{Account, AccountStatus};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use keel::auth::{Authority, Principal};
use keel::prelude::*;
use keel::{AppState, RouteDecl};

/// The role that may read everyone's login records.
pub const ADMIN: &str = "admin";

/// manage_system's authorization: an account may sign in while active;
/// the admin — the account named by `admin.username`, else account 1 —
/// has the `admin` role, which the login records need.
pub struct ManageAuthority;

#[keel::async_trait]
impl Authority for ManageAuthority {
    async fn account(&self, state: &AppState, account_id: i64) -> Result<Option<Principal>, ApiError> {
        let Ok(db) = state.db() else { return Ok(None) };
        let Some(account) = db.get_cached::<Account>(account_id).await? else { return Ok(None) };
        let admin = match &state.config().admin.username {
            Some(name) => *name == account.username,
            None => account_id == 1,
        };
        Ok(Some(Principal {
            account_id,
            username: account.username,
            active: account.status == AccountStatus::Active,
            roles: if admin { vec![ADMIN.to_owned()] } else { Vec::new() },
            token_hash: String::new(),
        }))
    }

    /// The permission hook: login records are the admin's.
    fn permit(&self, principal: &Principal, route: &RouteDecl) -> Result<(), ApiError> {
        if route.handler == "LoginRecordHandler" && !principal.has_role(ADMIN) {
            return Err(ApiError::new(ErrorCode::Forbidden).msg("login records are for the admin"));
        }
        Ok(())
    }
}

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
pub async fn ensure_first_account(state: std::sync::Arc<keel::AppState>) -> Result<(), BoxError> {
    let Ok(db) = state.db() else { return Ok(()) };
    let (_, total) = db
        .page::<crate::db_model::main::Account>(&keel::db::Filter::new(), 1, 1)
        .await
        .map_err(|e| format!("reading sys_account: {e}"))?;
    if total > 0 {
        return Ok(());
    }
    let admin = &state.config().admin;
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
            log::info!(target: keel::logging::INFO, "created the first account `{}` (id {})", view.username, view.id);
        }
        _ => log::info!(
            target: keel::logging::INFO,
            "sys_account is empty: set KEEL_ADMIN__USERNAME and KEEL_ADMIN__PASSWORD to create the first account at boot"
        ),
    }
    Ok(())
}
