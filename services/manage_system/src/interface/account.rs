//! Accounts: create, page through, read and update (the HTTP contract in the README).

use crate::api_base::{AdminsLock, Change, Guard, audit};
use crate::db_model::main::{Account, AccountStatus, Role};
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
    /// Its role (the permissions it holds), if any.
    pub role_id: Option<i64>,
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
            role_id: a.role_id,
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
    #[salvo(schema(pattern = r"^[A-Za-z0-9_.-]{3,32}$"))]
    pub username: String,
    /// 8 to 128 characters.
    #[salvo(schema(min_length = 8, max_length = 128))]
    pub password: String,
    /// Shown name, at most 64 characters.
    #[salvo(schema(max_length = 64))]
    pub display_name: Option<String>,
    /// 1 active (default), 0 disabled.
    pub status: Option<AccountStatus>,
    /// Its role; setting one needs `role.write`.
    pub role_id: Option<i64>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountUpdate {
    /// Shown name, at most 64 characters.
    #[salvo(schema(max_length = 64))]
    pub display_name: Option<String>,
    /// 1 active, 0 disabled.
    pub status: Option<AccountStatus>,
    /// A new password, 8 to 128 characters.
    #[salvo(schema(min_length = 8, max_length = 128))]
    pub password: Option<String>,
    /// Its role; changing it needs `role.write`.
    pub role_id: Option<i64>,
}

/// Changes to one's own account: the display name, and the password with
/// the current one. Role and status are not here: nobody changes their own.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeUpdate {
    /// Shown name, at most 64 characters.
    #[salvo(schema(max_length = 64))]
    pub display_name: Option<String>,
    /// A new password, 8 to 128 characters; needs `old_password`.
    #[salvo(schema(min_length = 8, max_length = 128))]
    pub password: Option<String>,
    /// The current password.
    pub old_password: Option<String>,
}

/// Filters of the account list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    /// Page, from 1.
    #[salvo(schema(minimum = 1))]
    pub page: Option<u64>,
    /// Rows per page, 1 to 100 (20).
    #[salvo(schema(minimum = 1, maximum = 100))]
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

/// A username in its one stored and compared form: 3 to 32 of
/// `[A-Za-z0-9_.-]`, lower-cased. Every database then compares names the
/// same way (MariaDB's case-insensitive, space-padding collation included:
/// no space gets in), and `Root` is `root` everywhere.
pub fn canonical_username(raw: &str) -> Result<String, FieldError> {
    let ok = (3..=32).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(FieldError::new("username", "3 to 32 characters of letters, digits, `_`, `.` or `-`"))
    }
}

fn check_password(password: &str, errors: &mut Vec<FieldError>) {
    // Bounded above too: Argon2 reads all of it.
    if !(8..=128).contains(&password.chars().count()) {
        errors.push(FieldError::new("password", "8 to 128 characters"));
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
    let username = canonical_username(&new.username).map_err(|e| errors.push(e)).unwrap_or_default();
    check_password(&new.password, &mut errors);
    check_display_name(new.display_name.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = Some(DateTime::now());
    let mut account = Account {
        id: None,
        username,
        display_name: new.display_name,
        password_hash: crate::api_base::hash_password(new.password).await?,
        status: new.status.unwrap_or(AccountStatus::Active),
        role_id: new.role_id,
        stamps: Stamps { created_at: now, updated_at: now },
    };
    let id = ctx_db.insert(&account).await.map_err(|err| match err {
        keel::db::DbError::Conflict(_) => ApiError::new(ErrorCode::Conflict).msg("username is taken"),
        other => other.into(),
    })?;
    account.id = Some(id);
    Ok(account.into())
}

/// Role `role_id` for an account: it exists (400 naming `role_id`
/// otherwise), the actor may set roles (`role.write`) and holds every
/// permission it grants.
async fn check_role_grant(ctx: &Ctx, guard: &Guard<'_>, role_id: i64) -> Result<(), ApiError> {
    ctx.require(crate::api_base::ROLE_WRITE)?;
    let Some(role) = ctx.db()?.get_cached::<Role>(role_id).await? else {
        return Err(ApiError::validation(vec![FieldError::new("role_id", format!("no role {role_id}"))]));
    };
    guard.may_grant(&role.declared_permissions())
}

/// Accounts.
#[keel::api(path = "/account", version = "1.00.02", permission = "account.read")]
impl AccountHandler {
    /// Create an account (POST creates). A taken username answers 409;
    /// a role needs `role.write`.
    #[permission("account.write")]
    async fn post(ctx: Ctx, Json(new): Json<NewAccount>) -> ApiResult<AccountView, 201> {
        if let Some(role_id) = new.role_id {
            check_role_grant(&ctx, &Guard::new(&ctx)?, role_id).await?;
        }
        let view = create_account(ctx.db()?, new).await?;
        audit(
            &ctx,
            "account.create",
            &format!("account {} `{}` role {:?}", view.id, view.username, view.role_id),
        );
        Ok(answer_json(view).created())
    }

    /// Page through accounts (GET queries), newest first.
    async fn get(ctx: Ctx, q: Query<AccountQuery>) -> ApiResult<Page<AccountView>> {
        let q = q.0;
        let paging = page_bounds(q.page, q.size)?;
        let mut filter = Filter::new();
        if let Some(status) = q.status {
            filter = filter.eq(Account::STATUS, status);
        }
        if let Some(name) = q.username.as_deref().filter(|n| !n.is_empty()) {
            filter = filter.contains_ci(Account::USERNAME, name);
        }
        if let Some(from) = q.created_from {
            filter = filter.ge(Stamps::CREATED_AT, from);
        }
        if let Some(to) = q.created_to {
            filter = filter.le(Stamps::CREATED_AT, to);
        }
        let (rows, total) = ctx.db()?.page::<Account>(&filter, paging).await?;
        Ok(answer_page(rows.into_iter().map(AccountView::from).collect(), total, paging))
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

    /// Change one's own display name, or password with `old_password`
    /// (a wrong one answers 400 naming it; every other session ends).
    async fn put(ctx: Ctx, Json(change): Json<MeUpdate>) -> ApiResult<AccountView> {
        let mut errors = Vec::new();
        check_display_name(change.display_name.as_deref(), &mut errors);
        if let Some(password) = &change.password {
            check_password(password, &mut errors);
            if change.old_password.is_none() {
                errors.push(FieldError::new("old_password", "required to change the password"));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let me = ctx.account()?.clone();
        let db = ctx.db()?;
        let mut account =
            db.get::<Account>(me.account_id).await?.ok_or_else(|| ApiError::not_found("no such account"))?;
        if let (Some(password), Some(old)) = (change.password, change.old_password) {
            let matches = crate::api_base::verify_password(old, Some(account.password_hash.clone())).await?;
            if !matches {
                return Err(ApiError::validation(vec![FieldError::new("old_password", "does not match")]));
            }
            account.password_hash = crate::api_base::hash_password(password).await?;
            // Every other token of the account stops working.
            let sessions = keel::auth::Sessions::of(&ctx)?;
            sessions.revoke_account(me.account_id).await?;
            audit(&ctx, "account.password", &format!("account {} (own)", me.account_id));
        }
        if let Some(name) = change.display_name
            && account.display_name.as_deref() != Some(name.as_str())
        {
            account.display_name = Some(name);
            audit(&ctx, "account.update", &format!("account {} (own): display name", me.account_id));
        }
        account.stamps.updated_at = Some(DateTime::now());
        db.update(me.account_id, &account).await?;
        Ok(answer_json(account.into()))
    }
}

/// One account.
#[keel::api(path = "/account/{id}", version = "1.00.02", permission = "account.read")]
impl AccountItemHandler {
    /// Read an account; unknown ids answer 404.
    async fn get(ctx: Ctx, id: PathParam<i64>) -> ApiResult<AccountView> {
        let account = ctx.db()?.get_cached::<Account>(*id).await?;
        account.map(|a| answer_json(a.into())).ok_or_else(|| ApiError::not_found("no such account"))
    }

    /// Update an account (PUT updates): display name, status, password,
    /// role (`role.write`). Only an account holding all of the target's
    /// permissions may change it; one's own role, status and password are
    /// not changed here (403; see `PUT /account/me`); leaving no enabled
    /// account with `role.write` answers 409.
    #[permission("account.write")]
    async fn put(ctx: Ctx, id: PathParam<i64>, Json(change): Json<AccountUpdate>) -> ApiResult<AccountView> {
        let mut errors = Vec::new();
        if let Some(password) = &change.password {
            check_password(password, &mut errors);
        }
        check_display_name(change.display_name.as_deref(), &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        if ctx.account()?.account_id == *id
            && (change.status.is_some() || change.role_id.is_some() || change.password.is_some())
        {
            return Err(ApiError::new(ErrorCode::Forbidden).msg(
                "nobody changes their own role or status; change your own password with PUT /v1.00.02/account/me",
            ));
        }
        // A new password is hashed before the lock: the lock is for the
        // check that a role.write holder remains and the write after it.
        let new_hash = match change.password {
            Some(password) => Some(crate::api_base::hash_password(password).await?),
            None => None,
        };
        let db = ctx.db()?;
        let guard = Guard::new(&ctx)?;
        let lock = AdminsLock::acquire(&ctx).await?;
        let outcome = async {
            let mut account =
                db.get::<Account>(*id).await?.ok_or_else(|| ApiError::not_found("no such account"))?;
            guard.may_manage(db, &account).await?;
            if let Some(role_id) = change.role_id {
                check_role_grant(&ctx, &guard, role_id).await?;
            }
            let new_status = change.status.unwrap_or(account.status);
            let new_role = change.role_id.or(account.role_id);
            if new_status != account.status || new_role != account.role_id {
                guard
                    .keeps_an_admin(db, Change::Account { id: *id, status: new_status, role_id: new_role })
                    .await?;
            }
            let mut what = Vec::new();
            if let Some(name) = change.display_name
                && account.display_name.as_deref() != Some(name.as_str())
            {
                account.display_name = Some(name);
                what.push("display name".to_owned());
            }
            if new_status != account.status {
                account.status = new_status;
                what.push(
                    if new_status == AccountStatus::Disabled { "disabled" } else { "enabled" }.to_owned(),
                );
            }
            if new_role != account.role_id {
                account.role_id = new_role;
                what.push(new_role.map_or_else(|| "role removed".to_owned(), |r| format!("role {r}")));
            }
            let new_password = new_hash.is_some();
            if let Some(hash) = new_hash {
                account.password_hash = hash;
                what.push("password reset".to_owned());
            }
            if what.is_empty() {
                return Ok::<_, ApiError>(account);
            }
            account.stamps.updated_at = Some(DateTime::now());
            db.update(*id, &account).await?;
            if account.status == AccountStatus::Disabled || new_password {
                // Every token of the account stops working, on every instance.
                let revoked = keel::auth::Sessions::of(&ctx)?.revoke_account(*id).await?;
                ctx.log.info(format_args!("account {} lost {revoked} session(s)", *id));
            }
            audit(&ctx, "account.update", &format!("account {}: {}", *id, what.join(", ")));
            Ok(account)
        }
        .await;
        lock.release().await;
        let account = outcome?;
        Ok(answer_json(account.into()))
    }
}
