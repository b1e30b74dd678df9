//! The NUL character (U+0000) never reaches a handler: PostgreSQL refuses
//! it in text (a 500 on insert), C libraries cut strings at it, and no form
//! a person fills in contains it. JSON bodies, query strings and path
//! parameters holding one answer 40001 naming the field.

use crate::http::answer::{ApiError, FieldError};

const MSG: &str = "must not contain the NUL character (U+0000)";

/// 40001 for the first string of a JSON body that holds a NUL. Cheap on
/// the usual body: only a body with the escape `\u0000` is walked.
pub(crate) fn check_json(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else { return Ok(()) };
    match nul_path(&value, "") {
        Some(path) => Err(refused(if path.is_empty() { "body".to_owned() } else { path })),
        None => Ok(()),
    }
}

/// 40001 for the first query parameter whose name or value holds a NUL.
pub(crate) fn check_query(query: &str) -> Result<(), ApiError> {
    if !query.contains("%00") && !query.contains('\0') {
        return Ok(());
    }
    match form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0')) {
        Some((name, _)) => Err(refused(name.replace('\0', "\\u0000"))),
        None => Ok(()),
    }
}

/// 40001 when path parameter `name` holds a NUL.
pub(crate) fn check_param(name: &str, value: &str) -> Result<(), ApiError> {
    if value.contains('\0') { Err(refused(name.to_owned())) } else { Ok(()) }
}

fn refused(field: String) -> ApiError {
    ApiError::validation(vec![FieldError::new(field, MSG)])
}

/// The path (`items[2].name`) of the first key or string holding a NUL.
fn nul_path(value: &serde_json::Value, at: &str) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(at.to_owned()),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_path(item, &format!("{at}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            let here = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
            if key.contains('\0') { Some(here.replace('\0', "\\u0000")) } else { nul_path(item, &here) }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(err: ApiError) -> String {
        err.field_errors()[0].field.clone()
    }

    #[test]
    fn a_nul_anywhere_names_its_field() {
        assert!(check_json(br#"{"username":"root"}"#).is_ok());
        assert!(check_json(br#"{"note":"a\\u0000b"}"#).is_ok(), "an escaped backslash, not a NUL");
        assert_eq!(check_json(br#"{"username":"ro\u0000ot"}"#).map_err(field), Err("username".into()));
        assert_eq!(
            check_json(br#"{"items":[{"name":"x"},{"name":"\u0000"}]}"#).map_err(field),
            Err("items[1].name".into())
        );
        assert_eq!(check_json(br#""\u0000""#).map_err(field), Err("body".into()));
        assert_eq!(check_query("page=1&username=a%00b").map_err(field), Err("username".into()));
        assert!(check_query("page=1&username=a%2500").is_ok());
        assert_eq!(check_param("id", "1\0").map_err(field), Err("id".into()));
    }
}
