/// PostgreSQL truncates identifiers past 63 bytes; names longer than that
/// would differ between databases.
pub const MAX_TABLE_NAME: usize = 63;

/// A table name or cache key: `<prefix>_<kind>_<name>` or `<prefix>_<name>`
/// (`sys_account`, `sys_records_login`). Prefix and
/// kind are `[a-z][a-z0-9]*`; the name may hold single `_` between parts.
pub fn check_table_name(prefix: &str, kind: Option<&str>, name: &str) -> Result<String, String> {
    super::check_name_part("table prefix", prefix)?;
    if let Some(kind) = kind {
        super::check_name_part("table kind", kind)?;
    }
    let name_ok = name.split('_').all(crate::is_lower_alnum);
    if !name_ok {
        return Err(format!(
            "table name `{name}` breaks the naming rule: parts must be lower-case `[a-z][a-z0-9]*` joined by single `_`, e.g. `{}`",
            snake_fix(name)
        ));
    }
    let full = match kind {
        Some(kind) => format!("{prefix}_{kind}_{name}"),
        None => format!("{prefix}_{name}"),
    };
    if full.len() > MAX_TABLE_NAME {
        return Err(format!(
            "table name `{full}` is {} characters long; the limit is {MAX_TABLE_NAME} (PostgreSQL's): shorten `name`",
            full.len()
        ));
    }
    Ok(full)
}

/// `Account` → `account`, `LoginRecord` → `login_record`.
pub fn snake_case(ident: &str) -> String {
    let mut out = String::new();
    for (i, c) in ident.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('_') {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn snake_fix(name: &str) -> String {
    let fixed: String =
        snake_case(name).chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let parts: Vec<&str> = fixed.split('_').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() { "account".to_owned() } else { parts.join("_") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_prefix_kind_name() {
        let cases = [
            ("sys", None, "account", "sys_account"),
            ("sys", Some("records"), "login", "sys_records_login"),
            ("gui", None, "notice_topic", "gui_notice_topic"),
            ("keel", None, "migration", "keel_migration"),
            ("a1", Some("k2"), "n3_x4", "a1_k2_n3_x4"),
        ];
        for (prefix, kind, name, full) in cases {
            assert_eq!(check_table_name(prefix, kind, name), Ok(full.to_owned()), "{full}");
        }
    }

    #[test]
    fn refuses_names_against_the_rule_with_a_fix() {
        let cases = [
            ("Sys", None, "account", "table prefix `Sys`", "`sys`"),
            ("sys", Some("Records"), "login", "table kind `Records`", "`records`"),
            ("sys", None, "Account", "table name `Account`", "`account`"),
            ("sys", None, "login__record", "table name `login__record`", "`login_record`"),
            ("sys", None, "_account", "table name `_account`", "`account`"),
            ("sys", None, "account_", "table name `account_`", "`account`"),
            ("sys", None, "2fa", "table name `2fa`", ""),
            ("sys", None, "", "table name ``", ""),
            ("sys", Some("rec_ords"), "login", "table kind `rec_ords`", ""),
        ];
        for (prefix, kind, name, what, fix) in cases {
            let err = check_table_name(prefix, kind, name).expect_err(name);
            assert!(err.contains(what) && err.contains(fix), "{name}: {err}");
        }
        let long = "x".repeat(60);
        let err = check_table_name("sys", None, &long).expect_err("too long");
        assert!(err.contains("64 characters") && err.contains("limit is 63"), "{err}");
        assert!(check_table_name("sys", None, &"x".repeat(59)).is_ok());
    }

    #[test]
    fn struct_names_become_snake_case() {
        assert_eq!(snake_case("Account"), "account");
        assert_eq!(snake_case("LoginRecord"), "login_record");
        assert_eq!(snake_case("A"), "a");
    }
}
