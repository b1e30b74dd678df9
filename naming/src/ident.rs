/// One part of a table name, cache key or service prefix: `[a-z][a-z0-9]*`.
///
/// Lower-case ASCII keeps names identical on MySQL, PostgreSQL and SQLite
/// (PostgreSQL folds unquoted names, MySQL on Linux does not).
pub fn check_name_part(what: &str, part: &str) -> Result<(), String> {
    if crate::is_lower_alnum(part) {
        Ok(())
    } else {
        Err(format!(
            "{what} `{part}` breaks the naming rule: it must be lower-case `[a-z][a-z0-9]*`, e.g. `{}`",
            lower_alnum(part)
        ))
    }
}

/// A service name (the seed's SERVER_NAME, also its folder and log folder):
/// `[a-z][a-z0-9_]*`.
pub fn check_service_name(name: &str) -> Result<(), String> {
    if crate::is_snake(name) {
        Ok(())
    } else {
        Err(format!(
            "service name `{name}` breaks the naming rule: it must be snake_case `[a-z][a-z0-9_]*`, e.g. `manage_system`"
        ))
    }
}

fn lower_alnum(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .skip_while(char::is_ascii_digit)
        .collect();
    if cleaned.is_empty() { "sys".to_owned() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_parts_are_lower_case_alphanumeric_starting_with_a_letter() {
        for ok in ["sys", "gui", "a", "v2", "keel"] {
            assert_eq!(check_name_part("prefix", ok), Ok(()), "{ok}");
        }
        for (bad, fix) in [("Sys", "sys"), ("s_y", "sy"), ("2fa", "fa"), ("", "sys"), ("sys-1", "sys1")] {
            let err = check_name_part("prefix", bad).expect_err(bad);
            assert!(err.contains(&format!("`{bad}`")) && err.contains(&format!("e.g. `{fix}`")), "{err}");
        }
    }

    #[test]
    fn service_names_are_snake_case() {
        for ok in ["manage_system", "guidance", "a1_b2"] {
            assert_eq!(check_service_name(ok), Ok(()), "{ok}");
        }
        for bad in ["ManageSystem", "manage-system", "_x", "1x", ""] {
            assert!(check_service_name(bad).is_err(), "{bad}");
        }
    }
}
