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
