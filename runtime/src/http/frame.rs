//! The frame: what happens to every request before and after its route.
//! It is a `Service` hoop, not a `Router` one: router hoops do not run when
//! no route matches, and 404/405 need an envelope and an access line too.

use crate::http::answer::{ApiError, ErrorCode, write_error};
use crate::http::cors::CorsPolicy;
use crate::logging::request_id::{REQUEST_ID_HEADER, RequestId};
use crate::state::{AppState, Backends};
use futures_util::FutureExt;
use salvo::http::header::{CONNECTION, HeaderValue};
use salvo::http::{HeaderName, ResBody};
use salvo::{Depot, FlowCtrl, Handler, Request, Response, async_trait};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

static X_REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

/// What the frame leaves in every request's depot: the request's id and
/// the app's state, in one entry (a depot entry is an allocation).
pub(crate) struct Stamp {
    pub(crate) request_id: RequestId,
    pub(crate) state: Arc<AppState>,
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
}

impl Frame {
    pub(crate) fn new(state: Arc<AppState>) -> Frame {
        let cors = CorsPolicy::from_config(&state.config().cors);
        Frame { state, cors }
    }
}

#[async_trait]
impl Handler for Frame {
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
        let started = Instant::now();
        let request_id = RequestId::from_header(req.headers().get(&X_REQUEST_ID));
        res.headers_mut().insert(X_REQUEST_ID.clone(), request_id.header_value());
        let metrics = crate::metrics::metrics();
        let counted = metrics.enabled();
        if counted {
            metrics.request_started();
        }
        let server = &self.state.config().server;
        req.set_secure_max_size(server.body_limit);
        depot.insert_typed(Stamp { request_id, state: Arc::clone(&self.state) });

        let preflight = self.cors.as_ref().and_then(|cors| cors.preflight(req, res));
        let is_preflight = preflight.is_some();
        let outcome = match (crate::http::limits::refuse_head(req, server), preflight) {
            (Some(refusal), _) | (None, Some(Err(refusal))) => {
                write_error(refusal, depot, res);
                Ok(true)
            }
            // A preflight answered (204): nothing to route.
            (None, Some(Ok(()))) => Ok(true),
            (None, None) => AssertUnwindSafe(ctrl.call_next(req, depot, res)).catch_unwind().await,
        };
        if let Err(panic) = outcome {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-text panic payload".to_owned());
            res.replace_body(ResBody::None);
            write_error(ApiError::internal(format!("handler panicked: {what}")), depot, res);
        }
        // Error statuses nobody answered (salvo's 404/405, a hoop that only
        // set a status) get the envelope too.
        let status = res.status_code.unwrap_or(salvo::http::StatusCode::NOT_FOUND);
        if (status.is_client_error() || status.is_server_error())
            && (res.body.is_none() || res.body.is_error())
        {
            res.replace_body(ResBody::None);
            write_error(ApiError::new(ErrorCode::from_status(status)), depot, res);
        }
        if let Some(cors) = &self.cors
            && !is_preflight
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
        let elapsed = started.elapsed();
        if counted {
            metrics.request_done(req.matched_path(), req.method().as_str(), status, elapsed.as_secs_f64());
        }
        crate::logging::access(
            RequestId::of(depot),
            req.method().as_str(),
            req.uri().path(),
            status,
            elapsed,
        );
    }
}
