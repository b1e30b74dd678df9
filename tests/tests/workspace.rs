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
    assert_eq!(account.columns[6].sql_type, keel::SqlType::DateTime);
    use keel::Table;
    assert_eq!(manage_system::db_model::main::Account::row_key(42), "sys_account:42");
}

/// The string literals of a Rust source, outside comments and before its
/// `#[cfg(test)]` module (test fixtures may spell names out).
fn string_literals(source: &str) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut literals = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            // A char literal such as '"' is not a string.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\"'") || rest.starts_with("\\\"'") {
                    chars.nth(rest.find('\'').unwrap_or(0));
                }
            }
            '"' => {
                let mut literal = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        c => literal.push(c),
                    }
                }
                literals.push(literal);
            }
            _ => {}
        }
    }
    literals
}

/// Tables are named by their models, never by hand: no string literal in
/// keel's runtime or a service's code spells the name of a table a model
/// of the workspace declares (statements take `T::TABLE`, `{table}` in
/// `Db::sql`, or the typed operations).
#[test]
fn no_string_literal_names_a_table_of_the_workspace() {
    let tables: Vec<&str> = manage_system::db_model::models().iter().map(|t| t.name).collect();
    assert!(tables.contains(&"keel_session") && tables.contains(&"sys_account"), "{tables:?}");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut pending = vec![root.join("runtime/src"), root.join("services")];
    let mut offenders = Vec::new();
    while let Some(path) = pending.pop() {
        if let Ok(entries) = std::fs::read_dir(&path) {
            // A service's tests may spell names out, as fixtures.
            if !path.ends_with("tests") {
                pending.extend(entries.flatten().map(|e| e.path()));
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        for literal in string_literals(&source) {
            let named = tables.iter().find(|table| {
                literal.match_indices(**table).any(|(at, _)| {
                    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
                    literal[..at].chars().next_back().is_none_or(|c| !ident(c))
                        && literal[at + table.len()..].chars().next().is_none_or(|c| !ident(c))
                })
            });
            if let Some(table) = named {
                offenders.push(format!("{}: \"{literal}\" names `{table}`", path.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use the model's name (T::TABLE, `{{table}}` in Db::sql):\n{}",
        offenders.join("\n")
    );
    // The scan itself finds a name spelled out.
    assert_eq!(string_literals("let s = \"DELETE FROM sys_account\"; // \"x\""), ["DELETE FROM sys_account"]);
}
