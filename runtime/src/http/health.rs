//! Operational routes every service serves: `GET /health` (liveness and
//! readiness of each backend), `GET /openapi.json` and the `/docs` page.

use crate::error::BoxError;
use crate::http::answer::{ErrorCode, write_envelope};
use crate::http::frame::Templated;
use crate::http::router::UriRouter;
use crate::logging::request_id::RequestId;
use futures_util::future::BoxFuture;
use salvo::http::StatusCode;
use salvo::http::header::{CONTENT_TYPE, HeaderValue};
use salvo::{Depot, FlowCtrl, Handler, Request, Response, Router, async_trait};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one readiness check may take before it counts as down. The
/// checks run side by side, so `/health` answers within about this long
/// whatever hangs — a load balancer's probe must not time out first.
const CHECK_TIMEOUT: Duration = Duration::from_millis(400);

type Probe = dyn Fn() -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync;

/// A named readiness check (`database`, `cache`, …) for `GET /health`.
///
/// ```
/// let check = keel::HealthCheck::new("cache", || async { Ok(()) });
/// let app = keel::App::new(keel::UriRouter::new(INFO)).health_check(check);
/// # const INFO: keel::ServiceInfo = keel::ServiceInfo { name: "demo", id: 1, port: 1, prefix: "demo", version: "1.00.00" };
/// ```
#[derive(Clone)]
pub struct HealthCheck {
    name: String,
    probe: Arc<Probe>,
    /// Down makes `/health` answer 503; an optional check only degrades it.
    required: bool,
}

impl HealthCheck {
    /// A check that is up when `probe` returns `Ok`.
    pub fn new<F, Fut>(name: impl Into<String>, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        HealthCheck { name: name.into(), probe: Arc::new(move || Box::pin(probe())), required: true }
    }

    /// A check reported by `/health` whose failure does not make the
    /// service unready (`"status": "degraded"`): a cache, without which the
    /// service still answers from the database.
    pub fn optional<F, Fut>(name: impl Into<String>, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        HealthCheck { required: false, ..HealthCheck::new(name, probe) }
    }
}

impl std::fmt::Debug for HealthCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthCheck").field("name", &self.name).finish_non_exhaustive()
    }
}

pub(crate) fn routes<K: crate::kind::Kind>(
    router: &UriRouter<K>,
    checks: Vec<HealthCheck>,
    metrics: &crate::config::MetricsConfig,
) -> Router {
    let service = router.service();
    // Built once: the document only changes with the code.
    let document = crate::http::openapi::document(router).to_json().unwrap_or_else(|err| {
        log::error!(target: crate::logging::FAILED, "openapi document failed to render: {err}");
        "{}".to_owned()
    });
    let health = Templated::new("/health", Arc::new(Health { checks: Arc::new(checks) })).arc();
    let openapi = Templated::new("/openapi.json", Arc::new(OpenApiJson(Arc::from(document)))).arc();
    Router::new()
        .push(Router::with_path("health").get(health.clone()).head(health))
        .push(Router::with_path("openapi.json").get(openapi.clone()).head(openapi))
        .push(crate::http::docs::routes(&format!("{} {}", service.name, service.version)))
        .push(crate::http::metrics_route::routes(metrics))
}

#[derive(Serialize)]
struct HealthView<'a> {
    status: &'static str,
    service: &'a str,
    version: &'a str,
    checks: BTreeMap<String, CheckView>,
}

#[derive(Serialize)]
struct CheckView {
    status: &'static str,
    latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

struct Health {
    checks: Arc<Vec<HealthCheck>>,
}

#[async_trait]
impl Handler for Health {
    async fn handle(&self, _req: &mut Request, depot: &mut Depot, res: &mut Response, _ctrl: &mut FlowCtrl) {
        let mut checks = BTreeMap::new();
        let (mut ready, mut degraded) = (true, false);
        let outcomes = futures_util::future::join_all(self.checks.iter().map(|check| async move {
            let started = Instant::now();
            let outcome = match tokio::time::timeout(CHECK_TIMEOUT, (check.probe)()).await {
                Ok(result) => result.map_err(|err| err.to_string()),
                Err(_) => Err(format!("no answer within {}ms", CHECK_TIMEOUT.as_millis())),
            };
            (check, outcome, started.elapsed())
        }))
        .await;
        for (check, outcome, elapsed) in outcomes {
            let latency_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
            let view = match outcome {
                Ok(()) => CheckView { status: "up", latency_ms, error: None },
                Err(error) => {
                    if check.required {
                        ready = false;
                    } else {
                        degraded = true;
                    }
                    CheckView { status: "down", latency_ms, error: Some(error) }
                }
            };
            checks.insert(check.name.clone(), view);
        }
        let service =
            crate::http::frame::state_of(depot).map(|s| crate::state::Backends::service(s.as_ref()));
        let view = HealthView {
            status: match (ready, degraded) {
                (false, _) => "unavailable",
                (true, true) => "degraded",
                (true, false) => "ok",
            },
            service: service.map_or("", |s| s.name),
            version: service.map_or("", |s| s.version),
            checks,
        };
        let (status, code) = if ready {
            (StatusCode::OK, ErrorCode::Ok)
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
        };
        write_envelope(res, status, code, code.default_msg(), &view, RequestId::of(depot));
    }
}

struct OpenApiJson(Arc<str>);

#[async_trait]
impl Handler for OpenApiJson {
    async fn handle(&self, _req: &mut Request, _depot: &mut Depot, res: &mut Response, _ctrl: &mut FlowCtrl) {
        res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        res.body(self.0.to_string());
    }
}
