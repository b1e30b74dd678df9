//! What a service exposes, carried in the type of its router and app:
//! `UriRouter<K>` / `App<K>`, where `K` is one of four markers.
//!
//! Seed rule 9 names a binary after what it serves: `http_` HTTP routes
//! only, `ws_` WebSockets only, `server_` both, `service_` nothing external.
//! The routes are listed in the service's library and the name belongs to
//! the binary, so no single macro sees both; the type does. Each
//! `.with::<Handler>()` joins the handler's kind into the router's, and
//! `#[keel::main]` accepts `.run()` only on an app whose kind matches the
//! binary's prefix — a mismatch stops `cargo check`:
//!
//! ```
//! use keel::kind::{HttpAndWs, HttpOnly, NoRoutes, WsOnly, Join};
//! fn joined<A: Join<B>, B>() -> &'static str { <A::Out as keel::kind::Kind>::PREFIX }
//! assert_eq!(joined::<NoRoutes, HttpOnly>(), "http_");
//! assert_eq!(joined::<HttpOnly, WsOnly>(), "server_");
//! assert_eq!(joined::<HttpAndWs, HttpOnly>(), "server_");
//! assert_eq!(<NoRoutes as keel::kind::Kind>::PREFIX, "service_");
//! ```

/// No routes: the app has no external interface (`service_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoRoutes {}

/// HTTP routes only (`http_*`); also the kind of an `#[api]` handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpOnly {}

/// WebSockets only (`ws_*`); also the kind of a `#[keel::ws]` handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WsOnly {}

/// HTTP routes and WebSockets (`server_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpAndWs {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::NoRoutes {}
    impl Sealed for super::HttpOnly {}
    impl Sealed for super::WsOnly {}
    impl Sealed for super::HttpAndWs {}
}

/// One of the four markers; what a router or app exposes.
pub trait Kind: sealed::Sealed + Send + Sync + 'static {
    /// The binary-name prefix the binary-name rule gives an app of this kind.
    const PREFIX: &'static str;
}

/// What a router exposes once a handler of kind `R` joins it.
pub trait Join<R>: Kind {
    /// The joined kind.
    type Out: Kind;
}

macro_rules! kinds {
    ($($kind:ident: $prefix:literal, + HttpOnly = $with_http:ident, + WsOnly = $with_ws:ident;)*) => {$(
        impl Kind for $kind {
            const PREFIX: &'static str = $prefix;
        }
        impl Join<HttpOnly> for $kind {
            type Out = $with_http;
        }
        impl Join<WsOnly> for $kind {
            type Out = $with_ws;
        }
    )*};
}

kinds! {
    NoRoutes: "service_", + HttpOnly = HttpOnly, + WsOnly = WsOnly;
    HttpOnly: "http_", + HttpOnly = HttpOnly, + WsOnly = HttpAndWs;
    WsOnly: "ws_", + HttpOnly = HttpAndWs, + WsOnly = WsOnly;
    HttpAndWs: "server_", + HttpOnly = HttpAndWs, + WsOnly = HttpAndWs;
}
