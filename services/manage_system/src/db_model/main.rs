//! Main tables (seed: `db_model/main.py`).

use keel::prelude::*;
use keel_common::model_db::Stamps;

/// Whether an account may log in.
#[derive(keel::BaseEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    /// May log in.
    #[base_enum(value = 1, label = "active")]
    Active,
    /// May not log in.
    #[base_enum(value = 0, label = "disabled")]
    Disabled,
}

/// An account of the management system.
#[keel::table(prefix = "sys")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// Login name, unique.
    #[column(unique, len = 32)]
    pub username: String,
    /// Shown instead of the username.
    #[column(len = 64)]
    pub display_name: Option<String>,
    /// Argon2 hash of the password; never answered.
    #[column(len = 255)]
    pub password_hash: String,
    /// Active or disabled.
    #[column(default = "1")]
    pub status: AccountStatus,
    /// Creation and update times.
    #[column(flatten)]
    pub stamps: Stamps,
}
