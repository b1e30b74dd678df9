use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Address {
    pub city: String,
}

#[keel::table(prefix = "sys")]
#[derive(Serialize, Deserialize)]
pub struct Account {
    #[column(primary)]
    pub id: Option<i64>,
    pub address: Address,
}

fn main() {}
