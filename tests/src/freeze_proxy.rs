//! A loopback TCP proxy that can freeze: while frozen it accepts and reads
//! but forwards nothing, in either direction — a database that hangs
//! (SIGSTOPped, partitioned) rather than one that refuses. Thawed, it
//! forwards what it held, so connections carry on in step.

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy; it stops with the test's runtime.
pub struct FreezeProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    frozen: Arc<watch::Sender<bool>>,
}

impl FreezeProxy {
    /// Forwards `127.0.0.1:<ephemeral>` to `upstream`.
    pub async fn start(upstream: SocketAddr) -> FreezeProxy {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(err) => panic!("proxy bind: {err}"),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(err) => panic!("proxy address: {err}"),
        };
        let frozen = Arc::new(watch::Sender::new(false));
        let switch = Arc::clone(&frozen);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let switch = Arc::clone(&switch);
                tokio::spawn(async move {
                    thawed(&switch).await;
                    let Ok(server) = TcpStream::connect(upstream).await else { return };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::spawn(pump(client_read, server_write, Arc::clone(&switch)));
                    pump(server_read, client_write, switch).await;
                });
            }
        });
        FreezeProxy { addr, frozen }
    }

    /// Stops forwarding (connections stay open).
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Forwards again, what was held first.
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }

    /// `url` (`scheme://user@host:port/db`) pointed at the proxy.
    pub fn url_for(&self, url: &str) -> String {
        let (head, rest) = url.split_once('@').unwrap_or(("", url));
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        format!("{head}@{}{path}", self.addr)
    }
}

/// The `host:port` of `url` (`scheme://user@host:port/db`).
pub fn upstream_of(url: &str) -> SocketAddr {
    let rest = url.split_once('@').map_or(url, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or_default();
    match host.parse() {
        Ok(addr) => addr,
        Err(err) => panic!("`{host}` in {url} is not ip:port: {err}"),
    }
}

async fn thawed(switch: &watch::Sender<bool>) {
    let mut state = switch.subscribe();
    let _ = state.wait_for(|frozen| !*frozen).await;
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    switch: Arc<watch::Sender<bool>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        thawed(&switch).await;
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
