// Filters are typed by table and column: a misspelled column, a value of
// the wrong type and a column of another table do not compile.
use keel::db::{Db, DbError, Filter, Set};
use serde::{Deserialize, Serialize};

#[keel::table(prefix = "sys")]
#[derive(Serialize, Deserialize)]
pub struct Account {
    #[column(primary)]
    pub id: Option<i64>,
    #[column(len = 32)]
    pub username: String,
    pub role_id: Option<i64>,
}

#[keel::table(prefix = "sys")]
#[derive(Serialize, Deserialize)]
pub struct Role {
    #[column(primary)]
    pub id: Option<i64>,
    #[column(len = 32)]
    pub name: String,
}

async fn queries(db: &Db) -> Result<(), DbError> {
    // A misspelled column.
    db.select(&Filter::<Account>::new().eq(Account::USRNAME, "ann")).await?;
    // A number for a text column.
    db.select(&Filter::new().eq(Account::USERNAME, 5)).await?;
    // A column of another table.
    db.select(&Filter::<Account>::new().eq(Role::NAME, "admin")).await?;
    // Text matching on a number column.
    db.select(&Filter::new().contains_ci(Account::ROLE_ID, "1")).await?;
    // IS NULL on a column that cannot be null.
    db.select(&Filter::new().is_null(Account::USERNAME)).await?;
    // An assignment of the wrong type.
    db.update_where(&Filter::new(), &Set::new().set(Account::ROLE_ID, "one")).await?;
    Ok(())
}

fn main() {
    let _ = queries;
}
