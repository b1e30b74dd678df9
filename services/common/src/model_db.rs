//! Abstract table models shared by services (seed: `common/model_db`,
//! `abstract = True`): column sets with no table and no prefix, included in
//! a service's tables with `#[column(flatten)]`.

use keel::time::DateTime;
use serde::{Deserialize, Serialize};

/// When a row was created and last updated, UTC.
#[keel::columns]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamps {
    /// Set on insert.
    pub created_at: Option<DateTime>,
    /// Set on every update.
    pub updated_at: Option<DateTime>,
}
