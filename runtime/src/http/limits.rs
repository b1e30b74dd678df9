//! What is refused from the request head alone, before routing and before a
//! byte of the body is read: a URI over `server.uri_limit` (414), a header
//! block over `server.header_limit` (431) and a `Content-Length` over
//! `server.body_limit` (413). Refusing an oversized body by its declared
//! length means it is never read — and hyper, which sends `100 Continue`
//! only when the body is first read, never invites the client to send it.

use crate::config::ServerConfig;
use crate::http::answer::{ApiError, ErrorCode};
use salvo::Request;
use salvo::http::header::CONTENT_LENGTH;

/// The refusal for a request whose head is over a limit, if any.
pub(crate) fn refuse_head(req: &Request, server: &ServerConfig) -> Option<ApiError> {
    let uri_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_len > server.uri_limit {
        return Some(too_large(
            ErrorCode::UriTooLong,
            "the URI is",
            uri_len as u64,
            server.uri_limit,
            "uri_limit",
        ));
    }
    // As on the wire: `name: value\r\n` per header.
    let header_len: usize =
        req.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if header_len > server.header_limit {
        return Some(too_large(
            ErrorCode::HeadersTooLarge,
            "the headers are",
            header_len as u64,
            server.header_limit,
            "header_limit",
        ));
    }
    let declared =
        req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if let Some(length) = declared
        && length > server.body_limit as u64
    {
        return Some(too_large(
            ErrorCode::PayloadTooLarge,
            "the body is",
            length,
            server.body_limit,
            "body_limit",
        ));
    }
    None
}

/// The refusal of a request past `server.<key>`; cold, so the checks that
/// every request runs stay short.
#[cold]
#[inline(never)]
fn too_large(code: ErrorCode, what: &str, size: u64, limit: usize, key: &str) -> ApiError {
    ApiError::new(code).msg(format!("{what} {size} bytes; at most {limit} are accepted (server.{key})"))
}

/// Whether an answer with `status` leaves part of the request unread, so
/// the connection cannot carry another request and is closed.
pub(crate) fn closes_connection(status: u16) -> bool {
    matches!(status, 408 | 413 | 414 | 431)
}

#[cfg(test)]
mod tests {
    use super::*;
    use salvo::test::TestClient;

    fn server() -> ServerConfig {
        ServerConfig { uri_limit: 64, header_limit: 256, body_limit: 100, ..ServerConfig::default() }
    }

    fn code(req: &Request) -> Option<u32> {
        refuse_head(req, &server()).map(|e| e.code() as u32)
    }

    #[test]
    fn each_limit_is_refused_with_its_own_code() {
        let ok = TestClient::get("http://127.0.0.1/v1/x?page=1").add_header("content-length", "100", true);
        assert_eq!(code(&ok.build()), None);
        let long = format!("http://127.0.0.1/{}", "a".repeat(64));
        assert_eq!(code(&TestClient::get(long).build()), Some(41400));
        let fat = TestClient::get("http://127.0.0.1/").add_header("x-fill", "b".repeat(300), true);
        assert_eq!(code(&fat.build()), Some(43100));
        let big = TestClient::post("http://127.0.0.1/").add_header("content-length", "101", true);
        assert_eq!(code(&big.build()), Some(41300));
    }
}
