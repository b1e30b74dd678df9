//! The singleton entry (seed: `api_main.py`): `GET /v1.00.00/guide`,
//! upgraded to a WebSocket (DESIGN §7).
//!
//! A client authenticates with a manage_system token (`Authorization:
//! Bearer …` or `?token=…`) and receives `{"type":"notice","data":{topic,
//! title, body, created_at}}` for every notice posted to manage_system, on
//! every instance. It may send `{"type":"subscribe","data":{"topics":[…]}}`
//! (then it gets those topics plus notices without a topic) and
//! `{"type":"ping"}` (answered by `pong`).

use keel::prelude::*;
use keel::ws::{Socket, WsConn, WsError};
use keel_common::model_rc::{NOTICE_CHANNEL, Notice};
use std::sync::{Arc, Mutex};

/// Frames a client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Only these topics (plus notices without one) from now on.
    Subscribe(Subscribe),
    /// Answered by `{"type":"pong"}`.
    Ping,
}

/// `subscribe`'s data.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscribe {
    /// Topic names; an empty list means every notice again.
    pub topics: Vec<String>,
}

/// One client's subscription and the task pushing notices to it.
pub struct Guidance {
    topics: Arc<Mutex<Vec<String>>>,
    forwarder: tokio::task::JoinHandle<()>,
}

fn wanted(topics: &Mutex<Vec<String>>, notice: &str) -> bool {
    let topics = topics.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if topics.is_empty() {
        return true;
    }
    match serde_json::from_str::<Notice>(notice) {
        Ok(notice) => notice.topic.is_none_or(|topic| topics.contains(&topic)),
        Err(_) => false,
    }
}

/// Notices for signed-in clients.
#[keel::ws(path = "/guide", version = "1.00.00")]
impl Socket for GuideSocket {
    type In = ClientFrame;
    type State = Guidance;

    async fn open(conn: &WsConn) -> Result<Guidance, ApiError> {
        let topics = Arc::new(Mutex::new(Vec::new()));
        let mut notices = conn.state.pubsub.subscribe(NOTICE_CHANNEL);
        let (client, filter) = (conn.clone(), Arc::clone(&topics));
        let forwarder = tokio::spawn(async move {
            loop {
                match notices.recv().await {
                    Ok(notice) if wanted(&filter, &notice) => {
                        // The notice is JSON already: wrap it, no re-encoding.
                        if client.send_text(format!("{{\"type\":\"notice\",\"data\":{notice}}}")).is_err()
                            && !client.is_open()
                        {
                            return;
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        Ok(Guidance { topics, forwarder })
    }

    async fn message(conn: &WsConn, state: &mut Guidance, msg: ClientFrame) -> Result<(), WsError> {
        match msg {
            ClientFrame::Ping => conn.send("pong", &()),
            ClientFrame::Subscribe(Subscribe { topics }) => {
                if let Some(bad) = topics.iter().find(|t| t.is_empty() || t.len() > 64) {
                    return Err(WsError::bad_message(format!("topic `{bad}`: 1 to 64 characters")));
                }
                *state.topics.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = topics.clone();
                conn.send("subscribed", &serde_json::json!({ "topics": topics }))
            }
        }
    }

    async fn close(_conn: &WsConn, state: Guidance) {
        state.forwarder.abort();
    }
}
