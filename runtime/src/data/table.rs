//! Tables and their schema descriptions, declared with `#[keel::table]`,
//! `#[keel::columns]` and listed per service with `keel::models!`.
//!
//! ```
//! use keel::{Columns, Table};
//!
//! /// Columns every table shares (seed: an abstract model in common/model_db).
//! #[keel::columns]
//! #[derive(serde::Serialize, serde::Deserialize)]
//! pub struct Stamps {
//!     pub created_at: Option<i64>,
//!     pub updated_at: Option<i64>,
//! }
//!
//! #[keel::table(prefix = "sys", kind = "records")]
//! #[derive(serde::Serialize, serde::Deserialize)]
//! pub struct Login {
//!     #[column(primary)]
//!     pub id: Option<i64>,
//!     #[column(index)]
//!     pub account_id: i64,
//!     #[column(len = 64)]
//!     pub ip: String,
//!     #[column(flatten)]
//!     pub stamps: Stamps,
//! }
//!
//! assert_eq!(Login::TABLE, "sys_records_login");
//! assert_eq!(Login::CACHE_KEY, "sys_records_login");
//! assert_eq!(Login::row_key(42), "sys_records_login:42");
//! let names: Vec<_> = Login::schema().columns.iter().map(|c| c.name).collect();
//! assert_eq!(names, ["id", "account_id", "ip", "created_at", "updated_at"]);
//! ```

use std::fmt::Display;

/// The SQL type class of a column; each dialect renders its own spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqlType {
    /// `BOOLEAN`.
    Bool,
    /// 16-bit integer.
    SmallInt,
    /// 32-bit integer.
    Integer,
    /// 64-bit integer.
    BigInt,
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// Text; `VARCHAR(len)` when the column has a `len`.
    Text,
    /// Bytes.
    Blob,
    /// A time as RFC 3339 text (`VARCHAR(32)`): how time columns were
    /// stored before native times; kept so migrations written then read
    /// the same, and converted by the next `db migrate`.
    Timestamp,
    /// A UTC time in the database's own type: `DATETIME(6)` on MySQL,
    /// `TIMESTAMPTZ` on PostgreSQL, RFC 3339 `TEXT` on SQLite.
    #[serde(rename = "datetime")]
    DateTime,
}

/// A Rust type's column type. Implemented for the primitive types, `String`,
/// `Option<T>` (nullable) and every `#[derive(BaseEnum)]` (an integer).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a table column",
    note = "columns are integers, floats, bool, String, Vec<u8>, BaseEnum types or Option of those; a column set goes in with `#[column(flatten)]`"
)]
pub trait ColumnType {
    /// The SQL type class.
    const SQL_TYPE: SqlType;
    /// Whether NULL is allowed.
    const NULLABLE: bool = false;
}

macro_rules! column_types {
    ($($ty:ty => $sql:ident),* $(,)?) => {
        $(impl ColumnType for $ty { const SQL_TYPE: SqlType = SqlType::$sql; })*
    };
}

column_types! {
    bool => Bool, i8 => SmallInt, i16 => SmallInt, u8 => SmallInt, i32 => Integer, u16 => Integer,
    i64 => BigInt, u32 => BigInt, u64 => BigInt, f32 => Float, f64 => Double, String => Text,
    Vec<u8> => Blob, crate::time::DateTime => DateTime,
}

impl<T: ColumnType> ColumnType for Option<T> {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;
}

/// One column, as the migrations see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSchema {
    /// Column name (the field's).
    pub name: &'static str,
    /// SQL type class.
    pub sql_type: SqlType,
    /// NULL allowed (an `Option` field).
    pub nullable: bool,
    /// The primary key.
    pub primary: bool,
    /// A unique index on this column.
    pub unique: bool,
    /// A plain index on this column.
    pub index: bool,
    /// Maximum length (`VARCHAR(len)`).
    pub len: Option<u32>,
    /// Default value, as SQL text.
    pub default: Option<&'static str>,
    /// The column's previous name: a declared rename, never a guessed one.
    pub renamed_from: Option<&'static str>,
}

/// A table, as the migrations see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSchema {
    /// Table name.
    pub name: &'static str,
    /// The table's previous name: a declared rename, never a guessed one.
    pub renamed_from: Option<&'static str>,
    /// Columns, in declaration order (column sets where they are flattened).
    pub columns: Vec<ColumnSchema>,
    /// The named database it lives on (`#[table(database = "…")]`).
    pub database: &'static str,
}

/// A struct whose fields are columns: a table or an abstract column set.
pub trait Columns {
    /// The columns, in declaration order.
    fn columns() -> Vec<ColumnSchema>;
}

/// A table declared with `#[keel::table]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a keel table",
    note = "declare it with `#[keel::table(prefix = \"…\")]`"
)]
pub trait Table: Columns {
    /// `<prefix>_<kind>_<name>`.
    const TABLE: &'static str;
    /// The owning service's prefix.
    const PREFIX: &'static str;
    /// The cache key of the table: its name (the cache key rule, docs/conventions.md).
    const CACHE_KEY: &'static str;
    /// The primary key column.
    const PRIMARY_KEY: &'static str;
    /// The table's previous name (`#[table(renamed_from = "…")]`).
    const RENAMED_FROM: Option<&'static str> = None;
    /// Columns never written to the row's cache entry
    /// (`#[column(skip_cache)]`): a row read through the cache has their
    /// default value instead.
    const CACHE_SKIP: &'static [&'static str] = &[];

    /// The named database the table lives on (`#[table(database = "stats")]`;
    /// `default` otherwise): its migrations are in
    /// `migrations/<service>/<database>/`, and its rows are read through
    /// `ctx.db_named("<database>")`.
    const DATABASE: &'static str = "default";
    /// Seconds a row read through the cache stays there
    /// (`#[table(cache_ttl = …)]`); `None`: the default.
    const CACHE_TTL: Option<u64> = None;

    /// The statements by primary key, built once (emitted by the macro).
    fn statements() -> &'static crate::data::rows::Statements;

    /// The cache key of one row: `sys_account:42`.
    fn row_key(primary_key: impl Display) -> String {
        format!("{}:{primary_key}", Self::CACHE_KEY)
    }

    /// The schema description.
    fn schema() -> TableSchema {
        TableSchema {
            name: Self::TABLE,
            renamed_from: Self::RENAMED_FROM,
            columns: Self::columns(),
            database: Self::DATABASE,
        }
    }
}

/// The databases `models` live on, `default` first, each once.
pub(crate) fn databases_of(models: &[TableSchema]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = models.iter().map(|t| t.database).collect();
    names.sort_by_key(|name| (*name != "default", *name));
    names.dedup();
    names
}

/// Fails const evaluation when `tables[index]`'s prefix differs from the
/// service's (framework tables, prefix `keel`, go anywhere), or it has the
/// name of a table listed before it. `keel::models!` emits one check per
/// table, spanned at it, so every offender is reported where it is listed.
/// A table whose `#[keel::table]` failed has an empty name and is skipped:
/// its own error already says what is wrong.
#[doc(hidden)]
pub const fn assert_models(service_prefix: &str, tables: &[(&str, &str)], index: usize) {
    use crate::const_text::{Message, bytes_eq};
    let (prefix, name) = tables[index];
    if name.is_empty() || service_prefix.is_empty() {
        return;
    }
    if !bytes_eq(prefix.as_bytes(), service_prefix.as_bytes()) && !bytes_eq(prefix.as_bytes(), b"keel") {
        let mut msg = Message::new();
        msg.push("table `").push(name).push("`: table prefix `").push(prefix);
        msg.push("` does not match service prefix `").push(service_prefix);
        msg.push("`; write `#[keel::table(prefix = \"").push(service_prefix).push("\")]`");
        msg.fail();
    }
    let mut j = 0;
    while j < index {
        if bytes_eq(name.as_bytes(), tables[j].1.as_bytes()) {
            let mut msg = Message::new();
            msg.push("two models of keel::models! are table `").push(name);
            msg.push("`: give one another `name = \"…\"` or `kind = \"…\"`");
            msg.fail();
        }
        j += 1;
    }
}
