//! `POST /login` and the login records (the HTTP contract in the README).

use crate::db_model::main::{Account, AccountStatus};
use crate::db_model::others::Login;
use crate::interface::account::{AccountView, canonical_username};
use keel::auth::{LoginLimits, Sessions};
use keel::db::Filter;
use keel::prelude::*;
use keel::time::DateTime;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    /// Login name: 3 to 32 of `[A-Za-z0-9_.-]`, any case.
    #[salvo(schema(pattern = r"^[A-Za-z0-9_.-]{3,32}$"))]
    pub username: String,
    /// Password.
    pub password: String,
}

/// A successful login.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    /// Bearer token: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// Seconds the token stays valid.
    pub expires_in: u64,
    /// The account.
    pub account: AccountView,
}

/// Sign in: a bearer token for the account. Every attempt is recorded; an
/// unknown user and a wrong password take the same time and get the same
/// 401; a disabled account gets 403; too many attempts (per account and
/// per client IP) get 429 with `Retry-After`.
#[keel::api(method = "post", path = "/login", version = "1.00.02", public)]
pub async fn login(
    ctx: Ctx,
    client: ClientInfo,
    limits: LoginLimits,
    body: Json<Credentials>,
) -> ApiResult<LoginView> {
    let Credentials { username, password } = body.0;
    // Refused before anything is counted or looked up: no spacing or case
    // variant of a name gets its own failure budget.
    let username = canonical_username(&username).map_err(|e| ApiError::validation(vec![e]))?;
    let db = ctx.db()?;
    let found = db.first(&Filter::new().eq(Account::USERNAME, username.as_str())).await?;
    // Failures count against the account matched (else the name tried).
    let limit_key = found.as_ref().and_then(|a| a.id).map_or_else(|| username.clone(), |id| format!("#{id}"));
    let limiter = limits.limiter();
    limiter.attempt(&client.ip, &limit_key).await?;
    // An unknown user costs one hash too, so timing does not tell them apart.
    let hash = found.as_ref().map(|a| a.password_hash.clone());
    let matches = crate::api_base::verify_password(password, hash).await?;
    let disabled = found.as_ref().is_some_and(|a| a.status != AccountStatus::Active);
    let success = matches && !disabled;
    let record = Login {
        id: None,
        account_id: found.as_ref().and_then(|a| a.id),
        username: username.chars().take(32).collect(),
        ip: client.ip,
        user_agent: client.user_agent.map(|ua| ua.chars().take(255).collect()),
        success,
        created_at: Some(DateTime::now()),
    };
    db.insert(&record).await?;
    match found {
        Some(account) if success => {
            limiter.succeeded(&limit_key).await;
            let id = account.id.unwrap_or_default();
            let sessions = Sessions::of(&ctx)?;
            let issued = sessions.issue(id, ctx.service.name).await?;
            // A password reset or a disable that ran while the password was
            // being checked revoked the account's sessions before this one
            // existed: look again, and take it back if the account changed.
            let now = db.get::<Account>(id).await?;
            let changed = now.as_ref().is_none_or(|a| {
                a.password_hash != account.password_hash || a.status != AccountStatus::Active
            });
            if changed {
                sessions.revoke(&keel::auth::token_hash(&issued.token)).await?;
                return Err(ApiError::new(ErrorCode::Unauthorized).msg("wrong username or password"));
            }
            ctx.log.info(format_args!("login of `{username}`"));
            Ok(answer_json(LoginView {
                token: issued.token,
                expires_in: issued.expires_in,
                account: account.into(),
            }))
        }
        Some(_) if matches => Err(ApiError::new(ErrorCode::Forbidden).msg("account disabled")),
        _ => {
            limiter.failed(&limit_key).await;
            Err(ApiError::new(ErrorCode::Unauthorized).msg("wrong username or password"))
        }
    }
}

/// Sign out: the token stops working on every instance and service.
#[keel::api(method = "post", path = "/logout", version = "1.00.02")]
pub async fn logout(ctx: Ctx) -> ApiResult<()> {
    let token_hash = ctx.account()?.token_hash.clone();
    Sessions::of(&ctx)?.revoke(&token_hash).await?;
    Ok(answer_json(()))
}

/// A login attempt as answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginRecordView {
    /// Primary key.
    pub id: i64,
    /// The account, when the username matched one.
    pub account_id: Option<i64>,
    /// The username as sent.
    pub username: String,
    /// Client address.
    pub ip: String,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// Whether the login succeeded.
    pub success: bool,
    /// When, RFC 3339 UTC.
    pub created_at: Option<DateTime>,
}

/// Filters of the login records.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginQuery {
    /// Page, from 1.
    #[salvo(schema(minimum = 1))]
    pub page: Option<u64>,
    /// Rows per page, 1 to 100 (20).
    #[salvo(schema(minimum = 1, maximum = 100))]
    pub size: Option<u64>,
    /// Only this account's attempts.
    pub account_id: Option<i64>,
    /// Only successes (true) or failures (false).
    pub success: Option<bool>,
}

/// Login records.
#[keel::api(path = "/records/login", version = "1.00.02", permission = "records.read")]
impl LoginRecordHandler {
    /// Page through login attempts, newest first.
    async fn get(ctx: Ctx, q: Query<LoginQuery>) -> ApiResult<Page<LoginRecordView>> {
        let q = q.0;
        let paging = page_bounds(q.page, q.size)?;
        let mut filter = Filter::new();
        if let Some(account_id) = q.account_id {
            filter = filter.eq(Login::ACCOUNT_ID, account_id);
        }
        if let Some(success) = q.success {
            filter = filter.eq(Login::SUCCESS, success);
        }
        let (rows, total) = ctx.db()?.page::<Login>(&filter, paging).await?;
        let list = rows
            .into_iter()
            .map(|r| LoginRecordView {
                id: r.id.unwrap_or_default(),
                account_id: r.account_id,
                username: r.username,
                ip: r.ip,
                user_agent: r.user_agent,
                success: r.success,
                created_at: r.created_at,
            })
            .collect();
        Ok(answer_page(list, total, paging))
    }
}
