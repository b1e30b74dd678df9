//! Handlers (seed: `interface/`), listed in [`crate::uri_router`].

pub mod item;{{interface_extra}}
