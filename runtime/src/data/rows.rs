//! Row operations over `#[keel::table]` types, written once and offered by
//! both [`Db`] (each statement on a pooled connection) and [`Tx`] (every
//! statement on one transaction's connection): get, get_many, first,
//! select, page, count, exists, insert, insert_many, update, update_where,
//! delete, delete_where, and [`Sql`] for a hand-written statement that takes
//! its table name from the model.
//!
//! The statements by primary key (get, insert, update, delete) are built
//! once per table ([`Statements`], cached by the table's own impl); only a
//! filter's shape is rendered per call. Every statement runs under the
//! database's deadline and breaker. Writes drop the rows they changed from
//! the read-through cache — a transaction's, once it commits.

use crate::data::column::{Bind, SqlValue};
use crate::data::db::{Db, DbError, Dialect};
use crate::data::filter::{Filter, Paging, Set};
use crate::data::table::Table;
pub use crate::data::transaction::Tx;
use rbs::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The fixed statements of one table, built on first use (`Table::statements`).
#[derive(Debug)]
pub struct Statements {
    /// `SELECT <every column> FROM t`. The columns are named, not `*`:
    /// SQLite expands `*` with the schema a connection last read, and
    /// after a table was rebuilt by another connection (a migration) the
    /// driver would pair the old column names with the new order's values.
    pub select: String,
    /// `SELECT <every column> FROM t WHERE pk = ?`.
    pub get: String,
    /// `INSERT INTO t (…) VALUES (…)` without the primary key.
    pub insert: String,
    /// The same with `RETURNING pk` (PostgreSQL, SQLite).
    pub insert_returning: String,
    /// `UPDATE t SET … WHERE pk = ?` (every column but the key).
    pub update: String,
    /// `DELETE FROM t WHERE pk = ?`.
    pub delete: String,
    /// The columns written by insert and update, in order.
    pub written: Vec<&'static str>,
}

impl Statements {
    /// The statements of `T`.
    #[doc(hidden)]
    pub fn of<T: Table>() -> Statements {
        let (table, pk) = (T::TABLE, T::PRIMARY_KEY);
        let written: Vec<&'static str> = T::columns().iter().filter(|c| !c.primary).map(|c| c.name).collect();
        let marks = vec!["?"; written.len()].join(", ");
        let insert = format!("INSERT INTO {table} ({}) VALUES ({marks})", written.join(", "));
        let sets: Vec<String> = written.iter().map(|c| format!("{c} = ?")).collect();
        let all: Vec<&str> = T::columns().iter().map(|c| c.name).collect();
        let select = format!("SELECT {} FROM {table}", all.join(", "));
        Statements {
            get: format!("{select} WHERE {pk} = ?"),
            select,
            insert_returning: format!("{insert} RETURNING {pk}"),
            insert,
            update: format!("UPDATE {table} SET {} WHERE {pk} = ?", sets.join(", ")),
            delete: format!("DELETE FROM {table} WHERE {pk} = ?"),
            written,
        }
    }
}

/// Where a statement runs.
#[derive(Clone, Copy)]
pub(crate) struct On<'a> {
    db: &'a Db,
    tx: Option<&'a Tx>,
}

impl On<'_> {
    async fn query<R: DeserializeOwned + Send + 'static>(
        &self,
        sql: &str,
        args: Vec<Value>,
    ) -> Result<R, DbError> {
        match self.tx {
            None => self.db.query(sql, args).await,
            Some(tx) => {
                let (conn, sql) = (tx.tx.clone(), sql.to_owned());
                self.db.guarded(async move { conn.exec_decode::<R>(&sql, args).await }).await
            }
        }
    }

    async fn exec(&self, sql: &str, args: Vec<Value>) -> Result<rbatis::rbdc::db::ExecResult, DbError> {
        match self.tx {
            None => {
                let (rb, sql) = (self.db.rb.clone(), sql.to_owned());
                self.db.guarded(async move { rb.exec(&sql, args).await }).await
            }
            Some(tx) => {
                let (conn, sql) = (tx.tx.clone(), sql.to_owned());
                self.db.guarded(async move { conn.exec(&sql, args).await }).await
            }
        }
    }

    /// Refuses a table of another named database: its rows are not here.
    fn check<T: Table>(&self) -> Result<(), DbError> {
        if T::DATABASE == self.db.name() {
            return Ok(());
        }
        Err(DbError::Other(format!(
            "table `{}` lives on database `{}`, not `{}`: read it through ctx.db_named(\"{}\")",
            T::TABLE,
            T::DATABASE,
            self.db.name(),
            T::DATABASE
        )))
    }

    /// Row `id` of `T` changed: out of the cache now, or at commit.
    async fn touched<T: Table>(&self, id: i64) {
        match self.tx {
            None => self.db.invalidate::<T>(id).await,
            Some(tx) if self.db.cache.is_some() => {
                tx.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(T::row_key(id));
            }
            Some(_) => {}
        }
    }

    async fn get<T: Table + DeserializeOwned + Send + 'static>(&self, id: i64) -> Result<Option<T>, DbError> {
        self.check::<T>()?;
        // exec_decode::<Option<T>> fails in rbatis 4.9.8 (docs/benchmarks.md).
        let mut rows: Vec<T> = self.query(&T::statements().get, vec![Value::I64(id)]).await?;
        Ok(if rows.is_empty() { None } else { Some(rows.swap_remove(0)) })
    }

    async fn select<T: Table + DeserializeOwned + Send + 'static>(
        &self,
        filter: &Filter<T>,
    ) -> Result<Vec<T>, DbError> {
        self.check::<T>()?;
        let sql = format!(
            "{}{}{}{}",
            T::statements().select,
            filter.where_sql(),
            filter.order_sql(T::PRIMARY_KEY),
            filter.limit_sql()
        );
        self.query(&sql, filter.args.clone()).await
    }

    async fn count<T: Table>(&self, filter: &Filter<T>) -> Result<u64, DbError> {
        self.check::<T>()?;
        let sql = format!("SELECT COUNT(*) AS total FROM {}{}", T::TABLE, filter.where_sql());
        let counted: Vec<Value> = self.query(&sql, filter.args.clone()).await?;
        Ok(counted.first().and_then(first_i64).unwrap_or(0).max(0).unsigned_abs())
    }

    async fn insert<T: Table + Serialize>(&self, row: &T) -> Result<i64, DbError> {
        self.check::<T>()?;
        let statements = T::statements();
        let args = written_values(row, &statements.written)?;
        let id = if self.db.dialect() == Dialect::MySql {
            // rbdc-mysql yields no rows for `INSERT … RETURNING`.
            value_i64(&self.exec(&statements.insert, args).await?.last_insert_id)
        } else {
            // rbdc-pg gives no last insert id.
            let rows: Vec<Value> = self.query(&statements.insert_returning, args).await?;
            rows.first().and_then(first_i64)
        };
        let id = id.ok_or_else(|| DbError::Other(format!("insert into {} returned no id", T::TABLE)))?;
        // A "no such row" may be cached for this id.
        self.touched::<T>(id).await;
        Ok(id)
    }

    async fn update<T: Table + Serialize>(&self, id: i64, row: &T) -> Result<u64, DbError> {
        self.check::<T>()?;
        let statements = T::statements();
        let mut args = written_values(row, &statements.written)?;
        args.push(Value::I64(id));
        let changed = self.exec(&statements.update, args).await?.rows_affected;
        self.touched::<T>(id).await;
        Ok(changed)
    }

    async fn delete<T: Table>(&self, id: i64) -> Result<u64, DbError> {
        self.check::<T>()?;
        let removed = self.exec(&T::statements().delete, vec![Value::I64(id)]).await?.rows_affected;
        self.touched::<T>(id).await;
        Ok(removed)
    }

    /// With a cache, the keys of the rows `filter` matches now, and the
    /// filter narrowed to exactly those rows — so every row the statement
    /// changes is one dropped from the cache.
    async fn pinned<T: Table>(&self, filter: &Filter<T>) -> Result<(Filter<T>, Vec<i64>), DbError> {
        self.check::<T>()?;
        if self.db.cache.is_none() {
            return Ok((filter.clone(), Vec::new()));
        }
        let sql = format!("SELECT {pk} AS id FROM {}{}", T::TABLE, filter.where_sql(), pk = T::PRIMARY_KEY);
        let rows: Vec<Value> = self.query(&sql, filter.args.clone()).await?;
        let ids: Vec<i64> = rows.iter().filter_map(first_i64).collect();
        let mut pinned = filter.clone();
        pinned.pin_keys(T::PRIMARY_KEY, &ids);
        Ok((pinned, ids))
    }

    async fn update_where<T: Table>(&self, filter: &Filter<T>, set: &Set<T>) -> Result<u64, DbError> {
        if set.columns.is_empty() {
            return Ok(0);
        }
        let (filter, ids) = self.pinned(filter).await?;
        let sets: Vec<String> = set.columns.iter().map(|c| format!("{c} = ?")).collect();
        let sql = format!("UPDATE {} SET {}{}", T::TABLE, sets.join(", "), filter.where_sql());
        let mut args = set.args.clone();
        args.extend(filter.args.iter().cloned());
        let changed = self.exec(&sql, args).await?.rows_affected;
        for id in ids {
            self.touched::<T>(id).await;
        }
        Ok(changed)
    }

    async fn delete_where<T: Table>(&self, filter: &Filter<T>) -> Result<u64, DbError> {
        let (filter, ids) = self.pinned(filter).await?;
        let sql = format!("DELETE FROM {}{}", T::TABLE, filter.where_sql());
        let removed = self.exec(&sql, filter.args.clone()).await?.rows_affected;
        for id in ids {
            self.touched::<T>(id).await;
        }
        Ok(removed)
    }
}

/// The row operations, the same on [`Db`] and [`Tx`].
macro_rules! row_operations {
    () => {
        /// The row with primary key `id`.
        pub async fn get<T: Table + DeserializeOwned + Send + 'static>(
            &self,
            id: i64,
        ) -> Result<Option<T>, DbError> {
            self.on().get(id).await
        }

        /// The rows with these primary keys (those that exist), newest first.
        pub async fn get_many<T: Table + DeserializeOwned + Send + 'static>(
            &self,
            ids: &[i64],
        ) -> Result<Vec<T>, DbError> {
            let mut filter = Filter::new();
            filter.pin_keys(T::PRIMARY_KEY, ids);
            self.on().select(&filter).await
        }

        /// The first row `filter` matches in its order (newest first by default).
        pub async fn first<T: Table + DeserializeOwned + Send + 'static>(
            &self,
            filter: &Filter<T>,
        ) -> Result<Option<T>, DbError> {
            let mut rows = self.on().select(&filter.clone().limit(1)).await?;
            Ok(if rows.is_empty() { None } else { Some(rows.swap_remove(0)) })
        }

        /// The rows `filter` matches, in its order (newest first by default) and limits.
        pub async fn select<T: Table + DeserializeOwned + Send + 'static>(
            &self,
            filter: &Filter<T>,
        ) -> Result<Vec<T>, DbError> {
            self.on().select(filter).await
        }

        /// One page of the rows `filter` matches and their total — what
        /// `answer_page` needs.
        pub async fn page<T: Table + DeserializeOwned + Send + 'static>(
            &self,
            filter: &Filter<T>,
            paging: Paging,
        ) -> Result<(Vec<T>, u64), DbError> {
            let on = self.on();
            let total = on.count(filter).await?;
            let rows = on.select(&filter.clone().limit(paging.size).offset(paging.offset())).await?;
            Ok((rows, total))
        }

        /// How many rows `filter` matches.
        pub async fn count<T: Table>(&self, filter: &Filter<T>) -> Result<u64, DbError> {
            self.on().count(filter).await
        }

        /// Whether any row matches `filter`.
        pub async fn exists<T: Table>(&self, filter: &Filter<T>) -> Result<bool, DbError> {
            let on = self.on();
            on.check::<T>()?;
            let sql = format!("SELECT 1 AS found FROM {}{} LIMIT 1", T::TABLE, filter.where_sql());
            let rows: Vec<Value> = on.query(&sql, filter.args.clone()).await?;
            Ok(!rows.is_empty())
        }

        /// Inserts `row` (its primary key is assigned); returns the key.
        pub async fn insert<T: Table + Serialize>(&self, row: &T) -> Result<i64, DbError> {
            self.on().insert(row).await
        }

        /// Writes every column of `row` but the key to row `id`; returns the
        /// rows changed (0: no such row).
        pub async fn update<T: Table + Serialize>(&self, id: i64, row: &T) -> Result<u64, DbError> {
            self.on().update(id, row).await
        }

        /// Sets `set`'s columns on every row `filter` matches; returns how many.
        pub async fn update_where<T: Table>(&self, filter: &Filter<T>, set: &Set<T>) -> Result<u64, DbError> {
            self.on().update_where(filter, set).await
        }

        /// Deletes row `id`; returns the rows removed.
        pub async fn delete<T: Table>(&self, id: i64) -> Result<u64, DbError> {
            self.on().delete::<T>(id).await
        }

        /// Deletes every row `filter` matches; returns how many.
        pub async fn delete_where<T: Table>(&self, filter: &Filter<T>) -> Result<u64, DbError> {
            self.on().delete_where(filter).await
        }

        /// A hand-written statement on table `T`: `{table}` in `sql` is its
        /// name, `?` a value bound with [`Sql::bind`].
        pub fn sql<T: Table>(&self, sql: &str) -> Sql<'_> {
            let on = self.on();
            Sql {
                misplaced: on.check::<T>().err(),
                on,
                sql: sql.replace("{table}", T::TABLE),
                args: Vec::new(),
            }
        }
    };
}

impl Db {
    fn on(&self) -> On<'_> {
        On { db: self, tx: None }
    }

    row_operations!();

    /// Inserts every row in one transaction; returns their keys in order.
    pub async fn insert_many<T: Table + Serialize>(&self, rows: &[T]) -> Result<Vec<i64>, DbError> {
        let tx = self.begin().await?;
        let ids = tx.insert_many(rows).await?;
        tx.commit().await?;
        Ok(ids)
    }
}

impl Tx {
    fn on(&self) -> On<'_> {
        On { db: &self.db, tx: Some(self) }
    }

    row_operations!();

    /// Inserts every row; returns their keys in order.
    pub async fn insert_many<T: Table + Serialize>(&self, rows: &[T]) -> Result<Vec<i64>, DbError> {
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            ids.push(self.insert(row).await?);
        }
        Ok(ids)
    }
}

/// A hand-written statement whose table name came from its model.
///
/// ```no_run
/// # #[keel::table(prefix = "sys")]
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # pub struct Account { #[column(primary)] pub id: Option<i64>, pub display_name: Option<String> }
/// # async fn demo(db: &keel::db::Db) -> Result<(), keel::db::DbError> {
/// let changed = db
///     .sql::<Account>("UPDATE {table} SET display_name = username WHERE id = ? AND display_name IS NULL")
///     .bind(7_i64)
///     .exec()
///     .await?;
/// db.invalidate::<Account>(7).await; // a hand-written write drops the cached row itself
/// # Ok(()) }
/// ```
pub struct Sql<'a> {
    on: On<'a>,
    /// The table is on another database: reported when run.
    misplaced: Option<DbError>,
    sql: String,
    args: Vec<Value>,
}

impl Sql<'_> {
    /// Binds the next `?`.
    #[must_use]
    pub fn bind(mut self, value: impl SqlValue) -> Self {
        self.args.push(value.to_sql());
        self
    }

    /// Binds the next `?` to text.
    #[must_use]
    pub fn bind_text(mut self, value: &str) -> Self {
        self.args.push(Bind::<String>::bind(&value));
        self
    }

    /// Runs it; returns the rows changed.
    pub async fn exec(self) -> Result<u64, DbError> {
        if let Some(err) = self.misplaced {
            return Err(err);
        }
        Ok(self.on.exec(&self.sql, self.args).await?.rows_affected)
    }

    /// Runs it; the rows decoded into `R`.
    pub async fn fetch<R: DeserializeOwned + Send + 'static>(self) -> Result<Vec<R>, DbError> {
        if let Some(err) = self.misplaced {
            return Err(err);
        }
        self.on.query(&self.sql, self.args).await
    }
}

impl<T> Filter<T> {
    /// Narrows to rows whose key is one of `ids` (none: no row).
    pub(crate) fn pin_keys(&mut self, primary_key: &'static str, ids: &[i64]) {
        let key = crate::data::column::Column::<T, i64>::new(primary_key);
        *self = std::mem::take(self).is_in(key, ids.iter().copied());
    }
}

/// The values of `written` columns of `row`, in that order.
fn written_values<T: Table + Serialize>(row: &T, written: &[&'static str]) -> Result<Vec<Value>, DbError> {
    let value = rbs::value(row).map_err(|e| DbError::Other(format!("row of {}: {e}", T::TABLE)))?;
    Ok(written.iter().map(|column| value[*column].clone()).collect())
}

pub(crate) fn first_i64(row: &Value) -> Option<i64> {
    match row {
        Value::Map(map) => map.into_iter().next().and_then(|(_, v)| value_i64(v)),
        other => value_i64(other),
    }
}

pub(crate) fn value_i64(v: &Value) -> Option<i64> {
    match v {
        Value::I64(i) => Some(*i),
        Value::I32(i) => Some(i64::from(*i)),
        Value::U64(u) => i64::try_from(*u).ok(),
        Value::U32(u) => Some(i64::from(*u)),
        Value::String(s) => s.parse().ok(),
        Value::Ext(_, inner) => value_i64(inner),
        _ => None,
    }
}
