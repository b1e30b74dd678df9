/// One piece of a cache key template: `{token}` or `:` between params.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyPart {
    /// Text kept as written.
    Literal(String),
    /// A field of the struct, formatted with `Display`.
    Param(String),
}

/// The part of a cache key after its name: `{token}`, `{account_id}:{device}`.
/// Parameters are field names; text between them is `[a-z0-9_:.-]`, so keys
/// stay greppable (`sys_token:abc`).
pub fn parse_key_template(template: &str) -> Result<Vec<KeyPart>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    if template.is_empty() {
        return Err("`key` is empty: write the parameters after the name, e.g. `key = \"{id}\"`".to_owned());
    }
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let Some(end) = after.find('}') else {
                return Err(format!(
                    "key `{template}`: `{{` without `}}`; parameters are written `{{field}}`"
                ));
            };
            let name = &after[..end];
            let valid = crate::is_param(name);
            if !valid {
                return Err(format!(
                    "key `{template}`: `{{{name}}}` is not a field name; parameters are written `{{field}}`"
                ));
            }
            parts.push(KeyPart::Param(name.to_owned()));
            rest = &after[end + 1..];
        } else {
            let end = rest.find('{').unwrap_or(rest.len());
            let text = &rest[..end];
            if let Some(bad) =
                text.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "_:.-".contains(*c)))
            {
                return Err(format!(
                    "key `{template}`: `{bad}` cannot be in a cache key; between parameters use lower-case letters, digits and `_ : . -`"
                ));
            }
            parts.push(KeyPart::Literal(text.to_owned()));
            rest = &rest[end..];
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_params_and_text() {
        assert_eq!(parse_key_template("{token}"), Ok(vec![KeyPart::Param("token".into())]));
        assert_eq!(
            parse_key_template("{account_id}:{device}"),
            Ok(vec![
                KeyPart::Param("account_id".into()),
                KeyPart::Literal(":".into()),
                KeyPart::Param("device".into())
            ])
        );
        assert_eq!(parse_key_template("day:{day}").map(|p| p.len()), Ok(2));
    }

    #[test]
    fn bad_templates_say_what_to_write() {
        for (template, needle) in [
            ("", "is empty"),
            ("{token", "without `}`"),
            ("{Token}", "not a field name"),
            ("{}", "not a field name"),
            ("x y", "cannot be in a cache key"),
            ("{a}/{b}", "cannot be in a cache key"),
        ] {
            let err = parse_key_template(template).err().unwrap_or_default();
            assert!(err.contains(needle), "{template}: {err}");
        }
    }
}
