//! The binary's offline commands: `routes` and `openapi` need no database,
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
}

#[test]
fn openapi_prints_a_valid_document_with_legal_component_names() {
    let text = run(&["openapi"]);
    let doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(doc) => doc,
        Err(err) => panic!("not JSON ({err}): {text}"),
    };
    assert_eq!(doc["info"]["title"], "manage_system");
    let test = &doc["paths"]["/v1.00.02/test"]["get"];
    assert_eq!(test["summary"], "Service identity and time.");
    let data = &test["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"];
    assert_eq!(data["$ref"], "#/components/schemas/TestView");
    let schemas = doc["components"]["schemas"].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    for name in schemas.unwrap_or_default() {
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "illegal component name {name}"
        );
    }
}
