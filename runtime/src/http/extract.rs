//! Typed route arguments. Their failures answer 400 envelopes that name the
//! field as a path (`items[2].name`): 40000 when the input cannot be read at
//! all (malformed JSON), 40001 when a field is missing or has the wrong type.

use crate::http::answer::{ApiError, ErrorCode, FieldError};
use crate::http::principal::Principal;
use crate::logging::MultLogger;
use crate::logging::request_id::RequestId;
use crate::service::ServiceInfo;
use crate::state::{AppState, Backends};
use salvo::http::ParseError;
use salvo::oapi::{self, Components, Operation, ToSchema};
use salvo::{Depot, Request};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A type a route can take as an argument.
///
/// `name` is the argument's name in the route's signature; `PathParam` uses it
/// to find its `{param}`, the others to name the field in errors.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a route argument",
    note = "route arguments are `Ctx`, `Json<T>`, `Query<T>`, `PathParam<T>`, `ClientInfo` or `LoginLimits`"
)]
pub trait FromRequest: Sized + Send {
    /// Reads the argument from the request.
    fn from_request<'a>(
        req: &'a mut Request,
        depot: &'a Depot,
        name: &'static str,
    ) -> impl Future<Output = Result<Self, ApiError>> + Send + 'a;

    /// Describes the argument in the route's OpenAPI operation (parameters,
    /// request body); nothing by default.
    fn register(components: &mut Components, operation: &mut Operation, name: &str) {
        let _ = (components, operation, name);
    }
}

/// The handler context (seed: the `self` of an `api_base` view): request id,
/// service identity and the MultLogger.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The current request's id.
    pub request_id: RequestId,
    /// The service's identity.
    pub service: ServiceInfo,
    /// `ctx.log.info(..)` / `ctx.log.failed(..)`, tagged with the request id.
    pub log: MultLogger,
    state: Arc<AppState>,
    principal: Option<Principal>,
}

impl Ctx {
    /// The signed-in account of a protected route; 401 on a public route
    /// called without one.
    pub fn account(&self) -> Result<&Principal, ApiError> {
        self.principal.as_ref().ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthorized).msg("sign in first: send Authorization: Bearer <token>")
        })
    }
}

impl Ctx {
    /// The signed-in account, if it holds `permission`: 403 naming the
    /// permission otherwise, 401 without a sign-in. For checks inside a
    /// handler; a route's own `permission = "…"` is checked before it runs.
    pub fn require(&self, permission: &str) -> Result<&Principal, ApiError> {
        let principal = self.account()?;
        if principal.can(permission) { Ok(principal) } else { Err(Principal::forbidden(permission)) }
    }
}

impl Backends for Ctx {
    fn state(&self) -> &AppState {
        &self.state
    }
}

impl FromRequest for Ctx {
    async fn from_request(_req: &mut Request, depot: &Depot, _name: &'static str) -> Result<Self, ApiError> {
        let stamp = crate::http::frame::Stamp::of(depot)
            .ok_or_else(|| ApiError::internal("Ctx used outside a keel App (no AppState in the depot)"))?;
        let (state, request_id) = (Arc::clone(&stamp.state), stamp.request_id.clone());
        Ok(Ctx {
            log: MultLogger::for_request(state.service().name, request_id.clone()),
            service: state.service(),
            request_id,
            state,
            principal: depot.get_typed::<Principal>().ok().cloned(),
        })
    }
}

/// A JSON request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + Send + 'static + ToSchema> FromRequest for Json<T> {
    async fn from_request(req: &mut Request, depot: &Depot, _name: &'static str) -> Result<Self, ApiError> {
        if let Some(mime) = req.content_type()
            && mime.subtype() != "json"
            && mime.suffix().is_none_or(|s| s != "json")
        {
            return Err(ApiError::bad_request(format!(
                "the body must be JSON: send `Content-Type: application/json`, not `{mime}`"
            )));
        }
        // A whole-body deadline, not a gap between chunks: a client trickling
        // one byte at a time cannot hold the connection either.
        let seconds = crate::http::frame::state_of(depot).map_or(10, |s| s.config().server.body_timeout);
        let read = tokio::time::timeout(Duration::from_secs(seconds), req.payload()).await;
        let bytes = read
            .map_err(|_| {
                ApiError::new(ErrorCode::RequestTimeout)
                    .msg(format!("the request body did not arrive within {seconds}s (server.body_timeout)"))
            })?
            .map_err(|err| match err {
                ParseError::PayloadTooLarge => ApiError::new(ErrorCode::PayloadTooLarge),
                _ => ApiError::bad_request("the request body could not be read"),
            })?;
        crate::http::control_chars::check_json(bytes)?;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
        de.end().map_err(|err| ApiError::bad_request(format!("malformed JSON body: {err}")))?;
        Ok(Json(value))
    }

    fn register(components: &mut Components, operation: &mut Operation, _name: &str) {
        let body = oapi::RequestBody::new()
            .description("JSON body")
            .add_content("application/json", T::to_schema(components))
            .required(oapi::Required::True);
        operation.request_body = Some(body);
        // A body can be too large, or too slow to arrive.
        for code in [ErrorCode::RequestTimeout, ErrorCode::PayloadTooLarge] {
            operation.responses.insert(code.status().as_str(), crate::http::answer::error_response(code));
        }
    }
}

fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => field_error(&path, &strip_position(&inner.to_string())),
        _ => ApiError::bad_request(format!("malformed JSON body: {inner}")),
    }
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(at) => msg[..at].to_owned(),
        None => msg.to_owned(),
    }
}

/// A 40001 for `path` (`.` when at the top), with a "missing field `x`"
/// message moved into the path so the client sees `items[2].name`.
fn field_error(path: &str, msg: &str) -> ApiError {
    let parent = if path == "." { "" } else { path };
    let field = match msg.strip_prefix("missing field `").and_then(|m| m.split_once('`')) {
        Some((name, _)) if parent.is_empty() => name.to_owned(),
        Some((name, _)) => format!("{parent}.{name}"),
        None if parent.is_empty() => "body".to_owned(),
        None => parent.to_owned(),
    };
    ApiError::validation(vec![FieldError::new(field, msg)])
}

/// The query string, deserialized into `T`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send + 'static + ToSchema> FromRequest for Query<T> {
    async fn from_request(req: &mut Request, _depot: &Depot, _name: &'static str) -> Result<Self, ApiError> {
        let query = req.uri().query().unwrap_or("");
        crate::http::control_chars::check_query(query).map_err(|err| err.msg("bad query string"))?;
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        match serde_path_to_error::deserialize(de) {
            Ok(value) => Ok(Query(value)),
            Err(err) => {
                let path = err.path().to_string();
                let msg = err.into_inner().to_string();
                let mut error = field_error(&path, &msg);
                if error.field_errors().iter().all(|e| e.field == "body") {
                    error = ApiError::validation(vec![FieldError::new("query", msg)]);
                }
                Err(error.msg("bad query string"))
            }
        }
    }

    fn register(components: &mut Components, operation: &mut Operation, _name: &str) {
        crate::http::openapi::add_query_parameters::<T>(components, operation);
    }
}

/// One `{param}` of the path; the argument's name picks the parameter (checked
/// at compile time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathParam<T>(pub T);

impl<T> std::ops::Deref for PathParam<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: FromStr + Send + 'static + ToSchema> FromRequest for PathParam<T> {
    async fn from_request(req: &mut Request, _depot: &Depot, name: &'static str) -> Result<Self, ApiError> {
        let raw = req.params().get(name).map(String::as_str).unwrap_or("");
        crate::http::control_chars::check_param(name, raw).map_err(|err| err.msg("bad path parameter"))?;
        raw.parse().map(PathParam).map_err(|_| {
            ApiError::validation(vec![FieldError::new(
                name,
                format!(
                    "`{raw}` is not a valid {}",
                    std::any::type_name::<T>().rsplit("::").next().unwrap_or("value")
                ),
            )])
            .msg("bad path parameter")
        })
    }

    fn register(components: &mut Components, operation: &mut Operation, name: &str) {
        let parameter = oapi::Parameter::new(name)
            .location(oapi::ParameterIn::Path)
            .required(oapi::Required::True)
            .schema(T::to_schema(components));
        operation.parameters.insert(parameter);
        // The path names a row, which may not exist.
        let not_found = crate::http::answer::error_response(ErrorCode::NotFound);
        operation.responses.insert("404", not_found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_are_named_by_their_full_path() {
        let err = field_error("items[2]", "missing field `name`");
        assert_eq!(err.field_errors()[0].field, "items[2].name");
        let err = field_error(".", "missing field `username`");
        assert_eq!(err.field_errors()[0].field, "username");
        let err = field_error("items[2].qty", "invalid type: string \"x\", expected u32");
        assert_eq!(err.field_errors()[0].field, "items[2].qty");
    }
}

/// Who is calling: the socket peer's IP and the `User-Agent` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// The peer's IP address (proxies come with the auth issue).
    pub ip: String,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

impl FromRequest for ClientInfo {
    async fn from_request(req: &mut Request, depot: &Depot, _name: &'static str) -> Result<Self, ApiError> {
        let peer = req
            .remote_addr()
            .as_ipv4()
            .map(|a| a.ip().to_string())
            .or_else(|| req.remote_addr().as_ipv6().map(|a| a.ip().to_string()))
            .unwrap_or_default();
        let trusted = crate::http::frame::state_of(depot).map(|s| s.config().auth.trusted_proxies.as_slice());
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let ip = client_ip(&peer, forwarded, trusted.unwrap_or_default());
        let user_agent = req.headers().get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(ClientInfo { ip, user_agent })
    }
}

/// The client's address: the socket peer, unless the peer is a trusted
/// proxy; then the last `X-Forwarded-For` hop that is not one (proxies
/// append, so earlier hops are the client's word, not the proxy's).
pub(crate) fn client_ip(peer: &str, forwarded: Option<&str>, trusted: &[String]) -> String {
    if !trusted.iter().any(|t| t == peer) {
        return peer.to_owned();
    }
    forwarded
        .into_iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .rev()
        .find(|hop| !hop.is_empty() && !trusted.iter().any(|t| t == hop))
        .map_or_else(|| peer.to_owned(), str::to_owned)
}

/// The last page whose row offset, `(page - 1) * size`, fits in an `i64`.
fn max_page(size: u64) -> u64 {
    (i64::MAX.unsigned_abs() / size.max(1)).saturating_add(1)
}

/// One page of a list from a query's `page` (from 1, default 1) and `size`
/// (1 to 100, default 20), the bounds of every list; out of bounds (an
/// offset past what a database takes, too) is a 400 naming the field. The
/// value goes to `Db::page` and `answer_page`.
pub fn page_bounds(page: Option<u64>, size: Option<u64>) -> Result<crate::data::db::Paging, ApiError> {
    let page = page.unwrap_or(1);
    let size = size.unwrap_or(20);
    let mut errors = Vec::new();
    if page == 0 {
        errors.push(FieldError::new("page", "page starts at 1"));
    }
    if !(1..=100).contains(&size) {
        errors.push(FieldError::new("size", format!("size must be between 1 and 100, got {size}")));
    } else if page > max_page(size) {
        // The row offset must fit the databases' signed 64-bit OFFSET.
        errors.push(FieldError::new(
            "page",
            format!("page must be at most {} with size {size}", max_page(size)),
        ));
    }
    if errors.is_empty() {
        Ok(crate::data::db::Paging { page, size })
    } else {
        Err(ApiError::validation(errors).msg("bad page"))
    }
}

#[cfg(test)]
mod client_ip_tests {
    use super::client_ip;

    #[test]
    fn forwarded_for_is_trusted_only_from_listed_proxies() {
        let proxies = vec!["10.0.0.2".to_owned(), "10.0.0.3".to_owned()];
        // A direct client cannot claim another address.
        assert_eq!(client_ip("203.0.113.9", Some("1.2.3.4"), &proxies), "203.0.113.9");
        // Through a listed proxy: the last hop that is not a proxy.
        assert_eq!(client_ip("10.0.0.2", Some("1.2.3.4, 198.51.100.7"), &proxies), "198.51.100.7");
        assert_eq!(client_ip("10.0.0.2", Some("198.51.100.7, 10.0.0.3"), &proxies), "198.51.100.7");
        assert_eq!(client_ip("10.0.0.2", None, &proxies), "10.0.0.2");
        assert_eq!(client_ip("10.0.0.2", Some(" , "), &proxies), "10.0.0.2");
    }
}
