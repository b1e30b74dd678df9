//! Handlers (seed: `interface/`), listed in [`crate::uri_router`].

pub mod account;
pub mod login;
pub mod notice;
pub mod role;
pub mod test;
