// A declared rename names the table's old full name, under the same prefix.

#[keel::table(prefix = "sys", name = "account", renamed_from = "sys_account")]
pub struct Account {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::table(prefix = "sys", name = "user", renamed_from = "shop_user")]
pub struct User {
    #[column(primary)]
    pub id: Option<i64>,
}

#[keel::table(prefix = "sys", name = "member", renamed_from = "sys_Old__Members")]
pub struct Member {
    #[column(primary)]
    pub id: Option<i64>,
    #[column(renamed_from = "id")]
    pub code: i64,
}

#[keel::table(prefix = "sys", name = "tag")]
pub struct Tag {
    #[column(primary)]
    pub id: Option<i64>,
    #[column(renamed_from = "name")]
    pub name: String,
}

fn main() {}
