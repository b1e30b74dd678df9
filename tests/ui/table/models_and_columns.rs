// Column names follow the table rule; two models of one service cannot be
// the same table (reported at the second).
use serde::{Deserialize, Serialize};

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

#[keel::table(prefix = "sys")]
#[derive(Serialize, Deserialize)]
pub struct Account {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::table(prefix = "sys", name = "account")]
#[derive(Serialize, Deserialize)]
pub struct User {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::table(prefix = "sys")]
#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct Login {
    #[column(primary)]
    pub id: Option<i64>,
    pub userName: String,
}

keel::models!(SysConf => Account, User, Login);

fn main() {}
