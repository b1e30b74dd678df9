//! A service whose tables live on two databases: `two_note` on `default`,
//! `two_hit` on `stats` (`#[table(database = "stats")]`), each with its
//! own migrations folder. Its binary is `service_twodb`.

use keel::prelude::*;

/// The two-database service.
#[keel::service(name = "twodb", id = 91, port = 8091, prefix = "two", version = "1.00.00")]
pub struct TwoDbConf;

/// A note, on the `default` database.
#[keel::table(prefix = "two")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// The text.
    #[column(len = 100)]
    pub body: String,
}

/// A page hit, on the `stats` database.
#[keel::table(prefix = "two", database = "stats")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// The page.
    #[column(len = 100)]
    pub page: String,
}

keel::models!(TwoDbConf => Note, Hit);

/// The service: its tables, no routes.
pub fn app() -> keel::App<keel::kind::NoRoutes> {
    keel::App::new(keel::UriRouter::new(<TwoDbConf as keel::Service>::INFO)).models(models)
}
