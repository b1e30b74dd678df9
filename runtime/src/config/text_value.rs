//! Configuration values read by the type of the key they set.
//!
//! An environment variable is text. Guessing its type up front alters it —
//! `KEEL_ADMIN__PASSWORD=000012345678` read as the number 12345678, `1.50`
//! as 1.5 — so every variable enters the tree as a string, and this
//! deserializer converts it only when the key's type asks: a number or a
//! boolean is parsed (a bad one is an error naming the key), a list or a
//! table is read as inline TOML (`["10.0.0.1", "10.0.0.2"]`,
//! `{ access = "off" }`) or JSON, and a string stays byte-for-byte.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, Deserializer, IntoDeserializer, Unexpected, Visitor};
use std::fmt;

/// A configuration tree (or subtree) to deserialize.
pub(crate) struct TextValue(pub(crate) toml::Value);

/// Why a value does not fit its key.
#[derive(Debug)]
pub(crate) struct ValueError(String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

impl de::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

impl<'de> IntoDeserializer<'de, ValueError> for TextValue {
    type Deserializer = TextValue;

    fn into_deserializer(self) -> TextValue {
        self
    }
}

/// Text as an inline TOML value (`[…]`, `{ … }`), else as JSON.
pub(crate) fn parse_inline(text: &str) -> Option<toml::Value> {
    if let Ok(mut table) = format!("value = {text}").parse::<toml::Table>() {
        return table.remove("value");
    }
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    toml::Value::try_from(json).ok()
}

macro_rules! parse_number {
    ($method:ident, $ty:ty, $visit:ident) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            match self.0 {
                toml::Value::String(text) => match text.trim().parse::<$ty>() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(de::Error::invalid_value(Unexpected::Str(&text), &visitor)),
                },
                other => TextValue(other).deserialize_any(visitor),
            }
        }
    };
}

impl<'de> Deserializer<'de> for TextValue {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            toml::Value::String(s) => visitor.visit_string(s),
            toml::Value::Integer(i) => visitor.visit_i64(i),
            toml::Value::Float(f) => visitor.visit_f64(f),
            toml::Value::Boolean(b) => visitor.visit_bool(b),
            toml::Value::Datetime(d) => visitor.visit_string(d.to_string()),
            toml::Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(TextValue));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            toml::Value::Table(table) => {
                let mut map = MapDeserializer::new(table.into_iter().map(|(k, v)| (k, TextValue(v))));
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    parse_number!(deserialize_i8, i8, visit_i8);
    parse_number!(deserialize_i16, i16, visit_i16);
    parse_number!(deserialize_i32, i32, visit_i32);
    parse_number!(deserialize_i64, i64, visit_i64);
    parse_number!(deserialize_u8, u8, visit_u8);
    parse_number!(deserialize_u16, u16, visit_u16);
    parse_number!(deserialize_u32, u32, visit_u32);
    parse_number!(deserialize_u64, u64, visit_u64);
    parse_number!(deserialize_f32, f32, visit_f32);
    parse_number!(deserialize_f64, f64, visit_f64);
    parse_number!(deserialize_bool, bool, visit_bool);

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        // TOML has no null: a present key is `Some`.
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.inline(visitor, |v| v.is_array(), "a list, written as inline TOML or JSON: [\"a\", \"b\"]")
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.inline(visitor, |v| v.is_table(), "a table, written as inline TOML or JSON: { key = \"value\" }")
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            toml::Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct tuple tuple_struct identifier ignored_any
    }
}

impl TextValue {
    /// A list or table: text is read as inline TOML or JSON and must be of
    /// the `wanted` kind; any other value goes as it is.
    fn inline<'de, V: Visitor<'de>>(
        self,
        visitor: V,
        wanted: fn(&toml::Value) -> bool,
        expected: &'static str,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            toml::Value::String(text) => match parse_inline(&text) {
                Some(value) if wanted(&value) => TextValue(value).deserialize_any(visitor),
                // The text is not quoted back: it may be a URL with a password
                // set one level too high.
                _ => Err(de::Error::invalid_value(Unexpected::Other("text"), &expected)),
            },
            other => TextValue(other).deserialize_any(visitor),
        }
    }
}

fn unexpected(value: &toml::Value) -> Unexpected<'_> {
    match value {
        toml::Value::String(s) => Unexpected::Str(s),
        toml::Value::Integer(i) => Unexpected::Signed(*i),
        toml::Value::Float(f) => Unexpected::Float(*f),
        toml::Value::Boolean(b) => Unexpected::Bool(*b),
        toml::Value::Datetime(_) => Unexpected::Other("a date-time"),
        toml::Value::Array(_) => Unexpected::Seq,
        toml::Value::Table(_) => Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Shape {
        text: String,
        port: Option<u16>,
        on: bool,
        ratio: f64,
        list: Vec<String>,
        levels: std::collections::BTreeMap<String, String>,
    }

    fn text(pairs: &[(&str, &str)]) -> toml::Value {
        let mut table = toml::Table::new();
        for (key, value) in pairs {
            table.insert((*key).to_owned(), toml::Value::String((*value).to_owned()));
        }
        toml::Value::Table(table)
    }

    #[test]
    fn text_becomes_what_the_key_asks_for_and_strings_stay_as_written() {
        let value = text(&[
            ("text", "000012345678"),
            ("port", "8001"),
            ("on", "true"),
            ("ratio", "1.50"),
            ("list", r#"["10.0.0.1", "10.0.0.2"]"#),
            ("levels", r#"{"access": "off"}"#),
        ]);
        let shape = Shape::deserialize(TextValue(value)).map_err(|e| e.to_string());
        assert_eq!(
            shape,
            Ok(Shape {
                text: "000012345678".to_owned(),
                port: Some(8001),
                on: true,
                ratio: 1.5,
                list: vec!["10.0.0.1".to_owned(), "10.0.0.2".to_owned()],
                levels: [("access".to_owned(), "off".to_owned())].into(),
            })
        );
    }

    #[test]
    fn a_bad_number_or_list_says_what_was_expected() {
        let bad = text(&[("text", "x"), ("port", "soon"), ("on", "true"), ("ratio", "1"), ("list", "[]")]);
        let err = Shape::deserialize(TextValue(bad)).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(err, Err("invalid value: string \"soon\", expected u16".to_owned()));
        let bad = text(&[("list", "a,b")]);
        let err = Vec::<String>::deserialize(TextValue(bad["list"].clone())).map_err(|e| e.to_string());
        assert!(err.is_err_and(|e| e.contains("a list, written as inline TOML or JSON")));
    }
}
