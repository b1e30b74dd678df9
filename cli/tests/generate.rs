//! The generator as a user runs it, in a copy of this workspace: a service
//! of each kind, a handler and a table added, the refusals, then the
//! result built, linted, formatted, tested and booted — with no edit.
//!
//! The copy lives in `target/tmp/generator/` and builds into its own target
//! folder there (kept between runs, like trybuild's, so only the first run
//! pays for the dependencies).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KEEL: &str = env!("CARGO_BIN_EXE_keel");

/// What is copied: the workspace's manifests and every member's source.
const COPIED: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "rustfmt.toml",
    "clippy.toml",
    "naming",
    "macros",
    "runtime",
    "services",
    "migrations",
    "tests",
    "bench",
    "cli",
];

/// Copies `from` into `to`, keeping modification times (so the copy's
/// build stays incremental from one run to the next); skips build output.
fn copy(from: &Path, to: &Path) {
    let meta = std::fs::metadata(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    if meta.is_dir() {
        std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
        let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        for entry in entries.flatten() {
            let name = entry.file_name();
            if ["target", "logs", ".git"].iter().any(|skip| name == *skip) {
                continue;
            }
            copy(&entry.path(), &to.join(name));
        }
    } else {
        if let Some(parent) = to.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        if let (Ok(file), Ok(modified)) = (std::fs::File::options().write(true).open(to), meta.modified()) {
            let _ = file.set_modified(modified);
        }
    }
}

struct Copy {
    root: PathBuf,
    target: PathBuf,
}

impl Copy {
    fn new() -> Copy {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("generator");
        let root = base.join("workspace");
        let _ = std::fs::remove_dir_all(&root);
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for item in COPIED {
            copy(&source.join(item), &root.join(item));
        }
        Copy { root, target: base.join("target") }
    }

    fn keel(&self, args: &[&str]) -> Output {
        let output = Command::new(KEEL)
            .args(args)
            .current_dir(self.root.join("services"))
            .env("CARGO_TARGET_DIR", &self.target)
            .output();
        output.unwrap_or_else(|e| panic!("keel {args:?}: {e}"))
    }

    fn cargo(&self, args: &[&str]) -> Output {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(args)
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("KEEL_DATABASE__DEFAULT")
            .env_remove("KEEL_CACHE__DEFAULT")
            .output();
        output.unwrap_or_else(|e| panic!("cargo {args:?}: {e}"))
    }

    fn services(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join("services"))
            .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[track_caller]
fn succeeds(output: &Output) -> String {
    assert!(output.status.success(), "{}", text(output));
    text(output)
}

/// A refused command: exit 2, one line on stderr containing `expected`.
#[track_caller]
fn refused(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{}", text(output));
    assert!(stderr.trim().lines().count() == 1 && stderr.contains(expected), "{stderr}");
}

/// `GET path` on `addr`: the status line and body.
fn get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let _ = stream.write_all(request.as_bytes());
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn generated_services_of_every_kind_build_pass_clippy_and_their_tests_and_serve() {
    let ws = Copy::new();
    let before = ws.services();

    // Refused before anything is written: one line naming the holder or the rule.
    refused(
        &ws.keel(&["new", "service", "order", "--prefix", "sys", "--port", "8003"]),
        "prefix `sys` is taken by service `manage_system`",
    );
    refused(
        &ws.keel(&["new", "service", "order", "--prefix", "ord", "--port", "8001"]),
        "port 8001 is taken by service `manage_system`",
    );
    refused(
        &ws.keel(&["new", "service", "order", "--prefix", "ord", "--port", "8003", "--id", "2"]),
        "id 2 is taken by service `guidance`",
    );
    refused(
        &ws.keel(&["new", "service", "guidance", "--prefix", "gdc", "--port", "8003"]),
        "name `guidance` is taken by service `guidance`",
    );
    refused(
        &ws.keel(&["new", "service", "Order", "--prefix", "ord", "--port", "8003"]),
        "must be snake_case",
    );
    refused(
        &ws.keel(&["new", "service", "order", "--prefix", "o_rd", "--port", "8003"]),
        "prefix `o_rd` breaks the naming rule",
    );
    refused(
        &ws.keel(&[
            "new",
            "service",
            "order",
            "--prefix",
            "ord",
            "--port",
            "8003",
            "--kind",
            "ws",
            "--bin",
            "http_order",
        ]),
        "--kind is ws: name it `ws_order`",
    );
    assert_eq!(ws.services(), before, "a refused command wrote nothing");

    // One service of each kind, each with its first migration.
    for (name, prefix, port, kind) in [
        ("order", "ord", "8003", "http"),
        ("chat", "cht", "8004", "ws"),
        ("shop", "shp", "8005", "server"),
        ("clean", "cln", "8006", "service"),
    ] {
        let out =
            succeeds(&ws.keel(&["new", "service", name, "--prefix", prefix, "--port", port, "--kind", kind]));
        assert!(out.contains(&format!("migrations/{name}/0001_init.json")), "{out}");
    }
    let manifest = std::fs::read_to_string(ws.root.join("Cargo.toml")).unwrap_or_default();
    assert!(
        manifest.contains(
            "\"services/order\",\n    \"services/chat\",\n    \"services/shop\",\n    \"services/clean\",\n"
        ),
        "{manifest}"
    );
    let config = std::fs::read_to_string(ws.root.join("services/chat/src/config.rs")).unwrap_or_default();
    assert!(
        config.contains("name = \"chat\", id = 4, port = 8004, prefix = \"cht\""),
        "the next free id: {config}"
    );
    // Now taken by a generated one.
    refused(
        &ws.keel(&["new", "service", "other", "--prefix", "ord", "--port", "8100"]),
        "prefix `ord` is taken by service `order`",
    );

    // A handler and a table added to `order`; a handler refused where there is no uri_router.
    succeeds(&ws.keel(&["new", "api", "invoice", "--service", "order", "--path", "/invoice"]));
    let out = succeeds(&ws.keel(&["new", "table", "invoice", "--service", "order"]));
    assert!(out.contains("0002_invoice.json: create_table ord_invoice"), "{out}");
    refused(&ws.keel(&["new", "api", "x", "--service", "chat", "--path", "/x"]), "has no src/uri_router.rs");
    refused(
        &ws.keel(&["new", "table", "Bad", "--service", "order"]),
        "table name `Bad` breaks the naming rule",
    );

    let packages = ["-p", "order", "-p", "chat", "-p", "shop", "-p", "clean"];
    let tested = succeeds(&ws.cargo(&[&["test"][..], &packages].concat()));
    for test in [
        "the_item_route_answers_the_rows_of_the_table ... ok",
        "the_socket_answers_ping_with_pong ... ok",
        "the_script_runs_on_the_built_in_migrations ... ok",
        "models_match_the_migrations ... ok",
    ] {
        assert!(tested.contains(test), "{test}: {tested}");
    }
    succeeds(&ws.cargo(&[&["clippy"][..], &packages, &["--all-targets", "--", "-D", "warnings"]].concat()));
    succeeds(&ws.cargo(&[&["fmt", "--check"][..], &packages].concat()));

    // `cargo run --bin http_order` in the workspace: its route answers, the
    // added handler is routed (401 without a token, not 404).
    let mut child = Command::new(ws.target.join("debug/http_order"))
        .args(["serve", "--bind", "127.0.0.1", "--port", "0"])
        .current_dir(&ws.root)
        .env_remove("KEEL_HOME")
        .env_remove("KEEL_DATABASE__DEFAULT")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("http_order: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let line = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .find(|line| line.contains("listening on"));
    let addr =
        line.as_deref().and_then(|l| l.split("http://").nth(1)?.split_whitespace().next()).map(str::to_owned);
    let (items, invoice) = match &addr {
        Some(addr) => (get(addr, "/v1.00.00/item"), get(addr, "/v1.00.00/invoice")),
        None => (String::new(), String::new()),
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(items.starts_with("HTTP/1.1 200") && items.contains("\"total\":0"), "{line:?} {items}");
    assert!(invoice.starts_with("HTTP/1.1 401"), "{invoice}");
    let _ = std::fs::remove_dir_all(&ws.root);
}
