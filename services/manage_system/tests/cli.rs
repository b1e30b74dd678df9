//! The binary's commands: `routes` and `openapi` need no database,
//! network or configuration.

use std::process::Command;

fn run(args: &[&str]) -> String {
    let output = match Command::new(env!("CARGO_BIN_EXE_http_manage_sys"))
        .args(args)
        // A home without config or logs: the commands must not need them.
        .env("KEEL_HOME", std::env::temp_dir().join("keel-cli-no-home"))
        .output()
    {
        Ok(output) => output,
        Err(err) => panic!("http_manage_sys {args:?}: {err}"),
    };
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn routes_prints_verb_url_handler_and_access() {
    let table = run(&["routes"]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["VERB", "URL", "HANDLER", "ACCESS"]);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    assert!(rows.contains(&vec!["GET", "/v1.00.02/test", "TestHandler", "public"]), "{table}");
    assert!(rows.contains(&vec!["GET", "/v1.00.02/account/me", "AccountMeHandler", "signed-in"]), "{table}");
    assert!(
        rows.contains(&vec!["PUT", "/v1.00.02/account/{id}", "AccountItemHandler", "account.write"]),
        "{table}"
    );
    assert!(
        rows.contains(&vec!["GET", "/v1.00.02/records/login", "LoginRecordHandler", "records.read"]),
        "{table}"
    );
    assert!(rows.contains(&vec!["GET", "/health", "health", "public"]), "{table}");
    assert!(rows.contains(&vec!["GET", "/docs", "docs", "public"]), "{table}");
    // Every route says who may call it.
    assert!(rows.iter().all(|r| r.len() == 4), "{table}");
}

#[test]
fn openapi_prints_a_valid_document_with_legal_component_names() {
    let text = run(&["openapi"]);
    let doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(doc) => doc,
        Err(err) => panic!("not JSON ({err}): {text}"),
    };
    assert_eq!(doc["info"]["title"], "manage_system");
    assert_eq!(doc["info"]["version"], "1.00.02");
    assert_eq!(doc["servers"][0]["url"], "/");
    // One envelope component; parameters and bodies carry the server's limits.
    assert!(doc["components"]["schemas"]["Envelope"]["required"].is_array(), "{}", doc["components"]);
    let list = &doc["paths"]["/v1.00.02/account"]["get"]["parameters"];
    let size =
        list.as_array().and_then(|p| p.iter().find(|p| p["name"] == "size")).cloned().unwrap_or_default();
    assert_eq!(
        (size["schema"]["minimum"].as_f64(), size["schema"]["maximum"].as_f64()),
        (Some(1.0), Some(100.0)),
        "{size}"
    );
    let new_account = &doc["components"]["schemas"]["NewAccount"]["properties"];
    assert_eq!(new_account["username"]["pattern"], "^[A-Za-z0-9_.-]{3,32}$", "{new_account}");
    assert_eq!(new_account["password"]["minLength"], 8, "{new_account}");
    let put = &doc["paths"]["/v1.00.02/account/{id}"]["put"];
    assert_eq!(put["x-keel-permission"], "account.write", "{put}");
    assert!(put["responses"]["401"].is_object() && put["responses"]["403"].is_object(), "{put}");
    let test = &doc["paths"]["/v1.00.02/test"]["get"];
    assert_eq!(test["x-keel-permission"], "public");
    assert!(test["responses"]["403"].is_null(), "{test}");
    assert_eq!(test["summary"], "Service identity and time.");
    let data =
        &test["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][1]["properties"]["data"];
    assert_eq!(data["$ref"], "#/components/schemas/TestView");
    let schemas = doc["components"]["schemas"].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    for name in schemas.unwrap_or_default() {
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "illegal component name {name}"
        );
    }
}

/// Each operation lists exactly the statuses its route can answer: the
/// success status from the handler's return type, 400/500/503 everywhere,
/// 401/403 when protected, 404 with a path parameter, 408/413 with a body,
/// 409 on writes, 401/403/429 where login limits count (a sign-in route).
#[test]
fn openapi_lists_the_statuses_each_route_answers() {
    let doc: serde_json::Value = serde_json::from_str(&run(&["openapi"])).unwrap_or_default();
    let table: &[(&str, &str, &[&str])] = &[
        ("/v1.00.02/test", "get", &["200", "400", "500", "503"]),
        ("/v1.00.02/login", "post", &["200", "400", "401", "403", "408", "409", "413", "429", "500", "503"]),
        ("/v1.00.02/logout", "post", &["200", "400", "401", "403", "409", "500", "503"]),
        ("/v1.00.02/account", "post", &["201", "400", "401", "403", "408", "409", "413", "500", "503"]),
        ("/v1.00.02/account", "get", &["200", "400", "401", "403", "500", "503"]),
        ("/v1.00.02/account/{id}", "get", &["200", "400", "401", "403", "404", "500", "503"]),
        (
            "/v1.00.02/account/{id}",
            "put",
            &["200", "400", "401", "403", "404", "408", "409", "413", "500", "503"],
        ),
        ("/v1.00.02/account/me", "put", &["200", "400", "401", "403", "408", "409", "413", "500", "503"]),
        ("/v1.00.02/role", "post", &["201", "400", "401", "403", "408", "409", "413", "500", "503"]),
        ("/v1.00.02/notice", "post", &["202", "400", "401", "403", "408", "409", "413", "500", "503"]),
    ];
    for (path, method, statuses) in table {
        let responses = doc["paths"][path][method]["responses"].as_object();
        let mut listed: Vec<&str> =
            responses.map(|r| r.keys().map(String::as_str).collect()).unwrap_or_default();
        listed.sort_unstable();
        assert_eq!(&listed, statuses, "{method} {path}");
    }
    // 400 covers both shapes: 40000 with `data: null`, 40001 with errors.
    let bad = &doc["paths"]["/v1.00.02/login"]["post"]["responses"]["400"]["content"]["application/json"];
    let shapes = &bad["schema"]["allOf"][1]["properties"]["data"]["oneOf"];
    assert_eq!(shapes[0]["type"], "null", "{bad}");
    assert!(shapes[1]["properties"]["errors"].is_object(), "{bad}");
}

/// Runs `http_manage_sys db …` in `home`; returns (success, stdout, stderr).
fn db(home: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_http_manage_sys"));
    command.arg("db").args(args).env("KEEL_HOME", home).env_remove("KEEL_DATABASE__DEFAULT");
    for (key, value) in env {
        command.env(key, value);
    }
    match command.output() {
        Ok(output) => (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
        Err(err) => panic!("http_manage_sys db {args:?}: {err}"),
    }
}

/// The committed migrations, in order: `(file name, text)`.
fn committed_migrations() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/manage_system");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let text = std::fs::read_to_string(e.path()).ok()?;
                    name.ends_with(".json").then_some((name, text))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The committed migrations match the models: from every file but the
/// last, `db migrate --name <last>` writes the last byte for byte, and run
/// again without applying anything finds no changes. `--dry-run` prints
/// the configured dialect's SQL and writes nothing; `init-db` refuses once
/// files exist; a bad `--name` is refused.
#[test]
fn migrate_writes_one_file_then_finds_no_changes() {
    let home = std::env::temp_dir().join(format!("keel-cli-migrate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let dir = home.join("migrations/manage_system");
    let committed = committed_migrations();
    let Some(((last_file, last_text), earlier)) = committed.split_last() else {
        panic!("no committed migrations");
    };
    assert!(!earlier.is_empty(), "{committed:?}");

    let pg = [("KEEL_DATABASE__DEFAULT", "postgres://nobody@127.0.0.1:9/none")];
    let (ok, out, err) = db(&home, &["migrate", "--dry-run"], &pg);
    assert!(ok, "{err}");
    assert!(
        out.contains("-- 0001_init (upgrade, postgres") && out.contains("id BIGSERIAL PRIMARY KEY"),
        "{out}"
    );
    assert!(out.contains("DROP TABLE sys_account;") && !dir.exists(), "{out}");

    if let Err(err) = std::fs::create_dir_all(&dir) {
        panic!("{err}");
    }
    for (name, text) in earlier {
        if let Err(err) = std::fs::write(dir.join(name), text) {
            panic!("{err}");
        }
    }
    // `0004_roles.json` → `roles`.
    let last_name = last_file.trim_end_matches(".json").split_once('_').map_or("", |(_, n)| n);
    let (ok, out, err) = db(&home, &["migrate", "--name", last_name], &[]);
    assert!(ok && out.contains(last_file.as_str()), "{out}{err}");
    let written = std::fs::read_to_string(dir.join(last_file)).unwrap_or_default();
    assert_eq!(&written, last_text, "the committed migrations are out of date with the models");

    let (ok, out, err) = db(&home, &["migrate", "--name", "again"], &[]);
    assert!(ok && out.starts_with("No changes"), "{out}{err}");
    let files = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or_default();
    assert_eq!(files, committed.len());

    let (ok, _, err) = db(&home, &["init-db"], &[]);
    let refused = format!("already has {} migration(s)", committed.len());
    assert!(!ok && err.contains(&refused) && err.contains("db upgrade"), "{err}");

    let (ok, _, err) = db(&home, &["migrate", "--name", "Bad Name"], &[]);
    assert!(!ok && err.contains("--name `Bad Name`"), "{err}");
    let _ = std::fs::remove_dir_all(&home);
}

/// In a fresh home the binary applies its built-in migrations; `history`
/// and `heads` then say so, one line each, and `downgrade` reverts them.
/// `init-db` there writes a first migration of its own, which disagrees
/// with the built-in ones: every command after it names the file.
#[test]
fn upgrade_then_history_and_heads_and_init_db_beside_built_in_migrations() {
    let home = std::env::temp_dir().join(format!("keel-cli-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let (ok, out, err) = db(&home, &["upgrade"], &[]);
    assert!(
        ok && out.contains("applied 0001_init") && out.contains("applied 0005_native_times"),
        "{out}{err}"
    );
    let (ok, out, err) = db(&home, &["history"], &[]);
    assert!(ok && out.starts_with("0001_init  applied 20") && out.lines().count() == 5, "{out}{err}");
    let (ok, out, err) = db(&home, &["heads"], &[]);
    assert!(ok && out.trim() == "database `default` is up to date (0005_native_times)", "{out}{err}");
    let (ok, out, err) = db(&home, &["downgrade", "--to", "0", "--dry-run"], &[]);
    assert!(ok && out.contains("DROP TABLE sys_records_login;"), "{out}{err}");
    let (ok, out, err) = db(&home, &["downgrade", "--to", "0"], &[]);
    assert!(ok && out.contains("reverted 0001_init"), "{out}{err}");
    let (ok, out, err) = db(&home, &["heads"], &[]);
    assert!(ok && out.lines().next() == Some("0001_init  pending"), "{out}{err}");

    let (ok, out, err) = db(&home, &["init-db"], &[]);
    assert!(ok && out.contains("wrote") && out.contains("0001_init"), "{out}{err}");
    let (ok, _, err) = db(&home, &["heads"], &[]);
    assert!(!ok && err.contains("0001_init.json differs from the migration built into this binary"), "{err}");
    let _ = std::fs::remove_dir_all(&home);
}

/// `script --list` shows scripts and jobs; a one-off `script_…` runs once
/// and refuses a second run; a `rescript_…` runs whenever asked, logging to
/// the service's info.log.
#[test]
fn one_off_scripts_run_once_and_reusable_ones_again() {
    let home = std::env::temp_dir().join(format!("keel-cli-script-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let script = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_http_manage_sys"))
            .arg("script")
            .args(args)
            .env("KEEL_HOME", &home)
            .env_remove("KEEL_DATABASE__DEFAULT")
            .env_remove("KEEL_CACHE__DEFAULT")
            .output();
        match output {
            Ok(o) => (
                o.status.success(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            ),
            Err(err) => panic!("{err}"),
        }
    };
    let (ok, out, _) = script(&["--list"]);
    assert!(ok && out.contains("script_fill_display_names") && out.contains("purge_login_records"), "{out}");
    let (ok, _, err) = db(&home, &["upgrade"], &[]);
    assert!(ok, "{err}");
    let (ok, out, err) = script(&["script_fill_display_names"]);
    assert!(ok && out.contains("ran in"), "{out}{err}");
    let (ok, _, err) = script(&["script_fill_display_names"]);
    assert!(!ok && err.contains("already ran") && err.contains("rescript_"), "{err}");
    for _ in 0..2 {
        let (ok, out, err) = script(&["rescript_purge_login_records"]);
        assert!(ok, "{out}{err}");
    }
    let info = std::fs::read_to_string(home.join("logs/manage_system/info.log")).unwrap_or_default();
    assert_eq!(info.matches("purged 0 login record(s) older than 90 days").count(), 2, "{info}");
    let (ok, _, err) = script(&["script_nothing_like_it"]);
    assert!(!ok && err.contains("no script `script_nothing_like_it`"), "{err}");
    let _ = std::fs::remove_dir_all(&home);
}

/// `service_manage_sys` (no external interface) boots, runs its jobs —
/// here `refresh_account_stats` every second, set from the environment —
/// logs them, and stops cleanly on SIGTERM.
#[test]
fn the_service_binary_runs_jobs_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let home = std::env::temp_dir().join(format!("keel-cli-service-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let bin = env!("CARGO_BIN_EXE_service_manage_sys");
    let init = Command::new(bin).args(["db", "upgrade"]).env("KEEL_HOME", &home).output();
    assert!(init.as_ref().is_ok_and(|o| o.status.success()), "{init:?}");
    let child = Command::new(bin)
        .env("KEEL_HOME", &home)
        .env("KEEL_JOBS__REFRESH_ACCOUNT_STATS", "* * * * * *")
        .env_remove("KEEL_DATABASE__DEFAULT")
        .env_remove("KEEL_CACHE__DEFAULT")
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) => panic!("{err}"),
    };
    let mut first = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut first);
    }
    assert!(
        first.contains("running jobs [purge_login_records, refresh_account_stats], no external interface"),
        "{first}"
    );
    // Two runs in info.log (the writer flushes every 50 ms), within a deadline.
    let info_log = home.join("logs/manage_system/info.log");
    let runs = || {
        std::fs::read_to_string(&info_log)
            .unwrap_or_default()
            .matches("job `refresh_account_stats` ran")
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while runs() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let killed = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    assert!(killed.is_ok_and(|s| s.success()));
    let status = child.wait();
    assert!(status.as_ref().is_ok_and(|s| s.success()), "{status:?}");
    let info = std::fs::read_to_string(home.join("logs/manage_system/info.log")).unwrap_or_default();
    assert!(info.matches("job `refresh_account_stats` ran").count() >= 2, "{info}");
    assert!(info.contains("SIGTERM: manage_system stopped"), "{info}");
    let _ = std::fs::remove_dir_all(&home);
}

/// Every key of `default.toml`, set through a `KEEL_…` variable instead,
/// reads back unchanged — strings byte-for-byte, numbers and lists by the
/// key's type — and what a type guess would alter stays as written.
#[test]
fn every_key_of_default_toml_reads_back_unchanged_from_the_environment() {
    use keel::config::{Config, ConfigSources};
    fn leaves(value: &toml::Value, name: &str, out: &mut Vec<(String, String)>) {
        match value {
            toml::Value::Table(table) => {
                for (key, value) in table {
                    let sep = if name == "KEEL" { "_" } else { "__" };
                    leaves(value, &format!("{name}{sep}{}", key.to_ascii_uppercase()), out);
                }
            }
            toml::Value::String(text) => out.push((name.to_owned(), text.clone())),
            other => out.push((name.to_owned(), serde_json::to_string(other).unwrap_or_default())),
        }
    }
    let info = <manage_system::SysConf as keel::Service>::INFO;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text =
        std::fs::read_to_string(root.join("services/manage_system/config/default.toml")).unwrap_or_default();
    let table: toml::Table = text.parse().unwrap_or_else(|err| panic!("default.toml: {err}"));
    let mut env = Vec::new();
    leaves(&toml::Value::Table(table), "KEEL", &mut env);
    assert!(env.len() >= 20, "{env:?}");
    let load = |home: &std::path::Path, env: Vec<(String, String)>| {
        let sources = ConfigSources { home: home.to_path_buf(), profile: None, env };
        Config::load_with_sections(&info, &sources, &["admin"]).unwrap_or_else(|err| panic!("{err}"))
    };
    let empty = std::env::temp_dir().join(format!("keel-env-only-{}", std::process::id()));
    let from_file = load(&root, Vec::new());
    assert_eq!(load(&empty, env.clone()), from_file, "{env:?}");

    let set =
        |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let config = load(
        &empty,
        set(&[
            ("KEEL_ADMIN__PASSWORD", "000012345678"),
            ("KEEL_SETTINGS__LABEL", "1.50"),
            ("KEEL_AUTH__TRUSTED_PROXIES", r#"["10.0.0.1", "10.0.0.2"]"#),
            ("KEEL_LOG__FILES", r#"["audit"]"#),
            ("KEEL_LOG__LEVELS__ACCESS", "off"),
        ]),
    );
    let admin: manage_system::config::AdminSettings = config.section("admin").unwrap_or_default();
    assert_eq!(admin.password.as_deref(), Some("000012345678"));
    assert_eq!(config.setting::<String>("label"), Ok(Some("1.50".to_owned())));
    assert_eq!(config.setting::<f64>("label"), Ok(Some(1.5)));
    assert_eq!(config.auth.trusted_proxies, ["10.0.0.1", "10.0.0.2"]);
    assert_eq!(config.log.files, ["audit"]);
    assert_eq!(config.log.levels.get("access"), Some(&keel::config::LogLevel::Off));

    // A bad number, or a key a cache entry would ignore, stops boot naming the key and the variable.
    let refused = |pairs: &[(&str, &str)]| {
        let sources = ConfigSources { home: empty.clone(), profile: None, env: set(pairs) };
        Config::load_with_sections(&info, &sources, &["admin"]).map(|_| ()).map_err(|e| e.to_string())
    };
    let err = refused(&[("KEEL_SERVER__PORT", "80O1")]).err().unwrap_or_default();
    assert!(
        err.contains("`server.port`") && err.contains("KEEL_SERVER__PORT") && err.contains("80O1"),
        "{err}"
    );
    let err = refused(&[
        ("KEEL_CACHE__DEFAULT__URL", "redis://127.0.0.1/"),
        ("KEEL_CACHE__DEFAULT__POOL_SIZE", "8"),
    ])
    .err()
    .unwrap_or_default();
    assert!(
        err.contains("`cache.default.pool_size`") && err.contains("KEEL_CACHE__DEFAULT__POOL_SIZE"),
        "{err}"
    );
}

/// `--port` and `--bind` belong to `serve` (given before it or after it);
/// the other commands neither advertise nor accept them.
#[test]
fn listen_flags_belong_to_serve_only() {
    let help = |args: &[&str]| run(&[args, &["--help"]].concat());
    assert!(help(&[]).contains("--port") && help(&["serve"]).contains("--bind"));
    for command in [&["routes"][..], &["openapi"], &["script"], &["db"], &["db", "upgrade"]] {
        let text = help(command);
        assert!(!text.contains("--port") && !text.contains("--bind"), "{command:?}:\n{text}");
        assert!(text.contains("--home"), "{command:?}:\n{text}");
    }
    for args in
        [&["routes", "--port", "1"][..], &["--port", "1", "routes"], &["--bind", "127.0.0.1", "db", "heads"]]
    {
        let output = Command::new(env!("CARGO_BIN_EXE_http_manage_sys"))
            .args(args)
            .env("KEEL_HOME", std::env::temp_dir().join("keel-cli-no-home"))
            .output();
        let Ok(output) = output else { panic!("http_manage_sys {args:?}") };
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--port") || stderr.contains("--bind"), "{args:?}: {stderr}");
    }
}

/// `systemd` prints a unit systemd accepts (`systemd-analyze verify`, where
/// installed — `.ci/run` installs it); `--user` makes a user unit;
/// `--install` writes it where systemd looks and says how to run it.
#[test]
fn systemd_prints_a_unit_systemd_accepts_and_installs_a_user_unit() {
    let dir = std::env::temp_dir().join(format!("keel-systemd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let verify = |text: &str, name: &str| {
        let folder = dir.join(name);
        let file = folder.join("http_manage_sys.service");
        let written = std::fs::create_dir_all(&folder).and_then(|()| std::fs::write(&file, text));
        assert!(written.is_ok(), "{written:?}");
        match Command::new("systemd-analyze").arg("verify").arg(&file).output() {
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    out.status.success() && stderr.trim().is_empty(),
                    "systemd-analyze verify {name}:\n{stderr}\n{text}"
                );
            }
            Err(err) => eprintln!("systemd-analyze is not installed ({err}): unit not verified"),
        }
    };
    let system = run(&["systemd"]);
    for line in [
        "User=",
        "Group=",
        "Restart=on-failure",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=45",
        "LimitNOFILE=",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "PrivateTmp=true",
        "EnvironmentFile=-",
        "WantedBy=multi-user.target",
    ] {
        assert!(system.lines().any(|l| l.starts_with(line)), "no `{line}` in:\n{system}");
    }
    let exec = system.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap_or_default();
    assert!(exec.starts_with('/') && exec.ends_with("http_manage_sys serve"), "{exec}");
    verify(&system, "system");

    let user = run(&["systemd", "--user"]);
    assert!(!user.contains("User=") && !user.contains("Group="), "{user}");
    assert!(user.contains("WantedBy=default.target"), "{user}");
    verify(&user, "user");

    let home = dir.join("home");
    let output = Command::new(env!("CARGO_BIN_EXE_http_manage_sys"))
        .args(["systemd", "--user", "--install"])
        .env("KEEL_HOME", dir.join("project"))
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_RUNTIME_DIR")
        .output();
    let Ok(output) = output else { panic!("systemd --user --install") };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let installed = std::fs::read_to_string(home.join(".config/systemd/user/http_manage_sys.service"))
        .unwrap_or_default();
    assert_eq!(
        installed,
        user.replace(
            &std::env::temp_dir().join("keel-cli-no-home").display().to_string(),
            &dir.join("project").display().to_string()
        )
    );
    assert!(stdout.contains("systemctl --user enable --now http_manage_sys"), "{stdout}");
    assert!(dir.join("project/logs").is_dir() && dir.join("project/data").is_dir(), "writable folders made");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary carries its configuration and migrations: copied alone into
/// an empty folder it boots, migrates its embedded SQLite and serves;
/// `db history` there reads the built-in migrations; a migrations folder
/// that disagrees with the built-in files stops boot naming the file.
#[test]
fn a_binary_copied_alone_into_an_empty_folder_boots_and_serves() {
    use std::io::{BufRead, Read, Write};
    let dir = std::env::temp_dir().join(format!("keel-alone-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let bin = dir.join("http_manage_sys");
    let copied = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::copy(env!("CARGO_BIN_EXE_http_manage_sys"), &bin));
    assert!(copied.is_ok(), "{copied:?}");
    let command = |args: &[&str]| {
        let mut command = Command::new(&bin);
        command.args(args).current_dir(&dir).env_remove("KEEL_HOME").env_remove("KEEL_DATABASE__DEFAULT");
        command
    };

    let mut child = match command(&[])
        .env("KEEL_SERVER__BIND", "127.0.0.1")
        .env("KEEL_SERVER__PORT", "0")
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) => panic!("spawn: {err}"),
    };
    let Some(stdout) = child.stdout.take() else { panic!("no stdout") };
    let listening =
        std::io::BufReader::new(stdout).lines().map_while(Result::ok).find(|l| l.contains("listening on"));
    let addr = listening
        .as_deref()
        .and_then(|l| l.split("http://").nth(1))
        .and_then(|r| r.split_whitespace().next());
    let Some(addr) = addr.map(str::to_owned) else { panic!("no listening line: {listening:?}") };
    let mut stream =
        std::net::TcpStream::connect(&addr).unwrap_or_else(|err| panic!("connect {addr}: {err}"));
    let _ = stream.write_all(b"GET /v1.00.02/test HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains("\"service\":\"manage_system\""),
        "{answer}"
    );
    assert!(dir.join("data/manage_system.db").exists(), "the embedded SQLite was created");

    let history =
        command(&["db", "history"]).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    assert!(history.as_deref().is_ok_and(|h| h.contains("0001_")), "{history:?}");
    // A folder that disagrees with the built-in migrations stops boot.
    let folder = dir.join("migrations/manage_system");
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/manage_system");
    let first = std::fs::read_dir(&committed).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .min()
    });
    let Some(first) = first else { panic!("no committed migration") };
    let name = first.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Reformatted by hand: same migration, other bytes.
    let text = format!("{}\n\n", std::fs::read_to_string(&first).unwrap_or_default());
    let written = std::fs::create_dir_all(&folder).and_then(|()| std::fs::write(folder.join(&name), text));
    assert!(written.is_ok(), "{written:?}");
    let refused = command(&[]).env("KEEL_SERVER__PORT", "0").output();
    let Ok(refused) = refused else { panic!("boot") };
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && stderr.contains(&name) && stderr.contains("built into this binary"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A migrations folder newer than the binary — a migration written (here:
/// a column the compiled models lack) and the binary not rebuilt — stops
/// boot with one line saying to build it again, not to run `db migrate`
/// (which would write a migration undoing the newer one). The models'
/// own drift (changed without a migration) is tested in process, in
/// tests/tests/migrations.rs. Without the folder the binary boots on its
/// built-in migrations.
#[test]
fn a_migrations_folder_newer_than_the_binary_stops_boot_until_rebuilt() {
    use keel::migrate::file::MigrationSet;
    let home = std::env::temp_dir().join(format!("keel-cli-drift-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let dir = home.join("migrations/manage_system");
    let copied = std::fs::create_dir_all(&dir).and_then(|()| {
        committed_migrations().iter().try_for_each(|(name, text)| std::fs::write(dir.join(name), text))
    });
    assert!(copied.is_ok(), "{copied:?}");
    let mut ahead = manage_system::db_model::models();
    let nickname = keel::ColumnSchema {
        name: "nickname",
        nullable: true,
        primary: false,
        unique: false,
        index: false,
        len: Some(20),
        default: None,
        renamed_from: None,
        sql_type: keel::SqlType::Text,
    };
    ahead[0].columns.push(nickname);
    let set = MigrationSet::load(&dir).unwrap_or_else(|err| panic!("{err}"));
    let written = keel::migrate::next_migration(&set, &ahead, Some("nickname"))
        .and_then(|file| keel::migrate::write_migration(&set, &file.expect("a change")));
    let Ok(written) = written else { panic!("{written:?}") };
    let label = written.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();

    // Boots in `home`: `Ok(())` once it listens (then stopped), or its stderr.
    let boot = || -> Result<(), String> {
        use std::io::{BufRead, Read};
        let spawned = Command::new(env!("CARGO_BIN_EXE_http_manage_sys"))
            .args(["serve", "--bind", "127.0.0.1", "--port", "0"])
            .env("KEEL_HOME", &home)
            .env_remove("KEEL_DATABASE__DEFAULT")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn();
        let mut child = spawned.unwrap_or_else(|err| panic!("boot: {err}"));
        let Some(stdout) = child.stdout.take() else { panic!("no stdout") };
        // Ends at "listening on", or when the process exits.
        let listened =
            std::io::BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.contains("listening on"));
        let _ = child.kill();
        let _ = child.wait();
        let mut stderr = String::new();
        if let Some(mut err) = child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        if listened { Ok(()) } else { Err(stderr) }
    };
    let Err(stderr) = boot() else { panic!("booted with migrations newer than the binary ({label})") };
    let expected = format!("this http_manage_sys is older than {label} in {}: build it again", dir.display());
    assert!(stderr.contains(&expected) && !stderr.contains("db migrate"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let removed = std::fs::remove_dir_all(&dir);
    assert!(removed.is_ok(), "{removed:?}");
    if let Err(stderr) = boot() {
        panic!("on the built-in migrations: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&home);
}
