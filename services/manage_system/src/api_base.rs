//! The service's base (seed: `api_base.py`): authentication and shared
//! handler context. Token auth arrives with the auth issue; until then every
//! route is served, and `#[api(public)]` marks the ones that stay open.
