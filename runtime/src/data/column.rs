//! Typed columns: `#[keel::table]` emits one constant per column
//! (`Account::USERNAME: Column<Account, String>`), `#[keel::columns]` one per
//! column of a set (`Stamps::CREATED_AT: SetColumn<Stamps, Option<DateTime>>`,
//! usable on every table that flattens the set). A filter takes a column of
//! its own table and a value of the column's type: a misspelled column, a
//! column of another table or a value of the wrong type does not compile.
//!
//! ```
//! use keel::db::{Column, Filter};
//!
//! #[keel::columns]
//! #[derive(serde::Serialize, serde::Deserialize)]
//! pub struct Stamps {
//!     pub created_at: Option<keel::time::DateTime>,
//! }
//!
//! #[keel::table(prefix = "sys")]
//! #[derive(serde::Serialize, serde::Deserialize)]
//! pub struct Account {
//!     #[column(primary)]
//!     pub id: Option<i64>,
//!     #[column(len = 32)]
//!     pub username: String,
//!     #[column(flatten)]
//!     pub stamps: Stamps,
//! }
//!
//! let _: Column<Account, String> = Account::USERNAME;
//! let filter = Filter::new()
//!     .eq(Account::USERNAME, "ann")               // &str for a String column
//!     .eq(Account::ID, 7)                         // i64 for an Option<i64> column
//!     .ge(Stamps::CREATED_AT, keel::time::DateTime::now()); // a column of the flattened set
//! # let _: Filter<Account> = filter;
//! ```

use crate::data::base_enum::BaseEnum;
use rbs::Value;
use std::marker::PhantomData;

/// Column `name` of table `T`, holding `V`.
pub struct Column<T, V> {
    name: &'static str,
    _types: PhantomData<fn() -> (T, V)>,
}

/// Column `name` of the column set `S` (`#[keel::columns]`), holding `V`;
/// a column of every table that flattens `S`.
pub struct SetColumn<S, V> {
    name: &'static str,
    _types: PhantomData<fn() -> (S, V)>,
}

macro_rules! column_impls {
    ($($ty:ident),*) => {$(
        impl<T, V> $ty<T, V> {
            /// The column named `name` (emitted by the table macros).
            #[doc(hidden)]
            pub const fn new(name: &'static str) -> Self {
                $ty { name, _types: PhantomData }
            }

            /// The column's name in SQL.
            pub const fn name(&self) -> &'static str {
                self.name
            }
        }
        impl<T, V> Clone for $ty<T, V> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T, V> Copy for $ty<T, V> {}
        impl<T, V> std::fmt::Debug for $ty<T, V> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name)
            }
        }
    )*};
}

column_impls!(Column, SetColumn);

/// Table `Self` includes the column set `S` (`#[column(flatten)]`); emitted
/// by `#[keel::table]`.
pub trait Flattens<S> {}

/// A column of table `T` holding `V`: the table's own, or one of a set it
/// flattens.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a column of table `{T}`",
    label = "a column of another table",
    note = "use a column constant of `{T}` (e.g. `{T}::ID`), or of a #[keel::columns] set `{T}` flattens"
)]
pub trait ColumnOf<T, V>: Copy {
    /// The column's name in SQL.
    fn column_name(&self) -> &'static str;
}

impl<T, V> ColumnOf<T, V> for Column<T, V> {
    fn column_name(&self) -> &'static str {
        self.name
    }
}

impl<T: Flattens<S>, S, V> ColumnOf<T, V> for SetColumn<S, V> {
    fn column_name(&self) -> &'static str {
        self.name
    }
}

/// A value a statement can bind: the column types (integers, floats, bool,
/// text, bytes, times, `BaseEnum` types and `Option` of those).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be bound to a statement",
    note = "bind integers, floats, bool, String/&str, Vec<u8>, keel::time::DateTime, BaseEnum types or Option of those"
)]
pub trait SqlValue {
    /// The driver's value.
    #[doc(hidden)]
    fn to_sql(&self) -> Value;
}

macro_rules! sql_values {
    ($($ty:ty => |$v:ident| $make:expr),* $(,)?) => {$(
        impl SqlValue for $ty {
            fn to_sql(&self) -> Value {
                let $v = self;
                $make
            }
        }
    )*};
}

sql_values! {
    bool => |v| Value::Bool(*v),
    i8 => |v| Value::I32(i32::from(*v)),
    i16 => |v| Value::I32(i32::from(*v)),
    i32 => |v| Value::I32(*v),
    i64 => |v| Value::I64(*v),
    u8 => |v| Value::U32(u32::from(*v)),
    u16 => |v| Value::U32(u32::from(*v)),
    u32 => |v| Value::U32(*v),
    u64 => |v| Value::U64(*v),
    f32 => |v| Value::F32(*v),
    f64 => |v| Value::F64(*v),
    String => |v| Value::String(v.clone()),
    str => |v| Value::String(v.to_owned()),
    Vec<u8> => |v| Value::Binary(v.clone()),
    crate::time::DateTime => |v| Value::Ext(crate::time::DRIVER_NAME, Box::new(Value::String(v.to_string()))),
}

impl<E: BaseEnum> SqlValue for E {
    fn to_sql(&self) -> Value {
        Value::I64(self.value())
    }
}

impl<T: SqlValue> SqlValue for Option<T> {
    fn to_sql(&self) -> Value {
        self.as_ref().map_or(Value::Null, SqlValue::to_sql)
    }
}

/// A value accepted for a column holding `V`: `V` itself, its borrowed
/// form (`&str` for `String`), and for a nullable column (`Option<V>`) a
/// plain `V`.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be compared with or written to a column of `{V}`",
    label = "expected a value of the column's type `{V}`",
    note = "pass a `{V}` (a `&str` for a String column, a plain value for an Option column)"
)]
pub trait Bind<V> {
    /// The driver's value.
    #[doc(hidden)]
    fn bind(&self) -> Value;
}

impl<V: SqlValue> Bind<V> for V {
    fn bind(&self) -> Value {
        self.to_sql()
    }
}

impl<V: SqlValue> Bind<Option<V>> for V {
    fn bind(&self) -> Value {
        self.to_sql()
    }
}

impl Bind<String> for &str {
    fn bind(&self) -> Value {
        Value::String((*self).to_owned())
    }
}

impl Bind<Option<String>> for &str {
    fn bind(&self) -> Value {
        Value::String((*self).to_owned())
    }
}

impl Bind<String> for &String {
    fn bind(&self) -> Value {
        Value::String((*self).clone())
    }
}

impl Bind<Option<String>> for &String {
    fn bind(&self) -> Value {
        Value::String((*self).clone())
    }
}

/// A text column: `String` or `Option<String>` (for `contains_ci`, `starts_with`).
#[diagnostic::on_unimplemented(
    message = "a column of `{Self}` is not text",
    note = "text matching (contains_ci, starts_with) works on String columns"
)]
pub trait TextColumn {}
impl TextColumn for String {}
impl TextColumn for Option<String> {}
