//! Testing a service without a socket: [`TestClient`] boots an app once —
//! its tables in an embedded SQLite file under a temporary home, an
//! in-process cache, or whatever backends the app's configuration names
//! (the `TEST_*` URLs) — and sends requests through the full stack (frame,
//! gate, routes, envelope). Every request shares the one booted state: its
//! in-process cache, pub/sub and sessions.
//!
//! ```
//! use keel::prelude::*;
//!
//! #[keel::service(name = "demo", id = 9, port = 8009, prefix = "demo", version = "1.00.02")]
//! pub struct DemoConf;
//!
//! /// Counts calls in the cache.
//! #[keel::api(path = "/hits", public)]
//! impl Hits {
//!     async fn post(ctx: Ctx) -> ApiResult<u64> {
//!         let (count, _) = ctx.cache().incr("demo_hits", std::time::Duration::from_secs(60)).await;
//!         Ok(answer_json(u64::try_from(count).unwrap_or(0)))
//!     }
//! }
//!
//! keel::uri_router!(DemoConf => Hits);
//!
//! # keel::__private::block_on(async {
//! let client = keel::testing::TestClient::boot(keel::App::new(uri_router())).await.expect("boots");
//! assert_eq!(client.post("/v1.00.02/hits").send().await.json["data"], 1);
//! assert_eq!(client.post("/v1.00.02/hits").send().await.json["data"], 2); // same cache
//! assert_eq!(client.request("BREW", "/v1.00.02/hits").send().await.status, 405);
//! # });
//! ```

use super::{App, BootError};
use crate::kind::Kind;
use crate::logging::request_id::REQUEST_ID_HEADER;
use crate::state::{AppState, Backends};
use salvo::http::Method;
use salvo::test::{RequestBuilder, ResponseExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// A response as a test sees it.
#[derive(Debug)]
pub struct TestAnswer {
    /// HTTP status.
    pub status: u16,
    /// The `x-request-id` header.
    pub request_id: Option<String>,
    /// Every response header, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub text: String,
    /// The body parsed as JSON (`null` if it is not JSON).
    pub json: serde_json::Value,
}

impl TestAnswer {
    /// The first header named `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A folder under the system's temp dir that is removed when dropped.
#[derive(Debug)]
pub struct TempHome(PathBuf);

impl TempHome {
    /// A fresh, empty folder unique to this process, `tag` and call.
    pub fn new(tag: &str) -> std::io::Result<TempHome> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("keel-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(TempHome(dir))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for TempHome {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempHome {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempHome {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A booted app and a client for it (no socket).
pub struct TestClient {
    service: salvo::Service,
    state: Arc<AppState>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
    /// A temporary home, kept until the client drops; then removed.
    _home: Option<TempHome>,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient").field("service", &self.state.service()).finish_non_exhaustive()
    }
}

impl TestClient {
    /// Boots `app` the way `serve` does — caches, databases (an embedded
    /// SQLite under the home unless its configuration names one),
    /// migrations, boot hooks, jobs — once. The home is the app's when it
    /// set one (`App::home`, kept), else a temporary one (removed with the
    /// client). Migrations are read from the app's `migrations(…)` folder,
    /// else from `migrations/<service>` of the workspace the test runs in.
    pub async fn boot<K: Kind>(mut app: App<K>) -> Result<TestClient, BootError> {
        let home = if app.home == Path::new(".") {
            let temp = TempHome::new(app.service_info().name)
                .map_err(|err| BootError(format!("cannot create a temporary home: {err}")))?;
            app.home = temp.path().to_owned();
            Some(temp)
        } else {
            None
        };
        if app.migrations.is_none() {
            app.migrations = find_migrations(app.service_info().name);
        }
        let (state, jobs) = app.start().await?;
        Ok(TestClient { service: app.salvo_service(), state, jobs, _home: home })
    }

    /// The state every request of this client shares.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// A request with any method (an unknown one answers 405).
    pub fn request(&self, method: &str, url: &str) -> TestRequest<'_> {
        TestRequest {
            client: self,
            method: Method::from_bytes(method.as_bytes()).ok(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// `GET url`.
    pub fn get(&self, url: &str) -> TestRequest<'_> {
        self.request("GET", url)
    }

    /// `POST url`.
    pub fn post(&self, url: &str) -> TestRequest<'_> {
        self.request("POST", url)
    }

    /// `PUT url`.
    pub fn put(&self, url: &str) -> TestRequest<'_> {
        self.request("PUT", url)
    }

    /// `DELETE url`.
    pub fn delete(&self, url: &str) -> TestRequest<'_> {
        self.request("DELETE", url)
    }
}

impl Drop for TestClient {
    fn drop(&mut self) {
        for job in &self.jobs {
            job.abort();
        }
    }
}

/// `migrations/<service>` in the nearest ancestor of the working directory
/// that has one (tests run in their package's folder, below the workspace).
fn find_migrations(service: &str) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors().map(|dir| dir.join("migrations").join(service)).find(|dir| dir.is_dir())
}

/// One request being built.
#[derive(Debug)]
pub struct TestRequest<'a> {
    client: &'a TestClient,
    method: Option<Method>,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

impl TestRequest<'_> {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// A JSON body (`Content-Type: application/json`).
    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(("application/json".to_owned(), body.to_string().into_bytes()));
        self
    }

    /// A raw body with its content type: malformed JSON, text, bytes.
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some((content_type.to_owned(), body.into()));
        self
    }

    /// Sends it through the app and reads the answer.
    pub async fn send(self) -> TestAnswer {
        // A method no route has answers 405, as on the wire; one that is
        // not an HTTP token never reaches a service: a mistake in the test.
        let Some(method) = self.method else {
            panic!("`{}`: the method is not an HTTP token", self.url);
        };
        let mut builder = RequestBuilder::new(format!("http://127.0.0.1{}", self.url), method);
        for (name, value) in self.headers {
            let Ok(name) = salvo::http::HeaderName::from_bytes(name.as_bytes()) else {
                panic!("`{name}` is not a header name");
            };
            builder = builder.add_header(name, value, true);
        }
        if let Some((content_type, bytes)) = self.body {
            builder = builder.add_header("content-type", content_type, true).body(bytes);
        }
        answer(builder, &self.client.service).await
    }
}

async fn answer(builder: RequestBuilder, service: &salvo::Service) -> TestAnswer {
    let mut response = builder.send(service).await;
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
        .collect();
    let request_id = headers.iter().find(|(n, _)| n == REQUEST_ID_HEADER).map(|(_, v)| v.clone());
    let text = response.take_string().await.unwrap_or_default();
    TestAnswer {
        status: response.status_code.map_or(0, |s| s.as_u16()),
        request_id,
        headers,
        json: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        text,
    }
}

/// Sends one request through the app's full stack (frame, routes,
/// envelope) without booting it: no database, the builder's cache. Calls
/// on one app share its state. [`TestClient`] boots the app and takes
/// headers.
pub async fn call<K: Kind>(app: &App<K>, method: &str, url: &str, json_body: Option<&str>) -> TestAnswer {
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        panic!("`{method}`: not an HTTP method token");
    };
    let mut builder = RequestBuilder::new(format!("http://127.0.0.1{url}"), method);
    if let Some(body) = json_body {
        builder = builder.raw_json(body.to_owned());
    }
    answer(builder, &app.salvo_service()).await
}

/// Fails the calling test, with the command that fixes it, when the models
/// of `app` differ from its latest migration — the same check that stops
/// boot. One line in each service's tests:
///
/// ```ignore
/// #[test]
/// fn models_match_the_migrations() {
///     keel::testing::assert_migrations_match(&manage_system::uri_router::app());
/// }
/// ```
///
/// The migrations are the ones the app carries (`embedded_migrations`),
/// extended by `migrations/<service>/` of the workspace when present
/// (found from `CARGO_MANIFEST_DIR` upwards), so a migration just written by
/// `db migrate` counts before the next rebuild.
#[track_caller]
pub fn assert_migrations_match<K: Kind>(app: &App<K>) {
    let service = app.service_info().name;
    let Some(models) = app.models.map(|models| models()) else { return };
    let start = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let folder = start
        .ancestors()
        .map(|dir| dir.join("migrations").join(service))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| app.migrations_dir("default"));
    for database in crate::data::table::databases_of(&models) {
        let tables: Vec<crate::TableSchema> =
            models.iter().filter(|t| t.database == database).cloned().collect();
        let (dir, embedded) = match database {
            "default" => (folder.clone(), app.embedded_migrations),
            named => (folder.join(named), None),
        };
        let set = match crate::data::migrate::file::MigrationSet::resolve(&dir, embedded) {
            Ok(set) => set,
            Err(err) => panic!("migrations of {service}: {err}"),
        };
        if set.migrations.is_empty() {
            panic!(
                "{service} has tables on database `{database}` and no migration in {}: write the first with `<binary> db init-db{}`",
                dir.display(),
                if database == "default" { String::new() } else { format!(" --database {database}") }
            );
        }
        if let Some(line) = crate::data::migrate::drift_line(service, "<binary>", &set, || None, &tables) {
            panic!("database `{database}`: {line}");
        }
        // The binary must carry them all: a migration on disk that is not
        // built in means the crate was not rebuilt after `db migrate` (a
        // build script with `cargo::rerun-if-changed=<the folder>` makes
        // cargo do it).
        if let Some(files) = embedded
            && files.len() < set.migrations.len()
        {
            panic!(
                "{service}: {} has {} migration(s), the binary carries {}: its build script must rerun when the folder changes (`cargo::rerun-if-changed`)",
                dir.display(),
                set.migrations.len(),
                files.len()
            );
        }
    }
}
