//! [`Filter`]: typed conditions, ordering and limits for the row
//! operations of table `T`; every value is a bound parameter. [`Set`]: the
//! typed assignments of `update_where`. [`Paging`]: one validated page.

use crate::data::column::{Bind, ColumnOf, TextColumn};
use rbs::Value;
use std::marker::PhantomData;

/// Conditions on table `T`, ANDed unless grouped with [`Filter::or`], and
/// the order, limit and offset of a select.
///
/// ```
/// # #[keel::table(prefix = "sys")]
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # pub struct Account { #[column(primary)] pub id: Option<i64>, #[column(len = 32)] pub username: String, pub status: i16 }
/// use keel::db::Filter;
/// let filter = Filter::new()
///     .eq(Account::STATUS, 1_i16)
///     .or(Filter::new().is_in(Account::ID, [1, 2, 3]))
///     .contains_ci(Account::USERNAME, "an_")
///     .order_by(Account::USERNAME)
///     .limit(10);
/// assert_eq!(
///     filter.where_sql(),
///     " WHERE ((status = ?) OR (id IN (?, ?, ?))) AND LOWER(username) LIKE ? ESCAPE '!'"
/// );
/// ```
pub struct Filter<T> {
    clauses: Vec<String>,
    pub(crate) args: Vec<Value>,
    order: Vec<(&'static str, bool)>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    _table: PhantomData<fn() -> T>,
}

impl<T> Clone for Filter<T> {
    fn clone(&self) -> Self {
        Filter {
            clauses: self.clauses.clone(),
            args: self.args.clone(),
            order: self.order.clone(),
            limit: self.limit,
            offset: self.offset,
            _table: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Filter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("where", &self.where_sql())
            .field("order", &self.order_sql("id"))
            .finish()
    }
}

impl<T> Default for Filter<T> {
    fn default() -> Self {
        Filter {
            clauses: Vec::new(),
            args: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
            _table: PhantomData,
        }
    }
}

impl<T> Filter<T> {
    /// No conditions: every row.
    pub fn new() -> Filter<T> {
        Filter::default()
    }

    fn compare<V>(mut self, column: impl ColumnOf<T, V>, op: &str, value: &impl Bind<V>) -> Filter<T> {
        self.clauses.push(format!("{} {op} ?", column.column_name()));
        self.args.push(value.bind());
        self
    }

    /// `column = value`.
    pub fn eq<V>(self, column: impl ColumnOf<T, V>, value: impl Bind<V>) -> Filter<T> {
        self.compare(column, "=", &value)
    }

    /// `column <> value`.
    pub fn ne<V>(self, column: impl ColumnOf<T, V>, value: impl Bind<V>) -> Filter<T> {
        self.compare(column, "<>", &value)
    }

    /// `column < value` (times compare as times).
    pub fn lt<V>(self, column: impl ColumnOf<T, V>, value: impl Bind<V>) -> Filter<T> {
        self.compare(column, "<", &value)
    }

    /// `column <= value`.
    pub fn le<V>(self, column: impl ColumnOf<T, V>, value: impl Bind<V>) -> Filter<T> {
        self.compare(column, "<=", &value)
    }

    /// `column > value`.
    pub fn gt<V>(self, column: impl ColumnOf<T, V>, value: impl Bind<V>) -> Filter<T> {
        self.compare(column, ">", &value)
    }

    /// `column >= value`.
    pub fn ge<V>(self, column: impl ColumnOf<T, V>, value: impl Bind<V>) -> Filter<T> {
        self.compare(column, ">=", &value)
    }

    /// `column IN (…)`; no values matches no row.
    pub fn is_in<V, B: Bind<V>>(
        mut self,
        column: impl ColumnOf<T, V>,
        values: impl IntoIterator<Item = B>,
    ) -> Filter<T> {
        let values: Vec<Value> = values.into_iter().map(|v| v.bind()).collect();
        if values.is_empty() {
            self.clauses.push("1 = 0".to_owned());
            return self;
        }
        let marks = vec!["?"; values.len()].join(", ");
        self.clauses.push(format!("{} IN ({marks})", column.column_name()));
        self.args.extend(values);
        self
    }

    /// `column IS NULL`.
    pub fn is_null<V>(mut self, column: impl ColumnOf<T, Option<V>>) -> Filter<T> {
        self.clauses.push(format!("{} IS NULL", column.column_name()));
        self
    }

    /// `column IS NOT NULL`.
    pub fn not_null<V>(mut self, column: impl ColumnOf<T, Option<V>>) -> Filter<T> {
        self.clauses.push(format!("{} IS NOT NULL", column.column_name()));
        self
    }

    /// Case-insensitive substring match; `%` and `_` in `needle` are
    /// literal characters.
    pub fn contains_ci<V: TextColumn>(self, column: impl ColumnOf<T, V>, needle: &str) -> Filter<T> {
        let pattern = format!("%{}%", escape_like(&needle.to_lowercase()));
        self.like(&format!("LOWER({})", column.column_name()), pattern)
    }

    /// Text starting with `prefix` (case-sensitive; `%` and `_` literal).
    pub fn starts_with<V: TextColumn>(self, column: impl ColumnOf<T, V>, prefix: &str) -> Filter<T> {
        let pattern = format!("{}%", escape_like(prefix));
        self.like(column.column_name(), pattern)
    }

    fn like(mut self, expression: &str, pattern: String) -> Filter<T> {
        self.clauses.push(format!("{expression} LIKE ? ESCAPE '!'"));
        self.args.push(Value::String(pattern));
        self
    }

    /// Rows matching this filter's conditions or `other`'s: `(this) OR
    /// (other)`, one condition for what follows (which is ANDed with it).
    pub fn or(mut self, other: Filter<T>) -> Filter<T> {
        let group = |clauses: &[String]| match clauses {
            [] => "1 = 1".to_owned(),
            clauses => clauses.join(" AND "),
        };
        let clause = format!("({}) OR ({})", group(&self.clauses), group(&other.clauses));
        self.clauses = vec![format!("({clause})")];
        self.args.extend(other.args);
        self
    }

    /// Ascending by `column`, after any order given before.
    pub fn order_by<V>(mut self, column: impl ColumnOf<T, V>) -> Filter<T> {
        self.order.push((column.column_name(), false));
        self
    }

    /// Descending by `column`, after any order given before.
    pub fn order_by_desc<V>(mut self, column: impl ColumnOf<T, V>) -> Filter<T> {
        self.order.push((column.column_name(), true));
        self
    }

    /// At most `rows` rows.
    pub fn limit(mut self, rows: u64) -> Filter<T> {
        self.limit = Some(rows);
        self
    }

    /// Skips `rows` rows (after ordering).
    pub fn offset(mut self, rows: u64) -> Filter<T> {
        self.offset = Some(rows);
        self
    }

    /// ` WHERE …` (empty without conditions).
    pub fn where_sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }

    /// ` ORDER BY …`: the given order, else `primary_key` descending (newest first).
    pub(crate) fn order_sql(&self, primary_key: &str) -> String {
        if self.order.is_empty() {
            return format!(" ORDER BY {primary_key} DESC");
        }
        let parts: Vec<String> = self
            .order
            .iter()
            .map(|(c, desc)| format!("{c} {}", if *desc { "DESC" } else { "ASC" }))
            .collect();
        format!(" ORDER BY {}", parts.join(", "))
    }

    /// ` LIMIT … OFFSET …` as set (numbers, not parameters: every dialect
    /// takes them inline, and they are integers).
    pub(crate) fn limit_sql(&self) -> String {
        match (self.limit, self.offset) {
            (Some(limit), Some(offset)) => format!(" LIMIT {limit} OFFSET {offset}"),
            (Some(limit), None) => format!(" LIMIT {limit}"),
            // MySQL has no OFFSET without LIMIT: the largest row count.
            (None, Some(offset)) => format!(" LIMIT {} OFFSET {offset}", i64::MAX),
            (None, None) => String::new(),
        }
    }
}

/// `%`, `_` and the escape character itself, escaped with `!` (which needs
/// no quoting in any dialect).
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

/// The assignments of an `update_where`: `SET column = value, …`.
pub struct Set<T> {
    pub(crate) columns: Vec<&'static str>,
    pub(crate) args: Vec<Value>,
    _table: PhantomData<fn() -> T>,
}

impl<T> Default for Set<T> {
    fn default() -> Self {
        Set { columns: Vec::new(), args: Vec::new(), _table: PhantomData }
    }
}

impl<T> Set<T> {
    /// No assignment yet.
    pub fn new() -> Set<T> {
        Set::default()
    }

    /// `column = value`.
    pub fn set<V>(mut self, column: impl ColumnOf<T, V>, value: impl Bind<V>) -> Set<T> {
        self.columns.push(column.column_name());
        self.args.push(value.bind());
        self
    }

    /// `column = NULL` on a nullable column.
    pub fn set_null<V>(mut self, column: impl ColumnOf<T, Option<V>>) -> Set<T> {
        self.columns.push(column.column_name());
        self.args.push(Value::Null);
        self
    }
}

/// One page of a list: `page` from 1, `size` rows, checked by
/// `keel::paging` (400 naming the field otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// From 1.
    pub page: u64,
    /// Rows per page.
    pub size: u64,
}

impl Paging {
    /// The rows skipped before this page.
    pub fn offset(&self) -> u64 {
        self.page.saturating_sub(1).saturating_mul(self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::column::Column;

    struct Account;
    const USERNAME: Column<Account, String> = Column::new("username");
    const NOTE: Column<Account, Option<String>> = Column::new("note");
    const ID: Column<Account, Option<i64>> = Column::new("id");

    #[test]
    fn like_patterns_take_percent_and_underscore_literally() {
        let filter = Filter::new().contains_ci(USERNAME, "A_b%c!");
        assert_eq!(filter.where_sql(), " WHERE LOWER(username) LIKE ? ESCAPE '!'");
        assert_eq!(filter.args, vec![Value::String("%a!_b!%c!!%".to_owned())]);
        let filter = Filter::new().starts_with(NOTE, "50%");
        assert_eq!(filter.args, vec![Value::String("50!%%".to_owned())]);
    }

    #[test]
    fn groups_order_and_limits_render_in_sql() {
        let filter = Filter::new()
            .eq(ID, 1)
            .eq(USERNAME, "a")
            .or(Filter::new().is_null(NOTE))
            .is_in(ID, Vec::<i64>::new())
            .order_by(USERNAME)
            .order_by_desc(ID)
            .limit(5)
            .offset(10);
        assert_eq!(filter.where_sql(), " WHERE ((id = ? AND username = ?) OR (note IS NULL)) AND 1 = 0");
        assert_eq!(filter.order_sql("id"), " ORDER BY username ASC, id DESC");
        assert_eq!(filter.limit_sql(), " LIMIT 5 OFFSET 10");
        assert_eq!(filter.args.len(), 2);
        assert_eq!(Filter::<Account>::new().order_sql("id"), " ORDER BY id DESC");
    }
}
