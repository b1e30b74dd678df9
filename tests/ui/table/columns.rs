use serde::{Deserialize, Serialize};

#[keel::table(prefix = "sys")]
#[derive(Serialize, Deserialize)]
pub struct NoKey {
    pub name: String,
}

#[keel::table(prefix = "sys")]
#[derive(Serialize, Deserialize)]
pub struct TwoKeys {
    #[column(primary)]
    pub id: Option<i64>,
    #[column(primary, unique, uniq, len = 32, len = 64)]
    pub code: String,
    #[column(renamed_from = "label")]
    pub label: String,
}

#[keel::columns(prefix = "sys")]
#[derive(Serialize, Deserialize)]
pub struct Stamps {
    pub created_at: Option<i64>,
}

fn main() {}
