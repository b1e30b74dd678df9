//! ws_guidance (the HTTP contract in the README): a token from manage_system opens
//! `/v1.00.00/guide`; notices posted to manage_system's `/notice` reach the
//! clients of every guidance instance over Redis pub/sub (a test-owned
//! `redis-server`, restarted in between); subscriptions filter; a bad
//! message gets an error frame; idle clients and shutdown close with 1001.

use futures_util::{SinkExt, StreamExt};
use keel::config::{BackendEntry, Config};
use keel_tests::ms::{KEEPER, MIGRATIONS, call_with, login, upgrading, with_keeper};
use keel_tests::redis_server::RedisServer;
use keel_tests::{send, temp_home};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Client = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// manage_system and guidance share a SQLite file (sessions) and Redis.
struct Stack {
    home: keel::testing::TempHome,
    redis: RedisServer,
    manage: SocketAddr,
    token: String,
    /// The cache URL: `redis` by default, a cluster's with [`stack_on`].
    cache_url: String,
}

fn shared(home: &Path, cache_url: &str) -> Config {
    let mut config = Config::default();
    let db = format!("sqlite://{}", home.join("data/manage_system.db").display());
    config.database.insert("default".to_owned(), upgrading(&db));
    config.cache.insert("default".to_owned(), BackendEntry::Url(cache_url.to_owned()));
    config
}

async fn stack(tag: &str) -> Option<Stack> {
    stack_on(tag, None).await
}

/// A stack on a test-owned `redis-server`, or on `cache_url` when given.
async fn stack_on(tag: &str, cache_url: Option<String>) -> Option<Stack> {
    if !RedisServer::available() {
        assert!(
            std::env::var("TEST_REDIS_URL").is_err(),
            "TEST_REDIS_URL is set but redis-server is missing"
        );
        eprintln!("skipped: no redis-server on this machine");
        return None;
    }
    let home = temp_home(tag);
    let redis = RedisServer::start(None);
    let cache_url = cache_url.unwrap_or_else(|| redis.url());
    let app = manage_system::uri_router::app()
        .migrations(MIGRATIONS)
        .home(&home)
        .config(with_keeper(shared(&home, &cache_url)));
    let manage = keel_tests::serve(app).await;
    let token = login(manage, KEEPER.0, KEEPER.1).await;
    Some(Stack { home, redis, manage, token, cache_url })
}

async fn guidance(stack: &Stack, tweak: impl FnOnce(&mut Config)) -> keel::RunningServer {
    let mut config = shared(&stack.home, &stack.cache_url);
    tweak(&mut config);
    match guidance::app().home(&stack.home).config(config).bind("127.0.0.1:0").await {
        Ok(server) => server,
        Err(err) => panic!("guidance: {err}"),
    }
}

/// Connects with the token in the header (`query: false`) or in `?token=`.
async fn connect(addr: SocketAddr, token: &str, query: bool) -> Client {
    let url = if query {
        format!("ws://{addr}/v1.00.00/guide?token={token}")
    } else {
        format!("ws://{addr}/v1.00.00/guide")
    };
    let mut request = match url.into_client_request() {
        Ok(request) => request,
        Err(err) => panic!("{err}"),
    };
    if !query {
        let bearer = format!("Bearer {token}");
        if let Ok(value) = bearer.parse() {
            request.headers_mut().insert("authorization", value);
        }
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((client, _)) => client,
        Err(err) => panic!("connect {addr}: {err}"),
    }
}

/// The next JSON frame (pings skipped), within `wait`.
async fn next_frame(client: &mut Client, wait: Duration) -> Option<Value> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, client.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).ok(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

async fn expect_frame(client: &mut Client, kind: &str) -> Value {
    match next_frame(client, Duration::from_secs(5)).await {
        Some(frame) if frame["type"] == kind => frame,
        other => panic!("expected a `{kind}` frame, got {other:?}"),
    }
}

async fn post_notice(stack: &Stack, topic: Option<&str>, title: &str) {
    let body = serde_json::json!({ "topic": topic, "title": title, "body": "text" }).to_string();
    let reply = call_with(stack.manage, Some(&stack.token), "POST", "/v1.00.02/notice", Some(&body)).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
}

async fn send_text(client: &mut Client, text: &str) {
    if let Err(err) = client.send(Message::text(text)).await {
        panic!("{err}");
    }
}

#[tokio::test]
async fn bad_tokens_are_refused_with_401_before_the_upgrade() {
    let Some(stack) = stack("ws-401").await else { return };
    let server = guidance(&stack, |_| {}).await;
    let upgrade = [
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    for path in ["/v1.00.00/guide", &format!("/v1.00.00/guide?token={}", "0".repeat(64))] {
        let reply = match send(server.addr, "GET", path, &upgrade, None).await {
            Ok(reply) => reply,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert_eq!(reply.json()["code"], 40100);
    }
}

#[tokio::test]
async fn notices_reach_clients_by_subscription_and_bad_messages_get_an_error_frame() {
    let Some(stack) = stack("ws-notice").await else { return };
    let server = guidance(&stack, |_| {}).await;
    let mut everyone = connect(server.addr, &stack.token, false).await;
    let mut ops_only = connect(server.addr, &stack.token, true).await;
    send_text(&mut ops_only, r#"{"type":"subscribe","data":{"topics":["ops"]}}"#).await;
    assert_eq!(expect_frame(&mut ops_only, "subscribed").await["data"]["topics"][0], "ops");

    post_notice(&stack, Some("ops"), "deploy at noon").await;
    post_notice(&stack, Some("sales"), "quarter closed").await;
    post_notice(&stack, None, "for everyone").await;
    let titles = |frames: Vec<Value>| {
        frames.iter().map(|f| f["data"]["title"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>()
    };
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(expect_frame(&mut everyone, "notice").await);
    }
    assert_eq!(titles(got), ["deploy at noon", "quarter closed", "for everyone"]);
    let first = expect_frame(&mut ops_only, "notice").await;
    let second = expect_frame(&mut ops_only, "notice").await;
    assert_eq!(titles(vec![first.clone(), second]), ["deploy at noon", "for everyone"]);
    assert_eq!(first["data"]["topic"], "ops");
    assert!(first["data"]["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{first}");
    assert!(next_frame(&mut ops_only, Duration::from_millis(300)).await.is_none(), "no sales notice");

    // A bad frame gets an error frame; the connection stays usable.
    send_text(&mut everyone, "not json").await;
    let error = expect_frame(&mut everyone, "error").await;
    assert_eq!(error["data"]["code"], 40000, "{error}");
    send_text(&mut everyone, r#"{"type":"shout","data":1}"#).await;
    expect_frame(&mut everyone, "error").await;
    send_text(&mut everyone, r#"{"type":"ping"}"#).await;
    expect_frame(&mut everyone, "pong").await;

    // A message of 60 KiB, under `server.body_limit` (64 KiB) but many
    // times the socket's read window, arrives whole: it is parsed (and
    // refused for its type, not as cut JSON).
    let padding = "x".repeat(60 * 1024);
    send_text(&mut everyone, &format!(r#"{{"type":"shout","data":"{padding}"}}"#)).await;
    let error = expect_frame(&mut everyone, "error").await;
    assert!(error["data"]["msg"].as_str().is_some_and(|m| m.contains("shout")), "{error}");
    // Over the limit, the socket is closed with 1009.
    send_text(&mut everyone, &format!(r#"{{"type":"shout","data":"{padding}{padding}"}}"#)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, everyone.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                assert_eq!((frame.code, frame.reason.as_str()), (CloseCode::Size, "message too big"));
                break;
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected close 1009, got {other:?}"),
        }
    }
}

async fn expect_close(client: &mut Client, reason: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, client.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                assert_eq!((frame.code, frame.reason.as_str()), (CloseCode::Away, reason));
                return;
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected close 1001 `{reason}`, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn idle_clients_and_shutdown_are_closed_with_1001() {
    let Some(stack) = stack("ws-close").await else { return };
    let idle = guidance(&stack, |config| {
        config.server.ws_ping_interval = 1;
        config.server.ws_idle_timeout = 2;
    })
    .await;
    // A dead client: it never reads, so it never answers the pings. When
    // it reads again, the server has closed it (1001), or — past the
    // closing handshake's wait — dropped the socket.
    let mut dead = connect(idle.addr, &stack.token, true).await;
    // Not a wait for an outcome: reading would answer the server's pings,
    // so the client stays away past the 2 s idle limit before it looks.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let closed = loop {
        // Pings keep coming while the server keeps it open: bound the wait.
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, dead.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => break Some((frame.code, frame.reason.to_string())),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_)) | None) => break None,
            Err(_) => panic!("the idle client is still open"),
        }
    };
    if let Some(frame) = closed {
        assert_eq!(frame, (CloseCode::Away, "idle timeout".to_owned()));
    }

    let server = guidance(&stack, |_| {}).await;
    let mut client = connect(server.addr, &stack.token, false).await;
    send_text(&mut client, r#"{"type":"ping"}"#).await;
    expect_frame(&mut client, "pong").await;
    server.stop_graceful(Duration::from_secs(2));
    expect_close(&mut client, "server shutting down").await;
    server.wait().await;
}

#[tokio::test]
async fn fan_out_reaches_two_instances_and_survives_a_redis_restart() {
    let Some(mut stack) = stack("ws-fanout").await else { return };
    let (first, second) = (guidance(&stack, |_| {}).await, guidance(&stack, |_| {}).await);
    let mut a = connect(first.addr, &stack.token, true).await;
    let mut b = connect(second.addr, &stack.token, true).await;
    post_notice(&stack, None, "one").await;
    assert_eq!(expect_frame(&mut a, "notice").await["data"]["title"], "one");
    assert_eq!(expect_frame(&mut b, "notice").await["data"]["title"], "one");

    // Redis restarts; both listeners subscribe again by themselves.
    stack.redis.kill();
    stack.redis.restart();
    both_hear_again(&stack, [&mut a, &mut b], Duration::from_secs(15), "after the restart").await;
}

/// Posts notices until both clients got one (posting fails while the
/// cache is away), within `limit`.
async fn both_hear_again(stack: &Stack, clients: [&mut Client; 2], limit: Duration, what: &str) {
    let [a, b] = clients;
    let deadline = Instant::now() + limit;
    let (mut a_got, mut b_got) = (false, false);
    while !(a_got && b_got) {
        assert!(Instant::now() < deadline, "{what}: first {a_got}, second {b_got}");
        let body = serde_json::json!({ "title": "two", "body": what }).to_string();
        let reply =
            call_with(stack.manage, Some(&stack.token), "POST", "/v1.00.02/notice", Some(&body)).await;
        if reply.status != 202 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        a_got |= next_frame(a, Duration::from_millis(300)).await.is_some_and(|f| f["data"]["title"] == "two");
        b_got |= next_frame(b, Duration::from_millis(300)).await.is_some_and(|f| f["data"]["title"] == "two");
    }
}

/// Fan-out through a Redis Cluster (a test-owned one: a node is killed).
/// Each listener hears every channel on whichever node it is connected to
/// (a classic PUBLISH reaches them all); when that node dies the listener
/// moves to the next seed and subscribes again.
#[tokio::test]
async fn fan_out_through_a_redis_cluster_survives_the_loss_of_a_node() {
    if std::env::var("TEST_REDIS_CLUSTER").is_err() {
        eprintln!("skipped: TEST_REDIS_CLUSTER is not set");
        return;
    }
    let cluster = tokio::task::spawn_blocking(|| keel_tests::redis_server::RedisCluster::start("ws")).await;
    let mut cluster = cluster.unwrap_or_else(|err| panic!("{err}"));
    let Some(stack) = stack_on("ws-cluster", Some(cluster.url())).await else { return };
    let (first, second) = (guidance(&stack, |_| {}).await, guidance(&stack, |_| {}).await);
    let mut a = connect(first.addr, &stack.token, true).await;
    let mut b = connect(second.addr, &stack.token, true).await;
    post_notice(&stack, None, "one").await;
    assert_eq!(expect_frame(&mut a, "notice").await["data"]["title"], "one");
    assert_eq!(expect_frame(&mut b, "notice").await["data"]["title"], "one");

    // The first seed (where both listeners are) dies; its replica takes over.
    let first_seed = cluster.ports[0];
    cluster.kill(first_seed);
    let what = format!("after losing :{first_seed}");
    both_hear_again(&stack, [&mut a, &mut b], Duration::from_secs(30), &what).await;
}

/// The probe serves HTTP routes and a socket (a `server_*` service): the
/// socket answers beside them, and `routes` lists it as WS.
#[tokio::test]
async fn a_server_service_answers_http_and_its_socket() {
    let router = keel_tests::probe::uri_router();
    assert!(router.table().iter().any(|(verb, url, _, _)| verb.as_str() == "WS" && url == "/v2.00.00/echo"));
    let pubsub = keel::pubsub::PubSub::in_process();
    let addr = keel_tests::serve(keel::App::new(router).pubsub(pubsub.clone())).await;
    let reply = match send(addr, "GET", "/v2.00.00/item/me", &[], None).await {
        Ok(reply) => reply,
        Err(err) => panic!("{err}"),
    };
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut client = match tokio_tungstenite::connect_async(format!("ws://{addr}/v2.00.00/echo")).await {
        Ok((client, _)) => client,
        Err(err) => panic!("{err}"),
    };
    send_text(&mut client, r#"{"type":"say","data":"hi"}"#).await;
    assert_eq!(expect_frame(&mut client, "echo").await["data"], "hi");

    // `follow` from a message handler: the connection relays that channel,
    // and a second `follow` switches channels.
    for (channel, other) in [("prb_room_a", "prb_room_b"), ("prb_room_b", "prb_room_a")] {
        send_text(&mut client, &format!(r#"{{"type":"follow","data":"{channel}"}}"#)).await;
        assert_eq!(expect_frame(&mut client, "following").await["data"], channel);
        let published = |to: &str| format!(r#"{{"type":"room","data":"{to}"}}"#);
        assert!(pubsub.publish(other, &published(other)).await.is_ok());
        assert!(pubsub.publish(channel, &published(channel)).await.is_ok());
        assert_eq!(expect_frame(&mut client, "room").await["data"], channel, "only the followed channel");
    }

    // A burst published faster than the client reads: the connection
    // relays what is waiting in batches, and every message arrives once,
    // in order.
    let burst = 300;
    for n in 0..burst {
        assert!(pubsub.publish("prb_room_b", &format!(r#"{{"type":"room","data":{n}}}"#)).await.is_ok());
    }
    for n in 0..burst {
        assert_eq!(expect_frame(&mut client, "room").await["data"], n, "message {n} of the burst");
    }
    assert!(next_frame(&mut client, Duration::from_millis(200)).await.is_none(), "nothing twice");
}

/// Open WebSockets on the server at `addr`, as its `/metrics` reports them.
async fn open_sockets(addr: SocketAddr) -> u64 {
    let reply = call_with(addr, None, "GET", "/metrics", None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let line = reply.body.lines().find_map(|line| line.strip_prefix("keel_ws_connections "));
    match line.map(str::parse) {
        Some(Ok(open)) => open,
        _ => panic!("no keel_ws_connections in {}", reply.body),
    }
}

/// A client that stops reading while messages are relayed to it: its
/// socket's buffers fill and the server's write blocks. The connection is
/// dropped once a write has stayed blocked for `ws_idle_timeout`. Before,
/// the blocked write also stopped the connection's pings, idle check and
/// shutdown, and the socket was held until the process stopped. The
/// socket also outlives `server.response_timeout`, which is for requests.
#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_after_the_idle_timeout() {
    let pubsub = keel::pubsub::PubSub::in_process();
    let mut config = Config::default();
    config.server.ws_ping_interval = 1;
    config.server.ws_idle_timeout = 2;
    config.server.response_timeout = 1;
    let app = keel::App::new(keel_tests::probe::uri_router()).pubsub(pubsub.clone()).config(config);
    let addr = keel_tests::serve(app).await;
    // A small receive buffer on the client's side, so that what is sent
    // fills the sockets' buffers whatever the machine's defaults.
    let socket = tokio::net::TcpSocket::new_v4().unwrap_or_else(|err| panic!("{err}"));
    socket.set_recv_buffer_size(4096).unwrap_or_else(|err| panic!("{err}"));
    let stream = socket.connect(addr).await.unwrap_or_else(|err| panic!("{err}"));
    let mut client = match tokio_tungstenite::client_async(
        format!("ws://{addr}/v2.00.00/echo"),
        tokio_tungstenite::MaybeTlsStream::Plain(stream),
    )
    .await
    {
        Ok((client, _)) => client,
        Err(err) => panic!("{err}"),
    };
    send_text(&mut client, r#"{"type":"follow","data":"prb_room_a"}"#).await;
    assert_eq!(expect_frame(&mut client, "following").await["data"], "prb_room_a");
    assert_eq!(open_sockets(addr).await, 1);
    // An open socket is not a request in progress: `server.response_timeout`
    // (1 s here) does not cut it. (A fixed wait: nothing must happen.)
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send_text(&mut client, r#"{"type":"say","data":"still here"}"#).await;
    assert_eq!(expect_frame(&mut client, "echo").await["data"], "still here");

    // 16 MiB in 256 messages of 64 KiB, far more than the two sockets'
    // buffers hold; the client reads none of it.
    let chunk = "x".repeat(64 * 1024);
    for _ in 0..256 {
        assert!(
            pubsub.publish("prb_room_a", &format!(r#"{{"type":"room","data":"{chunk}"}}"#)).await.is_ok()
        );
    }
    keel_tests::eventually(Duration::from_secs(15), "the client that stopped reading is dropped", || async {
        open_sockets(addr).await == 0
    })
    .await;
    // It was dropped for its blocked write, not closed as idle (which
    // comes with a close frame, after every message): reading now finds
    // part of the messages and then the end of the connection.
    let mut delivered = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, client.next()).await {
            Ok(Some(Ok(Message::Text(_)))) => delivered += 1,
            Ok(Some(Ok(Message::Close(frame)))) => panic!("closed with {frame:?}, not dropped"),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => break,
            Err(_) => panic!("the connection is still open on the client's side"),
        }
    }
    assert!(delivered < 256, "all {delivered} messages arrived: no write was ever blocked");
}
