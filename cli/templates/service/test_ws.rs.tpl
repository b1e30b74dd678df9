//! `{{bin}}` as a process: boots in an empty folder (its configuration and
//! migrations are built in), then a client opens the socket and pings.

use futures_util::{SinkExt, StreamExt};
use std::io::BufRead;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn the_socket_answers_ping_with_pong() {
    let home = keel::testing::TempHome::new("{{bin}}").expect("a temporary home");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_{{bin}}"))
        .args(["serve", "--bind", "127.0.0.1", "--port", "0"])
        .env("KEEL_HOME", home.path())
        .env_remove("KEEL_DATABASE__DEFAULT")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("its stdout");
    // "{{name}} {{version}} listening on http://127.0.0.1:<port> (logs in …)"
    let addr = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.contains("listening on"))
        .and_then(|line| line.split("http://").nth(1)?.split_whitespace().next().map(str::to_owned));
    let Some(addr) = addr else {
        let _ = child.kill();
        panic!("{{bin}} did not start listening");
    };
    let talk = async {
        let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v{{version}}/live")).await?;
        socket.send(Message::text(r#"{"type":"ping"}"#)).await?;
        socket.next().await.transpose()
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), talk).await;
    let _ = child.kill();
    let _ = child.wait();
    let frame = answer.expect("answers within 10 s").expect("a frame").expect("not closed");
    assert!(frame.to_text().is_ok_and(|text| text.contains("\"pong\"")), "{frame:?}");
}{{ws_models_check}}
