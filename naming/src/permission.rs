/// A permission name: dot-separated snake_case parts, `account.read`,
/// `records.read`, `role.write` (`[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*`).
pub fn check_permission_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.split('.').all(crate::is_snake) {
        Ok(())
    } else {
        Err(format!(
            "permission `{name}` breaks the naming rule: dot-separated snake_case parts `[a-z][a-z0-9_]*`, e.g. `account.read`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check_permission_name;

    #[test]
    fn permissions_are_dotted_snake_case() {
        for ok in ["account.read", "role.write", "records.read", "notice.send", "admin", "a1.b_c.d"] {
            assert_eq!(check_permission_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "Account.read", "account..read", ".read", "account.", "account-read", "1x", "a.B"] {
            let err = check_permission_name(bad).expect_err(bad);
            assert!(err.contains(&format!("`{bad}`")) && err.contains("e.g. `account.read`"), "{err}");
        }
    }
}
