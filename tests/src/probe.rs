//! A small service used only by the tests: one route per framework edge.

use keel::prelude::*;

/// The probe's identity.
#[keel::service(name = "probe", id = 99, port = 8999, prefix = "prb", version = "2.00.00")]
pub struct ProbeConf;

/// One line of an order.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Item {
    /// Item name.
    pub name: String,
    /// How many.
    pub qty: u32,
}

/// An order with items.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewOrder {
    /// The lines.
    pub items: Vec<Item>,
}

/// Paging of the item list.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemQuery {
    /// Page, from 1.
    pub page: u64,
    /// Rows per page.
    pub size: Option<u64>,
}

/// The state of an order.
#[derive(keel::BaseEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderState {
    /// Being filled.
    #[base_enum(value = 1, label = "open")]
    Open,
    /// Sent.
    #[base_enum(value = 2, label = "shipped")]
    Shipped,
}

/// A state change.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct StateChange {
    /// The new state.
    pub state: OrderState,
}

/// Order states: BaseEnum values in JSON bodies and query strings.
#[keel::api(path = "/orders/state", public)]
impl OrderStateHandler {
    async fn put(body: Json<StateChange>) -> ApiResult<StateChange> {
        Ok(answer_json(body.0))
    }
    async fn get(q: Query<StateChange>) -> ApiResult<&'static str> {
        Ok(answer_json(q.0.state.label()))
    }
}

/// Orders (a class-style view with two verbs).
#[keel::api(path = "/orders", version = "1.00.02", public)]
impl OrderHandler {
    /// Create an order: answers 201.
    async fn post(body: Json<NewOrder>) -> ApiResult<NewOrder, 201> {
        Ok(answer_json(body.0).created())
    }

    /// Page through orders.
    async fn get(q: Query<ItemQuery>) -> ApiResult<Page<Item>> {
        let size = q.0.size.unwrap_or(20);
        let list = vec![Item { name: format!("page {}", q.0.page), qty: 1 }];
        Ok(answer_page(list, 1, keel::db::Paging { page: q.0.page, size }))
    }
}

/// Listed before [`ItemMeHandler`] in the router on purpose: the literal
/// `/item/me` must still win.
#[keel::api(path = "/item/{id}", public)]
impl ItemHandler {
    async fn get(id: PathParam<u64>) -> ApiResult<String> {
        Ok(answer_json(format!("item {}", *id)))
    }
}

/// The literal sibling of `/item/{id}`.
#[keel::api(path = "/item/me", public)]
impl ItemMeHandler {
    async fn get() -> ApiResult<String> {
        Ok(answer_json("me".to_owned()))
    }
}

/// Queue work: answers 202.
#[keel::api(method = "post", path = "/work", public)]
pub async fn queue_work(ctx: Ctx) -> ApiResult<(), 202> {
    ctx.log.info("work queued");
    ctx.log.to("audit", "work accepted for the audit trail");
    Ok(answer_json(()).accepted())
}

/// A handler that panics.
#[keel::api(method = "get", path = "/boom", public)]
pub async fn boom() -> ApiResult<()> {
    let rows: Vec<u8> = Vec::new();
    let _ = rows[3];
    Ok(answer_json(()))
}

/// A handler failing with an internal error whose text must stay private.
#[keel::api(method = "get", path = "/failing", public)]
pub async fn failing() -> ApiResult<()> {
    Err(ApiError::internal("connection to db://admin:secret@10.0.0.1 refused"))
}

/// A slow request, to be in flight when the server is told to stop.
#[keel::api(method = "get", path = "/slow", public)]
pub async fn slow() -> ApiResult<&'static str> {
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    Ok(answer_json("done"))
}

/// Set when `/late` has done its work; a deadline that cancels the
/// handler leaves it unset.
pub static LATE_FINISHED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A handler slower than a one-second `server.response_timeout`.
#[keel::api(method = "get", path = "/late", public)]
pub async fn late() -> ApiResult<&'static str> {
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    LATE_FINISHED.store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(answer_json("finished"))
}

/// A hoop that marks the answer cacheable and sets a cookie before the
/// route runs, as a middleware might. An error envelope that replaces the
/// route's answer (a panic, the deadline) must carry neither.
pub struct Decorates;

#[salvo::async_trait]
impl salvo::Handler for Decorates {
    async fn handle(
        &self,
        req: &mut salvo::Request,
        depot: &mut salvo::Depot,
        res: &mut salvo::Response,
        ctrl: &mut salvo::FlowCtrl,
    ) {
        res.headers_mut()
            .insert("cache-control", salvo::http::HeaderValue::from_static("public, max-age=3600"));
        res.add_cookie(salvo::http::cookie::Cookie::new("prb_session", "from-the-hoop"));
        ctrl.call_next(req, depot, res).await;
    }
}

/// A protected route on a service without sign-in: always 401.
#[keel::api(method = "get", path = "/secret")]
pub async fn secret() -> ApiResult<&'static str> {
    Ok(answer_json("nobody reads this"))
}

/// Frames the echo socket reads.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum EchoFrame {
    /// Sent back as `{"type":"echo","data":…}`.
    Say(String),
    /// Relays this pub/sub channel from now on (a later `follow` switches).
    Follow(String),
}

/// A socket beside the HTTP routes: the probe is a `server_*` service
/// (HTTP and WebSocket), served by `server_probe`.
#[keel::ws(path = "/echo", public)]
impl keel::ws::Socket for EchoSocket {
    type In = EchoFrame;
    type State = ();

    async fn open(_conn: &keel::ws::WsConn) -> Result<(), ApiError> {
        Ok(())
    }

    async fn message(
        conn: &keel::ws::WsConn,
        _state: &mut (),
        msg: EchoFrame,
    ) -> Result<(), keel::ws::WsError> {
        match msg {
            EchoFrame::Say(text) => conn.send("echo", &text),
            EchoFrame::Follow(channel) => {
                conn.follow(&channel);
                conn.send("following", &channel)
            }
        }
    }
}

keel::uri_router!(ProbeConf => OrderHandler, OrderStateHandler, ItemHandler, ItemMeHandler, queue_work, boom, failing, slow, late, secret, EchoSocket);
