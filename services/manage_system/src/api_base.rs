//! The service's base (seed: `api_base.py`): who a token's account is and
//! what it may do, the rules that keep an account from taking over another,
//! the audit trail, password hashing, and the first account. Every route not
//! marked `#[api(public)]` needs a bearer token, and a route naming a
//! permission needs an account whose role holds it (keel's gate asks
//! [`ManageAuthority`]).

use crate::db_model::main::{Account, AccountStatus, Role};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, PasswordHash, SaltString};
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
        let filter = Filter::new().eq(Account::ROLE_ID, *role_id).eq(Account::STATUS, AccountStatus::Active);
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

/// Argon2 runs on a few dedicated threads fed by a short queue. Each hash
/// holds ~19 MiB while it runs: unbounded, a few hundred concurrent failing
/// logins took gigabytes. Dedicated threads, not tokio's blocking pool,
/// because the allocator keeps a heap per thread that ever hashed: a burst
/// spread over dozens of blocking threads left hundreds of MiB behind after
/// it (bench/login_burst.sh). Past the queue a sign-in gets 503 with
/// `Retry-After` at once — its per-IP login count was taken before.
struct HashPool {
    jobs: std::sync::mpsc::SyncSender<HashJob>,
}

type HashJob = Box<dyn FnOnce() + Send>;

static HASH_POOL: std::sync::OnceLock<HashPool> = std::sync::OnceLock::new();

/// Starts the pool with `settings.password_hash_workers` threads (default:
/// the core count) and a queue of twice that; called once at boot, before
/// any login.
pub fn configure_hashing(workers: Option<usize>) {
    let _ = HASH_POOL.set(HashPool::new(workers));
}

impl HashPool {
    fn new(workers: Option<usize>) -> HashPool {
        let workers = workers
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get));
        let (jobs, queue) = std::sync::mpsc::sync_channel::<HashJob>(workers * 2);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for index in 0..workers {
            let queue = std::sync::Arc::clone(&queue);
            let spawned = std::thread::Builder::new().name(format!("argon2-{index}")).spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            if let Err(err) = spawned {
                log::error!(target: keel::logging::FAILED, "cannot start Argon2 worker {index}: {err}");
            }
        }
        HashPool { jobs }
    }
}

/// Runs `work` (an Argon2 operation) on the hashing threads. A sign-in
/// (`bounded`) past the queue is refused at once; a hash an admin or boot
/// asks for waits its turn.
async fn hashing<T: Send + 'static>(
    bounded: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let pool = HASH_POOL.get_or_init(|| HashPool::new(None));
    let (done, answer) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = done.send(work());
    });
    match pool.jobs.try_send(job) {
        Ok(()) => {}
        Err(std::sync::mpsc::TrySendError::Full(job)) if !bounded => {
            let jobs = pool.jobs.clone();
            tokio::task::spawn_blocking(move || jobs.send(job))
                .await
                .map_err(ApiError::internal)?
                .map_err(|_| ApiError::internal("the Argon2 workers stopped"))?;
        }
        Err(std::sync::mpsc::TrySendError::Full(_)) => {
            return Err(ApiError::new(ErrorCode::Unavailable)
                .msg("too many sign-ins at once; try again in a second")
                .retry_after(1));
        }
        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
            return Err(ApiError::internal("the Argon2 workers stopped"));
        }
    }
    answer.await.map_err(|_| ApiError::internal("an Argon2 worker failed"))
}

/// Argon2 with memory that each hashing thread allocates once and reuses.
/// A fresh 19 MiB buffer per hash is what the allocator kept after a burst
/// (its threshold for returning large blocks rises after the first free),
/// so the working memory stays at one buffer per thread.
fn argon2_into(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    thread_local! {
        static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        let needed = argon.params().block_count();
        if blocks.len() < needed {
            blocks.resize(needed, argon2::Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

/// The PHC string of `password` hashed with Argon2's default parameters.
fn hash_with_reused_memory(password: &[u8]) -> Result<String, password_hash::Error> {
    let argon = Argon2::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes)?;
    let len = argon.params().output_len().unwrap_or(argon2::Params::DEFAULT_OUTPUT_LEN);
    let output = password_hash::Output::init_with(len, |out| {
        argon2_into(&argon, password, salt_raw, out).map_err(password_hash::Error::from)
    })?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::default().ident(),
        version: Some(argon2::Version::default().into()),
        params: password_hash::ParamsString::try_from(argon.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `stored` (its own algorithm,
/// version and parameters); the comparison is constant-time.
fn verify_with_reused_memory(password: &[u8], stored: &str) -> Result<bool, password_hash::Error> {
    let parsed = PasswordHash::new(stored)?;
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else { return Ok(false) };
    let algorithm = argon2::Algorithm::try_from(parsed.algorithm)?;
    let version = parsed.version.map(argon2::Version::try_from).transpose()?.unwrap_or_default();
    let params = argon2::Params::try_from(&parsed)?;
    let argon = Argon2::new(algorithm, version, params);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes)?;
    let computed = password_hash::Output::init_with(expected.len(), |out| {
        argon2_into(&argon, password, salt_raw, out).map_err(password_hash::Error::from)
    })?;
    Ok(computed == expected)
}

/// Hashes with Argon2 (default parameters) on the hashing threads.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    hashing(false, move || hash_with_reused_memory(password.as_bytes()))
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
        let ok = verify_with_reused_memory(password.as_bytes(), &hash)
            .map_err(|e| ApiError::internal(format!("stored hash: {e}")))?;
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
    if db.exists::<Account>(&Filter::new()).await? {
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
            let hint = format!(
                "{} is empty, so every protected route answers 401: set KEEL_ADMIN__USERNAME and KEEL_ADMIN__PASSWORD to create the first account at boot",
                <Account as keel::Table>::TABLE
            );
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
    let found = db.first(&Filter::new().eq(Role::NAME, ADMIN_ROLE)).await?;
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
