// #[keel::ws] follows #[api]'s path and version rules and goes on an impl
// of keel::ws::Socket; channel names follow the naming rule.

use keel::prelude::*;
use keel::ws::{Socket, WsConn, WsError};

#[keel::ws(path = "/Guide/", version = "1.0")]
impl Socket for BadSocket {
    type In = ();
    type State = ();
    async fn open(_conn: &WsConn) -> Result<(), ApiError> {
        Ok(())
    }
    async fn message(_conn: &WsConn, _state: &mut (), _msg: ()) -> Result<(), WsError> {
        Ok(())
    }
}

pub struct Plain;

#[keel::ws(path = "/plain")]
impl Plain {
    async fn get() {}
}

const BAD_CHANNEL: &str = keel::channel!("Notice");
const NO_PREFIX: &str = keel::channel!("notices");

fn main() {}
