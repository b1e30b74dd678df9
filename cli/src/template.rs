//! The files the generator writes, compiled in from `cli/templates/`, and
//! the one substitution they use: `{{key}}` replaced by a value.

/// Template texts by file name.
pub(crate) mod text {
    pub(crate) const CARGO_TOML: &str = include_str!("../templates/service/Cargo.toml.tpl");
    pub(crate) const BUILD_RS: &str = include_str!("../templates/service/build.rs.tpl");
    pub(crate) const DEFAULT_TOML: &str = include_str!("../templates/service/default.toml.tpl");
    pub(crate) const CONFIG: &str = include_str!("../templates/service/config.rs.tpl");
    pub(crate) const DB_MODEL: &str = include_str!("../templates/service/db_model.rs.tpl");
    pub(crate) const RC_MODEL: &str = include_str!("../templates/service/rc_model.rs.tpl");
    pub(crate) const SCRIPT: &str = include_str!("../templates/service/script.rs.tpl");
    pub(crate) const API_BASE: &str = include_str!("../templates/service/api_base.rs.tpl");
    pub(crate) const MAIN: &str = include_str!("../templates/service/main.rs.tpl");
    pub(crate) const LIB_ROUTES: &str = include_str!("../templates/service/lib_routes.rs.tpl");
    pub(crate) const LIB_WS: &str = include_str!("../templates/service/lib_ws.rs.tpl");
    pub(crate) const LIB_SERVICE: &str = include_str!("../templates/service/lib_service.rs.tpl");
    pub(crate) const URI_ROUTER: &str = include_str!("../templates/service/uri_router.rs.tpl");
    pub(crate) const INTERFACE: &str = include_str!("../templates/service/interface.rs.tpl");
    pub(crate) const ITEM: &str = include_str!("../templates/service/item.rs.tpl");
    pub(crate) const LIVE: &str = include_str!("../templates/service/live.rs.tpl");
    pub(crate) const TEST_ROUTES: &str = include_str!("../templates/service/test_routes.rs.tpl");
    pub(crate) const TEST_WS: &str = include_str!("../templates/service/test_ws.rs.tpl");
    pub(crate) const TEST_SERVICE: &str = include_str!("../templates/service/test_service.rs.tpl");
    pub(crate) const API: &str = include_str!("../templates/api.rs.tpl");
    pub(crate) const TABLE: &str = include_str!("../templates/table.rs.tpl");
}

/// `template` with every `{{key}}` of `values` replaced. A placeholder
/// left over is a bug in the generator, reported rather than written.
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut out = template.to_owned();
    for (key, value) in values {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    match out.find("{{") {
        Some(at) => {
            let rest = &out[at..];
            let end = rest.find("}}").map_or(rest.len(), |e| e + 2);
            Err(format!("template placeholder {} has no value (a bug in keel-cli)", &rest[..end]))
        }
        None => Ok(out),
    }
}

/// `invoice_line` → `InvoiceLine`.
pub(crate) fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map_or_else(String::new, |first| first.to_ascii_uppercase().to_string() + chars.as_str())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fills_every_placeholder_or_names_the_one_left() {
        assert_eq!(super::fill("a {{x}} {{x}} {{y}}", &[("x", "1"), ("y", "2")]), Ok("a 1 1 2".to_owned()));
        let err = super::fill("a {{x}} {{z}}", &[("x", "1")]).expect_err("z is missing");
        assert!(err.contains("{{z}}"), "{err}");
        assert_eq!(super::camel("order"), "Order");
        assert_eq!(super::camel("invoice_line"), "InvoiceLine");
        assert_eq!(super::camel("v2_item"), "V2Item");
    }

    #[test]
    fn rust_templates_carry_no_placeholder_inside_a_braced_rust_block() {
        // `{{` in a template is always a placeholder: Rust code in the
        // templates never needs a literal `{{`.
        for text in [super::text::ITEM, super::text::LIVE, super::text::SCRIPT, super::text::TEST_WS] {
            for (at, _) in text.match_indices("{{") {
                let name: String =
                    text[at + 2..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                assert!(text[at + 2 + name.len()..].starts_with("}}"), "stray `{{{{` at {at}");
            }
        }
    }
}
