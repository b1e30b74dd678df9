//! The character classes every naming rule is built from, written once.

/// `[a-z][a-z0-9]*`: a part of a table name, a cache key or a prefix.
pub fn is_lower_alnum(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z')) && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// `[a-z][a-z0-9_]*`: a service name, a script name, a table's name part.
pub fn is_snake(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `[a-z_][a-z0-9_]*`: an identifier-like parameter (`{id}`, `{user_id}`).
pub fn is_param(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'_'))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_accept_and_refuse() {
        for (s, alnum, snake, param) in [
            ("sys", true, true, true),
            ("v2", true, true, true),
            ("a_b", false, true, true),
            ("_x", false, false, true),
            ("Sys", false, false, false),
            ("2fa", false, false, false),
            ("", false, false, false),
            ("a-b", false, false, false),
        ] {
            assert_eq!(is_lower_alnum(s), alnum, "{s}");
            assert_eq!(is_snake(s), snake, "{s}");
            assert_eq!(is_param(s), param, "{s}");
        }
    }
}
