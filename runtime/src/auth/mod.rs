//! Auth (seed: `api_base.py`): sessions shared by every instance and
//! service, routes protected by default, rate-limited login.
//!
//! A service turns it on with [`App::auth`](crate::App::auth) and an
//! [`Authority`] — its `api_base` — that says who an account is and what
//! it may do. Every route not marked `public` then needs
//! `Authorization: Bearer <token>`: missing, malformed, unknown or expired
//! → 401 (40100); a disabled account → 403 (40300), and its sessions are
//! revoked. Handlers get the account with [`Ctx::account`](crate::Ctx::account).
//! Without an authority, protected routes answer 401: a route cannot be
//! served unprotected by accident.

mod limit;
mod session;

pub use limit::{LoginLimiter, LoginLimits};
pub use session::{
    IssuedToken, SESSION_CACHE_TTL, Session, Sessions, TokenError, ValidSession, bearer, token_hash,
};

mod gate;

pub use crate::http::principal::Principal;
pub(crate) use gate::Gate;

use crate::http::answer::ApiError;
use crate::state::AppState;
use salvo::async_trait;

/// A service's authorization (seed: the base class in `api_base.py`).
#[async_trait]
pub trait Authority: Send + Sync + 'static {
    /// The account behind a session; `None` when it no longer exists.
    /// `token_hash` may be left empty: the gate fills it in.
    async fn account(&self, state: &AppState, account_id: i64) -> Result<Option<Principal>, ApiError>;
}

/// For a service that signs in with another service's tokens and keeps no
/// accounts of its own (ws_guidance with manage_system's): a valid session
/// is enough. Disabling an account revokes its sessions, so a session that
/// checks out belongs to an active account.
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionAuthority;

#[async_trait]
impl Authority for SessionAuthority {
    async fn account(&self, _state: &AppState, account_id: i64) -> Result<Option<Principal>, ApiError> {
        Ok(Some(Principal {
            account_id,
            username: String::new(),
            active: true,
            permissions: Vec::new(),
            token_hash: String::new(),
        }))
    }
}

impl std::fmt::Debug for dyn Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authority")
    }
}
