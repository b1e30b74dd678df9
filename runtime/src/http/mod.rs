//! HTTP: the envelope ([`answer`]), typed route arguments ([`extract`]),
//! route declarations ([`declare`]) and the router built from them, the
//! frame every request passes through ([`frame`]), the OpenAPI document and
//! the operational routes (`/health`, `/openapi.json`, `/docs`).

pub(crate) mod answer;
mod control_chars;
mod cors;
pub(crate) mod declare;
mod docs;
mod errors;
pub(crate) mod extract;
pub(crate) mod frame;
pub(crate) mod health;
mod limits;
mod metrics_route;
pub mod openapi;
pub(crate) mod principal;
pub(crate) mod router;
