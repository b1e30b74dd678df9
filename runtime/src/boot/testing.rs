//! Helpers for testing a service without a socket.

use crate::App;
use salvo::test::{RequestBuilder, ResponseExt};

/// A response as a test sees it.
#[derive(Debug)]
pub struct TestAnswer {
    /// HTTP status.
    pub status: u16,
    /// The `x-request-id` header.
    pub request_id: Option<String>,
    /// The body parsed as JSON (`null` if it is not JSON).
    pub json: serde_json::Value,
}

/// Sends one request through the app's full stack (frame, routes, envelope).
pub async fn call<K: crate::kind::Kind>(
    app: &App<K>,
    method: &str,
    url: &str,
    json_body: Option<&str>,
) -> TestAnswer {
    let full = format!("http://127.0.0.1{url}");
    let mut builder = match method {
        "POST" => RequestBuilder::new(full, salvo::http::Method::POST),
        "PUT" => RequestBuilder::new(full, salvo::http::Method::PUT),
        "PATCH" => RequestBuilder::new(full, salvo::http::Method::PATCH),
        "DELETE" => RequestBuilder::new(full, salvo::http::Method::DELETE),
        _ => RequestBuilder::new(full, salvo::http::Method::GET),
    };
    if let Some(body) = json_body {
        builder = builder.raw_json(body.to_owned());
    }
    let mut response = builder.send(&app.salvo_service()).await;
    let request_id =
        response.headers().get(crate::REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = response.take_string().await.unwrap_or_default();
    TestAnswer {
        status: response.status_code.map_or(0, |s| s.as_u16()),
        request_id,
        json: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    }
}
