//! ws_guidance on its defaults: it checks tokens in manage_system's
//! embedded database under the same home, and says so in one boot line —
//! or says what to run or set while that database has no sessions.

use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Starts ws_guidance in `home` and returns its first line on stdout.
async fn first_line(home: &Path) -> String {
    let mut child = match Command::new(env!("CARGO_BIN_EXE_ws_guidance"))
        .env("KEEL_HOME", home)
        .env("KEEL_SERVER__BIND", "127.0.0.1")
        .env("KEEL_SERVER__PORT", "0")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(err) => panic!("ws_guidance: {err}"),
    };
    let Some(stdout) = child.stdout.take() else { panic!("no stdout") };
    let mut lines = BufReader::new(stdout).lines();
    match tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await {
        Ok(Ok(Some(line))) => line,
        other => panic!("no boot line from ws_guidance: {other:?}"),
    }
}

#[tokio::test]
async fn on_its_defaults_it_shares_manage_systems_embedded_database() {
    let home = match keel::testing::TempHome::new("guidance-defaults") {
        Ok(home) => home,
        Err(err) => panic!("{err}"),
    };
    // The service's own defaults, as in a checkout.
    let config = home.join("services/guidance/config");
    let copied = std::fs::create_dir_all(&config).and_then(|()| {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml"),
            config.join("default.toml"),
        )
    });
    if let Err(err) = copied {
        panic!("copy default.toml: {err}");
    }

    let line = first_line(&home).await;
    assert!(line.contains("start manage_system from the same home first"), "{line}");
    assert!(line.contains("KEEL_DATABASE__DEFAULT"), "{line}");

    // manage_system boots in the same home and creates its embedded database.
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/manage_system");
    let booted =
        manage_system::uri_router::app().home(home.path()).migrations(migrations).bind("127.0.0.1:0").await;
    if let Err(err) = booted {
        panic!("manage_system: {err}");
    }
    let line = first_line(&home).await;
    assert!(line.contains("checking tokens in database `default`, shared with manage_system"), "{line}");
}
