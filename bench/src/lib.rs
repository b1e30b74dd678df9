//! The answers both benchmark servers send, and the keel service serving them.

use keel::prelude::*;

/// The payload of the JSON benchmark answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Hello {
    /// A greeting.
    pub message: &'static str,
    /// A number, so the body is not only strings.
    pub answer: u32,
}

/// The payload both servers answer.
pub const HELLO: Hello = Hello { message: "hello, world", answer: 42 };

/// Rows seeded for the primary-key benchmark.
pub const SEEDED_ROWS: i64 = 1000;

/// The benchmark service.
#[keel::service(name = "bench", id = 900, port = 8900, prefix = "bch", version = "1.00.00")]
pub struct BenchConf;

/// A row read by primary key: the same shape as an account.
#[keel::table(prefix = "bch")]
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Account {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// Login name.
    #[column(unique, len = 32)]
    pub username: String,
    /// Shown name.
    #[column(len = 64)]
    pub display_name: Option<String>,
    /// 1 active, 0 disabled.
    pub status: i16,
    /// Creation time, RFC 3339 UTC.
    pub created_at: Option<String>,
}

// `keel_session` for the protected-route benchmark.
use keel::auth::Session;
keel::models!(BenchConf => Account, Session);

/// Sign-in for the benchmark: every stored account is active.
pub struct BenchAuthority;

#[keel::async_trait]
impl keel::auth::Authority for BenchAuthority {
    async fn account(
        &self,
        state: &keel::AppState,
        account_id: i64,
    ) -> Result<Option<keel::auth::Principal>, ApiError> {
        let Ok(db) = state.db() else { return Ok(None) };
        Ok(db.get_cached::<Account>(account_id).await?.map(|account| keel::auth::Principal {
            account_id,
            username: account.username,
            active: account.status == 1,
            permissions: Vec::new(),
            token_hash: String::new(),
        }))
    }
}

/// `GET /v1.00.00/hello` through the full keel stack.
#[keel::api(path = "/hello", public)]
impl HelloHandler {
    async fn get() -> ApiResult<Hello> {
        Ok(answer_json(HELLO))
    }
}

/// `GET /v1.00.00/account/{id}`: one row by primary key.
#[keel::api(path = "/account/{id}", public)]
impl AccountHandler {
    async fn get(ctx: Ctx, id: PathParam<i64>) -> ApiResult<Account> {
        let row = ctx.db()?.get::<Account>(*id).await?;
        row.map(answer_json).ok_or_else(|| ApiError::not_found("no such account"))
    }
}

/// `GET /v1.00.00/account/{id}/cached`: the same row read through the
/// cache (`bch_account:{id}`), from the database on a miss or while the
/// cache is unreachable.
#[keel::api(path = "/account/{id}/cached", public)]
impl CachedAccountHandler {
    async fn get(ctx: Ctx, id: PathParam<i64>) -> ApiResult<Account> {
        let row = ctx.db()?.get_cached::<Account>(*id).await?;
        row.map(answer_json).ok_or_else(|| ApiError::not_found("no such account"))
    }
}

/// `GET /v1.00.00/account/{id}/guarded`: the cached read behind a token.
#[keel::api(path = "/account/{id}/guarded")]
impl GuardedAccountHandler {
    async fn get(ctx: Ctx, id: PathParam<i64>) -> ApiResult<Account> {
        let row = ctx.db()?.get_cached::<Account>(*id).await?;
        row.map(answer_json).ok_or_else(|| ApiError::not_found("no such account"))
    }
}

/// A username no run repeats: the process id, the time and a counter.
pub fn fresh_username() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("u{}-{}-{n}", std::process::id(), at.as_millis() % 100_000_000)
}

/// `POST /v1.00.00/account`: inserts one row (statement built once per table).
#[keel::api(method = "post", path = "/account", public)]
pub async fn insert_account(ctx: Ctx) -> ApiResult<i64> {
    let row = Account {
        id: None,
        username: fresh_username(),
        display_name: Some("New".to_owned()),
        status: 1,
        created_at: Some(keel::time::now_rfc3339()),
    };
    Ok(answer_json(ctx.db()?.insert(&row).await?))
}

/// A token for account 1 — benchmark only: a real service issues tokens
/// from a login that checks a password.
#[keel::api(method = "post", path = "/token", public)]
pub async fn bench_token(ctx: Ctx) -> ApiResult<String> {
    let issued = keel::auth::Sessions::of(&ctx)?.issue(1, ctx.service.name).await?;
    Ok(answer_json(issued.token))
}

keel::uri_router!(
    BenchConf => HelloHandler, AccountHandler, CachedAccountHandler, GuardedAccountHandler, bench_token, insert_account
);

/// Fills `bch_account` with [`SEEDED_ROWS`] rows when it is empty.
pub async fn seed(state: std::sync::Arc<keel::AppState>) -> Result<(), keel::BoxError> {
    let Ok(db) = state.db() else { return Ok(()) };
    let total = db.count::<Account>(&keel::db::Filter::new()).await.map_err(|e| e.to_string())?;
    for n in total.try_into().unwrap_or(SEEDED_ROWS)..SEEDED_ROWS {
        let row = Account {
            id: None,
            username: format!("user{n}"),
            display_name: Some(format!("User {n}")),
            status: 1,
            created_at: Some(keel::time::now_rfc3339()),
        };
        db.insert(&row).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The pub/sub channel of the broadcast benchmark.
pub const FEED_CHANNEL: &str = keel::channel!("bch_feed");

/// `GET /v1.00.00/feed` (WebSocket, public): every message published on
/// [`FEED_CHANNEL`], as a `feed` frame.
#[keel::ws(path = "/feed", public)]
impl keel::ws::Socket for FeedSocket {
    type In = serde_json::Value;
    type State = ();

    async fn open(conn: &keel::ws::WsConn) -> Result<(), ApiError> {
        conn.follow(FEED_CHANNEL);
        Ok(())
    }

    fn relay(_conn: &keel::ws::WsConn, _state: &mut (), message: &str) -> Option<String> {
        Some(format!("{{\"type\":\"feed\",\"data\":{message}}}"))
    }

    async fn message(
        _conn: &keel::ws::WsConn,
        _state: &mut (),
        _msg: serde_json::Value,
    ) -> Result<(), keel::ws::WsError> {
        Ok(())
    }
}

/// The broadcast benchmark's routes: the feed socket only.
pub fn feed_router() -> keel::UriRouter<keel::kind::WsOnly> {
    keel::UriRouter::new(<BenchConf as keel::Service>::INFO).with::<FeedSocket>()
}
