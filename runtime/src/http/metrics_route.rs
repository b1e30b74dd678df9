//! `GET /metrics`: the process's metrics for Prometheus, to the addresses
//! in `metrics.allow_from` only (loopback by default); absent (404) while
//! `metrics.enabled` is off.

use crate::config::MetricsConfig;
use crate::http::answer::{ApiError, ErrorCode, write_error};
use crate::http::frame::Templated;
use crate::state::AppState;
use salvo::http::header::{CONTENT_TYPE, HeaderValue};
use salvo::{Depot, FlowCtrl, Handler, Request, Response, Router, async_trait};
use std::net::IpAddr;

struct MetricsRoute {
    allow_from: Vec<IpAddr>,
}

/// The route, or an empty router while metrics are off.
pub(crate) fn routes(config: &MetricsConfig) -> Router {
    if !config.enabled {
        return Router::new();
    }
    let allow_from = config.allow_from.iter().filter_map(|ip| ip.trim().parse().ok()).collect();
    let route = Templated::new("/metrics", std::sync::Arc::new(MetricsRoute { allow_from })).arc();
    Router::with_path("metrics").get(route.clone()).head(route)
}

/// An IPv4 client seen on an IPv6 socket (`::ffff:127.0.0.1`) as itself.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Reads the state that is not counted as it happens: breakers, pools, sockets.
async fn scrape(state: &AppState) {
    let metrics = crate::metrics::metrics();
    for (name, db) in state.databases() {
        let pool = db.pool_state().await;
        metrics.database_state(name, db.answering(), pool);
    }
    for (name, cache) in state.caches() {
        metrics.cache_state(name, cache.is_available());
    }
    metrics.ws_connections(state.sockets().open());
}

#[async_trait]
impl Handler for MetricsRoute {
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, _ctrl: &mut FlowCtrl) {
        let client = req.remote_addr().clone().into_std().map(|addr| canonical(addr.ip()));
        if !client.is_some_and(|ip| self.allow_from.contains(&ip)) {
            let refusal =
                ApiError::new(ErrorCode::Forbidden).msg("metrics are served to metrics.allow_from only");
            write_error(refusal, depot, res);
            return;
        }
        if let Some(state) = crate::http::frame::state_of(depot) {
            scrape(state).await;
        }
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        );
        res.body(crate::metrics::metrics().encode());
    }
}
