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
    /// Argon2 hash of the password; never answered, never cached.
    #[column(len = 255, skip_cache)]
    pub password_hash: String,
    /// Active or disabled.
    #[column(default = "1")]
    pub status: AccountStatus,
    /// Its role (`sys_role`): the permissions it holds; none without one.
    #[column(index)]
    pub role_id: Option<i64>,
    /// Creation and update times.
    #[column(flatten)]
    pub stamps: Stamps,
}

/// A named set of permissions (those of `keel::permissions!` in `config.rs`).
#[keel::table(prefix = "sys")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Role {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// Unique name (`admin` is the all-permissions role of the first account).
    #[column(unique, len = 64)]
    pub name: String,
    /// The permissions it grants, space-separated and sorted.
    #[column(len = 2000)]
    pub permissions: String,
    /// Creation and update times.
    #[column(flatten)]
    pub stamps: Stamps,
}

impl Role {
    /// Every permission stored, declared or not.
    pub fn permission_list(&self) -> Vec<String> {
        self.permissions.split_whitespace().map(str::to_owned).collect()
    }

    /// The stored permissions the service still declares: one that a deploy
    /// removed from the code is ignored (boot logs it once).
    pub fn declared_permissions(&self) -> Vec<String> {
        self.permissions
            .split_whitespace()
            .filter(|p| crate::SysConf::PERMISSIONS.contains(p))
            .map(str::to_owned)
            .collect()
    }

    /// The stored form of a permission list.
    pub fn join(permissions: &[String]) -> String {
        permissions.join(" ")
    }
}
