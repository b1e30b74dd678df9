//! `UriRouter`: a service's endpoints, assembled into a salvo router whose
//! literal segments come before `{param}` ones whatever the listing order
//! (salvo takes the first sibling that matches).

use crate::http::declare::{Access, Api, Endpoint, Verb};
use crate::http::frame::Templated;
use crate::kind::{Join, Kind, NoRoutes};
use crate::service::ServiceInfo;
use salvo::routing::filters::{self, MethodFilter};
use salvo::{Handler, Router};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

/// The routes of one service, made by `uri_router!`. `K` says what they
/// expose ([`kind`](crate::kind)): it starts at `NoRoutes` and each
/// [`with`](Self::with) joins the handler's kind in.
pub struct UriRouter<K> {
    service: ServiceInfo,
    endpoints: Vec<Endpoint>,
    kind: PhantomData<fn() -> K>,
}

impl<K> Clone for UriRouter<K> {
    fn clone(&self) -> Self {
        UriRouter { service: self.service, endpoints: self.endpoints.clone(), kind: PhantomData }
    }
}

impl<K> std::fmt::Debug for UriRouter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UriRouter")
            .field("service", &self.service)
            .field("endpoints", &self.endpoints)
            .field("kind", &std::any::type_name::<K>())
            .finish()
    }
}

impl UriRouter<NoRoutes> {
    /// An empty router for `service`.
    pub fn new(service: ServiceInfo) -> Self {
        UriRouter { service, endpoints: Vec::new(), kind: PhantomData }
    }
}

impl<K: Kind> UriRouter<K> {
    /// Adds a handler's routes; the router's kind joins the handler's.
    pub fn with<A: Api>(self) -> UriRouter<K::Out>
    where
        K: Join<A::Kind>,
    {
        let mut endpoints = self.endpoints;
        endpoints.extend(A::endpoints());
        UriRouter { service: self.service, endpoints, kind: PhantomData }
    }

    /// The service these routes belong to.
    pub fn service(&self) -> ServiceInfo {
        self.service
    }

    /// Every endpoint, in listing order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// `(verb, URL, handler, access)` rows sorted by URL then verb, for the
    /// `routes` command.
    pub fn table(&self) -> Vec<(Verb, String, &'static str, Access)> {
        let mut rows: Vec<_> = self
            .endpoints
            .iter()
            .map(|e| (e.decl.verb, e.decl.url(self.service.version), e.decl.handler, e.decl.access()))
            .collect();
        rows.sort_by(|a, b| (&a.1, a.0.as_str()).cmp(&(&b.1, b.0.as_str())));
        rows
    }

    /// The salvo router: one node per path segment, literals first.
    /// `guard` wraps the handler of each route not marked `public` (boot
    /// puts the sign-in gate there).
    pub fn salvo_router(&self, guard: &dyn Fn(&Endpoint) -> Arc<dyn Handler>) -> Router {
        let mut root = Node::default();
        for endpoint in &self.endpoints {
            let url = endpoint.decl.url(self.service.version);
            let mut node = &mut root;
            for segment in url.split('/').filter(|s| !s.is_empty()) {
                node = node.children.entry(SegmentKey::of(segment)).or_default();
            }
            node.endpoints.push((url, endpoint.clone()));
        }
        root.into_router(Router::new(), guard)
    }
}

/// Orders literal segments before parameters, then by text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SegmentKey {
    Literal(String),
    Param(String),
}

impl SegmentKey {
    fn of(segment: &str) -> SegmentKey {
        if segment.starts_with('{') {
            SegmentKey::Param(segment.to_owned())
        } else {
            SegmentKey::Literal(segment.to_owned())
        }
    }

    fn text(&self) -> &str {
        match self {
            SegmentKey::Literal(s) | SegmentKey::Param(s) => s,
        }
    }
}

#[derive(Default)]
struct Node {
    /// The routes ending here, with their full URL template.
    endpoints: Vec<(String, Endpoint)>,
    children: BTreeMap<SegmentKey, Node>,
}

impl Node {
    fn into_router(self, mut router: Router, guard: &dyn Fn(&Endpoint) -> Arc<dyn Handler>) -> Router {
        for (url, endpoint) in self.endpoints {
            // Protected by default: every route not marked `public` goes
            // through the guard before its handler runs.
            let handler = if endpoint.decl.public { endpoint.handler.clone() } else { guard(&endpoint) };
            // Outside the guard, so a refused request is counted under its route.
            let handler = Templated::wrap(&url, handler);
            // Load balancers probe with HEAD: every GET answers it too
            // (hyper sends the headers and drops the body).
            let methods: &[fn() -> MethodFilter] = match endpoint.decl.verb {
                Verb::Get => &[filters::get, filters::head],
                Verb::Ws => &[filters::get],
                Verb::Post => &[filters::post],
                Verb::Put => &[filters::put],
                Verb::Patch => &[filters::patch],
                Verb::Delete => &[filters::delete],
            };
            for method in methods {
                // The goal set directly: `Router::get(h)` would wrap the
                // shared handler in another `Arc` and another boxed call.
                let mut leaf = Router::with_filter(method());
                leaf.goal = Some(Arc::clone(&handler));
                router = router.push(leaf);
            }
        }
        for (key, child) in self.children {
            router = router.push(child.into_router(Router::with_path(key.text()), guard));
        }
        router
    }
}
