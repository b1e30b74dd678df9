// A cache model tied to a table takes the table's name: no second name.

#[keel::table(prefix = "sys")]
pub struct Account {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::cache(table = "Account", prefix = "sys", name = "account", key = "{id}")]
pub struct AccountCard {
    pub id: i64,
}

#[keel::cache(key = "{id}")]
pub struct Nameless {
    pub id: i64,
}

#[keel::cache(table = "NotATable", key = "{id}")]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Orphan {
    pub id: i64,
}

pub struct NotATable;

fn main() {}
