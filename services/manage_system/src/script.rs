//! Scheduled and one-off scripts (seed: `script/`): timed jobs run inside
//! the service (once per tick across instances), scripts by hand with
//! `http_manage_sys script <name>`.

use crate::db_model::main::{Account, AccountStatus};
use crate::db_model::others::Login as LoginRecord;
use crate::rc_model::AccountStats;
use keel::cache::CacheModel;
use keel::db::Filter;
use keel::jobs::JobCtx;
use keel::time::DateTime;
use keel::{Backends, BoxError};

/// Daily at 03:00:00 UTC (`[jobs] purge_login_records = "…"` overrides it).
pub const PURGE_SCHEDULE: &str = "0 0 3 * * *";
/// At second 0 of every minute.
pub const STATS_SCHEDULE: &str = "0 * * * * *";
/// Login records are kept this many days unless `settings.login_retention_days` says otherwise.
pub const DEFAULT_RETENTION_DAYS: i64 = 90;

/// The service's jobs and scripts, added to `app`.
pub fn register<K: keel::kind::Kind>(app: keel::App<K>) -> keel::App<K> {
    app.job("purge_login_records", PURGE_SCHEDULE, purge_login_records)
        .job("refresh_account_stats", STATS_SCHEDULE, refresh_account_stats)
        .script("script_fill_display_names", script_fill_display_names)
        .script("rescript_purge_login_records", purge_login_records)
        .script("rescript_restore_admin", rescript_restore_admin)
}

/// Deletes login records older than `settings.login_retention_days` (90).
pub async fn purge_login_records(ctx: JobCtx) -> Result<(), BoxError> {
    let days: i64 = ctx.config().setting("login_retention_days")?.unwrap_or(DEFAULT_RETENTION_DAYS);
    if days < 1 {
        return Err(format!("settings.login_retention_days is {days}; keep at least 1 day").into());
    }
    let cutoff = DateTime(time::OffsetDateTime::now_utc() - time::Duration::days(days));
    let removed =
        ctx.db()?.delete_where::<LoginRecord>(&Filter::new().lt(LoginRecord::CREATED_AT, cutoff)).await?;
    ctx.log.info(format_args!("purged {removed} login record(s) older than {days} days ({cutoff})"));
    Ok(())
}

/// Counts accounts per status into the cache entry `sys_stats:accounts`.
pub async fn refresh_account_stats(ctx: JobCtx) -> Result<(), BoxError> {
    let db = ctx.db()?;
    let count =
        |status: AccountStatus| async move { db.count(&Filter::new().eq(Account::STATUS, status)).await };
    let stats = AccountStats {
        active: count(AccountStatus::Active).await?,
        disabled: count(AccountStatus::Disabled).await?,
        counted_at: DateTime::now(),
    };
    Ok(stats.set(ctx.cache()).await?)
}

/// One-off: accounts created without a display name show their username.
pub async fn script_fill_display_names(ctx: JobCtx) -> Result<(), BoxError> {
    let db = ctx.db()?;
    // Row by row, each cached copy dropped after its write; the condition
    // is repeated so that a name set meanwhile is kept.
    let mut changed = 0;
    for account in db.select(&Filter::new().is_null(Account::DISPLAY_NAME)).await? {
        let Some(id) = account.id else { continue };
        changed += db
            .sql::<Account>(
                "UPDATE {table} SET display_name = username WHERE id = ? AND display_name IS NULL",
            )
            .bind(id)
            .exec()
            .await?;
        db.invalidate::<Account>(id).await;
    }
    ctx.log.info(format_args!("filled {changed} display name(s)"));
    Ok(())
}

/// The way out of a lock-out: the account named by `admin.username`
/// (`KEEL_ADMIN__USERNAME`) is enabled — created if missing — gets the
/// password in `admin.password` (`KEEL_ADMIN__PASSWORD`) and the `admin`
/// role (every permission), and loses every session.
pub async fn rescript_restore_admin(ctx: JobCtx) -> Result<(), BoxError> {
    let admin: crate::config::AdminSettings = ctx.config().section(crate::config::AdminSettings::SECTION)?;
    let (Some(username), Some(password)) = (admin.username, admin.password) else {
        return Err("set KEEL_ADMIN__USERNAME and KEEL_ADMIN__PASSWORD to the account to restore".into());
    };
    let db = ctx.db()?;
    let role_id = crate::api_base::ensure_admin_role(db).await?;
    let username = crate::interface::account::canonical_username(&username)
        .map_err(|e| format!("admin.username: {}", e.msg))?;
    let found = db.first(&Filter::new().eq(Account::USERNAME, username.as_str())).await?;
    let id = match found {
        Some(mut account) => {
            let id = account.id.unwrap_or_default();
            account.status = AccountStatus::Active;
            account.role_id = Some(role_id);
            account.password_hash = crate::api_base::hash_password(password).await?;
            account.stamps.updated_at = Some(DateTime::now());
            db.update(id, &account).await?;
            id
        }
        None => {
            let new = crate::interface::account::NewAccount {
                username: username.clone(),
                password,
                display_name: None,
                status: None,
                role_id: Some(role_id),
            };
            crate::interface::account::create_account(db, new).await?.id
        }
    };
    let revoked = keel::auth::Sessions::of(&ctx)?.revoke_account(id).await?;
    let line = format!(
        "restored account {id} `{username}`: enabled, role `admin`, new password, {revoked} session(s) revoked"
    );
    ctx.log.info(&line);
    ctx.log.to(crate::api_base::AUDIT_LOG, format_args!("script rescript_restore_admin: {line}"));
    Ok(())
}
