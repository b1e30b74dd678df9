//! `GET /docs`: Swagger UI over the service's `/openapi.json`, its assets
//! (vendored in `runtime/assets/swagger-ui`, Apache-2.0) compiled into the
//! binary — the page renders offline and on an intranet, and no request
//! leaves the machine.

use crate::http::frame::Templated;
use salvo::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use salvo::{Depot, FlowCtrl, Handler, Request, Response, Router, async_trait};

/// The vendored release.
pub(crate) const SWAGGER_UI_VERSION: &str = "5.35.0";

const BUNDLE: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
const STYLE: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");
/// Started from a file rather than inline, so a strict Content-Security-Policy
/// (`script-src 'self'`) in front of the service still allows it.
const INIT: &str = r##"window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
};
"##;

/// One file of the page.
struct Asset {
    /// Borrowed for the vendored files (served without a copy), owned for
    /// the page.
    body: std::borrow::Cow<'static, [u8]>,
    content_type: &'static str,
    cache: &'static str,
}

#[async_trait]
impl Handler for Asset {
    async fn handle(&self, _req: &mut Request, _depot: &mut Depot, res: &mut Response, _ctrl: &mut FlowCtrl) {
        res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(self.cache));
        match &self.body {
            std::borrow::Cow::Borrowed(bytes) => res.body(*bytes),
            std::borrow::Cow::Owned(bytes) => res.body(bytes.clone()),
        };
    }
}

/// The page for the service `title` (its name and version).
fn page(title: &str) -> String {
    let title: String = title.chars().filter(|c| !matches!(c, '<' | '>' | '&' | '"')).collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="swagger-ui {SWAGGER_UI_VERSION}">
<title>{title}</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"#
    )
}

/// `/docs` and its assets; every one answers HEAD too.
pub(crate) fn routes(title: &str) -> Router {
    use std::borrow::Cow;
    // The page changes with the service's version; the assets with keel's.
    let files = [
        ("", Cow::Owned(page(title).into_bytes()), "text/html; charset=utf-8", "no-cache"),
        (
            "swagger-ui-bundle.js",
            Cow::Borrowed(BUNDLE),
            "application/javascript; charset=utf-8",
            "public, max-age=86400",
        ),
        ("swagger-ui.css", Cow::Borrowed(STYLE), "text/css; charset=utf-8", "public, max-age=86400"),
        ("init.js", Cow::Borrowed(INIT.as_bytes()), "application/javascript; charset=utf-8", "no-cache"),
    ];
    let mut router = Router::with_path("docs");
    for (path, body, content_type, cache) in files {
        let template = if path.is_empty() { "/docs".to_owned() } else { format!("/docs/{path}") };
        let asset = Templated::new(&template, std::sync::Arc::new(Asset { body, content_type, cache })).arc();
        if path.is_empty() {
            router = router.get(asset.clone()).head(asset);
        } else {
            router = router.push(Router::with_path(path).get(asset.clone()).head(asset));
        }
    }
    router
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_loads_nothing_from_another_host() {
        let page = super::page("demo 1.00.00 <x>");
        assert!(!page.contains("http://") && !page.contains("https://"), "{page}");
        assert!(page.contains("<title>demo 1.00.00 x</title>"), "{page}");
    }
}
