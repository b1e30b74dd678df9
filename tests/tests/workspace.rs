//! The workspace's services must coexist (seed: SERVER_NAME, SERVER_ID and
//! RUN_PORT tell services apart): no two share a name, id, port or prefix.

use keel::{Service, ServiceInfo};

/// Every service of the workspace; a new service adds its identity here
/// (the next test fails until it does).
const SERVICES: &[ServiceInfo] = &[manage_system::SysConf::INFO, guidance::GuidanceConf::INFO];

/// The `name = "…"` of each `#[keel::service]` under `services/*/src/`.
fn declared_service_names() -> Vec<String> {
    let services = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../services");
    let mut names = Vec::new();
    let Ok(dirs) = std::fs::read_dir(&services) else { panic!("cannot read {}", services.display()) };
    for dir in dirs.flatten() {
        let config = dir.path().join("src/config.rs");
        let Ok(text) = std::fs::read_to_string(&config) else { continue };
        for attr in text.split("#[keel::service(").skip(1) {
            let name = attr.split("name = \"").nth(1).and_then(|rest| rest.split('"').next());
            match name {
                Some(name) => names.push(name.to_owned()),
                None => panic!("{}: a #[keel::service] without `name = \"…\"`", config.display()),
            }
        }
    }
    names.sort();
    names
}

#[test]
fn the_identity_list_covers_every_service_of_the_workspace() {
    let declared = declared_service_names();
    assert!(declared.len() >= 2, "found only {declared:?}");
    let mut listed: Vec<String> = SERVICES.iter().map(|s| s.name.to_owned()).collect();
    listed.sort();
    assert_eq!(listed, declared, "add every service's INFO to SERVICES in tests/tests/workspace.rs");
}

#[test]
fn services_of_the_workspace_have_distinct_identities() {
    if let Err(clash) = keel::check_distinct_services(SERVICES) {
        panic!("{clash}");
    }
}

#[test]
fn a_clash_is_reported_naming_both_services() {
    let twin = ServiceInfo { name: "twin", prefix: "twn", ..manage_system::SysConf::INFO };
    let err =
        keel::check_distinct_services(&[manage_system::SysConf::INFO, twin]).expect_err("same id and port");
    assert!(err.contains("manage_system") && err.contains("twin") && err.contains("id 1"), "{err}");
}

#[test]
fn manage_system_lists_its_tables_with_their_schemas() {
    let models = manage_system::db_model::models();
    let names: Vec<&str> = models.iter().map(|t| t.name).collect();
    assert_eq!(names, ["sys_account", "sys_records_login", "keel_session", "keel_script", "sys_role"]);
    let account = &models[0];
    let columns: Vec<&str> = account.columns.iter().map(|c| c.name).collect();
    assert_eq!(
        columns,
        ["id", "username", "display_name", "password_hash", "status", "role_id", "created_at", "updated_at"]
    );
    let username = &account.columns[1];
    assert!(username.unique && !username.nullable && username.len == Some(32));
    assert_eq!(username.sql_type, keel::SqlType::Text);
    let status = &account.columns[4];
    assert_eq!((status.sql_type, status.default), (keel::SqlType::SmallInt, Some("1")));
    assert!(account.columns[0].primary && account.columns[0].nullable);
    assert_eq!(account.columns[6].sql_type, keel::SqlType::Timestamp);
    use keel::Table;
    assert_eq!(manage_system::db_model::main::Account::row_key(42), "sys_account:42");
}
