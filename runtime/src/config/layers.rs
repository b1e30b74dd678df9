//! The layers of a configuration — files, then `KEEL_…` variables — merged
//! into one TOML tree that remembers where each value came from, so an
//! error names the key and its source.

use super::text_value::TextValue;
use super::{BackendEntry, Config, ConfigError};
use std::collections::BTreeMap;
use std::path::Path;

/// The merged TOML tree and, for each leaf, where its value came from.
#[derive(Default)]
pub(super) struct Layers {
    pub(super) root: toml::Table,
    pub(super) origins: BTreeMap<String, String>,
    /// Top-level sections the service owns.
    pub(super) sections: Vec<String>,
}

impl Layers {
    pub(super) fn add_file(&mut self, file: &Path) -> Result<(), ConfigError> {
        let origin = file.display().to_string();
        let text =
            std::fs::read_to_string(file).map_err(|e| ConfigError(format!("cannot read {origin}: {e}")))?;
        self.add_text(&text, &origin)
    }

    /// Adds TOML `text` that came from `origin` (a file, or the built-in
    /// default.toml).
    pub(super) fn add_text(&mut self, text: &str, origin: &str) -> Result<(), ConfigError> {
        let origin = origin.to_owned();
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
            ConfigError(format!("{origin}{at} is not valid TOML: {}", e.message()))
        })?;
        merge(&mut self.root, table, "", &origin, &mut self.origins);
        Ok(())
    }

    pub(super) fn add_env(&mut self, name: &str, path: &str, raw: &str) -> Result<(), ConfigError> {
        let origin = format!("environment variable {name}");
        let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        if keys.iter().any(String::is_empty) {
            return Err(ConfigError(format!(
                "{origin} is not a key: sections are joined by `__`, e.g. KEEL_SERVER__PORT"
            )));
        }
        let mut table = &mut self.root;
        for key in &keys[..keys.len() - 1] {
            let slot = table.entry(key.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            // `KEEL_DATABASE__DEFAULT=url` then `…__DEFAULT__POOL_SIZE=16`:
            // the URL form becomes the table form.
            if let toml::Value::String(url) = slot {
                let mut as_table = toml::Table::new();
                as_table.insert("url".to_owned(), toml::Value::String(std::mem::take(url)));
                *slot = toml::Value::Table(as_table);
            }
            table = match slot {
                toml::Value::Table(t) => t,
                _ => {
                    return Err(ConfigError(format!(
                        "{origin}: `{key}` is a value, not a section (in key `{}`)",
                        keys.join(".")
                    )));
                }
            };
        }
        let last = keys[keys.len() - 1].clone();
        // Text as written; the key's type decides what it becomes
        // (`text_value`), so nothing is guessed or altered here.
        let value = toml::Value::String(raw.to_owned());
        match table.get_mut(&last) {
            // `KEEL_DATABASE__DEFAULT=url` over a `[database.default]` table sets
            // its url; any other text over a table replaces it (inline TOML/JSON).
            Some(toml::Value::Table(existing))
                if keys.len() == 2
                    && matches!(keys[0].as_str(), "database" | "cache")
                    && raw.contains("://")
                    && !raw.trim_start().starts_with('{') =>
            {
                existing.insert("url".to_owned(), value);
                self.origins.insert(format!("{}.url", keys.join(".")), origin);
            }
            _ => {
                table.insert(last, value);
                self.origins.insert(keys.join("."), origin);
            }
        }
        Ok(())
    }

    pub(super) fn into_config(mut self) -> Result<Config, ConfigError> {
        let origins = self.origins;
        let mut sections = BTreeMap::new();
        for name in &self.sections {
            if let Some(value) = self.root.remove(name) {
                sections.insert(name.clone(), value);
            }
        }
        let mut config: Config = serde_path_to_error::deserialize(TextValue(toml::Value::Table(self.root)))
            .map_err(|err| {
            let path = err.path().to_string();
            let msg = err.into_inner().to_string();
            // The TOML deserializer appends "in `section`"; the key says it.
            let msg = msg.lines().next().unwrap_or_default().trim();
            let key = match msg.strip_prefix("unknown field `").and_then(|m| m.split_once('`')) {
                Some((field, _)) if path == "." => field.to_owned(),
                Some((field, _)) if !path.ends_with(&format!(".{field}")) && path != field => {
                    format!("{path}.{field}")
                }
                _ => path,
            };
            let source = origin_of(&origins, &key);
            ConfigError(format!("key `{key}` ({source}): {msg}"))
        })?;
        for (section, entries) in [("database", &config.database), ("cache", &config.cache)] {
            if !entries.is_empty() && !entries.contains_key("default") {
                let named = entries.keys().next().map(String::as_str).unwrap_or_default();
                let source = origin_of(&origins, &format!("{section}.{named}"));
                return Err(ConfigError(format!(
                    "key `{section}` ({source}): a configured {section} set must name a `default` one (e.g. `{section}.default`), found only `{named}`"
                )));
            }
        }
        // A cache entry shares the table form with databases but uses only
        // its URL: a pool size or timeout there would be silently ignored.
        for (name, entry) in &config.cache {
            if let BackendEntry::Table(table) = entry {
                let set = [
                    ("pool_size", table.pool_size.is_some()),
                    ("connect_timeout", table.connect_timeout.is_some()),
                    ("auto_upgrade", table.auto_upgrade.is_some()),
                    ("query_timeout_ms", table.query_timeout_ms.is_some()),
                ];
                if let Some((field, _)) = set.iter().find(|(_, present)| *present) {
                    let key = format!("cache.{name}.{field}");
                    let source = origin_of(&origins, &key);
                    return Err(ConfigError(format!(
                        "key `{key}` ({source}): a cache entry takes only `url` (the connection is one self-healing multiplexed connection, not a pool)"
                    )));
                }
            }
        }
        let cors = &config.cors;
        if cors.allow_credentials && cors.allow_origins.iter().any(|o| o == "*") {
            let source = origin_of(&origins, "cors.allow_credentials");
            return Err(ConfigError(format!(
                "key `cors.allow_credentials` ({source}): browsers refuse credentials with `allow_origins = [\"*\"]`; list the origins"
            )));
        }
        let star = |list: &[String]| list.iter().any(|item| item.trim() == "*");
        for (key, list) in [
            ("cors.allow_methods", &cors.allow_methods),
            ("cors.allow_headers", &cors.allow_headers),
            ("cors.expose_headers", &cors.expose_headers),
        ] {
            if star(list) && (key == "cors.allow_methods" || cors.allow_credentials) {
                let source = origin_of(&origins, key);
                return Err(ConfigError(format!(
                    "key `{key}` ({source}): list the names; `*` is not accepted here"
                )));
            }
        }
        for (name, entry) in &config.database {
            if let BackendEntry::Table(table) = entry
                && table.query_timeout_ms == Some(0)
            {
                let key = format!("database.{name}.query_timeout_ms");
                let source = origin_of(&origins, &key);
                return Err(ConfigError(format!(
                    "key `{key}` ({source}): 0 would cut every statement; give milliseconds, e.g. 3000"
                )));
            }
        }
        for method in &cors.allow_methods {
            if salvo::http::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).is_err() {
                let source = origin_of(&origins, "cors.allow_methods");
                return Err(ConfigError(format!(
                    "key `cors.allow_methods` ({source}): `{method}` is not an HTTP method"
                )));
            }
        }
        config.sections = sections;
        Ok(config)
    }
}

/// The origin of `key` or of the nearest key below or above it.
fn origin_of(origins: &BTreeMap<String, String>, key: &str) -> String {
    if let Some(origin) = origins.get(key) {
        return origin.clone();
    }
    if let Some((_, origin)) = origins.iter().find(|(k, _)| k.starts_with(&format!("{key}."))) {
        return origin.clone();
    }
    let mut parent = key;
    while let Some((p, _)) = parent.rsplit_once('.') {
        if let Some(origin) = origins.get(p) {
            return origin.clone();
        }
        parent = p;
    }
    "default".to_owned()
}

fn merge(
    into: &mut toml::Table,
    from: toml::Table,
    prefix: &str,
    origin: &str,
    origins: &mut BTreeMap<String, String>,
) {
    for (key, value) in from {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(table)) => {
                merge(existing, table, &path, origin, origins);
            }
            (_, value) => {
                record(&value, &path, origin, origins);
                into.insert(key, value);
            }
        }
    }
}

fn record(value: &toml::Value, path: &str, origin: &str, origins: &mut BTreeMap<String, String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, value) in table {
                record(value, &format!("{path}.{key}"), origin, origins);
            }
        }
        _ => {
            origins.insert(path.to_owned(), origin.to_owned());
        }
    }
}
