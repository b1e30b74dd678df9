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

pub use limit::LoginLimiter;
pub use session::{Checked, IssuedToken, Session, Sessions, TokenError, bearer, token_hash};

use crate::answer::{ApiError, ErrorCode, write_error};
use crate::app::AppState;
use crate::route::RouteDecl;
use salvo::handler::ArcHandler;
use salvo::{Depot, FlowCtrl, Handler, Request, Response, async_trait};
use std::sync::Arc;

/// The signed-in account, as the service's [`Authority`] describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The account's id.
    pub account_id: i64,
    /// Its login name.
    pub username: String,
    /// May it sign in (not disabled)?
    pub active: bool,
    /// Roles the permission hook looks at (`admin`, …).
    pub roles: Vec<String>,
    /// The session's token hash, set by the gate: what logout revokes.
    pub token_hash: String,
}

impl Principal {
    /// Whether the account has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// A service's authorization (seed: the base class in `api_base.py`).
#[async_trait]
pub trait Authority: Send + Sync + 'static {
    /// The account behind a session; `None` when it no longer exists.
    /// `token_hash` may be left empty: the gate fills it in.
    async fn account(&self, state: &AppState, account_id: i64) -> Result<Option<Principal>, ApiError>;

    /// Beyond a valid login: may `principal` call `route`? The default
    /// allows every signed-in account.
    fn permit(&self, principal: &Principal, route: &RouteDecl) -> Result<(), ApiError> {
        let _ = (principal, route);
        Ok(())
    }
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
            roles: Vec::new(),
            token_hash: String::new(),
        }))
    }
}

/// Checks the token before a protected route's handler runs.
pub(crate) struct Gate {
    pub(crate) route: &'static RouteDecl,
    pub(crate) inner: ArcHandler,
}

impl Gate {
    async fn admit(&self, req: &Request, state: &AppState) -> Result<Principal, ApiError> {
        let Some(authority) = &state.auth else {
            return Err(ApiError::new(ErrorCode::Unauthorized)
                .msg("this route needs a sign-in the service does not offer"));
        };
        let header = req.headers().get(salvo::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        // Browsers cannot set headers on a WebSocket: a socket also takes
        // `?token=`.
        let query_token = (self.route.verb == crate::Verb::Ws && header.is_none())
            .then(|| req.query::<String>("token"))
            .flatten()
            .map(|token| format!("Bearer {token}"));
        let token = bearer(header.or(query_token.as_deref()))?;
        let sessions = Sessions::of(state)?;
        let checked = sessions.check(token).await??;
        let Some(mut principal) = authority.account(state, checked.account_id).await? else {
            sessions.revoke_account(checked.account_id).await?;
            return Err(TokenError::Unknown.into());
        };
        if !principal.active {
            sessions.revoke_account(checked.account_id).await?;
            return Err(ApiError::new(ErrorCode::Forbidden).msg("account disabled"));
        }
        principal.token_hash = checked.token_hash;
        authority.permit(&principal, self.route)?;
        Ok(principal)
    }
}

#[async_trait]
impl Handler for Gate {
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
        let Ok(state) = depot.get_typed::<Arc<AppState>>().cloned() else {
            write_error(ApiError::internal("protected route outside a keel App"), depot, res);
            return;
        };
        match self.admit(req, &state).await {
            Ok(principal) => {
                depot.insert_typed(principal);
                self.inner.handle(req, depot, res, ctrl).await;
            }
            Err(err) => write_error(err, depot, res),
        }
    }
}
