/// An API or service version: `MAJOR.MM.PP`, e.g. `1.00.02` (the seed's `VER_CODE`).
///
/// The two-digit minor and patch keep versions sortable as text and make the
/// URL prefix `/v1.00.02/` stable for clients.
pub fn check_version(version: &str) -> Result<(), String> {
    let mut parts = version.split('.');
    let well_formed = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(major), Some(minor), Some(patch), None) => {
            !major.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.len() == 2
                && minor.bytes().all(|b| b.is_ascii_digit())
                && patch.len() == 2
                && patch.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "version `{version}` must look like `1.00.02`: a major number, then a two-digit minor and a two-digit patch, e.g. `{}`",
            suggest(version)
        ))
    }
}

/// Best-effort rewrite of a near miss (`1.2` → `1.02.00`) for the error text.
fn suggest(version: &str) -> String {
    let nums: Vec<u32> =
        version.trim_start_matches(['v', 'V']).split('.').map_while(|p| p.parse().ok()).collect();
    let get = |i: usize| nums.get(i).copied().unwrap_or(0);
    format!("{}.{:02}.{:02}", get(0), get(1) % 100, get(2) % 100)
}

#[cfg(test)]
mod tests {
    use super::check_version;

    #[test]
    fn accepts_major_and_two_digit_minor_and_patch() {
        for ok in ["1.00.02", "0.00.00", "12.34.56", "100.99.01"] {
            assert_eq!(check_version(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_other_shapes_with_a_suggestion() {
        let cases = [
            ("1.2", "1.02.00"),
            ("1.0.2", "1.00.02"),
            ("v1.00.02", "1.00.02"),
            ("1.00.02.1", "1.00.02"),
            ("1.000.02", "1.00.02"),
            ("", "0.00.00"),
            ("a.bb.cc", "0.00.00"),
            (".00.02", "0.00.00"),
            ("1.00.2x", "1.00.00"),
        ];
        for (bad, suggestion) in cases {
            let err = check_version(bad).expect_err(bad);
            assert!(err.contains(&format!("`{bad}`")), "{err}");
            assert!(err.contains(suggestion), "{bad}: {err}");
        }
    }
}
