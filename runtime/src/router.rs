//! `UriRouter`: a service's endpoints, assembled into a salvo router whose
//! literal segments come before `{param}` ones whatever the listing order
//! (salvo takes the first sibling that matches, DESIGN §10).

use crate::route::{Api, Endpoint, Verb};
use crate::service::ServiceInfo;
use salvo::{Handler, Router};
use std::collections::BTreeMap;

/// The routes of one service, made by `uri_router!`.
#[derive(Clone, Debug)]
pub struct UriRouter {
    service: ServiceInfo,
    endpoints: Vec<Endpoint>,
}

impl UriRouter {
    /// An empty router for `service`.
    pub fn new(service: ServiceInfo) -> Self {
        UriRouter { service, endpoints: Vec::new() }
    }

    /// Adds a handler's routes.
    pub fn with<A: Api>(mut self) -> Self {
        self.endpoints.extend(A::endpoints());
        self
    }

    /// The service these routes belong to.
    pub fn service(&self) -> ServiceInfo {
        self.service
    }

    /// Every endpoint, in listing order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// `(verb, URL, handler, public)` rows sorted by URL then verb, for the
    /// `routes` command.
    pub fn table(&self) -> Vec<(Verb, String, &'static str, bool)> {
        let mut rows: Vec<_> = self
            .endpoints
            .iter()
            .map(|e| (e.decl.verb, e.decl.url(self.service.version), e.decl.handler, e.decl.public))
            .collect();
        rows.sort_by(|a, b| (&a.1, a.0.as_str()).cmp(&(&b.1, b.0.as_str())));
        rows
    }

    /// The salvo router: one node per path segment, literals first.
    pub fn salvo_router(&self) -> Router {
        let mut root = Node::default();
        for endpoint in &self.endpoints {
            let url = endpoint.decl.url(self.service.version);
            let mut node = &mut root;
            for segment in url.split('/').filter(|s| !s.is_empty()) {
                node = node.children.entry(SegmentKey::of(segment)).or_default();
            }
            node.endpoints.push(endpoint.clone());
        }
        root.into_router(Router::new())
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
    endpoints: Vec<Endpoint>,
    children: BTreeMap<SegmentKey, Node>,
}

impl Node {
    fn into_router(self, mut router: Router) -> Router {
        for endpoint in self.endpoints {
            // Protected by default: every route not marked `public` checks
            // its token before the handler runs.
            let handler = if endpoint.decl.public {
                endpoint.handler.clone()
            } else {
                crate::auth::Gate { route: endpoint.decl, inner: endpoint.handler.clone() }.arc()
            };
            router = match endpoint.decl.verb {
                Verb::Get | Verb::Ws => router.get(handler),
                Verb::Post => router.post(handler),
                Verb::Put => router.put(handler),
                Verb::Patch => router.patch(handler),
                Verb::Delete => router.delete(handler),
            };
        }
        for (key, child) in self.children {
            router = router.push(child.into_router(Router::with_path(key.text())));
        }
        router
    }
}
