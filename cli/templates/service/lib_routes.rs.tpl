//! {{name}}: {{description}} (`{{bin}}`, prefix `{{prefix}}`, port {{port}}),
//! laid out as the seed's services.

pub mod api_base;
pub mod config;
pub mod db_model;
pub mod interface;
pub mod rc_model;
pub mod script;
pub mod uri_router;

pub use config::{{Conf}};
