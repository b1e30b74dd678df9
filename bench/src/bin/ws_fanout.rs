//! Broadcast to many WebSocket clients: keel's socket (pub/sub read by
//! each connection's task) against the same fan-out written directly on
//! salvo's WebSocket support (a broadcast channel read by each connection
//! task), in one process, on loopback.
//!
//! `ws_fanout [clients [messages]]` (defaults 1000 and 100). Both servers
//! run side by side; `ROUNDS` rounds (default 6) each broadcast to bare
//! salvo and to keel, which one first alternating. Prints, per run,
//! deliveries per second and the delivery latency p50 / p99, then the
//! median keel/bare ratios with their spread; with `REDIS_URL` set it adds
//! keel across two instances, half the clients on each, messages through
//! Redis pub/sub. `ONLY=keel` (or `bare`) runs one side, for a profiler.
//!
//! `WS_SERVER=127.0.0.1:PORT REDIS_URL=… ws_fanout` measures a server
//! running elsewhere instead (keel's `ws_feed` or the Sanic app, from
//! `bench/sanic.sh`): the clients connect to its `/v1.00.00/feed`, the
//! messages are published on `bch_feed` through Redis, and one line is
//! printed: `external: …`.

use futures_util::StreamExt;
use salvo::conn::Acceptor;
use salvo::prelude::*;
use salvo::websocket::{Message, WebSocketUpgrade};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Time zero of every timestamp in the payloads.
static EPOCH: OnceLock<Instant> = OnceLock::new();

fn micros() -> u64 {
    u64::try_from(EPOCH.get_or_init(Instant::now).elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The bare server's broadcast, a fresh channel each round: its connection
/// tasks never read, so they do not see their client's close; they end when
/// the channel's sender goes, instead of writing to dead sockets during the
/// next round.
static BARE_FEED: Mutex<Option<broadcast::Sender<Arc<str>>>> = Mutex::new(None);

fn bare_sender() -> Option<broadcast::Sender<Arc<str>>> {
    BARE_FEED.lock().ok()?.clone()
}

#[handler]
async fn bare_feed(req: &mut Request, res: &mut Response) {
    let Some(mut feed) = bare_sender().map(|sender| sender.subscribe()) else { return };
    let _ = WebSocketUpgrade::new()
        .upgrade(req, res, move |mut ws| async move {
            while let Ok(message) = feed.recv().await {
                let frame = format!("{{\"type\":\"feed\",\"data\":{message}}}");
                if ws.send(Message::text(frame)).await.is_err() {
                    return;
                }
            }
        })
        .await;
}

async fn serve_bare() -> SocketAddr {
    let acceptor = TcpListener::new("127.0.0.1:0").bind().await;
    let addr = acceptor.holdings().first().and_then(|h| h.local_addr.clone().into_std()).expect("bound");
    let router = Router::with_path("v1.00.00/feed").goal(bare_feed);
    tokio::spawn(Server::new(acceptor).serve(router));
    addr
}

async fn serve_keel(pubsub: Option<keel::pubsub::PubSub>, redis: Option<&str>) -> keel::RunningServer {
    let mut config = keel::config::Config::default();
    if let Some(url) = redis {
        config.cache.insert("default".to_owned(), keel::config::BackendEntry::Url(url.to_owned()));
    }
    let mut app = keel::App::new(keel_bench::feed_router()).config(config);
    if let Some(pubsub) = pubsub {
        app = app.pubsub(pubsub);
    }
    app.bind("127.0.0.1:0").await.expect("keel boots")
}

/// Connects `count` clients to each address in turn; returns their latency
/// records once `messages` arrived at each (or 10 s passed).
async fn clients(
    addrs: &[SocketAddr],
    count: usize,
    messages: usize,
) -> Vec<tokio::task::JoinHandle<(Vec<u64>, u64)>> {
    let mut handles = Vec::with_capacity(count);
    for n in 0..count {
        let url = format!("ws://{}/v1.00.00/feed", addrs[n % addrs.len()]);
        // A small read window: tungstenite zero-fills the window before
        // each read, and 1 000 clients at 128 KiB each would make the
        // harness, not the server, the bottleneck.
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false)
            .await
            .expect("client connects");
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(messages);
            let mut last = 0;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while latencies.len() < messages {
                let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, ws.next()).await else { break };
                if let tokio_tungstenite::tungstenite::Message::Text(text) = frame {
                    let sent = text
                        .split("\"sent\":")
                        .nth(1)
                        .and_then(|t| t.trim_end_matches("}}").parse::<u64>().ok());
                    if let Some(sent) = sent {
                        last = micros();
                        latencies.push(last.saturating_sub(sent));
                    }
                }
            }
            let _ = ws.close(None).await;
            (latencies, last)
        }));
    }
    handles
}

struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    delivered: usize,
}

async fn run<F, Fut>(addrs: &[SocketAddr], count: usize, messages: usize, publish: F) -> Figures
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let handles = clients(addrs, count, messages).await;
    // Let every connection subscribe before the first message.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = micros();
    for seq in 0..messages {
        publish(format!("{{\"seq\":{seq},\"sent\":{}}}", micros())).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (mut all, mut last) = (Vec::new(), started);
    for handle in handles {
        let (latencies, received) = handle.await.unwrap_or_default();
        all.extend(latencies);
        last = last.max(received);
    }
    // Let the clients' closing handshakes finish before the next run.
    tokio::time::sleep(Duration::from_secs(1)).await;
    // From the first publish to the last delivery.
    let elapsed = (last - started) as f64 / 1e6;
    all.sort_unstable();
    let pick =
        |q: f64| all.get(((all.len() as f64 - 1.0) * q) as usize).map_or(f64::NAN, |us| *us as f64 / 1000.0);
    Figures {
        per_second: all.len() as f64 / elapsed,
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
        delivered: all.len(),
    }
}

fn print(name: &str, f: &Figures, expected: usize) {
    println!(
        "{name:<28} {:>10.0} deliveries/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  ({} of {expected} delivered)",
        f.per_second, f.p50_ms, f.p99_ms, f.max_ms, f.delivered
    );
}

/// One broadcast run to the servers at `addrs`, published through the Redis
/// at `url`.
async fn through_redis(addrs: &[SocketAddr], url: &str, count: usize, messages: usize) -> Figures {
    let commands = keel::cache::Cache::open("default", url, Vec::new()).expect("redis URL");
    let publisher = keel::pubsub::PubSub::redis(url, commands).expect("redis URL");
    run(addrs, count, messages, |payload| {
        let publisher = publisher.clone();
        async move {
            let _ = publisher.publish(keel_bench::FEED_CHANNEL, &payload).await;
        }
    })
    .await
}

/// The median of `values` with its smallest and largest.
fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
    (median, values[0], values[n - 1])
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let messages: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(6).max(1);
    // `ONLY=keel` or `ONLY=bare`: one side only, for a profiler.
    let only = std::env::var("ONLY").unwrap_or_default();
    let expected = count * messages;
    micros();
    if let Ok(server) = std::env::var("WS_SERVER") {
        let addr: SocketAddr = server.parse().expect("WS_SERVER is HOST:PORT");
        let url = std::env::var("REDIS_URL").expect("WS_SERVER needs REDIS_URL to publish through");
        print("external", &through_redis(&[addr], &url, count, messages).await, expected);
        return;
    }
    println!(
        "{count} clients, {messages} messages, one every 10 ms, loopback; {rounds} rounds, keel and bare interleaved"
    );

    let bare = serve_bare().await;
    let pubsub = keel::pubsub::PubSub::in_process();
    let keel_server = serve_keel(Some(pubsub.clone()), None).await;
    let publish_bare = |payload: String| async move {
        if let Some(feed) = bare_sender() {
            let _ = feed.send(Arc::from(payload));
        }
    };
    let publish_keel = |payload: String| {
        let pubsub = pubsub.clone();
        async move {
            let _ = pubsub.publish(keel_bench::FEED_CHANNEL, &payload).await;
        }
    };
    let (mut rates, mut tails, mut lost) = (Vec::new(), Vec::new(), false);
    for round in 0..rounds {
        // Which side goes first alternates, so neither always runs on a
        // warmer (or more fragmented) process.
        let keel_first = round % 2 == 1;
        let mut bare_figures = None;
        let mut keel_figures = None;
        for side in if keel_first { ["keel", "bare"] } else { ["bare", "keel"] } {
            if !only.is_empty() && only != side {
                continue;
            }
            if side == "bare" {
                if let Ok(mut feed) = BARE_FEED.lock() {
                    *feed = Some(broadcast::channel(1024).0);
                }
                let figures = run(&[bare], count, messages, publish_bare).await;
                print(&format!("{round}: bare salvo"), &figures, expected);
                bare_figures = Some(figures);
            } else {
                let figures = run(&[keel_server.addr], count, messages, publish_keel).await;
                print(&format!("{round}: keel"), &figures, expected);
                keel_figures = Some(figures);
            }
        }
        for figures in bare_figures.iter().chain(&keel_figures) {
            lost |= figures.delivered < expected;
        }
        if let (Some(bare), Some(keel)) = (bare_figures, keel_figures) {
            rates.push(keel.per_second / bare.per_second);
            tails.push(keel.p99_ms / bare.p99_ms);
        }
    }
    if !rates.is_empty() {
        let (median, low, high) = spread(rates);
        println!(
            "keel/bare deliveries per second: median {median:.3} (spread {low:.3}–{high:.3} over {rounds} rounds)"
        );
        let (median, low, high) = spread(tails);
        println!(
            "keel/bare p99 latency: median {median:.3} (spread {low:.3}–{high:.3} over {rounds} rounds)"
        );
    }
    if lost {
        println!("messages lost: some client missed a message (see the rounds above)");
    }
    keel_server.stop_graceful(Duration::from_secs(1));

    if let Ok(url) = std::env::var("REDIS_URL") {
        let (first, second) = (serve_keel(None, Some(&url)).await, serve_keel(None, Some(&url)).await);
        let figures = through_redis(&[first.addr, second.addr], &url, count, messages).await;
        print("keel, two instances (Redis)", &figures, expected);
    }
}
