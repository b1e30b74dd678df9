use serde::{Deserialize, Serialize};

#[keel::table(prefix = "Sys")]
#[derive(Serialize, Deserialize)]
pub struct Account {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::table(prefix = "sys", kind = "rec_ords")]
#[derive(Serialize, Deserialize)]
pub struct Login {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::table(prefix = "sys", name = "Login__Record")]
#[derive(Serialize, Deserialize)]
pub struct LoginRecord {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::table(prefix = "sys", name = "a_very_long_table_name_that_goes_on_and_on_past_the_limit_of_pg")]
#[derive(Serialize, Deserialize)]
pub struct Long {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::table(kind = "records")]
#[derive(Serialize, Deserialize)]
pub struct NoPrefix {
    #[column(primary)]
    pub id: Option<i64>,
}

fn main() {}
