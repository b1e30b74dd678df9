//! Procedural macros of keel. Users depend on the `keel` crate, which
//! re-exports these; see its documentation for runnable examples.
//!
//! Each macro is a module: attribute parsing, rule checks and code generation
//! kept apart. The naming rules shared by all macros are pure functions in
//! the `keel-naming` crate, unit-tested beside their code; compile-fail behaviour is pinned
//! by trybuild cases in `tests/ui/`.

mod api;
mod attr;
mod base_enum;
mod cache;
mod ctxt;
mod embed;
mod main_attr;
mod models;
mod permissions;
mod router;
mod service;
mod service_list;
mod table;
mod ws;

use proc_macro::TokenStream;

/// Declares a service's identity. See `keel::service`.
#[proc_macro_attribute]
pub fn service(args: TokenStream, item: TokenStream) -> TokenStream {
    service::expand(args.into(), item.into()).into()
}

/// Turns an impl block (class-style view) or an async fn into routes. See `keel::api`.
#[proc_macro_attribute]
pub fn api(args: TokenStream, item: TokenStream) -> TokenStream {
    api::expand(args.into(), item.into()).into()
}

/// Lists a service's handlers and checks them for route conflicts. See `keel::uri_router`.
#[proc_macro]
pub fn uri_router(input: TokenStream) -> TokenStream {
    router::expand(input.into()).into()
}

/// The entry of a service binary: `#[keel::main] async fn main() -> ExitCode`.
///
/// Checks the binary's name (`http_`, `ws_`, `server_` or
/// `service_` and a snake_case rest) and gives the body a `.run()` on
/// `keel::App<K>` only where the app's kind `K` matches the prefix —
/// `http_` → `HttpOnly`, `ws_` → `WsOnly`, `server_` → `HttpAndWs`,
/// `service_` → `NoRoutes` (see `keel::kind`). A mismatch fails `cargo
/// check` at `.run()`, naming the binary and the names that would fit. The
/// body runs on a multi-threaded tokio runtime.
///
/// ```ignore
/// #[keel::main]
/// async fn main() -> std::process::ExitCode {
///     manage_system::uri_router::app().run().await // App<HttpOnly> in `http_manage_sys`
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    main_attr::expand(args.into(), item.into()).into()
}

/// Integer-valued, labelled enums. See `keel::BaseEnum`.
#[proc_macro_derive(BaseEnum, attributes(base_enum))]
pub fn derive_base_enum(input: TokenStream) -> TokenStream {
    base_enum::expand(input.into()).into()
}

/// A WebSocket endpoint on `impl keel::ws::Socket for T`; see `keel::ws`.
#[proc_macro_attribute]
pub fn ws(args: TokenStream, item: TokenStream) -> TokenStream {
    ws::expand_ws(args.into(), item.into()).into()
}

/// A pub/sub channel name, checked against the naming rule.
#[proc_macro]
pub fn channel(input: TokenStream) -> TokenStream {
    ws::expand_channel(input.into()).into()
}

/// A typed cache entry (seed: `rc_model/`); see `keel::cache`.
#[proc_macro_attribute]
pub fn cache(args: TokenStream, item: TokenStream) -> TokenStream {
    cache::expand_cache(args.into(), item.into()).into()
}

/// A table named by the seed's rule, with its schema. See `keel::table`.
#[proc_macro_attribute]
pub fn table(args: TokenStream, item: TokenStream) -> TokenStream {
    table::expand_table(args.into(), item.into()).into()
}

/// An abstract column set shared by tables. See `keel::columns`.
#[proc_macro_attribute]
pub fn columns(args: TokenStream, item: TokenStream) -> TokenStream {
    table::expand_columns(args.into(), item.into()).into()
}

/// A service's permissions, declared once. See `keel::permissions`.
#[proc_macro]
pub fn permissions(input: TokenStream) -> TokenStream {
    permissions::expand(input.into()).into()
}

/// The migration files of a folder, compiled in. See `keel::embed_migrations`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    embed::expand(input.into()).into()
}

/// A service's list of tables, checked against its prefix. See `keel::models`.
#[proc_macro]
pub fn models(input: TokenStream) -> TokenStream {
    models::expand(input.into()).into()
}
