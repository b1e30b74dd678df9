//! `{{bin}}` as a process in an empty folder: its built-in migrations
//! apply, and its script counts the items into the log.

/// Runs `{{bin}} <args>` in `home`; returns (success, stdout + stderr).
fn run(home: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_{{bin}}"))
        .args(args)
        .env("KEEL_HOME", home)
        .env_remove("KEEL_DATABASE__DEFAULT")
        .output()
        .expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[test]
fn the_script_runs_on_the_built_in_migrations() {
    let home = keel::testing::TempHome::new("{{bin}}").expect("a temporary home");
    let (ok, listed) = run(home.path(), &["script", "--list"]);
    assert!(ok && listed.contains("count_items"), "{listed}");
    let (ok, upgraded) = run(home.path(), &["db", "upgrade"]);
    assert!(ok && upgraded.contains("0001_init"), "{upgraded}");
    let (ok, ran) = run(home.path(), &["script", "rescript_count_items"]);
    assert!(ok, "{ran}");
    let log = std::fs::read_to_string(home.path().join("logs/{{name}}/info.log")).unwrap_or_default();
    assert!(log.contains("counted 0 item(s)"), "{log}");
}

/// The models match the latest migration (boot refuses them otherwise).
#[test]
fn models_match_the_migrations() {
    keel::testing::assert_migrations_match(&{{crate}}::app());
}
