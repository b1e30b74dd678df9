//! Code shared by every service (seed: `common/`).
//!
//! - [`func`]: shared processing functions;
//! - [`libs`]: base types that services extend (not used directly);
//! - [`model_db`]: abstract table models — shared column sets, no table and
//!   no prefix of their own (they arrive with `#[keel::table]`);
//! - [`model_rc`]: shared cache models;
//! - [`partner`]: shared tools callable as they are.

pub mod func;
pub mod libs;
pub mod model_db;
pub mod model_rc;
pub mod partner;
