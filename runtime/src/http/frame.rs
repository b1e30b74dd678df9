//! The frame: what happens to every request before and after its route.
//! It is a `Service` hoop, not a `Router` one: router hoops do not run when
//! no route matches, and 404/405 need an envelope and an access line too.

use crate::http::answer::{ApiError, ErrorCode, write_error};
use crate::http::cors::CorsPolicy;
use crate::logging::request_id::{REQUEST_ID_HEADER, RequestId};
use crate::metrics::RouteMetrics;
use crate::state::{AppState, Backends};
use crate::time::poll_within;
use futures_util::FutureExt;
use salvo::http::header::{CONNECTION, HeaderValue};
use salvo::http::{HeaderName, ResBody};
use salvo::{Depot, FlowCtrl, Handler, Request, Response, async_trait};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

static X_REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// What the frame leaves in every request's depot: the request's id and
/// the app's state, in one entry (a depot entry is an allocation), and the
/// matched route's metrics once its goal runs.
pub(crate) struct Stamp {
    pub(crate) request_id: RequestId,
    pub(crate) state: Arc<AppState>,
    /// The matched route's metrics (labelled with its template), set by
    /// [`Templated`]; none while no route matched.
    pub(crate) route: Option<&'static RouteMetrics>,
}

impl Stamp {
    /// The request's stamp, when it went through a keel frame.
    pub(crate) fn of(depot: &Depot) -> Option<&Stamp> {
        depot.get_typed::<Stamp>().ok()
    }
}

// Here rather than in `logging`, which sits below the frame's layer.
impl RequestId {
    /// The current request's id, or `-` outside a keel service.
    pub fn of(depot: &Depot) -> &str {
        Stamp::of(depot).map_or("-", |stamp| stamp.request_id.as_str())
    }
}

/// The app's state, for a request that went through a keel frame.
pub(crate) fn state_of(depot: &Depot) -> Option<&Arc<AppState>> {
    Stamp::of(depot).map(|stamp| &stamp.state)
}

/// keel's frame around every request, matched or not: request id, limits
/// on the request head and body, the state in the depot, panics caught, every error status in the
/// envelope, one access line.
pub(crate) struct Frame {
    state: Arc<AppState>,
    /// `[cors]`, when on.
    cors: Option<CorsPolicy>,
    /// `server.response_timeout`; none when 0.
    response_timeout: Option<Duration>,
}

impl Frame {
    pub(crate) fn new(state: Arc<AppState>) -> Frame {
        let cors = CorsPolicy::from_config(&state.config().cors);
        let seconds = state.config().server.response_timeout;
        let response_timeout = (seconds > 0).then(|| Duration::from_secs(seconds));
        Frame { state, cors, response_timeout }
    }
}

#[async_trait]
impl Handler for Frame {
    // Every request runs this, so the common path is kept short and
    // straight: what only some requests need (a refusal, a preflight, a
    // panic, an error status without a body) is in `#[cold]` functions
    // placed out of the way, so the hot code fills fewer cache lines
    // (callgrind's cache simulation counted the frame as keel's largest
    // source of instruction-cache misses).
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
        let started = Instant::now();
        let counted = self.open(req, depot, res);
        let answered = match &self.cors {
            None => self.refuse_head(req, depot, res),
            Some(cors) => self.refuse_or_preflight(cors, req, depot, res),
        };
        if !answered {
            // The deadline counts from `started`: no clock read of its own.
            let deadline = self.response_timeout.map(|limit| started + limit);
            // In a block: the handler's future is dropped (cancelled, when
            // late) before the answer is touched.
            let outcome = {
                let mut routed = pin!(AssertUnwindSafe(ctrl.call_next(req, depot, res)).catch_unwind());
                let mut timer = None;
                std::future::poll_fn(|cx| match deadline {
                    None => routed.as_mut().poll(cx).map(Some),
                    Some(deadline) => poll_within(
                        routed.as_mut(),
                        &mut timer,
                        || tokio::time::sleep_until(deadline.into()),
                        cx,
                    ),
                })
                .await
            };
            match outcome {
                Some(Ok(_)) => {}
                Some(Err(panic)) => answer_panic(&*panic, depot, res),
                None => answer_late(self.response_timeout, req, depot, res),
            }
        }
        self.close(req, depot, res, started, counted);
    }
}

impl Frame {
    /// Before routing: the request id (echoed in the answer), the body
    /// limit, the stamp in the depot. Returns whether metrics count it.
    #[inline]
    fn open(&self, req: &mut Request, depot: &mut Depot, res: &mut Response) -> bool {
        let request_id = RequestId::from_header(req.headers().get(&X_REQUEST_ID));
        res.headers_mut().insert(X_REQUEST_ID.clone(), request_id.header_value());
        let metrics = crate::metrics::metrics();
        let counted = metrics.enabled();
        if counted {
            metrics.request_started();
        }
        req.set_secure_max_size(self.state.config().server.body_limit);
        depot.insert_typed(Stamp { request_id, state: Arc::clone(&self.state), route: None });
        counted
    }

    /// Answers a request head past the limits; true if it did.
    #[inline]
    fn refuse_head(&self, req: &Request, depot: &mut Depot, res: &mut Response) -> bool {
        match crate::http::limits::refuse_head(req, &self.state.config().server) {
            None => false,
            Some(refusal) => {
                refuse(refusal, depot, res);
                true
            }
        }
    }

    /// With `[cors]` on: the limits, then a preflight answered here.
    #[inline(never)]
    fn refuse_or_preflight(
        &self,
        cors: &CorsPolicy,
        req: &mut Request,
        depot: &mut Depot,
        res: &mut Response,
    ) -> bool {
        let preflight = cors.preflight(req, res);
        if self.refuse_head(req, depot, res) {
            return true;
        }
        match preflight {
            None => false,
            // A preflight answered (204): nothing to route.
            Some(Ok(())) => true,
            Some(Err(refusal)) => {
                refuse(refusal, depot, res);
                true
            }
        }
    }

    /// After the route: envelopes for bare error statuses, CORS headers,
    /// `Connection: close` when due, the metrics and the access line.
    #[inline(never)]
    fn close(
        &self,
        req: &mut Request,
        depot: &mut Depot,
        res: &mut Response,
        started: Instant,
        counted: bool,
    ) {
        // Error statuses nobody answered (salvo's 404/405, a hoop that only
        // set a status) get the envelope too.
        let status = res.status_code.unwrap_or(salvo::http::StatusCode::NOT_FOUND);
        if (status.is_client_error() || status.is_server_error())
            && (res.body.is_none() || res.body.is_error())
        {
            answer_status(status, depot, res);
        }
        if let Some(cors) = &self.cors
            && !CorsPolicy::is_preflight(req)
        {
            cors.decorate(req, res);
        }
        // While shutting down, an answer closes its connection: the proxy
        // then opens a new one (to another instance) for its next request,
        // instead of sending it on a kept-alive connection just as this
        // instance closes it (a request lost on the wire, which a proxy
        // does not retry for a POST).
        if crate::http::limits::closes_connection(status.as_u16()) || self.state.sockets().stopping() {
            res.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        }
        let status = res.status_code.map_or(0, |s| s.as_u16());
        // One clock read for the latency and the access line's time of day.
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(started);
        let (request_id, route) =
            Stamp::of(depot).map_or((&b"-"[..], None), |stamp| (stamp.request_id.as_bytes(), stamp.route));
        if counted {
            crate::metrics::metrics().request_done(route, req.method().as_str(), status, elapsed);
        }
        crate::logging::access(request_id, req.method().as_str(), req.uri().path(), status, elapsed, now);
    }
}

/// A refusal before routing, in the envelope.
#[cold]
#[inline(never)]
fn refuse(refusal: ApiError, depot: &mut Depot, res: &mut Response) {
    write_error(refusal, depot, res);
}

/// A handler panicked: 500 in the envelope, the payload in `failed.log`.
#[cold]
#[inline(never)]
fn answer_panic(panic: &(dyn std::any::Any + Send), depot: &mut Depot, res: &mut Response) {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned());
    discard_answer(res);
    write_error(ApiError::internal(format!("handler panicked: {what}")), depot, res);
}

/// The answer was not ready within `server.response_timeout`: the
/// handler's future is gone (dropped by the deadline), and what it had put
/// in the response gives way to the 504 envelope.
#[cold]
#[inline(never)]
fn answer_late(limit: Option<Duration>, req: &Request, depot: &mut Depot, res: &mut Response) {
    let seconds = limit.map_or(0, |limit| limit.as_secs());
    let cause = format!(
        "{} {}: no answer within server.response_timeout ({seconds} s); cancelled",
        req.method(),
        crate::logging::capped(req.uri().path())
    );
    discard_answer(res);
    write_error(ApiError::new(ErrorCode::GatewayTimeout).with_source(cause), depot, res);
}

/// Empties a response a handler had begun (before a panic or the
/// deadline): body, headers and cookies. A `Set-Cookie`, a public
/// `Cache-Control` or a `Content-Encoding` meant for the handler's answer
/// must not travel with the error envelope. The request id stays.
fn discard_answer(res: &mut Response) {
    let request_id = res.headers().get(&X_REQUEST_ID).cloned();
    res.headers_mut().clear();
    if let Some(request_id) = request_id {
        res.headers_mut().insert(X_REQUEST_ID.clone(), request_id);
    }
    res.cookies = Default::default();
    res.replace_body(ResBody::None);
}

/// An error status that nobody gave a body: the envelope for it.
#[cold]
#[inline(never)]
fn answer_status(status: salvo::http::StatusCode, depot: &mut Depot, res: &mut Response) {
    res.replace_body(ResBody::None);
    write_error(ApiError::new(ErrorCode::from_status(status)), depot, res);
}

/// A route's goal with its template: puts the route's metrics (labelled
/// with the template) in the request's stamp, then hands the request to the
/// handler.
///
/// salvo's `matched-path` feature would give the template too, but builds
/// it on every request from one `String` per path segment joined into
/// another; here the route's metrics are found once, when the route table
/// is built, and a request carries a pointer to them. The handler's future
/// is returned as it is: no second boxed future per request.
pub(crate) struct Templated {
    route: &'static RouteMetrics,
    handler: Arc<dyn Handler>,
}

impl Templated {
    /// `handler` labelled `template` (`/v1.00.00/account/{id}`).
    pub(crate) fn new(template: &str, handler: Arc<dyn Handler>) -> Templated {
        Templated { route: crate::metrics::metrics().route(template), handler }
    }

    /// The same, shared: a router's goal as it is.
    pub(crate) fn wrap(template: &str, handler: Arc<dyn Handler>) -> Arc<dyn Handler> {
        Arc::new(Templated::new(template, handler))
    }
}

impl Handler for Templated {
    // The signature `#[async_trait]` writes; a plain fn, so the handler's
    // own boxed future is passed on rather than boxed again.
    #[allow(clippy::type_complexity, clippy::needless_lifetimes)]
    fn handle<'life0, 'life1, 'life2, 'life3, 'life4, 'async_trait>(
        &'life0 self,
        req: &'life1 mut Request,
        depot: &'life2 mut Depot,
        res: &'life3 mut Response,
        ctrl: &'life4 mut FlowCtrl,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        'life4: 'async_trait,
        Self: 'async_trait,
    {
        if let Ok(stamp) = depot.get_typed_mut::<Stamp>() {
            stamp.route = Some(self.route);
        }
        self.handler.handle(req, depot, res, ctrl)
    }
}
