// One bad #[table] attribute gives exactly one error: the type still works
// in models!, in a query and in a cache read (stub impls beside the error).
use serde::{Deserialize, Serialize};

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

#[keel::table(prefix = "Sys")]
#[derive(Clone, Serialize, Deserialize)]
pub struct Account {
    #[column(primary)]
    pub id: Option<i64>,
    #[column(unique, len = 32)]
    pub username: String,
}

keel::models!(SysConf => Account);

async fn lookup(db: &keel::db::Db) -> Result<Vec<Account>, keel::db::DbError> {
    let _cached = db.get_cached::<Account>(1).await?;
    db.select(&keel::db::Filter::new().eq(Account::USERNAME, "root")).await
}

fn main() {
    let _ = lookup;
    let _ = models();
}
