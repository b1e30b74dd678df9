//! keel: conventions of a multi-service backend, enforced at compile time.
//!
//! A service declares its identity with [`service`], its handlers with
//! [`api`], lists them with [`uri_router!`] and boots from a binary whose
//! `main` carries [`main`]. Naming rules (versions, paths, binary names,
//! route conflicts) are checked by the macros: a mistake stops `cargo check`
//! with a message that says what to write instead.
//!
//! ```
//! use keel::prelude::*;
//!
//! #[keel::service(name = "demo", id = 9, port = 8009, prefix = "demo", version = "1.00.02")]
//! pub struct DemoConf;
//!
//! #[derive(Serialize, ToSchema)]
//! pub struct Hello { greeting: String }
//!
//! /// Says hello.
//! #[keel::api(path = "/hello", public)]
//! impl HelloHandler {
//!     async fn get(ctx: Ctx) -> ApiResult<Hello> {
//!         Ok(answer_json(Hello { greeting: format!("hello from {}", ctx.service.name) }))
//!     }
//! }
//!
//! keel::uri_router!(DemoConf => HelloHandler);
//!
//! # tokio_test();
//! # fn tokio_test() {
//! # keel::__private::block_on(async {
//! let app = keel::App::new(uri_router());
//! let answer = keel::testing::call(&app, "GET", "/v1.00.02/hello", None).await;
//! assert_eq!(answer.status, 200);
//! assert_eq!(answer.json["data"]["greeting"], "hello from demo");
//! # });
//! # }
//! ```

extern crate self as keel;

mod answer;
mod app;
pub mod auth;
mod base_enum;
pub mod cache;
mod cli;
pub mod config;
mod const_text;
pub mod db;
mod extract;
pub mod kind;
pub mod log;
pub mod logging;
pub mod migrate;
pub mod openapi;
mod ops;
pub mod pubsub;
pub mod read_through;
mod request_id;
mod route;
mod router;
pub mod script;
mod service;
mod table;
pub mod testing;
pub mod time;
pub mod ws;

pub use answer::{
    Answer, ApiError, ApiResult, ErrorCode, FieldError, IntoAnswer, Page, answer_json, answer_page,
};
pub use app::{App, AppState, BootError, RunningServer};
pub use base_enum::BaseEnum;
pub use cli::routes_table;
pub use extract::{ClientInfo, Ctx, FromRequest, Json, PathParam, Query, page_bounds};
pub use keel_macros::{BaseEnum, api, cache, channel, columns, main, models, service, table, uri_router, ws};
pub use log::MultLogger;
pub use ops::HealthCheck;
pub use request_id::{REQUEST_ID_HEADER, RequestId};
pub use route::{Api, Endpoint, RouteDecl, Verb};
pub use router::UriRouter;
pub use service::{Service, ServiceInfo, check_distinct_services};
pub use table::{ColumnSchema, ColumnType, Columns, SqlType, Table, TableSchema};

/// What a service module usually needs: `use keel::prelude::*;`.
pub mod prelude {
    /// salvo-oapi's derive expands to `salvo::oapi::…` paths; this brings
    /// `salvo` into scope so services need not depend on salvo themselves.
    pub use crate::__private::salvo;
    pub use crate::{
        Answer, ApiError, ApiResult, BaseEnum, ClientInfo, Ctx, ErrorCode, FieldError, Json, Page, PathParam,
        Query, answer_json, answer_page, page_bounds,
    };
    pub use salvo::oapi::ToSchema;
    pub use serde::{Deserialize, Serialize};
}

/// Used by generated code; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::answer::write_error;
    pub use crate::base_enum::{base_enum_schema, deserialize_base_enum};
    pub use crate::route::assert_unique_routes;
    pub use crate::service::set_binary_name;
    pub use crate::table::assert_models;
    pub use salvo;
    pub use salvo::oapi;
    pub use serde;

    /// What `.run()` returns under `#[keel::main]`: `App::run_cli`, boxed
    /// so the binary's local `run` trait can name it.
    pub type RunFuture = std::pin::Pin<Box<dyn std::future::Future<Output = std::process::ExitCode>>>;

    /// Runs a service binary's `main` on a multi-threaded tokio runtime.
    pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
        match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(future),
            Err(err) => {
                eprintln!("cannot start the tokio runtime: {err}");
                std::process::exit(1)
            }
        }
    }
}
