// `database` names a database of the configuration; `cache_ttl` is at least 1 s.
use serde::{Deserialize, Serialize};

#[keel::table(prefix = "sys", database = "Stats")]
#[derive(Serialize, Deserialize)]
pub struct Hit {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::table(prefix = "sys", cache_ttl = 0)]
#[derive(Serialize, Deserialize)]
pub struct Menu {
    #[column(primary)]
    pub id: Option<i64>,
}

fn main() {}
