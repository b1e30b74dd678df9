//! The gate in front of every protected route: bearer token → session →
//! account → permission, before the handler runs.

use super::{Authority, Principal, Sessions, TokenError, bearer};
use crate::http::answer::{ApiError, ErrorCode, write_error};
use crate::http::declare::{RouteDecl, Verb};
use crate::state::AppState;
use salvo::{Depot, FlowCtrl, Handler, Request, Response, async_trait};
use std::sync::Arc;

/// Checks the token before a protected route's handler runs.
pub(crate) struct Gate {
    route: &'static RouteDecl,
    inner: Arc<dyn Handler>,
    authority: Option<Arc<dyn Authority>>,
}

impl Gate {
    /// Guards `inner`, the handler of `route`, with `authority` (none: every
    /// call answers 401, so a route is never served unprotected by accident).
    pub(crate) fn new(
        route: &'static RouteDecl,
        inner: Arc<dyn Handler>,
        authority: Option<Arc<dyn Authority>>,
    ) -> Gate {
        Gate { route, inner, authority }
    }

    async fn admit(&self, req: &Request, state: &AppState) -> Result<Principal, ApiError> {
        let Some(authority) = &self.authority else {
            return Err(ApiError::new(ErrorCode::Unauthorized)
                .msg("this route needs a sign-in the service does not offer"));
        };
        let header = req.headers().get(salvo::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        // Browsers cannot set headers on a WebSocket: a socket also takes
        // `?token=`.
        let query_token = (self.route.verb == Verb::Ws && header.is_none())
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
        if let Some(permission) = self.route.permission
            && !principal.can(permission)
        {
            return Err(Principal::forbidden(permission));
        }
        Ok(principal)
    }
}

#[async_trait]
impl Handler for Gate {
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
        let Some(state) = crate::http::frame::state_of(depot).cloned() else {
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
