use serde::{Deserialize, Serialize};

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

#[keel::table(prefix = "usr")]
#[derive(Serialize, Deserialize)]
pub struct Account {
    #[column(primary)]
    pub id: Option<i64>,
}

keel::models!(SysConf => Account);

fn main() {}
