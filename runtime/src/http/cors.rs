//! CORS from `[cors]`, applied by the frame: a preflight (`OPTIONS` with
//! `Origin` and `Access-Control-Request-Method`) is answered before routing
//! and before sign-in — browsers send it without the token — and every
//! answer to an allowed origin, errors included, carries the headers its
//! script needs to read it.
//!
//! Written here rather than with salvo-cors: that handler runs the rest of
//! the chain around its own answer (routing would turn the preflight into
//! a 405 envelope, or auth into a 401), while keel needs the preflight
//! decided before either runs.

use crate::config::CorsConfig;
use crate::http::answer::{ApiError, ErrorCode};
use salvo::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_METHOD, HeaderValue, ORIGIN, VARY,
};
use salvo::http::{Method, StatusCode};
use salvo::{Request, Response};

/// `[cors]`, with its header values built once.
pub(crate) struct CorsPolicy {
    any_origin: bool,
    origins: Vec<String>,
    methods: Vec<Method>,
    allow_methods: HeaderValue,
    allow_headers: HeaderValue,
    expose_headers: HeaderValue,
    max_age: HeaderValue,
    credentials: bool,
}

/// An origin as browsers serialize it: scheme and host lower-case, no
/// default port, no trailing slash (`HTTPS://Admin.example.com:443/` →
/// `https://admin.example.com`).
fn normalized_origin(origin: &str) -> String {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
        if origin.starts_with(scheme)
            && let Some(bare) = origin.strip_suffix(port)
        {
            return bare.to_owned();
        }
    }
    origin
}

fn joined(items: &[String]) -> HeaderValue {
    HeaderValue::from_str(&items.join(", ")).unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl CorsPolicy {
    /// The policy, or `None` while `cors.allow_origins` is empty (off).
    pub(crate) fn from_config(config: &CorsConfig) -> Option<CorsPolicy> {
        if config.allow_origins.is_empty() {
            return None;
        }
        let methods: Vec<String> = config.allow_methods.iter().map(|m| m.to_ascii_uppercase()).collect();
        Some(CorsPolicy {
            any_origin: config.allow_origins.iter().any(|o| o == "*"),
            origins: config.allow_origins.iter().map(|o| normalized_origin(o)).collect(),
            methods: methods.iter().filter_map(|m| Method::from_bytes(m.as_bytes()).ok()).collect(),
            allow_methods: joined(&methods),
            allow_headers: joined(&config.allow_headers),
            expose_headers: joined(&config.expose_headers),
            max_age: HeaderValue::from(config.max_age),
            credentials: config.allow_credentials,
        })
    }

    fn allows(&self, origin: &HeaderValue) -> bool {
        self.any_origin
            || origin.to_str().is_ok_and(|o| {
                let o = normalized_origin(o);
                self.origins.contains(&o)
            })
    }

    /// The `Access-Control-Allow-Origin` value for an allowed `origin`:
    /// `*` when any origin may call without credentials, else the origin.
    fn allow_origin_value(&self, origin: &HeaderValue) -> HeaderValue {
        if self.any_origin && !self.credentials { HeaderValue::from_static("*") } else { origin.clone() }
    }

    /// Answers `req` if it is a preflight: 204 with the allowed methods and
    /// headers, or a 403 error for an origin or method not allowed.
    /// `None`: not a preflight, route it.
    pub(crate) fn preflight(&self, req: &Request, res: &mut Response) -> Option<Result<(), ApiError>> {
        if !CorsPolicy::is_preflight(req) {
            return None;
        }
        let origin = req.headers().get(ORIGIN)?;
        let requested = req.headers().get(ACCESS_CONTROL_REQUEST_METHOD)?;
        if !self.allows(origin) {
            return Some(Err(ApiError::new(ErrorCode::Forbidden).msg(format!(
                "origin `{}` may not call this service (cors.allow_origins)",
                String::from_utf8_lossy(origin.as_bytes())
            ))));
        }
        let method_allowed =
            Method::from_bytes(requested.as_bytes()).is_ok_and(|m| self.methods.contains(&m));
        if !method_allowed {
            return Some(Err(ApiError::new(ErrorCode::Forbidden).msg(format!(
                "method `{}` may not be used across origins (cors.allow_methods)",
                String::from_utf8_lossy(requested.as_bytes())
            ))));
        }
        let headers = res.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, self.allow_origin_value(origin));
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, self.allow_methods.clone());
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, self.allow_headers.clone());
        headers.insert(ACCESS_CONTROL_MAX_AGE, self.max_age.clone());
        if self.credentials {
            headers.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
        headers.append(
            VARY,
            HeaderValue::from_static("Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        );
        res.status_code(StatusCode::NO_CONTENT);
        Some(Ok(()))
    }

    /// Whether `req` is a preflight: `OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method` (what [`preflight`](Self::preflight) answers).
    pub(crate) fn is_preflight(req: &Request) -> bool {
        req.method() == Method::OPTIONS
            && req.headers().contains_key(ORIGIN)
            && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
    }

    /// Adds the headers an allowed origin's script needs to read `res`.
    pub(crate) fn decorate(&self, req: &Request, res: &mut Response) {
        // The answer depends on the origin, with or without one: a shared
        // cache must not hand an answer made for no origin to a browser.
        res.headers_mut().append(VARY, HeaderValue::from_static("Origin"));
        let Some(origin) = req.headers().get(ORIGIN) else { return };
        let headers = res.headers_mut();
        if !self.allows(origin) || headers.contains_key(ACCESS_CONTROL_ALLOW_ORIGIN) {
            return;
        }
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, self.allow_origin_value(origin));
        headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, self.expose_headers.clone());
        if self.credentials {
            headers.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn origins_compare_as_browsers_send_them() {
        assert_eq!(super::normalized_origin("HTTPS://Admin.Example.com:443/"), "https://admin.example.com");
        assert_eq!(super::normalized_origin("http://a.example:80"), "http://a.example");
        assert_eq!(super::normalized_origin("http://a.example:8080"), "http://a.example:8080");
    }
}
