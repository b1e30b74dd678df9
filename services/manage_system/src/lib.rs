//! manage_system: the example HTTP service (`http_manage_sys`, prefix `sys`,
//! port 8001), laid out as the seed's `manage_system/`.

pub mod api_base;
pub mod config;
pub mod db_model;
pub mod interface;
pub mod rc_model;
pub mod script;
pub mod uri_router;

pub use config::SysConf;
