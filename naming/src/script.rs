/// A script's name: a one-off `script_…` (runs once, recorded) or a
/// reusable `rescript_…`, the rest snake_case. Returns whether it is
/// one-off.
pub fn check_script_name(name: &str) -> Result<bool, String> {
    let (once, rest) = if let Some(rest) = name.strip_prefix("script_") {
        (true, rest)
    } else if let Some(rest) = name.strip_prefix("rescript_") {
        (false, rest)
    } else {
        return Err(format!(
            "script `{name}`: a one-off script is named `script_…` (runs once, recorded) and a reusable one `rescript_…`"
        ));
    };
    if rest.split('_').all(crate::is_lower_alnum) {
        Ok(once)
    } else {
        Err(format!("script `{name}`: the name after the prefix must be snake_case"))
    }
}

#[cfg(test)]
mod tests {
    use super::check_script_name;

    #[test]
    fn one_off_and_reusable_scripts_are_told_apart_by_prefix() {
        assert_eq!(check_script_name("script_backfill_names"), Ok(true));
        assert_eq!(check_script_name("rescript_purge"), Ok(false));
        for bad in ["backfill", "script_", "script_Bad", "rescript_a__b", "job_x"] {
            assert!(check_script_name(bad).is_err(), "{bad}");
        }
    }
}
