//! The workspace's services must coexist (seed: SERVER_NAME, SERVER_ID and
//! RUN_PORT tell services apart): no two share a name, id, port or prefix —
//! checked on every `#[keel::service]` found in the source, so a copied
//! service fails this test without anyone editing it.

use keel::{Service, ServiceInfo};

/// Every `#[keel::service(…)]` under `services/*/src/`, read from the
/// source: a new service is checked the moment it exists, with no list to
/// keep by hand. Returns `(file, identity)`.
fn declared_services() -> Vec<(String, ServiceInfo)> {
    let services = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../services");
    let mut found = Vec::new();
    let Ok(dirs) = std::fs::read_dir(&services) else { panic!("cannot read {}", services.display()) };
    for dir in dirs.flatten() {
        let config = dir.path().join("src/config.rs");
        let Ok(text) = std::fs::read_to_string(&config) else { continue };
        for attr in text.split("#[keel::service(").skip(1) {
            let args = attr.split(")]").next().unwrap_or_default();
            let value = |key: &str| {
                args.split(',')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim() == key)
                    .map(|(_, v)| v.trim().trim_matches('"').to_owned())
                    .unwrap_or_else(|| panic!("{}: #[keel::service] without `{key}`", config.display()))
            };
            let number = |key: &str| -> u64 {
                value(key).parse().unwrap_or_else(|err| panic!("{}: `{key}`: {err}", config.display()))
            };
            let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
            let info = ServiceInfo {
                name: leak(value("name")),
                id: u32::try_from(number("id")).unwrap_or(u32::MAX),
                port: u16::try_from(number("port")).unwrap_or(u16::MAX),
                prefix: leak(value("prefix")),
                version: leak(value("version")),
            };
            found.push((config.display().to_string(), info));
        }
    }
    found
}

#[test]
fn services_of_the_workspace_have_distinct_identities() {
    let declared = declared_services();
    assert!(declared.len() >= 2, "found only {declared:?}");
    // The reader agrees with what the macro compiled.
    let manage_system = declared.iter().find(|(_, info)| info.name == "manage_system").map(|(_, info)| *info);
    assert_eq!(manage_system, Some(manage_system::SysConf::INFO));
    let identities: Vec<ServiceInfo> = declared.iter().map(|(_, info)| *info).collect();
    if let Err(clash) = keel::check_distinct_services(&identities) {
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
