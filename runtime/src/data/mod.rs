//! Data: databases (pooled rbatis connections chosen by URL scheme), the
//! schema that `#[keel::table]` describes, rows read through the cache, and
//! migrations. Nothing here knows about HTTP: errors are [`db::DbError`],
//! which the HTTP layer maps to statuses.

pub(crate) mod base_enum;
mod column;
pub mod db;
mod filter;
mod guard;
pub mod migrate;
pub mod read_through;
mod rows;
pub(crate) mod table;
mod transaction;
