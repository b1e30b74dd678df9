//! The response envelope (seed: `answer_json`, `answer_page`).
//!
//! Every body, success or error, is `{"code","msg","data","request_id"}`.
//! The HTTP status tells the class, `code` the business reason.

use crate::logging::request_id::RequestId;
use salvo::http::StatusCode;
use salvo::http::header::{CONTENT_TYPE, HeaderValue};
use salvo::oapi::{self, Components, Operation, RefOr, ToSchema};
use salvo::{Depot, Response};
use serde::Serialize;
use std::borrow::Cow;

/// Business reason carried in the envelope's `code` (the code table in the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorCode {
    /// `0`, status 200/201/202.
    Ok = 0,
    /// `40000`: malformed JSON, bad query, bad path parameter.
    BadRequest = 40000,
    /// `40001`: validation failed; `data.errors` names the fields.
    Validation = 40001,
    /// `40100`: missing, invalid or expired token.
    Unauthorized = 40100,
    /// `40300`: forbidden.
    Forbidden = 40300,
    /// `40400`: no such route or row.
    NotFound = 40400,
    /// `40500`: method not allowed.
    MethodNotAllowed = 40500,
    /// `40800`: the request body did not arrive within `server.body_timeout`.
    RequestTimeout = 40800,
    /// `40900`: conflict (unique key taken).
    Conflict = 40900,
    /// `41300`: body too large.
    PayloadTooLarge = 41300,
    /// `41400`: the URI is longer than `server.uri_limit`.
    UriTooLong = 41400,
    /// `43100`: the header block is larger than `server.header_limit`.
    HeadersTooLarge = 43100,
    /// `42900`: too many requests.
    TooManyRequests = 42900,
    /// `50000`: internal error; details only in the logs.
    Internal = 50000,
    /// `50300`: a backend is unavailable.
    Unavailable = 50300,
    /// `50400`: the answer was not ready within `server.response_timeout`.
    GatewayTimeout = 50400,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub const fn status(self) -> StatusCode {
        match self {
            ErrorCode::Ok => StatusCode::OK,
            ErrorCode::BadRequest | ErrorCode::Validation => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UriTooLong => StatusCode::URI_TOO_LONG,
            ErrorCode::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The public message used when a handler gives none.
    pub const fn default_msg(self) -> &'static str {
        match self {
            ErrorCode::Ok => "ok",
            ErrorCode::BadRequest => "bad request",
            ErrorCode::Validation => "validation failed",
            ErrorCode::Unauthorized => "missing, invalid or expired token",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not found",
            ErrorCode::MethodNotAllowed => "method not allowed",
            ErrorCode::RequestTimeout => "the request body did not arrive in time",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "request body too large",
            ErrorCode::UriTooLong => "URI too long",
            ErrorCode::HeadersTooLarge => "request headers too large",
            ErrorCode::TooManyRequests => "too many requests",
            ErrorCode::Internal => "internal error",
            ErrorCode::Unavailable => "service unavailable",
            ErrorCode::GatewayTimeout => "the answer took too long",
        }
    }

    /// The code for an error status set outside keel (salvo's 404/405, …).
    pub fn from_status(status: StatusCode) -> ErrorCode {
        match status.as_u16() {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::RequestTimeout,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::PayloadTooLarge,
            414 => ErrorCode::UriTooLong,
            431 => ErrorCode::HeadersTooLarge,
            429 => ErrorCode::TooManyRequests,
            503 => ErrorCode::Unavailable,
            504 => ErrorCode::GatewayTimeout,
            400..=499 => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        }
    }
}

/// One field that failed: `field` is a path such as `items[2].name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `items[2].name`.
    pub field: String,
    /// What is wrong with it.
    pub msg: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, msg: impl Into<String>) -> Self {
        FieldError { field: field.into(), msg: msg.into() }
    }
}

/// An error answer: a code, a public message, field errors for 40001, and
/// optionally the internal cause, which goes to the logs and never to the
/// client.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    msg: Cow<'static, str>,
    errors: Vec<FieldError>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Seconds for a `Retry-After` header (429, 503).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            msg: Cow::Borrowed(code.default_msg()),
            errors: Vec::new(),
            source: None,
            retry_after: None,
        }
    }

    /// Replaces the public message.
    pub fn msg(mut self, msg: impl Into<Cow<'static, str>>) -> Self {
        self.msg = msg.into();
        self
    }

    /// Adds a `Retry-After: <seconds>` header (at least 1).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// 40000 with a public message.
    pub fn bad_request(msg: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(ErrorCode::BadRequest).msg(msg)
    }

    /// 40001 naming the fields that failed.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError { errors, ..ApiError::new(ErrorCode::Validation) }
    }

    /// 40400 with a public message.
    pub fn not_found(msg: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(ErrorCode::NotFound).msg(msg)
    }

    /// 50000 hiding `source` from the client; it is logged with the request id.
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError { source: Some(source.into()), ..ApiError::new(ErrorCode::Internal) }
    }

    /// Keeps `source` as the internal cause: logged, never answered.
    pub fn with_source(mut self, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The business code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The public message.
    pub fn message(&self) -> &str {
        &self.msg
    }

    /// The field errors (40001).
    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code as u32, self.msg)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// What a route returns: an answer or an error envelope. The success
/// status is part of the type — `ApiResult<T>` answers 200,
/// `ApiResult<T, 201>` 201 (`answer_json(x).created()`), `ApiResult<T, 202>`
/// 202 (`.accepted()`) — so the OpenAPI document lists the status the
/// handler really answers, and a handler cannot answer another one.
///
/// ```
/// use keel::{answer_json, ApiResult};
/// fn create() -> ApiResult<&'static str, 201> {
///     Ok(answer_json("made").created())
/// }
/// assert_eq!(create().unwrap().status().as_u16(), 201);
/// ```
pub type ApiResult<T, const STATUS: u16 = 200> = Result<Answer<T, STATUS>, ApiError>;

/// A success answer: `data`, and its status in the type (200 unless made
/// with [`Answer::created`] or [`Answer::accepted`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T, const STATUS: u16 = 200> {
    data: T,
}

impl<T> Answer<T> {
    /// Answer with status 201 Created (the route returns `ApiResult<T, 201>`).
    pub fn created(self) -> Answer<T, 201> {
        Answer { data: self.data }
    }

    /// Answer with status 202 Accepted, work queued (the route returns
    /// `ApiResult<T, 202>`).
    pub fn accepted(self) -> Answer<T, 202> {
        Answer { data: self.data }
    }
}

impl<T, const STATUS: u16> Answer<T, STATUS> {
    /// The answer's status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(STATUS).unwrap_or(StatusCode::OK)
    }

    /// The answer's data.
    pub fn data(&self) -> &T {
        &self.data
    }
}

/// Answers `data` in the envelope with status 200 (seed: `answer_json`).
///
/// ```
/// use keel::{answer_json, ApiResult};
/// fn hello() -> ApiResult<&'static str> {
///     Ok(answer_json("hello"))
/// }
/// assert_eq!(hello().unwrap().data(), &"hello");
/// ```
pub fn answer_json<T>(data: T) -> Answer<T> {
    Answer { data }
}

/// One page of rows: `{"list","total","page","size"}` (seed: `answer_page`).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Page<T: ToSchema + 'static> {
    /// The rows of this page.
    pub list: Vec<T>,
    /// Rows matching the query, all pages.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u64,
    /// Rows per page.
    pub size: u64,
}

/// Answers one page of rows (seed: `answer_page`).
pub fn answer_page<T: ToSchema + 'static>(
    list: Vec<T>,
    total: u64,
    paging: crate::data::db::Paging,
) -> Answer<Page<T>> {
    answer_json(Page { list, total, page: paging.page, size: paging.size })
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    code: u32,
    msg: &'a str,
    data: T,
    request_id: &'a str,
}

#[derive(Serialize)]
struct ErrorData<'a> {
    errors: &'a [FieldError],
}

static JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// Writes the envelope; falls back to a 500 envelope if `data` cannot be
/// serialized (a map with non-string keys, a failing `Serialize` impl).
pub(crate) fn write_envelope<T: Serialize>(
    res: &mut Response,
    status: StatusCode,
    code: ErrorCode,
    msg: &str,
    data: T,
    request_id: &str,
) {
    // Sized for a typical answer up front: growing from empty reallocates
    // four or five times on every small body.
    let mut body = Vec::with_capacity(256);
    let body = match serde_json::to_writer(&mut body, &Envelope { code: code as u32, msg, data, request_id })
    {
        Ok(()) => body,
        Err(err) => {
            log::error!(target: "failed", "[{request_id}] answer could not be serialized: {err}");
            return write_envelope(
                res,
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                ErrorCode::Internal.default_msg(),
                (),
                request_id,
            );
        }
    };
    res.status_code(status);
    res.headers_mut().insert(CONTENT_TYPE, JSON.clone());
    res.body(body);
}

/// Writes an error envelope; the internal cause, if any, goes to `failed`.
#[doc(hidden)]
pub fn write_error(error: ApiError, depot: &Depot, res: &mut Response) {
    let request_id = RequestId::of(depot);
    if let Some(seconds) = error.retry_after {
        res.headers_mut().insert(salvo::http::header::RETRY_AFTER, seconds.into());
    }
    if let Some(source) = &error.source {
        log::error!(target: "failed", "[{request_id}] {} {}: {source}", error.code as u32, error.msg);
    }
    let status = error.code.status();
    if error.errors.is_empty() {
        write_envelope(res, status, error.code, &error.msg, (), request_id);
    } else {
        write_envelope(res, status, error.code, &error.msg, ErrorData { errors: &error.errors }, request_id);
    }
}

/// A route's return type: written to the response as an envelope.
#[diagnostic::on_unimplemented(
    message = "a keel route cannot answer `{Self}`",
    note = "return `ApiResult<T>` (T: Serialize + ToSchema) and end with `Ok(answer_json(..))`"
)]
pub trait IntoAnswer {
    /// Writes the answer.
    fn write_answer(self, depot: &Depot, res: &mut Response);
    /// Describes the answers in the route's OpenAPI operation.
    fn register(components: &mut Components, operation: &mut Operation);
}

impl<T: Serialize + ToSchema, const STATUS: u16> IntoAnswer for ApiResult<T, STATUS> {
    fn write_answer(self, depot: &Depot, res: &mut Response) {
        match self {
            Ok(answer) => {
                let ok = ErrorCode::Ok;
                write_envelope(
                    res,
                    answer.status(),
                    ok,
                    ok.default_msg(),
                    &answer.data,
                    RequestId::of(depot),
                );
            }
            Err(error) => write_error(error, depot, res),
        }
    }

    fn register(components: &mut Components, operation: &mut Operation) {
        let data = T::to_schema(components);
        let ok = oapi::Response::new(success_description(STATUS))
            .add_content("application/json", oapi::Content::new(envelope_schema(data, 0)));
        operation.responses.insert(STATUS.to_string(), ok);
        operation.responses.insert("400", bad_request_response(components));
        operation.responses.insert("500", error_response(ErrorCode::Internal));
        // A database or cache that is down or not answering, or a queue
        // that is full (password hashing), answers 503 on any route.
        operation.responses.insert("503", error_response(ErrorCode::Unavailable));
    }
}

fn success_description(status: u16) -> &'static str {
    match status {
        201 => "created",
        202 => "accepted: the work is queued",
        _ => "ok",
    }
}

/// The name of the envelope's component in the OpenAPI document.
pub(crate) const ENVELOPE_COMPONENT: &str = "Envelope";

/// `{code, msg, data, request_id}`: every answer's shape, one component
/// that each response narrows with its own `data`.
pub(crate) fn envelope_component() -> oapi::Object {
    oapi::Object::new()
        .description("Every answer: `code` 0 for success, the error code otherwise (see `msg`).")
        .property("code", oapi::Object::with_type(oapi::BasicType::Integer))
        .required("code")
        .property("msg", oapi::Object::with_type(oapi::BasicType::String))
        .required("msg")
        // Any value here; each response says what its `data` is.
        .required("data")
        .property("request_id", oapi::Object::with_type(oapi::BasicType::String))
        .required("request_id")
}

/// The envelope around `data`: the shared component, and this response's
/// `data` (kept out of the component: generic component names would
/// contain `<>`, which OpenAPI forbids).
pub(crate) fn envelope_schema(data: RefOr<oapi::schema::Schema>, code_example: u32) -> oapi::schema::AllOf {
    oapi::schema::AllOf::new()
        .item(oapi::Ref::new(format!("#/components/schemas/{ENVELOPE_COMPONENT}")))
        .item(
            oapi::Object::new()
                .property("code", oapi::Object::with_type(oapi::BasicType::Integer).example(code_example))
                .property("data", data)
                .required("data"),
        )
}

/// An error answer: the envelope with `data: null`.
pub(crate) fn error_response(code: ErrorCode) -> oapi::Response {
    let data = RefOr::from(oapi::Object::with_type(oapi::BasicType::Null));
    oapi::Response::new(code.default_msg())
        .add_content("application/json", oapi::Content::new(envelope_schema(data, code as u32)))
}

/// 400: `40000` with `data: null` (malformed JSON, a body that is not
/// JSON) or `40001` with the fields that failed in `data.errors`.
fn bad_request_response(components: &mut Components) -> oapi::Response {
    let errors = oapi::Object::new()
        .property("errors", oapi::Array::new().items(FieldError::to_schema(components)))
        .required("errors");
    let data = oapi::schema::OneOf::new().item(oapi::Object::with_type(oapi::BasicType::Null)).item(errors);
    oapi::Response::new("bad request (40000) or validation failed (40001, `data.errors` names the fields)")
        .add_content(
            "application/json",
            oapi::Content::new(envelope_schema(RefOr::from(oapi::Schema::OneOf(data)), 40001)),
        )
}
