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
    /// The permissions it holds now (through its role), as declared by the
    /// service's `keel::permissions!`.
    pub permissions: Vec<String>,
    /// The session's token hash, set by the gate: what logout revokes.
    pub token_hash: String,
}

impl Principal {
    /// The 403 answer of an account without `permission`.
    pub fn forbidden(permission: &str) -> crate::http::answer::ApiError {
        crate::http::answer::ApiError::new(crate::http::answer::ErrorCode::Forbidden)
            .msg(format!("this needs permission `{permission}`, which your account does not hold"))
    }

    /// Whether the account holds `permission`.
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}
