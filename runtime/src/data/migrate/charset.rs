//! MySQL tables created before keel declared `utf8mb4` with a byte-wise
//! collation took the database's default — often `latin1`, where emoji and
//! CJK do not fit and `'root'` equals `'ROOT '`. `db upgrade` (and boot with
//! `auto_upgrade`) converts them in place: `CONVERT TO` re-encodes every
//! text column, so no row is lost or changed. Other dialects, and tables
//! already converted, are left alone.

use super::MigrateError;
use super::apply::Migrator;
use crate::data::db::Dialect;
use rbs::Value;

/// The collation every keel table has on MySQL.
pub(crate) const TABLE_COLLATION: &str = "utf8mb4_bin";

impl Migrator<'_> {
    /// The service's tables (those of its last migration) whose collation
    /// is not [`TABLE_COLLATION`]; always empty off MySQL.
    pub async fn legacy_charset_tables(&self) -> Result<Vec<String>, MigrateError> {
        if self.db.dialect() != Dialect::MySql {
            return Ok(Vec::new());
        }
        let tables: Vec<String> = self.set.last_snapshot().tables.into_iter().map(|t| t.name).collect();
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; tables.len()].join(", ");
        let sql = format!(
            "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({marks}) AND TABLE_COLLATION <> ?"
        );
        let mut args: Vec<Value> = tables.iter().map(|t| Value::from(t.as_str())).collect();
        args.push(Value::from(TABLE_COLLATION));
        let rows: Vec<serde_json::Value> = self
            .db
            .query(&sql, args)
            .await
            .map_err(|e| MigrateError(format!("reading table collations: {e}")))?;
        Ok(rows
            .iter()
            .filter_map(|row| row.get("name").and_then(|n| n.as_str()).map(str::to_owned))
            .collect())
    }

    /// Converts [`Migrator::legacy_charset_tables`] to `utf8mb4` with the
    /// byte-wise collation; `report` hears one line per table.
    pub async fn convert_legacy_charset(
        &self,
        report: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<Vec<String>, MigrateError> {
        let tables = self.legacy_charset_tables().await?;
        for table in &tables {
            // A table name from the migrations, checked by the naming rules:
            // safe to splice (DDL cannot bind names).
            let sql =
                format!("ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE {TABLE_COLLATION}");
            self.db
                .rbatis()
                .exec(&sql, vec![])
                .await
                .map_err(|e| MigrateError(format!("converting {table} to utf8mb4: {e}")))?;
            report(&format!("converted {table} to utf8mb4 ({TABLE_COLLATION})"));
        }
        Ok(tables)
    }
}
