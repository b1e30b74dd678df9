//! The baseline: the same answers from bare salvo handlers — no request id,
//! no access log, no envelope logic; the row read through rbatis `crud!`.
//!
//! `bare_salvo <addr> [database URL [redis URL]]`

use rbatis::RBatis;
use salvo::prelude::*;
use serde::Serialize;
use std::sync::OnceLock;

#[derive(Serialize)]
struct Envelope<T> {
    code: u32,
    msg: &'static str,
    data: T,
    request_id: &'static str,
}

const ID: &str = "000000000000000000000000";

#[handler]
async fn hello(res: &mut Response) {
    res.render(Json(Envelope { code: 0, msg: "ok", data: keel_bench::HELLO, request_id: ID }));
}

/// The bench table's row, mapped by rbatis' own `crud!`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct BchAccount {
    id: Option<i64>,
    username: String,
    display_name: Option<String>,
    status: i16,
    created_at: Option<String>,
}
rbatis::crud!(BchAccount {}, "bch_account");

static RB: OnceLock<RBatis> = OnceLock::new();
static REDIS: OnceLock<redis::aio::ConnectionManager> = OnceLock::new();

/// The same row through Redis by hand: GET `bch_account:{id}`, on a miss
/// the database and a SET with the same TTL keel uses.
#[handler]
async fn cached_account(req: &mut Request, res: &mut Response) {
    let id: i64 = req.param("id").unwrap_or_default();
    let (Some(rb), Some(redis)) = (RB.get(), REDIS.get()) else {
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        return;
    };
    let key = format!("bch_account:{id}");
    let mut conn = redis.clone();
    let cached: Option<Vec<u8>> = redis::cmd("GET").arg(&key).query_async(&mut conn).await.unwrap_or(None);
    let row: Option<BchAccount> = match cached.and_then(|bytes| serde_json::from_slice(&bytes).ok()) {
        Some(row) => row,
        None => {
            let row = BchAccount::select_by_map(rb, rbs::value! {"id": id})
                .await
                .ok()
                .and_then(|mut rows| rows.pop());
            if let Ok(bytes) = serde_json::to_vec(&row) {
                let _: Result<(), _> =
                    redis::cmd("SET").arg(&key).arg(bytes).arg("EX").arg(300).query_async(&mut conn).await;
            }
            row
        }
    };
    match row {
        Some(row) => res.render(Json(Envelope { code: 0, msg: "ok", data: row, request_id: ID })),
        None => res.status_code(StatusCode::NOT_FOUND).render("not found"),
    };
}

#[handler]
async fn account(req: &mut Request, res: &mut Response) {
    let id: i64 = req.param("id").unwrap_or_default();
    let Some(rb) = RB.get() else {
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        return;
    };
    match BchAccount::select_by_map(rb, rbs::value! {"id": id}).await {
        Ok(mut rows) if !rows.is_empty() => {
            res.render(Json(Envelope { code: 0, msg: "ok", data: rows.swap_remove(0), request_id: ID }))
        }
        Ok(_) => res.status_code(StatusCode::NOT_FOUND).render("not found"),
        Err(err) => res.status_code(StatusCode::INTERNAL_SERVER_ERROR).render(err.to_string()),
    };
}

/// One row inserted through rbatis `crud!` (`insert`), its id answered.
#[handler]
async fn insert_account(res: &mut Response) {
    let Some(rb) = RB.get() else {
        res.status_code(StatusCode::SERVICE_UNAVAILABLE);
        return;
    };
    let row = BchAccount {
        id: None,
        username: keel_bench::fresh_username(),
        display_name: Some("New".to_owned()),
        status: 1,
        created_at: Some(keel::time::now_rfc3339()),
    };
    match BchAccount::insert(rb, &row).await {
        Ok(done) => {
            let id = done.last_insert_id.as_i64().unwrap_or_default();
            res.render(Json(Envelope { code: 0, msg: "ok", data: id, request_id: ID }))
        }
        Err(err) => res.status_code(StatusCode::INTERNAL_SERVER_ERROR).render(err.to_string()),
    };
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8901".to_owned());
    if let Some(url) = args.next() {
        let rb = RBatis::new();
        let linked = if url.starts_with("mysql://") {
            rb.link(rbdc_mysql::MysqlDriver {}, &url).await
        } else if url.starts_with("postgres://") {
            rb.link(rbdc_pg::PgDriver {}, &url).await
        } else {
            rb.link(rbdc_sqlite::SqliteDriver {}, &url).await
        };
        if let Err(err) = linked {
            eprintln!("bare_salvo: {url}: {err}");
            std::process::exit(1);
        }
        if let Ok(pool) = rb.get_pool() {
            pool.set_max_open_conns(if url.starts_with("sqlite://") { 4 } else { 16 }).await;
        }
        let _ = RB.set(rb);
    }
    if let Some(url) = args.next() {
        let manager = match redis::Client::open(url.as_str()) {
            Ok(client) => redis::aio::ConnectionManager::new(client).await,
            Err(err) => Err(err),
        };
        match manager {
            Ok(manager) => {
                let _ = REDIS.set(manager);
            }
            Err(err) => {
                eprintln!("bare_salvo: {url}: {err}");
                std::process::exit(1);
            }
        }
    }
    let router = Router::with_path("v1.00.00")
        .push(Router::with_path("hello").get(hello))
        .push(Router::with_path("account").post(insert_account))
        .push(Router::with_path("account/{id}").get(account))
        .push(Router::with_path("account/{id}/cached").get(cached_account));
    let acceptor = TcpListener::new(addr.clone()).bind().await;
    println!("bare salvo listening on http://{addr}");
    Server::new(acceptor).serve(router).await;
}
