//! Route declarations made by `#[keel::api]` and the compile-time conflict
//! check run by `uri_router!`.

use crate::const_text::{Message, bytes_eq};
use salvo::oapi::{Components, Operation};
use std::sync::Arc;

/// The five verbs that become routes on a class-style view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// GET: read.
    Get,
    /// POST: create or validate.
    Post,
    /// PUT: update.
    Put,
    /// PATCH: partial update.
    Patch,
    /// DELETE: remove.
    Delete,
    /// A WebSocket (`#[keel::ws]`): a GET upgraded to a socket.
    Ws,
}

impl Verb {
    /// Upper-case method name, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
            Verb::Ws => "WS",
        }
    }

    /// The HTTP method it arrives with (a WebSocket opens with a GET).
    pub const fn wire(self) -> Verb {
        match self {
            Verb::Ws => Verb::Get,
            other => other,
        }
    }
}

/// One route as declared by `#[keel::api]`: plain data, usable in `const`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteDecl {
    /// The HTTP verb.
    pub verb: Verb,
    /// The path below the version, e.g. `/account/{id}`.
    pub path: &'static str,
    /// The declared version; `None` takes the service version.
    pub version: Option<&'static str>,
    /// The handler type's name, for messages and the `routes` table.
    pub handler: &'static str,
    /// Marked `public` (no token needed once auth is on).
    pub public: bool,
    /// The permission a signed-in account needs (`permission = "…"` on
    /// `#[api]`, or `#[permission("…")]` on the method); `None`: any
    /// signed-in account (or anyone, when `public`).
    pub permission: Option<&'static str>,
}

/// Who may call a route, as the `routes` table and the OpenAPI document
/// show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No sign-in.
    Public,
    /// Any signed-in account.
    SignedIn,
    /// A signed-in account holding this permission.
    Permission(&'static str),
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Access::Public => f.write_str("public"),
            Access::SignedIn => f.write_str("signed-in"),
            Access::Permission(p) => f.write_str(p),
        }
    }
}

impl RouteDecl {
    /// Who may call it.
    pub const fn access(&self) -> Access {
        match (self.public, self.permission) {
            (true, _) => Access::Public,
            (false, None) => Access::SignedIn,
            (false, Some(p)) => Access::Permission(p),
        }
    }

    /// The version this route answers under.
    pub const fn version_or<'a>(&self, service_version: &'a str) -> &'a str
    where
        'static: 'a,
    {
        match self.version {
            Some(v) => v,
            None => service_version,
        }
    }

    /// The full URL path: `/v{version}{path}`.
    pub fn url(&self, service_version: &str) -> String {
        format!("/v{}{}", self.version_or(service_version), self.path)
    }
}

/// A route ready to serve: its declaration, docs, handler and OpenAPI operation.
#[derive(Clone)]
pub struct Endpoint {
    /// What `#[api]` declared.
    pub decl: &'static RouteDecl,
    /// The handler's `///` docs.
    pub doc: &'static str,
    /// Shared, not wrapped in salvo's `ArcHandler`: the router takes it as
    /// its goal as is, so a request pays one dynamic call, not two.
    pub(crate) handler: Arc<dyn salvo::Handler>,
    pub(crate) operation: fn(&mut Components) -> Operation,
}

impl Endpoint {
    #[doc(hidden)]
    pub fn new(
        decl: &'static RouteDecl,
        doc: &'static str,
        handler: impl salvo::Handler,
        operation: fn(&mut Components) -> Operation,
    ) -> Self {
        Endpoint { decl, doc, handler: Arc::new(handler), operation }
    }

    /// The OpenAPI operation of this route (parameters, body, answers).
    pub fn operation(&self, components: &mut Components) -> Operation {
        (self.operation)(components)
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("decl", self.decl).field("doc", &self.doc).finish_non_exhaustive()
    }
}

/// A handler type made by `#[keel::api]`; listed in `uri_router!`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a keel handler",
    note = "declare it with `#[keel::api(path = \"/…\")]` on `impl {Self} {{ async fn get(..) … }}`"
)]
pub trait Api {
    /// [`HttpOnly`](crate::kind::HttpOnly) for `#[api]`,
    /// [`WsOnly`](crate::kind::WsOnly) for `#[keel::ws]`.
    type Kind: crate::kind::Kind;
    /// Every route the handler declares.
    const ROUTES: &'static [RouteDecl];
    /// The routes with their salvo handlers.
    fn endpoints() -> Vec<Endpoint>;
}

/// Fails const evaluation when a route of `sets[index]` shares verb, version
/// and path (parameters compare equal whatever their names) with a route
/// listed before it, naming both handlers. `uri_router!` emits one check
/// per handler, spanned at it, so each offender is reported where it is
/// listed and none hides another.
#[doc(hidden)]
pub const fn assert_unique_routes(sets: &[&[RouteDecl]], index: usize, service_version: &str) {
    let mine = sets[index];
    let mut a = 0;
    while a < mine.len() {
        let mut b_set = 0;
        while b_set <= index {
            let others = sets[b_set];
            // Within the handler itself, compare each pair once.
            let end = if b_set == index { a } else { others.len() };
            let mut b = 0;
            while b < end {
                if same_route(&others[b], &mine[a], service_version) {
                    conflict(&others[b], &mine[a], service_version);
                }
                b += 1;
            }
            b_set += 1;
        }
        a += 1;
    }
}

const fn same_route(x: &RouteDecl, y: &RouteDecl, service_version: &str) -> bool {
    // A socket and a GET on the same path would both be GETs on the wire.
    x.verb.wire() as u8 == y.verb.wire() as u8
        && bytes_eq(x.version_or(service_version).as_bytes(), y.version_or(service_version).as_bytes())
        && same_path_shape(x.path.as_bytes(), y.path.as_bytes())
}

/// Compares two paths with every `{param}` counted as one wildcard segment.
const fn same_path_shape(a: &[u8], b: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b'{' && b[j] == b'{' {
            while i < a.len() && a[i] != b'}' {
                i += 1;
            }
            while j < b.len() && b[j] != b'}' {
                j += 1;
            }
        } else if a[i] != b[j] {
            return false;
        }
        i += 1;
        j += 1;
    }
    i == a.len() && j == b.len()
}

/// Fails const evaluation when a route of `routes` (one handler's) needs a
/// permission its service does not declare in `keel::permissions!`, naming
/// the declared ones. `uri_router!` emits one check per handler.
#[doc(hidden)]
pub const fn assert_route_permissions(declared: &[&str], routes: &[RouteDecl], service: &str) {
    let mut r = 0;
    while r < routes.len() {
        if let Some(wanted) = routes[r].permission {
            let mut found = false;
            let mut d = 0;
            while d < declared.len() {
                if bytes_eq(declared[d].as_bytes(), wanted.as_bytes()) {
                    found = true;
                }
                d += 1;
            }
            if !found {
                let route = &routes[r];
                let mut msg = Message::new();
                msg.push("`").push(route.handler).push("` needs permission `").push(wanted);
                msg.push("` on ").push(route.verb.as_str()).push(" ").push(route.path);
                msg.push(", which service `").push(service).push("` does not declare; declared: ");
                if declared.is_empty() {
                    msg.push("none");
                }
                let mut d = 0;
                while d < declared.len() {
                    if d > 0 {
                        msg.push(", ");
                    }
                    msg.push(declared[d]);
                    d += 1;
                }
                msg.push(" — add it to keel::permissions! or name a declared one");
                msg.fail();
            }
        }
        r += 1;
    }
}

/// What `<Service>::PERMISSIONS` is for a service without
/// `keel::permissions!`: none. The inherent constant that the macro writes
/// takes precedence over this blanket one.
#[doc(hidden)]
pub trait NoPermissions {
    /// No permissions declared.
    const PERMISSIONS: &'static [&'static str] = &[];
}

impl<T: ?Sized> NoPermissions for T {}

/// Panics (at compile time) with "`A` and `B` both declare PUT /v1.00.02/x".
const fn conflict(x: &RouteDecl, y: &RouteDecl, service_version: &str) -> ! {
    let mut msg = Message::new();
    msg.push("route conflict: `").push(x.handler).push("` and `").push(y.handler).push("` both declare ");
    msg.push(x.verb.as_str()).push(" /v").push(x.version_or(service_version)).push(x.path);
    msg.push(" (path parameters match any segment, whatever their names); change the path, verb or version of one of them");
    msg.fail()
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn decl(verb: Verb, path: &'static str, version: Option<&'static str>) -> RouteDecl {
        RouteDecl { verb, path, version, handler: "H", public: false, permission: None }
    }

    #[test]
    fn params_match_whatever_their_names() {
        let cases = [
            ("/account/{id}", "/account/{uid}", true),
            ("/account/{id}", "/account/me", false),
            ("/account", "/account/{id}", false),
            ("/{a}/x/{b}", "/{c}/x/{d}", true),
            ("/{a}/x", "/{a}/y", false),
            ("/account", "/accounts", false),
        ];
        for (a, b, same) in cases {
            assert_eq!(same_path_shape(a.as_bytes(), b.as_bytes()), same, "{a} vs {b}");
        }
    }

    #[test]
    fn routes_conflict_on_verb_version_and_shape() {
        let put = decl(Verb::Put, "/account/{id}", Some("1.00.02"));
        assert!(same_route(&put, &decl(Verb::Put, "/account/{uid}", None), "1.00.02"));
        assert!(!same_route(&put, &decl(Verb::Put, "/account/{uid}", None), "1.00.03"));
        assert!(!same_route(&put, &decl(Verb::Get, "/account/{id}", Some("1.00.02")), "1.00.02"));
    }

    #[test]
    #[should_panic(expected = "`H` and `H` both declare PUT /v1.00.02/account/{id}")]
    fn a_conflict_names_both_handlers_and_the_route() {
        assert_unique_routes(
            &[&[decl(Verb::Put, "/account/{id}", None)], &[decl(Verb::Put, "/account/{uid}", None)]],
            1,
            "1.00.02",
        );
    }

    #[test]
    fn the_first_of_two_conflicting_handlers_passes_its_own_check() {
        assert_unique_routes(
            &[&[decl(Verb::Put, "/account/{id}", None)], &[decl(Verb::Put, "/account/{uid}", None)]],
            0,
            "1.00.02",
        );
    }
}
