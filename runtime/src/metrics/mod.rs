//! Prometheus metrics (prometheus-client, OpenMetrics text), served at
//! `GET /metrics` when `[metrics] enabled` (the default) to the addresses in
//! `metrics.allow_from` (loopback by default).
//!
//! One registry per process — a scrape target is a process — so the data
//! and cache layers count without a handle passed down to them. Counters
//! move as things happen; the state of pools, breakers and sockets is read
//! when scraped.
//!
//! | metric | labels |
//! |---|---|
//! | `keel_http_requests_total` | `route` (the template, `unmatched` for none), `method`, `status` |
//! | `keel_http_request_duration_seconds` (histogram) | `route`, `method` |
//! | `keel_http_requests_in_flight` | |
//! | `keel_cache_row_reads_total` | `result`: `hit`, `miss`, `bypass` (cache unreachable) |
//! | `keel_cache_available` | `cache` |
//! | `keel_db_answering` | `database` (0 while its breaker is open) |
//! | `keel_db_pool_connections` | `database`, `state`: `open`, `in_use`, `idle`, `waiting` |
//! | `keel_ws_connections` | |
//! | `keel_ws_frames_total` | `direction`: `in` (client messages), `out` (frames sent) |
//! | `keel_job_runs_total` | `job`, `outcome`: `ok`, `failed`, `panicked`, `skipped` |
//! | `keel_migration_version` | `database` |
//! | `keel_build_info` | `service`, `version`, `keel` |

use latency::Latency;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};
use std::time::Duration;

mod latency;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectionLabels {
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DatabaseLabels {
    database: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    database: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    service: String,
    version: String,
    keel: &'static str,
}

/// A job run's outcome, as `keel_job_runs_total` labels it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum JobOutcome {
    Ok,
    Failed,
    Panicked,
    Skipped,
}

/// A read through the row cache, as `keel_cache_row_reads_total` labels it
/// (the discriminant indexes `Metrics::row_reads`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum RowRead {
    Hit = 0,
    Miss = 1,
    Bypass = 2,
}

/// The process's metrics.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Family<RouteLabels, Latency>,
    in_flight: Gauge,
    /// Handles into `keel_cache_row_reads_total` (hit, miss, bypass), taken
    /// once: a cached read costs one atomic add, not a label lookup.
    row_reads: [Counter; 3],
    cache_available: Family<CacheLabels, Gauge>,
    db_answering: Family<DatabaseLabels, Gauge>,
    db_pool: Family<PoolLabels, Gauge>,
    ws_connections: Gauge,
    /// Handles into `keel_ws_frames_total`, taken once: a frame costs one
    /// atomic add, not a label lookup.
    ws_frames_in: Counter,
    ws_frames_out: Counter,
    jobs: Family<JobLabels, Counter>,
    migration: Family<DatabaseLabels, Gauge>,
    build: Family<BuildLabels, Gauge>,
    /// Per route template, handles into `requests` and `duration`, made
    /// once when the route table is built ([`Metrics::route`]): a request
    /// carries its route's handles, so counting it takes no lookup and no
    /// lock on a shared table.
    routes: Mutex<HashMap<String, &'static RouteMetrics>>,
    /// The handles of requests no route matched.
    unmatched: RouteMetrics,
    /// Off (`metrics.enabled = false`): requests are not counted at all.
    enabled: AtomicBool,
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let duration = Family::<RouteLabels, Latency>::default();
        let in_flight = Gauge::default();
        let row_read_family = Family::<ResultLabels, Counter>::default();
        let row_reads = ["hit", "miss", "bypass"]
            .map(|result| row_read_family.get_or_create_owned(&ResultLabels { result }));
        let cache_available = Family::<CacheLabels, Gauge>::default();
        let db_answering = Family::<DatabaseLabels, Gauge>::default();
        let db_pool = Family::<PoolLabels, Gauge>::default();
        let ws_connections = Gauge::default();
        let ws_frames = Family::<DirectionLabels, Counter>::default();
        let ws_frames_in = ws_frames.get_or_create_owned(&DirectionLabels { direction: "in" });
        let ws_frames_out = ws_frames.get_or_create_owned(&DirectionLabels { direction: "out" });
        let jobs = Family::<JobLabels, Counter>::default();
        let migration = Family::<DatabaseLabels, Gauge>::default();
        let build = Family::<BuildLabels, Gauge>::default();
        registry.register("keel_http_requests", "Requests answered", requests.clone());
        registry.register("keel_http_request_duration_seconds", "Time to answer a request", duration.clone());
        registry.register("keel_http_requests_in_flight", "Requests being answered", in_flight.clone());
        registry.register("keel_cache_row_reads", "Row reads through the cache", row_read_family);
        registry.register(
            "keel_cache_available",
            "1 while the cache answers, 0 while its breaker is open",
            cache_available.clone(),
        );
        registry.register(
            "keel_db_answering",
            "1 while the database answers, 0 while its breaker is open",
            db_answering.clone(),
        );
        registry.register("keel_db_pool_connections", "Pooled connections by state", db_pool.clone());
        registry.register("keel_ws_connections", "Open WebSockets", ws_connections.clone());
        registry.register("keel_ws_frames", "WebSocket messages received and frames sent", ws_frames);
        registry.register("keel_job_runs", "Scheduled job ticks by outcome", jobs.clone());
        registry.register("keel_migration_version", "Last migration applied", migration.clone());
        registry.register("keel_build_info", "The service and keel versions", build.clone());
        Metrics {
            registry,
            requests,
            duration,
            in_flight,
            row_reads,
            cache_available,
            db_answering,
            db_pool,
            ws_connections,
            ws_frames_in,
            ws_frames_out,
            jobs,
            migration,
            build,
            routes: Mutex::new(HashMap::new()),
            unmatched: RouteMetrics::new(""),
            enabled: AtomicBool::new(true),
        }
    }

    /// Turns request counting on or off (`metrics.enabled`).
    pub(crate) fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    /// Whether requests are counted.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// A request started.
    pub(crate) fn request_started(&self) {
        self.in_flight.inc();
    }

    /// The handles of the route `template` (`/v1.00.00/account/{id}`),
    /// made on its first call and kept for the process: the route table is
    /// fixed, and a process that builds its service several times (tests)
    /// still holds one set per template.
    pub(crate) fn route(&self, template: &str) -> &'static RouteMetrics {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = routes.get(template) {
            return known;
        }
        let made: &'static RouteMetrics = Box::leak(Box::new(RouteMetrics::new(template)));
        routes.insert(template.to_owned(), made);
        made
    }

    /// A request was answered: `route` is the matched route's handles
    /// (none: `unmatched`).
    pub(crate) fn request_done(
        &self,
        route: Option<&RouteMetrics>,
        method: &str,
        status: u16,
        elapsed: Duration,
    ) {
        route.unwrap_or(&self.unmatched).count(self, method_index(method), status, elapsed);
        self.in_flight.dec();
    }

    pub(crate) fn row_read(&self, read: RowRead) {
        self.row_reads[read as usize].inc();
    }

    pub(crate) fn job_run(&self, job: &str, outcome: JobOutcome) {
        let outcome = match outcome {
            JobOutcome::Ok => "ok",
            JobOutcome::Failed => "failed",
            JobOutcome::Panicked => "panicked",
            JobOutcome::Skipped => "skipped",
        };
        self.jobs.get_or_create(&JobLabels { job: job.to_owned(), outcome }).inc();
    }

    pub(crate) fn migration_version(&self, database: &str, version: i64) {
        self.migration.get_or_create(&DatabaseLabels { database: database.to_owned() }).set(version);
    }

    pub(crate) fn build_info(&self, service: &str, version: &str) {
        let labels = BuildLabels {
            service: service.to_owned(),
            version: version.to_owned(),
            keel: env!("CARGO_PKG_VERSION"),
        };
        self.build.get_or_create(&labels).set(1);
    }

    /// Scrape-time state of one cache.
    pub(crate) fn cache_state(&self, cache: &str, available: bool) {
        self.cache_available
            .get_or_create(&CacheLabels { cache: cache.to_owned() })
            .set(i64::from(available));
    }

    /// Scrape-time state of one database: its breaker, and its pool's
    /// `(open, in_use, idle, waiting)` connections.
    pub(crate) fn database_state(&self, database: &str, answering: bool, pool: [(&'static str, i64); 4]) {
        self.db_answering
            .get_or_create(&DatabaseLabels { database: database.to_owned() })
            .set(i64::from(answering));
        for (state, count) in pool {
            self.db_pool.get_or_create(&PoolLabels { database: database.to_owned(), state }).set(count);
        }
    }

    /// A client's message arrived on a WebSocket.
    pub(crate) fn ws_frame_in(&self) {
        self.ws_frames_in.inc();
    }

    /// A frame went out on a WebSocket.
    pub(crate) fn ws_frame_out(&self) {
        self.ws_frames_out.inc();
    }

    pub(crate) fn ws_connections(&self, open: usize) {
        self.ws_connections.set(i64::try_from(open).unwrap_or(i64::MAX));
    }

    /// The registry in the OpenMetrics text format.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            log::error!(target: crate::logging::FAILED, "metrics did not encode: {err}");
        }
        text
    }
}

/// The methods labelled by name; anything else is `other`.
const METHODS: [&str; 8] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"];

fn method_index(method: &str) -> usize {
    METHODS[..7].iter().position(|known| *known == method).unwrap_or(7)
}

/// One route template's handles, taken on its first request per method
/// and status.
pub(crate) struct RouteMetrics {
    /// The template as labelled: `/v1/x/{id}`, or `unmatched`.
    route: &'static str,
    /// Per entry of [`METHODS`].
    methods: [OnceLock<MethodMetrics>; 8],
}

struct MethodMetrics {
    duration: Latency,
    /// `(status, counter)`: a handful per route, so a scan.
    statuses: RwLock<Vec<(u16, Counter)>>,
}

impl RouteMetrics {
    fn new(template: &str) -> RouteMetrics {
        let route: &'static str = if template.is_empty() {
            "unmatched"
        } else {
            // Leaked once per template of the route table.
            Box::leak(format!("/{}", template.trim_start_matches('/')).into_boxed_str())
        };
        RouteMetrics { route, methods: Default::default() }
    }

    fn count(&self, metrics: &Metrics, method: usize, status: u16, elapsed: Duration) {
        let route = self.route;
        let labels = RouteLabels { route, method: METHODS[method] };
        let by_method = self.methods[method].get_or_init(|| MethodMetrics {
            duration: metrics.duration.get_or_create_owned(&labels),
            statuses: RwLock::new(Vec::new()),
        });
        by_method.duration.observe(elapsed);
        let seen = by_method
            .statuses
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(known, _)| *known == status)
            .map(|(_, counter)| counter.inc())
            .is_some();
        if !seen {
            let counter =
                metrics.requests.get_or_create_owned(&RequestLabels { route, method: labels.method, status });
            counter.inc();
            let mut statuses = by_method.statuses.write().unwrap_or_else(PoisonError::into_inner);
            if !statuses.iter().any(|(known, _)| *known == status) {
                statuses.push((status, counter));
            }
        }
    }
}

/// The process's metrics.
pub(crate) fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}
