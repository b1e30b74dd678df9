//! Boots services on ephemeral loopback ports and talks HTTP to them.

use keel::App;
use keel_tests::{Reply, probe, send};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn boot<K: keel::kind::Kind>(app: App<K>) -> SocketAddr {
    keel_tests::serve(app).await
}

async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[], None).await
}

async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    match send(addr, method, path, headers, body).await {
        Ok(reply) => reply,
        Err(err) => panic!("{method} {path}: {err}"),
    }
}

/// Every answer is `{code, msg, data, request_id}` and echoes the header id.
fn envelope(reply: &Reply, status: u16, code: u64) -> Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    let json = reply.json();
    assert_eq!(json["code"], code, "{json}");
    assert!(json["msg"].is_string(), "{json}");
    assert!(json.get("data").is_some(), "{json}");
    let id = json["request_id"].as_str().unwrap_or_default();
    assert!(!id.is_empty(), "{json}");
    assert_eq!(reply.header("x-request-id"), Some(id));
    json
}

fn field_of(json: &Value) -> &str {
    json["data"]["errors"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn manage_system_answers_the_versioned_test_route_in_the_envelope() {
    let addr = boot(App::new(manage_system::uri_router::uri_router())).await;
    let json = envelope(&get(addr, "/v1.00.02/test").await, 200, 0);
    assert_eq!(json["msg"], "ok");
    assert_eq!(json["data"]["service"], "manage_system");
    assert_eq!(json["data"]["id"], 1);
    assert_eq!(json["data"]["version"], "1.00.02");
    let time = json["data"]["time"].as_str().unwrap_or_default();
    assert!(time.len() == 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T', "{time}");
    // Unversioned or other-version URLs are not routes.
    envelope(&get(addr, "/test").await, 404, 40400);
    envelope(&get(addr, "/v1.00.03/test").await, 404, 40400);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_404_and_405_envelopes() {
    let addr = boot(App::new(manage_system::uri_router::uri_router())).await;
    let json = envelope(&get(addr, "/v1.00.02/nothing-here").await, 404, 40400);
    assert_eq!(json["msg"], "not found");
    let reply = request(addr, "DELETE", "/v1.00.02/test", &[], None).await;
    envelope(&reply, 405, 40500);
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn request_ids_are_echoed_when_sane_and_replaced_otherwise() {
    let addr = boot(App::new(manage_system::uri_router::uri_router())).await;
    let sane = request(addr, "GET", "/v1.00.02/test", &[("x-request-id", "trace-42.a_b")], None).await;
    assert_eq!(envelope(&sane, 200, 0)["request_id"], "trace-42.a_b");
    let long = "x".repeat(65);
    for insane in ["a b", "<script>", long.as_str()] {
        let reply = request(addr, "GET", "/v1.00.02/test", &[("x-request-id", insane)], None).await;
        let id = envelope(&reply, 200, 0)["request_id"].as_str().unwrap_or_default().to_owned();
        assert_ne!(id, insane);
        assert_eq!(id.len(), 24, "{id}");
    }
    // Errors carry it too.
    let missing = request(addr, "GET", "/nope", &[("x-request-id", "err-1")], None).await;
    assert_eq!(envelope(&missing, 404, 40400)["request_id"], "err-1");
}

#[tokio::test]
async fn json_bodies_answer_201_or_name_the_failing_field() {
    let addr = boot(App::new(probe::uri_router())).await;
    let json_type = [("content-type", "application/json")];
    let ok = r#"{"items":[{"name":"a","qty":1},{"name":"b","qty":2}]}"#;
    let json = envelope(&request(addr, "POST", "/v1.00.02/orders", &json_type, Some(ok)).await, 201, 0);
    assert_eq!(json["data"]["items"][1]["qty"], 2);

    let malformed = request(addr, "POST", "/v1.00.02/orders", &json_type, Some(r#"{"items": [}"#)).await;
    let json = envelope(&malformed, 400, 40000);
    assert!(json["msg"].as_str().unwrap_or_default().contains("malformed JSON"), "{json}");

    let wrong_type = r#"{"items":[{"name":"a","qty":1},{"name":"b","qty":2},{"name":"c","qty":"three"}]}"#;
    let json =
        envelope(&request(addr, "POST", "/v1.00.02/orders", &json_type, Some(wrong_type)).await, 400, 40001);
    assert_eq!(field_of(&json), "items[2].qty");
    assert!(json["data"]["errors"][0]["msg"].as_str().unwrap_or_default().contains("invalid type"), "{json}");

    let missing = r#"{"items":[{"name":"a","qty":1},{"qty":2}]}"#;
    let json =
        envelope(&request(addr, "POST", "/v1.00.02/orders", &json_type, Some(missing)).await, 400, 40001);
    assert_eq!(field_of(&json), "items[1].name");

    let not_json =
        request(addr, "POST", "/v1.00.02/orders", &[("content-type", "text/plain")], Some("hi")).await;
    envelope(&not_json, 400, 40000);

    // Over the body limit (64 KiB by default).
    let name = "x".repeat(70 * 1024);
    let huge = format!(r#"{{"items":[{{"name":"{name}","qty":1}}]}}"#);
    let reply = request(addr, "POST", "/v1.00.02/orders", &json_type, Some(&huge)).await;
    let json = envelope(&reply, 413, 41300);
    assert!(json["msg"].as_str().unwrap_or_default().contains("server.body_limit"), "{json}");
}

/// Writes `head` (and nothing more unless `then` is given), reads whatever
/// the server answers until it closes the connection, within `limit`.
async fn raw_exchange(addr: SocketAddr, head: &str, then: Option<&[u8]>, limit: Duration) -> Option<String> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    stream.write_all(head.as_bytes()).await.ok()?;
    if let Some(bytes) = then {
        stream.write_all(bytes).await.ok()?;
    }
    let mut raw = Vec::new();
    // Ok(Err): reset by the server, which also ends the exchange.
    match tokio::time::timeout(limit, stream.read_to_end(&mut raw)).await {
        Ok(_) => Some(String::from_utf8_lossy(&raw).into_owned()),
        Err(_) => None,
    }
}

fn envelope_of(raw: &str, status: u16, code: u64) {
    assert!(raw.starts_with(&format!("HTTP/1.1 {status} ")), "{raw:?}");
    assert!(!raw.contains("100 Continue"), "{raw:?}");
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let json: Value = serde_json::from_str(body).unwrap_or_else(|err| panic!("{err}: {raw:?}"));
    assert_eq!(json["code"], code, "{json}");
}

#[tokio::test]
async fn hostile_connections_get_an_envelope_and_are_let_go() {
    let mut config = keel::config::Config::default();
    config.server.body_timeout = 1;
    config.server.header_timeout = 1;
    config.server.idle_timeout = 2;
    let addr = boot(App::new(probe::uri_router()).config(config)).await;
    let post = "POST /v1.00.02/orders HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n";
    let second = Duration::from_secs(1);

    // A declared 100 MB body is refused from its length: no `100 Continue`,
    // no waiting for the bytes.
    let head = format!("{post}content-length: 104857600\r\nexpect: 100-continue\r\n\r\n");
    let raw = raw_exchange(addr, &head, Some(b"{}"), second).await;
    envelope_of(&raw.unwrap_or_else(|| panic!("no answer to a 100 MB Content-Length within 1s")), 413, 41300);

    // A body that stops arriving gets 408 once server.body_timeout passes.
    let head = format!("{post}content-length: 40\r\n\r\n");
    let started = std::time::Instant::now();
    let raw = raw_exchange(addr, &head, Some(br#"{"items""#), 4 * second).await;
    envelope_of(&raw.unwrap_or_else(|| panic!("a stalled body was held past 4s")), 408, 40800);
    assert!(started.elapsed() >= second, "408 before the deadline: {:?}", started.elapsed());

    // Over the URI and header limits, below hyper's own: the envelope.
    let reply = get(addr, &format!("/v1.00.02/orders?page=1&q={}", "a".repeat(20_000))).await;
    envelope(&reply, 414, 41400);
    let fat = "b".repeat(8_000);
    let headers: Vec<(String, String)> = (0..5).map(|i| (format!("x-fill-{i}"), fat.clone())).collect();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let reply = request(addr, "GET", "/v1.00.02/orders?page=1", &headers, None).await;
    envelope(&reply, 431, 43100);

    // Half a request head, or an idle kept-alive connection, is closed.
    let raw = raw_exchange(addr, "GET /v1.00.02/orders HTTP/1.1\r\nhost", None, 4 * second).await;
    assert!(raw.is_some(), "a half-sent head was held past 4s");
    let raw = raw_exchange(addr, "", None, 5 * second).await;
    assert_eq!(raw.as_deref(), Some(""), "an idle connection was held past 5s");

    // The service still answers.
    envelope(&get(addr, "/v1.00.02/orders?page=1&size=5").await, 200, 0);
}

#[tokio::test]
async fn kept_alive_and_unread_connections_are_closed_after_the_idle_timeout() {
    // idle_timeout below header_timeout: a connection waiting for its next
    // request head is idle, and is closed after the shorter of the two.
    let mut config = keel::config::Config::default();
    config.server.header_timeout = 30;
    config.server.idle_timeout = 1;
    let addr = boot(App::new(probe::uri_router()).config(config)).await;
    let second = Duration::from_secs(1);

    // A kept-alive connection after its answer.
    let started = std::time::Instant::now();
    let get = "GET /v1.00.02/orders?page=1&size=5 HTTP/1.1\r\nhost: x\r\n\r\n";
    let raw = raw_exchange(addr, get, None, 4 * second).await;
    let raw = raw.unwrap_or_else(|| panic!("a kept-alive connection was held past 4s (idle_timeout 1s)"));
    envelope_of(&raw, 200, 0);
    assert!(started.elapsed() >= second / 2, "closed before the idle timeout: {:?}", started.elapsed());

    // A client that pipelines requests and never reads the answers (a slow
    // reader holding the connection): once the answers fill the socket
    // buffers the server's write stalls, and the connection is closed
    // after idle_timeout, with most of the requests never answered.
    // More requests (11 MB) than the socket buffers hold, so the client's
    // own write blocks too, and fails once the server closes: the test
    // waits for that, not for a fixed time.
    const REQUESTS: usize = 200_000;
    let stream = TcpStream::connect(addr).await.unwrap_or_else(|err| panic!("connect: {err}"));
    let (mut reader, mut writer) = stream.into_split();
    let requests = get.repeat(REQUESTS);
    let sender = tokio::spawn(async move { writer.write_all(requests.as_bytes()).await });
    let sent = tokio::time::timeout(20 * second, sender).await;
    let sent =
        sent.unwrap_or_else(|_| panic!("an unread connection was still open 20s on (idle_timeout 1s)"));
    assert!(
        matches!(sent, Ok(Err(_))),
        "all {REQUESTS} pipelined requests were taken: the server never stopped reading"
    );
    let mut answers = Vec::new();
    // Ok(Err): reset by the server, which ends the answers too.
    let ended = tokio::time::timeout(5 * second, reader.read_to_end(&mut answers)).await;
    assert!(ended.is_ok(), "the connection's answers did not end after the server closed it");
    let answered = String::from_utf8_lossy(&answers).matches("HTTP/1.1 200 ").count();
    // Without the stall timeout the client's write never fails, so the
    // test stops above; were it to end anyway, the client would get nearly
    // every answer as it finally reads. With the timeout, a few hundred.
    assert!(
        answered < REQUESTS / 2,
        "{answered} of {REQUESTS} pipelined requests answered: the stalled write was waited out"
    );

    // The service still answers.
    envelope(&self::get(addr, "/v1.00.02/orders?page=1&size=5").await, 200, 0);
}

#[tokio::test]
async fn query_strings_page_or_name_the_failing_parameter() {
    let addr = boot(App::new(probe::uri_router())).await;
    let json = envelope(&get(addr, "/v1.00.02/orders?page=3&size=5").await, 200, 0);
    assert_eq!(json["data"]["page"], 3);
    assert_eq!(json["data"]["size"], 5);
    assert_eq!(json["data"]["total"], 1);
    assert_eq!(json["data"]["list"][0]["name"], "page 3");

    let json = envelope(&get(addr, "/v1.00.02/orders?page=abc").await, 400, 40001);
    assert_eq!(field_of(&json), "page");
    let json = envelope(&get(addr, "/v1.00.02/orders?size=5").await, 400, 40001);
    assert_eq!(field_of(&json), "page");
}

#[tokio::test]
async fn literal_segments_win_over_params_whatever_the_listing_order() {
    let addr = boot(App::new(probe::uri_router())).await;
    assert_eq!(envelope(&get(addr, "/v2.00.00/item/me").await, 200, 0)["data"], "me");
    assert_eq!(envelope(&get(addr, "/v2.00.00/item/42").await, 200, 0)["data"], "item 42");
    let json = envelope(&get(addr, "/v2.00.00/item/forty-two").await, 400, 40001);
    assert_eq!(field_of(&json), "id");
}

/// A service that offers no sign-in still protects the routes not marked
/// public: they answer 401, never the handler.
#[tokio::test]
async fn protected_routes_of_a_service_without_sign_in_answer_401() {
    let addr = boot(App::new(probe::uri_router())).await;
    let json = envelope(&get(addr, "/v2.00.00/secret").await, 401, 40100);
    assert!(!json.to_string().contains("nobody reads this"), "{json}");
}

#[tokio::test]
async fn panics_and_internal_errors_answer_500_without_internal_text() {
    let addr = boot(App::new(probe::uri_router())).await;
    let json = envelope(&get(addr, "/v2.00.00/boom").await, 500, 50000);
    assert_eq!(json["msg"], "internal error");
    assert!(!json.to_string().contains("index out of bounds"), "{json}");
    let json = envelope(&get(addr, "/v2.00.00/failing").await, 500, 50000);
    assert!(!json.to_string().contains("secret"), "{json}");
    // The service keeps serving after a panic.
    envelope(&get(addr, "/v2.00.00/item/me").await, 200, 0);
}

/// A handler slower than `server.response_timeout` is cancelled, and the
/// client gets the 504 envelope instead of waiting on it (or on a proxy's
/// own timeout); 0 means no deadline.
#[tokio::test]
async fn a_handler_past_the_response_timeout_is_cancelled_with_a_504_envelope() {
    keel_tests::failed_log::capture();
    let mut config = keel::config::Config::default();
    config.server.response_timeout = 1;
    // A hoop set a public Cache-Control and a cookie before the handler
    // ran: the envelope that replaces its answer drops both (so does the
    // one for a panic).
    let app = App::new(probe::uri_router()).config(config.clone()).hoop(probe::Decorates);
    let addr = boot(app).await;
    let late = get(addr, "/v2.00.00/late").await;
    let json = envelope(&late, 504, 50400);
    assert_eq!(json["msg"], "the answer took too long");
    for reply in [&late, &get(addr, "/v2.00.00/boom").await] {
        assert_eq!(reply.header("cache-control"), None, "{}", reply.body);
        assert_eq!(reply.header("set-cookie"), None, "{}", reply.body);
    }
    // The handler was dropped at its `.await`: it never finishes its work.
    // (A fixed wait: what is checked is that nothing happens.)
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!probe::LATE_FINISHED.load(std::sync::atomic::Ordering::SeqCst), "the handler ran on");
    let logged = keel_tests::failed_log::lines();
    assert!(
        logged
            .iter()
            .any(|l| l.contains("GET /v2.00.00/late: no answer within server.response_timeout (1 s)")),
        "{logged:?}"
    );
    // The cancelled handler left its body unread: the kept-alive
    // connection is closed after the 504 (hyper does not reuse it), not
    // offered for a next request that would start mid-body.
    let head = "GET /v2.00.00/late HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n";
    let raw = raw_exchange(addr, head, None, Duration::from_secs(4)).await;
    let raw = raw.unwrap_or_else(|| panic!("the connection stayed open after the 504"));
    envelope_of(&raw, 504, 50400);
    // Other requests are not affected; the hoop runs on every versioned
    // route, and not on the operational ones.
    let other = get(addr, "/v2.00.00/item/me").await;
    envelope(&other, 200, 0);
    assert!(other.header("set-cookie").is_some_and(|c| c.contains("from-the-hoop")), "{}", other.body);
    let health = get(addr, "/health").await;
    assert_eq!(health.header("set-cookie"), None, "{}", health.body);

    config.server.response_timeout = 0;
    let addr = boot(App::new(probe::uri_router()).config(config)).await;
    assert_eq!(envelope(&get(addr, "/v2.00.00/late").await, 200, 0)["data"], "finished");
    assert!(probe::LATE_FINISHED.load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test]
async fn free_fn_routes_take_the_service_version_and_can_answer_202() {
    let addr = boot(App::new(probe::uri_router())).await;
    let reply = request(addr, "POST", "/v2.00.00/work", &[], None).await;
    assert_eq!(envelope(&reply, 202, 0)["data"], Value::Null);
}

#[tokio::test]
async fn health_openapi_and_docs_are_served() {
    let addr = boot(App::new(manage_system::uri_router::uri_router())).await;
    let json = envelope(&get(addr, "/health").await, 200, 0);
    assert_eq!(json["data"]["status"], "ok");
    assert_eq!(json["data"]["service"], "manage_system");
    let doc = get(addr, "/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.json()["paths"]["/v1.00.02/test"]["get"].is_object(), "{}", doc.body);
    // The docs page and every asset it references come from the service
    // itself: it renders with the network unplugged.
    let docs = get(addr, "/docs").await;
    assert_eq!(docs.status, 200);
    assert_eq!(docs.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(!docs.body.contains("http://") && !docs.body.contains("https://"), "{}", docs.body);
    let assets: Vec<&str> = docs.body.split(['"', '\'']).filter(|part| part.starts_with("/docs/")).collect();
    assert_eq!(assets.len(), 3, "{}", docs.body);
    let mut fetched = String::new();
    for asset in assets {
        let reply = get(addr, asset).await;
        assert_eq!(reply.status, 200, "{asset}");
        assert!(reply.body.len() > 100, "{asset}: {} bytes", reply.body.len());
        fetched.push_str(&reply.body);
    }
    // The initializer reads the service's own document.
    assert!(fetched.contains("url: \"/openapi.json\""), "no initializer among the assets");
    assert!(fetched.contains("SwaggerUIBundle"), "no Swagger UI bundle among the assets");
}

#[tokio::test]
async fn a_failing_readiness_check_answers_503() {
    let app = App::new(manage_system::uri_router::uri_router())
        .health_check(keel::HealthCheck::new("database", || async { Err("connection refused".into()) }))
        .health_check(keel::HealthCheck::new("cache", || async { Ok(()) }));
    let addr = boot(app).await;
    let json = envelope(&get(addr, "/health").await, 503, 50300);
    assert_eq!(json["data"]["status"], "unavailable");
    assert_eq!(json["data"]["checks"]["database"]["status"], "down");
    assert_eq!(json["data"]["checks"]["database"]["error"], "connection refused");
    assert_eq!(json["data"]["checks"]["cache"]["status"], "up");
}

#[test]
fn the_openapi_document_names_generic_envelopes_legally() {
    let doc = keel::openapi::document(&probe::uri_router());
    let json: Value = match doc.to_json().map(|t| serde_json::from_str(&t)) {
        Ok(Ok(json)) => json,
        other => panic!("document: {other:?}"),
    };
    let get = &json["paths"]["/v1.00.02/orders"]["get"];
    let envelope = &get["responses"]["200"]["content"]["application/json"]["schema"]["allOf"];
    assert_eq!(envelope[0]["$ref"], "#/components/schemas/Envelope", "{envelope}");
    let data = &envelope[1]["properties"]["data"];
    assert_eq!(data["$ref"], "#/components/schemas/Page_Item");
    let params: Vec<&str> =
        get["parameters"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(params, ["page", "size"]);
    let post = &json["paths"]["/v1.00.02/orders"]["post"];
    assert_eq!(post["summary"], "Create an order: answers 201.");
    assert!(post["requestBody"]["content"]["application/json"]["schema"]["$ref"].is_string(), "{post}");
    assert!(post["responses"]["400"].is_object() && post["responses"]["500"].is_object(), "{post}");
    let item = &json["paths"]["/v2.00.00/item/{id}"]["get"];
    assert_eq!(item["parameters"][0]["in"], "path");
    let secret = &json["paths"]["/v2.00.00/secret"]["get"];
    assert!(secret["security"].is_array(), "protected routes carry the bearer scheme: {secret}");
    assert!(json["paths"]["/v2.00.00/work"]["post"]["security"].is_null(), "public routes do not");
    for name in
        json["components"]["schemas"].as_object().map(|m| m.keys().collect::<Vec<_>>()).unwrap_or_default()
    {
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "illegal name {name}"
        );
    }
}

#[tokio::test]
async fn base_enums_travel_as_values_and_bad_ones_name_the_allowed_values() {
    let addr = boot(App::new(probe::uri_router())).await;
    let json_type = [("content-type", "application/json")];
    let ok = request(addr, "PUT", "/v2.00.00/orders/state", &json_type, Some(r#"{"state":2}"#)).await;
    assert_eq!(envelope(&ok, 200, 0)["data"]["state"], 2);
    let bad = request(addr, "PUT", "/v2.00.00/orders/state", &json_type, Some(r#"{"state":7}"#)).await;
    let json = envelope(&bad, 400, 40001);
    assert_eq!(field_of(&json), "state");
    let msg = json["data"]["errors"][0]["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("expected one of 1 (open), 2 (shipped)"), "{msg}");
    assert_eq!(envelope(&get(addr, "/v2.00.00/orders/state?state=1").await, 200, 0)["data"], "open");
    let json = envelope(&get(addr, "/v2.00.00/orders/state?state=open").await, 400, 40001);
    assert_eq!(field_of(&json), "state");
}

#[tokio::test]
async fn cors_answers_preflights_before_sign_in_and_lets_allowed_origins_read_answers() {
    const ADMIN: &str = "https://admin.example";
    let mut config = keel::config::Config::default();
    config.cors.allow_origins = vec![ADMIN.to_owned()];
    let addr = boot(App::new(probe::uri_router()).config(config)).await;
    let preflight = |origin: &'static str, method: &'static str, path: &'static str| async move {
        let headers = [
            ("origin", origin),
            ("access-control-request-method", method),
            ("access-control-request-headers", "authorization, content-type"),
        ];
        request(addr, "OPTIONS", path, &headers, None).await
    };

    // A preflight is answered before routing and sign-in: even for a
    // protected route, without a token.
    for path in ["/v1.00.02/orders", "/v2.00.00/secret"] {
        let reply = preflight(ADMIN, "POST", path).await;
        assert_eq!(reply.status, 204, "{path}: {}", reply.body);
        assert_eq!(reply.header("access-control-allow-origin"), Some(ADMIN));
        assert!(reply.header("access-control-allow-methods").is_some_and(|m| m.contains("POST")));
        assert!(reply.header("access-control-allow-headers").is_some_and(|h| h.contains("authorization")));
        assert_eq!(reply.header("access-control-max-age"), Some("600"));
        assert!(reply.header("vary").is_some_and(|v| v.contains("Origin")));
    }
    // Another origin, or a method not allowed: 403 in the envelope.
    let json = envelope(&preflight("https://evil.example", "POST", "/v1.00.02/orders").await, 403, 40300);
    assert!(json["msg"].as_str().unwrap_or_default().contains("cors.allow_origins"), "{json}");
    envelope(&preflight(ADMIN, "TRACE", "/v1.00.02/orders").await, 403, 40300);

    // Answers to the allowed origin carry the headers its script needs,
    // errors included (a 401 the page must be able to read).
    let reply = request(addr, "GET", "/v1.00.02/orders?page=1", &[("origin", ADMIN)], None).await;
    envelope(&reply, 200, 0);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ADMIN));
    assert!(reply.header("access-control-expose-headers").is_some_and(|h| h.contains("x-request-id")));
    let reply = request(addr, "GET", "/v2.00.00/secret", &[("origin", ADMIN)], None).await;
    envelope(&reply, 401, 40100);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ADMIN));
    let reply =
        request(addr, "GET", "/v1.00.02/orders?page=1", &[("origin", "https://evil.example")], None).await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
    let reply = get(addr, "/v1.00.02/orders?page=1").await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
    // Cached without an origin, the answer still says it varies by origin.
    assert!(reply.header("vary").is_some_and(|v| v.contains("Origin")), "{:?}", reply.headers);

    // Off by default: a preflight is just an OPTIONS, which no route has.
    let off = boot(App::new(probe::uri_router())).await;
    let headers = [("origin", ADMIN), ("access-control-request-method", "POST")];
    let reply = request(off, "OPTIONS", "/v1.00.02/orders", &headers, None).await;
    envelope(&reply, 405, 40500);
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

/// The value of the first sample line starting with `prefix`.
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no sample `{prefix}` in:\n{text}"))
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_read_backends_when_scraped() {
    let home = keel_tests::temp_home("metrics");
    let app = manage_system::uri_router::app().home(home.path()).migrations(keel_tests::ms::MIGRATIONS);
    let addr = boot(app).await;
    let counter = r#"keel_http_requests_total{route="/v1.00.02/test",method="GET",status="200"}"#;
    let scrape = || async {
        let reply = get(addr, "/metrics").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.header("content-type").is_some_and(|t| t.starts_with("application/openmetrics-text")));
        reply.body
    };
    for _ in 0..3 {
        envelope(&get(addr, "/v1.00.02/test").await, 200, 0);
    }
    let before = sample(&scrape().await, counter);
    for _ in 0..3 {
        envelope(&get(addr, "/v1.00.02/test").await, 200, 0);
    }
    let text = scrape().await;
    assert!(sample(&text, counter) >= before + 3.0, "{text}");
    // A path no route has is one label, not one per path.
    get(addr, "/no/such/path/12345").await;
    let text = scrape().await;
    assert!(text.contains(r#"route="unmatched",method="GET",status="404""#), "{text}");
    assert!(!text.contains("12345"), "{text}");
    // A route with a parameter is labelled by its template, and a request
    // its sign-in gate refuses still counts under that route.
    envelope(&get(addr, "/v1.00.02/account/67890").await, 401, 40100);
    let text = scrape().await;
    assert!(text.contains(r#"route="/v1.00.02/account/{id}",method="GET",status="401""#), "{text}");
    assert!(!text.contains("67890"), "{text}");
    // The operational routes are labelled too.
    assert!(text.contains(r#"route="/metrics",method="GET",status="200""#), "{text}");
    // Each answered request is one observation of its route's duration,
    // and the histogram adds up: its `+Inf` bucket holds every one.
    let observed =
        sample(&text, r#"keel_http_request_duration_seconds_count{route="/v1.00.02/test",method="GET"}"#);
    assert!(observed >= 6.0, "{text}");
    let bucket = |le: &str| {
        let labels = r#"",route="/v1.00.02/test",method="GET"}"#;
        sample(&text, &format!("keel_http_request_duration_seconds_bucket{{le=\"{le}{labels}"))
    };
    assert_eq!(bucket("+Inf"), observed, "{text}");
    // A loopback answer takes well under 4 s, so the last finite bucket
    // holds every one too, and the sum is in seconds.
    assert_eq!(bucket("4.096"), observed, "{text}");
    let seconds =
        sample(&text, r#"keel_http_request_duration_seconds_sum{route="/v1.00.02/test",method="GET"}"#);
    assert!(seconds > 0.0 && seconds < observed * 4.096, "{text}");
    for line in [
        r#"keel_db_answering{database="default"} 1"#,
        r#"keel_db_pool_connections{database="default",state="open"}"#,
        r#"keel_cache_available{cache="default"} 1"#,
        r#"keel_migration_version{database="default"}"#,
        "keel_ws_connections ",
        r#"keel_ws_frames_total{direction="out"}"#,
        r#"keel_build_info{service="manage_system",version="1.00.02""#,
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }

    // Another address than metrics.allow_from: 403 in the envelope.
    let mut config = keel::config::Config::default();
    config.metrics.allow_from = vec!["10.9.9.9".to_owned()];
    let guarded = boot(App::new(probe::uri_router()).config(config)).await;
    envelope(&get(guarded, "/metrics").await, 403, 40300);
    // Off: no route (and no counting; the switch is the process's).
    let mut config = keel::config::Config::default();
    config.metrics.enabled = false;
    let off = boot(App::new(probe::uri_router()).config(config)).await;
    envelope(&get(off, "/metrics").await, 404, 40400);
}
