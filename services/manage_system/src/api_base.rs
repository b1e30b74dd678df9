//! The service's base (seed: `api_base.py`): who a token's account is and
//! what it may do, the rules that keep an account from taking over another,
//! the audit trail, password hashing, and the first account. Every route not
//! marked `#[api(public)]` needs a bearer token, and a route naming a
//! permission needs an account whose role holds it (keel's gate asks
//! [`ManageAuthority`]).

use crate::db_model::main::{Account, AccountStatus, Role};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use keel::AppState;
use keel::auth::{Authority, Principal};
use keel::db::{Db, DbError, Filter};
use keel::prelude::*;
use keel::time::DateTime;
use keel_common::model_db::Stamps;

/// The role the first account gets: every permission the service declares
/// (kept complete at each boot, so a permission added by a deploy joins it).
pub const ADMIN_ROLE: &str = "admin";
/// The permission that manages roles; some enabled account always holds it.
pub const ROLE_WRITE: &str = "role.write";

/// manage_system's authorization: an account may sign in while active and
/// holds the permissions of its role, read through the cache (a write to
/// the account or the role invalidates it, so every instance sees a change
/// at the next request).
pub struct ManageAuthority;

#[keel::async_trait]
impl Authority for ManageAuthority {
    async fn account(&self, state: &AppState, account_id: i64) -> Result<Option<Principal>, ApiError> {
        let Ok(db) = state.db() else { return Ok(None) };
        let Some(account) = db.get_cached::<Account>(account_id).await? else { return Ok(None) };
        Ok(Some(Principal {
            account_id,
            permissions: permissions_of(db, account.role_id).await?,
            username: account.username,
            active: account.status == AccountStatus::Active,
            token_hash: String::new(),
        }))
    }
}

/// The declared permissions of role `role_id` (none without a role).
pub async fn permissions_of(db: &Db, role_id: Option<i64>) -> Result<Vec<String>, DbError> {
    let Some(role_id) = role_id else { return Ok(Vec::new()) };
    Ok(db.get_cached::<Role>(role_id).await?.map(|role| role.declared_permissions()).unwrap_or_default())
}

/// One line in `logs/manage_system/audit.log`: who, what, on what (the
/// request id tags the line). Never a password or a hash.
pub fn audit(ctx: &Ctx, action: &str, target: &str) {
    let (id, name) = ctx.account().map_or((0, ""), |p| (p.account_id, p.username.as_str()));
    ctx.log.to(AUDIT_LOG, format_args!("account {id} `{name}` {action}: {target}"));
}

/// The named log file of the audit trail (`App::log_file`).
pub const AUDIT_LOG: &str = "audit";

/// A change that may leave no enabled account holding `role.write`.
#[derive(Debug)]
pub enum Change<'a> {
    /// Role `id` gets these permissions.
    RolePermissions(i64, &'a [String]),
    /// Account `id` gets this status and role.
    Account { id: i64, status: AccountStatus, role_id: Option<i64> },
}

/// The rules every change made for a signed-in account passes: nobody
/// grants what they do not hold, nobody manages an account that holds more
/// than they do, and the last enabled holder of `role.write` stays one.
pub struct Guard<'a> {
    actor: &'a Principal,
}

impl<'a> Guard<'a> {
    /// The guard of the request's account (401 without one).
    pub fn new(ctx: &'a Ctx) -> Result<Guard<'a>, ApiError> {
        Ok(Guard { actor: ctx.account()? })
    }

    /// 403 unless the actor holds every one of `permissions`.
    pub fn may_grant(&self, permissions: &[String]) -> Result<(), ApiError> {
        match permissions.iter().find(|p| !self.actor.can(p)) {
            Some(missing) => Err(ApiError::new(ErrorCode::Forbidden)
                .msg(format!("you cannot grant permission `{missing}`, which your account does not hold"))),
            None => Ok(()),
        }
    }

    /// 403 unless the actor holds every permission `target` holds: an
    /// operator cannot reset the password of, disable or re-role an admin.
    pub async fn may_manage(&self, db: &Db, target: &Account) -> Result<(), ApiError> {
        let held = permissions_of(db, target.role_id).await?;
        match held.iter().find(|p| !self.actor.can(p)) {
            Some(missing) => Err(ApiError::new(ErrorCode::Forbidden).msg(format!(
                "account {} holds permission `{missing}`, which yours does not: only an account holding all of its permissions may change it",
                target.id.unwrap_or_default()
            ))),
            None => Ok(()),
        }
    }

    /// 409 when `change` would leave no enabled account holding `role.write`.
    pub async fn keeps_an_admin(&self, db: &Db, change: Change<'_>) -> Result<(), ApiError> {
        if count_admins_after(db, &change).await? == 0 {
            return Err(ApiError::new(ErrorCode::Conflict).msg(format!(
                "this would leave no enabled account holding `{ROLE_WRITE}`; give it to another account first"
            )));
        }
        Ok(())
    }
}

/// Changes that can take `role.write` from its last holders run one at a
/// time: the check and the write happen under this lock, so two such
/// changes racing each other cannot both pass the check. In process a
/// mutex; across instances a cache lock (`sys_lock:admins`, expiring after
/// [`ADMIN_LOCK_TTL`] should its holder die).
pub struct AdminsLock {
    _local: tokio::sync::MutexGuard<'static, ()>,
    cache: keel::cache::Cache,
    held: bool,
}

const ADMIN_LOCK_KEY: &str = "sys_lock:admins";
/// How long the cache lock outlives a holder that never releases it.
pub const ADMIN_LOCK_TTL: std::time::Duration = std::time::Duration::from_secs(10);

impl AdminsLock {
    /// Waits for the lock (up to the TTL; then 503 asking to retry).
    pub async fn acquire(ctx: &Ctx) -> Result<AdminsLock, ApiError> {
        static LOCAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let local = LOCAL.lock().await;
        let cache = ctx.cache().clone();
        let deadline = std::time::Instant::now() + ADMIN_LOCK_TTL;
        loop {
            match cache.set_nx(ADMIN_LOCK_KEY, b"1", ADMIN_LOCK_TTL).await {
                Ok(true) => return Ok(AdminsLock { _local: local, cache, held: true }),
                // The cache is away: the process lock is all there is.
                Err(_) => return Ok(AdminsLock { _local: local, cache, held: false }),
                Ok(false) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Ok(false) => {
                    return Err(ApiError::new(ErrorCode::Unavailable)
                        .msg("another change to roles or accounts is in progress; try again")
                        .retry_after(1));
                }
            }
        }
    }

    /// Lets the next change through.
    pub async fn release(self) {
        if self.held {
            let _ = self.cache.delete(ADMIN_LOCK_KEY).await;
        }
    }
}

/// Enabled accounts holding `role.write` once `change` is made.
async fn count_admins_after(db: &Db, change: &Change<'_>) -> Result<usize, DbError> {
    let roles = db.select::<Role>(&Filter::new()).await?;
    let writes = |role: &Role| match change {
        Change::RolePermissions(id, permissions) if role.id == Some(*id) => {
            permissions.iter().any(|p| p == ROLE_WRITE)
        }
        _ => role.declared_permissions().iter().any(|p| p == ROLE_WRITE),
    };
    let admin_roles: Vec<i64> = roles.iter().filter(|r| writes(r)).filter_map(|r| r.id).collect();
    let changed_account = match change {
        Change::Account { id, .. } => Some(*id),
        Change::RolePermissions(..) => None,
    };
    let mut holders = 0;
    for role_id in &admin_roles {
        let filter = Filter::new().eq("role_id", *role_id).eq("status", AccountStatus::Active.value());
        let accounts = db.select::<Account>(&filter).await?;
        holders += accounts.iter().filter(|a| a.id != changed_account).count();
    }
    if let Change::Account { status: AccountStatus::Active, role_id: Some(role_id), .. } = change
        && admin_roles.contains(role_id)
    {
        holders += 1;
    }
    Ok(holders)
}

/// How many Argon2 operations may run at once, and how many may wait.
/// Each holds ~19 MiB while it runs: unbounded, a few hundred concurrent
/// failing logins took gigabytes. Past the queue a request gets 503 with
/// `Retry-After` at once — the per-IP login limit was counted before.
struct HashGate {
    running: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    max_waiting: usize,
}

static HASH_GATE: std::sync::OnceLock<HashGate> = std::sync::OnceLock::new();

/// Sets the gate from `settings.password_hash_workers` (default: the core
/// count) with a queue of twice that; called once at boot, before any login.
pub fn configure_hashing(workers: Option<usize>) {
    let _ = HASH_GATE.set(HashGate::new(workers));
}

impl HashGate {
    fn new(workers: Option<usize>) -> HashGate {
        let workers = workers
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get));
        HashGate {
            running: tokio::sync::Semaphore::new(workers),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            max_waiting: workers * 2,
        }
    }
}

/// Runs `work` (an Argon2 operation) on a blocking thread under the gate.
/// A sign-in (`bounded`) past the queue is refused at once; a hash an
/// admin or boot asks for waits its turn.
async fn hashing<T: Send + 'static>(
    bounded: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    use std::sync::atomic::Ordering;
    let gate = HASH_GATE.get_or_init(|| HashGate::new(None));
    if gate.waiting.fetch_add(1, Ordering::AcqRel) >= gate.max_waiting && bounded {
        gate.waiting.fetch_sub(1, Ordering::AcqRel);
        return Err(ApiError::new(ErrorCode::Unavailable)
            .msg("too many sign-ins at once; try again in a second")
            .retry_after(1));
    }
    let permit = gate.running.acquire().await;
    gate.waiting.fetch_sub(1, Ordering::AcqRel);
    let _permit = permit.map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)
}

/// Hashes with Argon2 (default parameters) off the async threads, at most
/// `password_hash_workers` at once.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    hashing(false, move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await?
    .map_err(|e| ApiError::internal(format!("argon2: {e}")))
}

/// A hash of a password nobody has, checked when the user is unknown so both
/// failures cost the same time.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Y7ozO5PTYuwhWScSTNHWAV1r8qKvVuGeWBTGbbgEcM";

/// Whether `password` matches `hash` (an unknown user passes `None`).
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, ApiError> {
    hashing(true, move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&hash).map_err(|e| ApiError::internal(format!("stored hash: {e}")))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && known)
    })
    .await?
}

/// At boot: the `admin` role holds every declared permission; a role
/// naming a permission the code no longer declares gets one line in
/// failed.log (the permission is ignored); when `sys_account` is empty the
/// account configured in `admin.username` / `admin.password` is created
/// with the `admin` role, otherwise boot says how to create it.
pub async fn bootstrap(state: std::sync::Arc<keel::AppState>) -> Result<(), BoxError> {
    configure_hashing(state.config().setting::<usize>("password_hash_workers")?);
    let Ok(db) = state.db() else { return Ok(()) };
    let admin_role = ensure_admin_role(db).await?;
    for role in db.select::<Role>(&Filter::new()).await? {
        for permission in role.permission_list() {
            if !crate::SysConf::PERMISSIONS.contains(&permission.as_str()) {
                log::warn!(
                    target: keel::logging::FAILED,
                    "role `{}` names permission `{permission}`, which manage_system no longer declares; it is ignored",
                    role.name
                );
            }
        }
    }
    let (_, total) = db.page::<Account>(&Filter::new(), 1, 1).await?;
    if total > 0 {
        return Ok(());
    }
    let admin: crate::config::AdminSettings =
        state.config().section(crate::config::AdminSettings::SECTION)?;
    match (&admin.username, &admin.password) {
        (Some(username), Some(password)) => {
            let new = crate::interface::account::NewAccount {
                username: username.clone(),
                password: password.clone(),
                display_name: None,
                status: None,
                role_id: Some(admin_role),
            };
            let view = crate::interface::account::create_account(db, new).await.map_err(|e| {
                format!("first account `{username}` (admin.username / admin.password): {}", e.message())
            })?;
            log::info!(target: keel::logging::INFO, "created the first account `{}` (id {}) with role `{ADMIN_ROLE}`", view.username, view.id);
        }
        _ => {
            let hint = "sys_account is empty, so every protected route answers 401: set KEEL_ADMIN__USERNAME and KEEL_ADMIN__PASSWORD to create the first account at boot";
            log::info!(target: keel::logging::INFO, "{hint}");
            // The operator watching the console needs it most.
            println!("manage_system: {hint}");
        }
    }
    Ok(())
}

/// The `admin` role, created or completed with every declared permission;
/// returns its id.
pub async fn ensure_admin_role(db: &Db) -> Result<i64, BoxError> {
    let all: Vec<String> = crate::SysConf::PERMISSIONS.iter().map(|p| (*p).to_owned()).collect();
    let found = db.select::<Role>(&Filter::new().eq("name", ADMIN_ROLE)).await?.into_iter().next();
    let now = Some(DateTime::now());
    match found {
        Some(mut role) => {
            let id = role.id.unwrap_or_default();
            let mut held = role.permission_list();
            if all.iter().any(|p| !held.contains(p)) {
                held.extend(all.iter().filter(|p| !role.permission_list().contains(p)).cloned());
                held.sort();
                role.permissions = Role::join(&held);
                role.stamps.updated_at = now;
                db.update(id, &role).await?;
            }
            Ok(id)
        }
        None => {
            let role = Role {
                id: None,
                name: ADMIN_ROLE.to_owned(),
                permissions: Role::join(&all),
                stamps: Stamps { created_at: now, updated_at: now },
            };
            Ok(db.insert(&role).await?)
        }
    }
}
