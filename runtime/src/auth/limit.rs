//! Login rate limits through the cache (docs/conventions.md): failures per account
//! and attempts per client IP, each in a fixed window. While Redis is away
//! the counts are kept per process, so limits still hold on each instance.

use crate::cache::Cache;
use crate::config::AuthConfig;
use crate::http::answer::{ApiError, ErrorCode};
use crate::http::extract::FromRequest;
use crate::state::{AppState, Backends};
use salvo::oapi::{Components, Operation};
use salvo::{Depot, Request};
use std::sync::Arc;
use std::time::Duration;

/// The limits of one service, from `[auth]`.
#[derive(Clone, Debug)]
pub struct LoginLimiter<'a> {
    cache: &'a Cache,
    config: &'a AuthConfig,
}

fn too_many(left: Duration) -> ApiError {
    ApiError::new(ErrorCode::TooManyRequests)
        .msg("too many login attempts; try again later")
        .retry_after(left.as_secs() + u64::from(left.subsec_nanos() > 0))
}

fn account_key(username: &str) -> String {
    // Usernames are free text: hash them into a key of the naming rule.
    format!("keel_login_failures:{}", super::session::token_hash(&username.to_lowercase()))
}

impl<'a> LoginLimiter<'a> {
    /// Limits counted in `cache` with the settings of `config`.
    pub fn new(cache: &'a Cache, config: &'a AuthConfig) -> LoginLimiter<'a> {
        LoginLimiter { cache, config }
    }

    /// Counts an attempt from `ip` and refuses (429 with `Retry-After`) when
    /// the IP is over its budget or `username` has used up its failures.
    pub async fn attempt(&self, ip: &str, username: &str) -> Result<(), ApiError> {
        let window = Duration::from_secs(self.config.login_ip_window);
        let (attempts, left) = self.cache.incr(&format!("keel_login_attempts:{ip}"), window).await;
        if attempts > i64::from(self.config.login_attempts_per_ip) {
            return Err(too_many(left));
        }
        let (failures, left) = self.cache.count_of(&account_key(username)).await;
        if failures >= i64::from(self.config.login_failures) {
            return Err(too_many(left));
        }
        Ok(())
    }

    /// Counts a wrong password (or unknown user) for `username`.
    pub async fn failed(&self, username: &str) {
        let window = Duration::from_secs(self.config.login_failure_window);
        self.cache.incr(&account_key(username), window).await;
    }

    /// Forgets the failures of `username` after a successful login.
    pub async fn succeeded(&self, username: &str) {
        let _ = self.cache.delete(&account_key(username)).await;
    }
}

/// The login limits as a route argument: the route counts attempts with
/// [`LoginLimits::limiter`]. It marks a sign-in route, so its OpenAPI
/// operation lists 401 (wrong credentials), 403 (a disabled account) and
/// 429 (too many attempts), public as the route is.
///
/// ```ignore
/// #[keel::api(method = "post", path = "/login", public)]
/// pub async fn login(client: ClientInfo, limits: LoginLimits, body: Json<Credentials>) -> ApiResult<()> {
///     limits.limiter().attempt(&client.ip, &body.0.username).await?;
///     // … check the password; on failure `limits.limiter().failed(..)`.
///     Ok(answer_json(()))
/// }
/// ```
#[derive(Clone)]
pub struct LoginLimits {
    state: Arc<AppState>,
}

impl LoginLimits {
    /// The limits of this service, counted in its default cache.
    pub fn limiter(&self) -> LoginLimiter<'_> {
        LoginLimiter::new(self.state.cache(), &self.state.config().auth)
    }
}

impl std::fmt::Debug for LoginLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginLimits").finish_non_exhaustive()
    }
}

impl FromRequest for LoginLimits {
    async fn from_request(_req: &mut Request, depot: &Depot, _name: &'static str) -> Result<Self, ApiError> {
        let state = crate::http::frame::state_of(depot).ok_or_else(|| {
            ApiError::internal("LoginLimits used outside a keel App (no AppState in the depot)")
        })?;
        Ok(LoginLimits { state: Arc::clone(state) })
    }

    fn register(_components: &mut Components, operation: &mut Operation, _name: &str) {
        for code in [ErrorCode::Unauthorized, ErrorCode::Forbidden, ErrorCode::TooManyRequests] {
            operation.responses.insert(code.status().as_str(), crate::http::answer::error_response(code));
        }
    }
}
