//! Table models (seed: `db_model/`, `MODEL_LIST`). Add one with
//! `cargo run -p keel-cli -- new table <name> --service {{name}}`, then
//! write its migration with `{{bin}} db migrate`.

use crate::{{Conf}};
use keel::prelude::*;

/// An item of {{name}}: table `{{prefix}}_item`.
#[keel::table(prefix = "{{prefix}}")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Item {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// What it is called.
    #[column(len = 64)]
    pub name: String,
    /// When it was created, UTC.
    pub created_at: Option<keel::time::DateTime>,
}

// The service's tables in one place; a table whose prefix is not
// `{{prefix}}` stops the build here.
keel::models!({{Conf}} => Item);
