//! The singleton entry (seed: `api_main.py`): `GET /v1.00.00/guide`,
//! upgraded to a WebSocket (the HTTP contract in the README).
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

/// Whether a client subscribed to `topics` (none: every notice) wants
/// `notice`; notices without a topic go to everyone.
fn wanted(topics: &[String], notice: &str) -> bool {
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
    /// The topics the client subscribed to; empty for every notice.
    type State = Vec<String>;

    async fn open(conn: &WsConn) -> Result<Vec<String>, ApiError> {
        conn.follow(NOTICE_CHANNEL);
        Ok(Vec::new())
    }

    fn relay(_conn: &WsConn, topics: &mut Vec<String>, notice: &str) -> Option<String> {
        // The notice is JSON already: wrap it, no re-encoding.
        wanted(topics, notice).then(|| format!("{{\"type\":\"notice\",\"data\":{notice}}}"))
    }

    async fn message(conn: &WsConn, topics: &mut Vec<String>, msg: ClientFrame) -> Result<(), WsError> {
        match msg {
            ClientFrame::Ping => conn.send("pong", &()),
            ClientFrame::Subscribe(Subscribe { topics: wanted }) => {
                if let Some(bad) = wanted.iter().find(|t| t.is_empty() || t.len() > 64) {
                    return Err(WsError::bad_message(format!("topic `{bad}`: 1 to 64 characters")));
                }
                *topics = wanted;
                conn.send("subscribed", &serde_json::json!({ "topics": topics }))
            }
        }
    }
}
