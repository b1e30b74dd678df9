//! The workspace's services must coexist (seed: SERVER_NAME, SERVER_ID and
//! RUN_PORT tell services apart): no two share a name, id, port or prefix.

use keel::{Service, ServiceInfo};

/// Every service of the workspace; a new service adds its identity here.
const SERVICES: &[ServiceInfo] = &[manage_system::SysConf::INFO];

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
    assert_eq!(names, ["sys_account", "sys_records_login", "keel_session", "keel_script"]);
    let account = &models[0];
    let columns: Vec<&str> = account.columns.iter().map(|c| c.name).collect();
    assert_eq!(
        columns,
        ["id", "username", "display_name", "password_hash", "status", "created_at", "updated_at"]
    );
    let username = &account.columns[1];
    assert!(username.unique && !username.nullable && username.len == Some(32));
    assert_eq!(username.sql_type, keel::SqlType::Text);
    let status = &account.columns[4];
    assert_eq!((status.sql_type, status.default), (keel::SqlType::SmallInt, Some("1")));
    assert!(account.columns[0].primary && account.columns[0].nullable);
    assert_eq!(account.columns[5].sql_type, keel::SqlType::Timestamp);
    use keel::Table;
    assert_eq!(manage_system::db_model::main::Account::row_key(42), "sys_account:42");
}
