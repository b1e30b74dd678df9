//! A `[database.<name>]` or `[cache.<name>]` entry: a URL, or a table.

use serde::Deserialize;

/// A database or cache: a URL, or a table with the URL and pool settings.
#[derive(Clone, Debug, PartialEq)]
pub enum BackendEntry {
    /// `default = "mysql://…"`.
    Url(String),
    /// `[database.default]` with `url`, `pool_size`, …
    Table(BackendTable),
}

/// The table form of a [`BackendEntry`].
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackendTable {
    /// Connection URL; its scheme picks the driver.
    pub url: String,
    /// Pooled connections.
    pub pool_size: Option<u32>,
    /// Seconds to wait for a connection.
    pub connect_timeout: Option<u64>,
    /// Apply pending migrations at boot.
    pub auto_upgrade: Option<bool>,
    /// Milliseconds one statement may take (pool checkout included) before
    /// it answers 503 and the database counts as not answering (3 000).
    pub query_timeout_ms: Option<u64>,
}

/// By hand rather than `#[serde(untagged)]`: untagged loses the reason
/// (an unknown key in the table form, or `database.auto_upgrade` written one
/// level too high) behind "did not match any variant".
impl<'de> Deserialize<'de> for BackendEntry {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> serde::de::Visitor<'de> for EntryVisitor {
            type Value = BackendEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a connection URL (`default = \"mysql://…\"`) or a table of url, pool_size, connect_timeout, auto_upgrade, query_timeout_ms; a database's settings go below its name, e.g. `database.default.auto_upgrade` (KEEL_DATABASE__DEFAULT__AUTO_UPGRADE)",
                )
            }
            fn visit_str<E: serde::de::Error>(self, url: &str) -> Result<BackendEntry, E> {
                self.visit_string(url.to_owned())
            }
            fn visit_string<E: serde::de::Error>(self, url: String) -> Result<BackendEntry, E> {
                // `KEEL_DATABASE__AUTO_UPGRADE=true` arrives as the text
                // "true": not a URL, and most likely a setting one level
                // too high.
                // An inline table from the environment:
                // `KEEL_DATABASE__DEFAULT='{ url = "mysql://…", pool_size = 4 }'`.
                if url.trim_start().starts_with('{') {
                    let Some(toml::Value::Table(table)) = super::text_value::parse_inline(&url) else {
                        return Err(E::custom("an inline table that does not parse as TOML or JSON"));
                    };
                    return BackendTable::deserialize(super::text_value::TextValue(toml::Value::Table(
                        table,
                    )))
                    .map(BackendEntry::Table)
                    .map_err(E::custom);
                }
                if !url.contains("://") {
                    return Err(E::invalid_value(serde::de::Unexpected::Str(&url), &self));
                }
                Ok(BackendEntry::Url(url))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<BackendEntry, A::Error> {
                BackendTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(BackendEntry::Table)
            }
        }
        de.deserialize_any(EntryVisitor)
    }
}

impl BackendEntry {
    /// The connection URL.
    pub fn url(&self) -> &str {
        match self {
            BackendEntry::Url(url) => url,
            BackendEntry::Table(table) => &table.url,
        }
    }
}

/// A backend URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
