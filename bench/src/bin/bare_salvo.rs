//! The baseline: the same answers from bare salvo handlers — no request id,
//! no access log, no envelope logic; the row read through rbatis `crud!`.
//!
//! `bare_salvo <addr> [database URL]`

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
    let router = Router::with_path("v1.00.00")
        .push(Router::with_path("hello").get(hello))
        .push(Router::with_path("account/{id}").get(account));
    let acceptor = TcpListener::new(addr.clone()).bind().await;
    println!("bare salvo listening on http://{addr}");
    Server::new(acceptor).serve(router).await;
}
