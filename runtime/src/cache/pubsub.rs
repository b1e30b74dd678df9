//! Notices across processes: a message published by any
//! process reaches the subscribers of every process, through Redis pub/sub
//! on a dedicated connection that subscribes again after a reconnect; with
//! no Redis configured, an in-process broadcast. Channel names follow the
//! naming rule (`keel::channel!("sys_notice")` checks one at compile time).

use crate::cache::CacheError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Messages kept per channel for a subscriber that falls behind.
const BACKLOG: usize = 1024;

/// Publish and subscribe; cheap to clone.
#[derive(Clone, Debug)]
pub struct PubSub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    local: Mutex<HashMap<String, broadcast::Sender<Arc<str>>>>,
    #[cfg(feature = "redis")]
    redis: Option<redis_side::RedisSide>,
}

impl PubSub {
    /// Within this process only.
    pub fn in_process() -> PubSub {
        PubSub {
            inner: Arc::new(Inner {
                local: Mutex::default(),
                #[cfg(feature = "redis")]
                redis: None,
            }),
        }
    }

    fn local(&self, channel: &str) -> broadcast::Sender<Arc<str>> {
        let mut local = self.inner.local.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        local.entry(channel.to_owned()).or_insert_with(|| broadcast::channel(BACKLOG).0).clone()
    }

    /// Sends `payload` to every subscriber of `channel`, in every process.
    pub async fn publish(&self, channel: &str, payload: &str) -> Result<(), CacheError> {
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.inner.redis {
            return redis.commands.publish(channel, payload).await;
        }
        // No subscriber is not an error: nobody is listening yet.
        let _ = self.local(channel).send(Arc::from(payload));
        Ok(())
    }

    /// The messages of `channel` from now on.
    pub fn subscribe(&self, channel: &str) -> broadcast::Receiver<Arc<str>> {
        let receiver = self.local(channel).subscribe();
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.inner.redis {
            let new = redis
                .channels
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(channel.to_owned());
            if new {
                let _ = redis.wake.send(channel.to_owned());
            }
        }
        receiver
    }
}

/// Everything that needs Redis: the listener and its shared state (keel's
/// `redis` feature, on by default).
#[cfg(feature = "redis")]
mod redis_side {
    use super::{Inner, PubSub};
    use crate::cache::{Cache, CacheError};
    use futures_util::StreamExt;
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::sync::mpsc;

    #[derive(Debug)]
    pub(super) struct RedisSide {
        /// The cache on the same Redis: publishing goes through its command
        /// connection (and its breaker).
        pub(super) commands: Cache,
        /// Channels the listener must be subscribed to.
        pub(super) channels: Arc<Mutex<BTreeSet<String>>>,
        /// Tells the listener about a new channel.
        pub(super) wake: mpsc::UnboundedSender<String>,
    }

    impl PubSub {
        /// Through Redis at `url`: publishes on the command connection of
        /// `commands` (a cache opened on the same URL), listens on a dedicated
        /// one (connected lazily, re-subscribed after every reconnect). Must be
        /// called inside a Tokio runtime.
        ///
        /// On a cluster (`redis+cluster://`) it listens on one node at a time,
        /// the next seed after a drop: a classic `PUBLISH` reaches every node.
        /// (keel's `redis` feature, on by default.)
        pub fn redis(url: &str, commands: Cache) -> Result<PubSub, CacheError> {
            let nodes = crate::cache::Target::parse(commands.name(), url)?.pubsub_nodes();
            let clients = nodes
                .iter()
                .map(|node| redis::Client::open(node.as_str()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CacheError::Config(format!("pub/sub: {e}")))?;
            let channels = Arc::new(Mutex::new(BTreeSet::new()));
            let (wake, woken) = mpsc::unbounded_channel();
            let inner = Arc::new(Inner {
                local: Mutex::default(),
                redis: Some(RedisSide { commands, channels: Arc::clone(&channels), wake }),
            });
            tokio::spawn(listen(clients, channels, woken, Arc::downgrade(&inner)));
            Ok(PubSub { inner })
        }
    }

    /// The dedicated connection: subscribe every known channel, forward what
    /// arrives to the local subscribers; on a drop, reconnect (to the next of
    /// `clients`) with backoff and subscribe again. Ends when the `PubSub` is gone.
    async fn listen(
        clients: Vec<redis::Client>,
        channels: Arc<Mutex<BTreeSet<String>>>,
        mut woken: mpsc::UnboundedReceiver<String>,
        inner: std::sync::Weak<Inner>,
    ) {
        let mut wait = Duration::from_millis(100);
        let mut down_since: Option<std::time::Instant> = None;
        for client in clients.iter().cycle() {
            if inner.strong_count() == 0 {
                return;
            }
            let connected = tokio::time::timeout(Duration::from_secs(1), client.get_async_pubsub()).await;
            let Ok(Ok(pubsub)) = connected else {
                if down_since.is_none() {
                    down_since = Some(std::time::Instant::now());
                    log::error!(target: crate::logging::FAILED, "pub/sub connection lost; reconnecting");
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
                continue;
            };
            wait = Duration::from_millis(100);
            let (mut sink, mut stream) = pubsub.split();
            let known: Vec<String> =
                channels.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().cloned().collect();
            let mut ok = true;
            for channel in &known {
                ok &= subscribed(sink.subscribe(channel)).await;
            }
            if !ok {
                // A node that accepts connections but does not answer: the next
                // one, after a pause.
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
                continue;
            }
            if let Some(since) = down_since.take() {
                log::error!(
                    target: crate::logging::FAILED,
                    "pub/sub connection back after {:.1} s; subscribed to {} channel(s)",
                    since.elapsed().as_secs_f64(),
                    known.len()
                );
            }
            loop {
                tokio::select! {
                    message = stream.next() => {
                        let Some(message) = message else { break };
                        let Some(inner) = inner.upgrade() else { return };
                        let channel = message.get_channel_name().to_owned();
                        let payload = String::from_utf8_lossy(message.get_payload_bytes()).into_owned();
                        let sender = inner.local.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&channel).cloned();
                        if let Some(sender) = sender {
                            let _ = sender.send(Arc::from(payload));
                        }
                    }
                    channel = woken.recv() => {
                        let Some(channel) = channel else { return };
                        if !subscribed(sink.subscribe(&channel)).await {
                            break;
                        }
                    }
                }
            }
            down_since = Some(std::time::Instant::now());
            log::error!(target: crate::logging::FAILED, "pub/sub connection lost; reconnecting");
        }
    }

    /// Whether a subscription was confirmed within a second.
    async fn subscribed(call: impl Future<Output = redis::RedisResult<()>>) -> bool {
        matches!(tokio::time::timeout(Duration::from_secs(1), call).await, Ok(Ok(())))
    }
}
