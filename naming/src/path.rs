/// A validated `#[api(path = …)]`.
#[derive(Debug, PartialEq, Eq)]
pub struct ApiPath {
    /// The segments between `/`s, in order.
    pub segments: Vec<Segment>,
}

/// One segment of a route path.
#[derive(Debug, PartialEq, Eq)]
pub enum Segment {
    /// A fixed segment: `account`.
    Literal(String),
    /// A parameter: `{id}` (stored without braces).
    Param(String),
}

impl ApiPath {
    /// The parameter names, in order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(p) => Some(p.as_str()),
            Segment::Literal(_) => None,
        })
    }
}

/// An API path: starts with `/`, no trailing `/`, each segment lower-case
/// `[a-z0-9_-]+` or a `{param}` (`[a-z_][a-z0-9_]*`), no parameter twice.
///
/// Lower-case literal segments keep URLs case-stable for clients; the param
/// form is salvo's, so the path is handed to the router unchanged.
pub fn check_api_path(path: &str) -> Result<ApiPath, String> {
    const RULE: &str = "a path starts with `/`, has no trailing `/`, and each segment is lower-case `[a-z0-9_-]+` or a `{param}`";
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("path `{path}` must start with `/`: {RULE}; write `/{path}`"));
    };
    if rest.is_empty() {
        return Err(format!("path `/` names no resource: {RULE}; write the resource, e.g. `/test`"));
    }
    if rest.ends_with('/') {
        return Err(format!(
            "path `{path}` has a trailing `/`: {RULE}; write `{}`",
            path.trim_end_matches('/')
        ));
    }
    let mut segments = Vec::new();
    for raw in rest.split('/') {
        let segment = if let Some(inner) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            if !is_param_name(inner) {
                return Err(format!(
                    "path `{path}`: parameter `{raw}` must be a snake_case name like `{{id}}`"
                ));
            }
            if segments.iter().any(|s| matches!(s, Segment::Param(p) if p == inner)) {
                return Err(format!(
                    "path `{path}` declares `{raw}` twice: each parameter names one segment; rename one, e.g. `{{{inner}2}}`"
                ));
            }
            Segment::Param(inner.to_owned())
        } else if raw.is_empty() {
            return Err(format!(
                "path `{path}` has an empty segment (`//`): {RULE}; write `{}`",
                squeeze_slashes(path)
            ));
        } else if raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            Segment::Literal(raw.to_owned())
        } else {
            return Err(format!(
                "path `{path}`: segment `{raw}` breaks the rule: {RULE}; write `{}`",
                raw.to_ascii_lowercase()
            ));
        };
        segments.push(segment);
    }
    Ok(ApiPath { segments })
}

fn is_param_name(name: &str) -> bool {
    crate::is_param(name)
}

fn squeeze_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Segment {
        Segment::Literal(s.to_owned())
    }
    fn param(s: &str) -> Segment {
        Segment::Param(s.to_owned())
    }

    #[test]
    fn accepts_lower_case_segments_and_params() {
        let cases = [
            ("/test", vec![lit("test")]),
            ("/records/login", vec![lit("records"), lit("login")]),
            ("/account/{id}", vec![lit("account"), param("id")]),
            ("/a-b/c_d/9", vec![lit("a-b"), lit("c_d"), lit("9")]),
            ("/{org}/member/{user_id}", vec![param("org"), lit("member"), param("user_id")]),
        ];
        for (path, segments) in cases {
            assert_eq!(check_api_path(path), Ok(ApiPath { segments }), "{path}");
        }
    }

    #[test]
    fn refuses_bad_paths_naming_the_fix() {
        let cases = [
            ("test", "must start with `/`", "`/test`"),
            ("/", "names no resource", "`/test`"),
            ("/account/", "trailing `/`", "`/account`"),
            ("/Account", "segment `Account`", "`account`"),
            ("/acc ount", "segment `acc ount`", ""),
            ("/a//b", "empty segment", "`/a/b`"),
            ("/account/{Id}", "parameter `{Id}`", "`{id}`"),
            ("/account/{}", "parameter `{}`", ""),
            ("/a/{id}/b/{id}", "declares `{id}` twice", "`{id2}`"),
            ("/account/{id", "segment `{id`", ""),
        ];
        for (path, what, fix) in cases {
            let err = check_api_path(path).expect_err(path);
            assert!(err.contains(what) && err.contains(fix), "{path}: {err}");
        }
    }

    #[test]
    fn lists_params_in_order() {
        let path = check_api_path("/{org}/member/{user_id}").expect("valid");
        assert_eq!(path.params().collect::<Vec<_>>(), ["org", "user_id"]);
    }
}
