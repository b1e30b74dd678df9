//! The baseline: the same JSON body from a bare salvo handler — no request
//! id, no access log, no envelope logic.

use salvo::prelude::*;
use serde::Serialize;

#[derive(Serialize)]
struct Envelope {
    code: u32,
    msg: &'static str,
    data: keel_bench::Hello,
    request_id: &'static str,
}

#[handler]
async fn hello(res: &mut Response) {
    res.render(Json(Envelope {
        code: 0,
        msg: "ok",
        data: keel_bench::HELLO,
        request_id: "000000000000000000000000",
    }));
}

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8901".to_owned());
    let router = Router::with_path("v1.00.00/hello").get(hello);
    let acceptor = TcpListener::new(addr.clone()).bind().await;
    println!("bare salvo listening on http://{addr}");
    Server::new(acceptor).serve(router).await;
}
