// A column named like a constant of the Table trait would hide it.
use serde::{Deserialize, Serialize};

#[keel::table(prefix = "sys")]
#[derive(Serialize, Deserialize)]
pub struct Menu {
    #[column(primary)]
    pub id: Option<i64>,
    #[column(len = 32)]
    pub prefix: String,
}

fn main() {}
