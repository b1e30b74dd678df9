//! Accounts: create, page through, read and update (the HTTP contract in the README).

use crate::db_model::main::{Account, AccountStatus};
use keel::db::Filter;
use keel::prelude::*;
use keel::time::DateTime;
use keel_common::model_db::Stamps;

/// An account as answered: never a password or its hash.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// Primary key.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Shown name.
    pub display_name: Option<String>,
    /// 1 active, 0 disabled.
    pub status: AccountStatus,
    /// Creation time, RFC 3339 UTC.
    pub created_at: Option<DateTime>,
    /// Last update, RFC 3339 UTC.
    pub updated_at: Option<DateTime>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            id: a.id.unwrap_or_default(),
            username: a.username,
            display_name: a.display_name,
            status: a.status,
            created_at: a.stamps.created_at,
            updated_at: a.stamps.updated_at,
        }
    }
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// 3 to 32 of `[A-Za-z0-9_.-]`, unique.
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    /// Shown name, at most 64 characters.
    pub display_name: Option<String>,
    /// 1 active (default), 0 disabled.
    pub status: Option<AccountStatus>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountUpdate {
    /// Shown name, at most 64 characters.
    pub display_name: Option<String>,
    /// 1 active, 0 disabled.
    pub status: Option<AccountStatus>,
    /// A new password, at least 8 characters.
    pub password: Option<String>,
}

/// Filters of the account list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    /// Page, from 1.
    pub page: Option<u64>,
    /// Rows per page, 1 to 100 (20).
    pub size: Option<u64>,
    /// 1 active, 0 disabled.
    pub status: Option<AccountStatus>,
    /// Case-insensitive substring of the username; `%` and `_` are literal.
    pub username: Option<String>,
    /// Created at or after (RFC 3339).
    pub created_from: Option<DateTime>,
    /// Created at or before (RFC 3339).
    pub created_to: Option<DateTime>,
}

pub(crate) fn check_username(username: &str, errors: &mut Vec<FieldError>) {
    let ok = (3..=32).contains(&username.len())
        && username.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !ok {
        errors.push(FieldError::new("username", "3 to 32 characters of letters, digits, `_`, `.` or `-`"));
    }
}

fn check_password(password: &str, errors: &mut Vec<FieldError>) {
    if password.chars().count() < 8 {
        errors.push(FieldError::new("password", "at least 8 characters"));
    }
}

fn check_display_name(name: Option<&str>, errors: &mut Vec<FieldError>) {
    if name.is_some_and(|n| n.chars().count() > 64) {
        errors.push(FieldError::new("display_name", "at most 64 characters"));
    }
}

/// Creates an account; shared with the first-account boot step.
pub async fn create_account(ctx_db: &keel::db::Db, new: NewAccount) -> Result<AccountView, ApiError> {
    let mut errors = Vec::new();
    check_username(&new.username, &mut errors);
    check_password(&new.password, &mut errors);
    check_display_name(new.display_name.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = Some(DateTime::now());
    let mut account = Account {
        id: None,
        username: new.username,
        display_name: new.display_name,
        password_hash: crate::api_base::hash_password(new.password).await?,
        status: new.status.unwrap_or(AccountStatus::Active),
        stamps: Stamps { created_at: now, updated_at: now },
    };
    let id = ctx_db.insert(&account).await.map_err(|err| match err {
        keel::db::DbError::Conflict(_) => ApiError::new(ErrorCode::Conflict).msg("username is taken"),
        other => other.into(),
    })?;
    account.id = Some(id);
    Ok(account.into())
}

/// Accounts.
#[keel::api(path = "/account", version = "1.00.02")]
impl AccountHandler {
    /// Create an account (POST creates). A taken username answers 409.
    async fn post(ctx: Ctx, body: Json<NewAccount>) -> ApiResult<AccountView> {
        let view = create_account(ctx.db()?, body.0).await?;
        ctx.log.info(format_args!("account {} `{}` created", view.id, view.username));
        Ok(answer_json(view).created())
    }

    /// Page through accounts (GET queries), newest first.
    async fn get(ctx: Ctx, q: Query<AccountQuery>) -> ApiResult<Page<AccountView>> {
        let q = q.0;
        let (page, size) = page_bounds(q.page, q.size)?;
        let mut filter = Filter::new();
        if let Some(status) = q.status {
            filter = filter.eq("status", status.value());
        }
        if let Some(name) = q.username.as_deref().filter(|n| !n.is_empty()) {
            filter = filter.contains_ci("username", name);
        }
        if let Some(from) = q.created_from {
            filter = filter.ge("created_at", from.to_string());
        }
        if let Some(to) = q.created_to {
            filter = filter.le("created_at", to.to_string());
        }
        let (rows, total) = ctx.db()?.page::<Account>(&filter, page, size).await?;
        Ok(answer_page(rows.into_iter().map(AccountView::from).collect(), total, page, size))
    }
}

/// The signed-in account.
#[keel::api(path = "/account/me", version = "1.00.02")]
impl AccountMeHandler {
    /// The account of the bearer token.
    async fn get(ctx: Ctx) -> ApiResult<AccountView> {
        let id = ctx.account()?.account_id;
        let account = ctx.db()?.get_cached::<Account>(id).await?;
        account.map(|a| answer_json(a.into())).ok_or_else(|| ApiError::not_found("no such account"))
    }
}

/// One account.
#[keel::api(path = "/account/{id}", version = "1.00.02")]
impl AccountItemHandler {
    /// Read an account; unknown ids answer 404.
    async fn get(ctx: Ctx, id: PathParam<i64>) -> ApiResult<AccountView> {
        let account = ctx.db()?.get_cached::<Account>(*id).await?;
        account.map(|a| answer_json(a.into())).ok_or_else(|| ApiError::not_found("no such account"))
    }

    /// Update an account (PUT updates): display name, status, password.
    async fn put(ctx: Ctx, id: PathParam<i64>, body: Json<AccountUpdate>) -> ApiResult<AccountView> {
        let change = body.0;
        let mut errors = Vec::new();
        if let Some(password) = &change.password {
            check_password(password, &mut errors);
        }
        check_display_name(change.display_name.as_deref(), &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let db = ctx.db()?;
        let mut account =
            db.get::<Account>(*id).await?.ok_or_else(|| ApiError::not_found("no such account"))?;
        if let Some(name) = change.display_name {
            account.display_name = Some(name);
        }
        if let Some(status) = change.status {
            account.status = status;
        }
        let disabling = change.status == Some(AccountStatus::Disabled);
        let new_password = change.password.is_some();
        if let Some(password) = change.password {
            account.password_hash = crate::api_base::hash_password(password).await?;
        }
        account.stamps.updated_at = Some(DateTime::now());
        db.update(*id, &account).await?;
        if disabling || new_password {
            // Every token of the account stops working, on every instance.
            let revoked = keel::auth::Sessions::of(&ctx)?.revoke_account(*id).await?;
            ctx.log.info(format_args!("account {} lost {revoked} session(s)", *id));
        }
        ctx.log.info(format_args!("account {} updated", *id));
        Ok(answer_json(account.into()))
    }
}
