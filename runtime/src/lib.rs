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

#![warn(missing_docs)]

extern crate self as keel;

// Layers, lowest first; a module imports only from the ones above it in
// this list (docs/architecture.md, checked by tests/layers.rs).
pub mod auth;
mod boot;
pub mod cache;
pub mod config;
mod const_text;
mod data;
mod error;
mod http;
pub mod jobs;
pub mod kind;
pub mod logging;
mod metrics;
mod service;
mod state;
pub mod time;
pub mod ws;

#[cfg(feature = "testing")]
pub use boot::testing;
pub use cache::pubsub;
pub use data::{db, migrate, read_through};
pub use http::openapi;

pub use boot::routes_table;
pub use boot::{App, BootError, RunningServer};
pub use data::base_enum::BaseEnum;
pub use data::table::{ColumnSchema, ColumnType, Columns, SqlType, Table, TableSchema};
pub use error::BoxError;
pub use http::answer::{
    Answer, ApiError, ApiResult, ErrorCode, FieldError, IntoAnswer, Page, answer_json, answer_page,
};
pub use http::declare::{Access, Api, Endpoint, RouteDecl, Verb};
pub use http::extract::{ClientInfo, Ctx, FromRequest, Json, PathParam, Query, page_bounds};
pub use http::health::HealthCheck;
pub use http::router::UriRouter;
pub use keel_macros::{
    BaseEnum, api, cache, channel, columns, embed_migrations, main, models, permissions, service, table,
    uri_router, ws,
};
pub use logging::MultLogger;
pub use logging::request_id::{REQUEST_ID_HEADER, RequestId};
pub use service::{Service, ServiceInfo, check_distinct_services};
pub use state::{AppState, Backends, Sockets};

/// `#[keel::async_trait]`, for implementing keel's async traits
/// ([`auth::Authority`]) without depending on salvo.
pub use salvo::async_trait;

/// What a service module usually needs: `use keel::prelude::*;`.
pub mod prelude {
    /// salvo-oapi's derive expands to `salvo::oapi::…` paths; this brings
    /// `salvo` into scope so services need not depend on salvo themselves.
    pub use crate::__private::salvo;
    pub use crate::cache::CacheModel;
    pub use crate::{
        Answer, ApiError, ApiResult, Backends, BaseEnum, BoxError, ClientInfo, Ctx, ErrorCode, FieldError,
        Json, Page, PathParam, Query, answer_json, answer_page, page_bounds,
    };
    pub use salvo::oapi::ToSchema;
    pub use serde::{Deserialize, Serialize};
}

/// Used by generated code; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::boot::App;
    pub use crate::cache::{Cache, CacheError, CacheModel};
    pub use crate::data::base_enum::{BaseEnum, base_enum_schema, deserialize_base_enum};
    pub use crate::data::db::{Column, Flattens, SetColumn, Statements};
    pub use crate::data::table::{
        ColumnSchema, ColumnType, Columns, SqlType, Table, TableSchema, assert_models,
    };
    pub use crate::http::answer::{IntoAnswer, write_error};
    pub use crate::http::declare::{
        Api, Endpoint, NoPermissions, RouteDecl, Verb, assert_route_permissions, assert_unique_routes,
    };
    pub use crate::http::extract::FromRequest;
    pub use crate::http::router::UriRouter;
    pub use crate::kind;
    pub use crate::service::{Service, ServiceInfo, set_binary_name};
    pub use crate::ws::endpoint as ws_endpoint;
    pub use salvo;
    pub use salvo::oapi;
    pub use serde;

    /// What `.run()` returns under `#[keel::main]`: `App::run_cli`, boxed
    /// so the binary's local `run` trait can name it.
    pub type RunFuture = std::pin::Pin<Box<dyn std::future::Future<Output = std::process::ExitCode>>>;

    /// `App::run_cli`, boxed, for each kind of app. Implemented here for
    /// the four concrete kinds, not generically: the whole boot (command
    /// line, config, pools, server) is then compiled once, in keel, instead
    /// of again in every service binary that names `App<K>::run_cli` —
    /// measured as most of a binary crate's debug build.
    pub trait RunBoxed {
        /// `run_cli`, boxed.
        fn run_boxed(self) -> RunFuture;
    }

    macro_rules! run_boxed {
        ($($kind:ident),*) => {$(
            impl RunBoxed for crate::App<crate::kind::$kind> {
                fn run_boxed(self) -> RunFuture {
                    Box::pin(self.run_cli())
                }
            }
        )*};
    }
    run_boxed!(NoRoutes, HttpOnly, WsOnly, HttpAndWs);

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
