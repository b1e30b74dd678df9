//! The service's base (seed: `api_base.py`): who a token's account is.
//! Every route not marked `public` needs a bearer token. Tokens are the
//! sessions manage_system issues (`keel_session`): point
//! `database.default` at manage_system's database to accept them.

/// The authority the gate asks about a token's account.
pub fn authority() -> keel::auth::SessionAuthority {
    keel::auth::SessionAuthority
}
