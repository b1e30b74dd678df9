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
    "dylib",
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

/// `GET path` on `addr` (with `extra` header lines): the status line and body.
fn get_with(addr: &str, path: &str, extra: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\n{extra}connection: close\r\n\r\n");
    let _ = stream.write_all(request.as_bytes());
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

fn get(addr: &str, path: &str) -> String {
    get_with(addr, path, "")
}

/// The workspace manifest and the migrations folders, to show a refused
/// command wrote nothing.
fn snapshot(ws: &Copy) -> (Vec<String>, String, Vec<String>) {
    let manifest = std::fs::read_to_string(ws.root.join("Cargo.toml")).unwrap_or_default();
    let mut migrations: Vec<String> = std::fs::read_dir(ws.root.join("migrations"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    migrations.sort();
    (ws.services(), manifest, migrations)
}

/// The `test result` line of each test binary run for `package`'s tests.
fn passed(output: &str, test: &str) -> usize {
    output.lines().filter(|line| line.starts_with(&format!("test {test} ... ok"))).count()
}

/// Starts `target/debug/<bin>` in `home` on a free port; its address.
fn start(ws: &Copy, bin: &str, home: &Path) -> (std::process::Child, Option<String>) {
    let mut child = Command::new(ws.target.join("debug").join(bin))
        .args(["serve", "--bind", "127.0.0.1", "--port", "0"])
        .current_dir(home)
        .env("KEEL_HOME", home)
        .env_remove("KEEL_DATABASE__DEFAULT")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let line = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .find(|line| line.contains("listening on"));
    let addr =
        line.as_deref().and_then(|l| l.split("http://").nth(1)?.split_whitespace().next()).map(str::to_owned);
    (child, addr)
}

#[test]
fn generated_services_of_every_kind_build_pass_clippy_and_their_tests_and_serve() {
    let ws = Copy::new();
    let before = snapshot(&ws);

    // Refused before anything is written: one line naming the holder or the rule.
    let new = |name: &str, prefix: &str, port: &str, extra: &[&str]| {
        ws.keel(&[&["new", "service", name, "--prefix", prefix, "--port", port][..], extra].concat())
    };
    refused(&new("order", "sys", "8003", &[]), "prefix `sys` is taken by service `manage_system`");
    refused(&new("order", "ord", "8001", &[]), "port 8001 is taken by service `manage_system`");
    refused(&new("order", "ord", "8003", &["--id", "2"]), "id 2 is taken by service `guidance`");
    refused(&new("order", "ord", "8003", &["--id", "0"]), "ids start at 1");
    refused(&new("order", "ord", "80", &[]), "below 1024");
    refused(&new("guidance", "gdc", "8003", &[]), "name `guidance` is taken by service `guidance`");
    refused(&new("Order", "ord", "8003", &[]), "must be snake_case");
    refused(&new("type", "ord", "8003", &[]), "`type` is a Rust keyword");
    refused(&new("serde", "ord", "8003", &[]), "the name of crate `serde`");
    refused(&new("keel_common", "ord", "8003", &[]), "the name of crate `keel-common`");
    refused(&new("order", "o_rd", "8003", &[]), "prefix `o_rd` breaks the naming rule");
    refused(
        &new("order", "ord", "8003", &["--kind", "ws", "--bin", "http_order"]),
        "--kind is ws: name it `ws_order`",
    );
    refused(
        &new("fanout", "fan", "8003", &["--kind", "ws"]),
        "binary `ws_fanout` is taken by package `keel-bench`",
    );
    refused(&new("order", "ord", "8003", &["--description", "say \"hi\""]), "one line of plain text");
    assert_eq!(snapshot(&ws), before, "a refused command wrote nothing");

    // `order` alone, tested alone: its first migration, written after its
    // first build, is compiled in (the build script reruns).
    let out = succeeds(&new("order", "ord", "8003", &[]));
    assert!(out.contains("migrations/order/0001_init.json"), "{out}");
    let tested = succeeds(&ws.cargo(&["test", "-p", "order"]));
    assert_eq!(passed(&tested, "models_match_the_migrations"), 1, "{tested}");
    assert_eq!(passed(&tested, "the_item_route_answers_the_rows_of_the_table"), 1, "{tested}");
    // A table added: its migration is compiled in at the next test run.
    let out = succeeds(&ws.keel(&["new", "table", "invoice", "--service", "order"]));
    assert!(out.contains("0002_invoice.json: create_table ord_invoice"), "{out}");
    succeeds(&ws.keel(&["new", "api", "invoice", "--service", "order", "--path", "/invoice"]));
    let tested = succeeds(&ws.cargo(&["test", "-p", "order", "--test", "service"]));
    assert_eq!(passed(&tested, "models_match_the_migrations"), 1, "{tested}");

    // One service of each other kind.
    for (name, prefix, port, kind) in [
        ("chat", "cht", "8004", "ws"),
        ("shop", "shp", "8005", "server"),
        ("clean", "cln", "8006", "service"),
    ] {
        let out = succeeds(&new(name, prefix, port, &["--kind", kind]));
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

    // Additions refused where they would clash or have no list to join.
    let before = snapshot(&ws);
    refused(&new("other", "ord", "8100", &[]), "prefix `ord` is taken by service `order`");
    refused(&ws.keel(&["new", "api", "x", "--service", "chat", "--path", "/x"]), "has no src/uri_router.rs");
    refused(&ws.keel(&["new", "api", "other", "--service", "order", "--path", "/item"]), "is taken by");
    refused(&ws.keel(&["new", "api", "invoice", "--service", "order", "--path", "/bill"]), "exists already");
    refused(
        &ws.keel(&["new", "table", "Bad", "--service", "order"]),
        "table name `Bad` breaks the naming rule",
    );
    refused(&ws.keel(&["new", "table", "a_b", "--service", "order"]), "reads as an acronym");
    // On manage_system's own files: tables in submodules, imported.
    refused(&ws.keel(&["new", "table", "account", "--service", "manage_system"]), "`Account` is taken in");
    refused(
        &ws.keel(&["new", "table", "session", "--service", "manage_system", "--no-migrate"]),
        "`Session` is taken in",
    );
    refused(
        &ws.keel(&["new", "api", "role_item", "--service", "manage_system", "--path", "/x"]),
        "already names `RoleItemHandler`",
    );
    assert_eq!(snapshot(&ws), before, "a refused addition wrote nothing");
    // …and a handler and a table that fit, in its real router and models lists.
    succeeds(&ws.keel(&["new", "api", "audit_trail", "--service", "manage_system", "--path", "/audit"]));
    succeeds(&ws.keel(&["new", "table", "audit", "--service", "manage_system", "--no-migrate"]));
    let router =
        std::fs::read_to_string(ws.root.join("services/manage_system/src/uri_router.rs")).unwrap_or_default();
    assert!(
        router.contains("use crate::interface::audit_trail::AuditTrailHandler;")
            && router.contains("RoleItemHandler, AuditTrailHandler"),
        "{router}"
    );
    let models =
        std::fs::read_to_string(ws.root.join("services/manage_system/src/db_model.rs")).unwrap_or_default();
    assert!(models.contains("pub struct Audit {") && models.contains("Role, Audit);"), "{models}");

    let packages = ["-p", "order", "-p", "chat", "-p", "shop", "-p", "clean"];
    let tested = succeeds(&ws.cargo(&[&["test"][..], &packages].concat()));
    assert_eq!(passed(&tested, "models_match_the_migrations"), 4, "{tested}");
    assert_eq!(passed(&tested, "the_item_route_answers_the_rows_of_the_table"), 2, "{tested}");
    assert_eq!(passed(&tested, "the_socket_answers_ping_with_pong"), 2, "{tested}");
    assert_eq!(passed(&tested, "the_script_runs_on_the_built_in_migrations"), 1, "{tested}");
    succeeds(&ws.cargo(&[&["clippy"][..], &packages, &["--all-targets", "--", "-D", "warnings"]].concat()));
    succeeds(&ws.cargo(&[&["fmt", "--check"][..], &packages].concat()));

    // `http_order` in an empty folder (its configuration and migrations are
    // built in): its route answers, the added handler is routed (401
    // without a token, not 404).
    let home = ws.root.join("empty-home");
    let _ = std::fs::create_dir_all(&home);
    let (mut child, addr) = start(&ws, "http_order", &home);
    let (items, invoice, with_token) = match &addr {
        Some(addr) => (
            get(addr, "/v1.00.00/item"),
            get(addr, "/v1.00.00/invoice"),
            // Its own database holds no sessions: a token is unknown here.
            get_with(addr, "/v1.00.00/invoice", &format!("authorization: Bearer {}\r\n", "ab".repeat(32))),
        ),
        None => (String::new(), String::new(), String::new()),
    };
    // The log writer flushes every 50 ms; the process is killed, not stopped.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    assert!(items.starts_with("HTTP/1.1 200") && items.contains("\"total\":0"), "{addr:?} {items}");
    assert!(invoice.starts_with("HTTP/1.1 401"), "{invoice}");
    assert!(with_token.starts_with("HTTP/1.1 401"), "{with_token}");
    let failed = std::fs::read_to_string(home.join("logs/order/failed.log")).unwrap_or_default();
    assert!(failed.contains("has no `keel_session` table"), "{failed}");
    let _ = std::fs::remove_dir_all(&ws.root);
}
