//! Who sent a request: the signed-in account that the gate puts in the
//! depot before a protected route's handler runs.

/// The signed-in account, as the service's [`Authority`](crate::auth::Authority) describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The account's id.
    pub account_id: i64,
    /// Its login name.
    pub username: String,
    /// May it sign in (not disabled)?
    pub active: bool,
    /// Roles the permission hook looks at (`admin`, …).
    pub roles: Vec<String>,
    /// The session's token hash, set by the gate: what logout revokes.
    pub token_hash: String,
}

impl Principal {
    /// Whether the account has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}
