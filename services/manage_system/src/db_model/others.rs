//! Other tables (seed: `db_model/others.py`).

use keel::prelude::*;

/// One login attempt, successful or not.
#[keel::table(prefix = "sys", kind = "records")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Login {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// The account, when the username matched one.
    #[column(index)]
    pub account_id: Option<i64>,
    /// The username as sent.
    #[column(len = 32)]
    pub username: String,
    /// Client address.
    #[column(len = 64)]
    pub ip: String,
    /// Client user agent.
    #[column(len = 255)]
    pub user_agent: Option<String>,
    /// Whether the password matched.
    #[column(index)]
    #[serde(deserialize_with = "keel::db::bool_column")]
    pub success: bool,
    /// When, UTC.
    pub created_at: Option<keel::time::DateTime>,
}
