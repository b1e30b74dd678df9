//! `GET /v{{version}}/item`: the items, a page at a time.

use crate::db_model::Item;
use keel::db::Filter;
use keel::prelude::*;
use keel::time::DateTime;

/// An item as answered.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ItemView {
    /// Primary key.
    pub id: i64,
    /// What it is called.
    pub name: String,
    /// Creation time, RFC 3339 UTC.
    pub created_at: Option<DateTime>,
}

impl From<Item> for ItemView {
    fn from(item: Item) -> Self {
        ItemView { id: item.id.unwrap_or_default(), name: item.name, created_at: item.created_at }
    }
}

/// Paging of the item list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    /// Page, from 1.
    #[salvo(schema(minimum = 1))]
    pub page: Option<u64>,
    /// Rows per page, 1 to 100 (20).
    #[salvo(schema(minimum = 1, maximum = 100))]
    pub size: Option<u64>,
}

/// The items of {{name}}. Public: remove `public` to require a token.
#[keel::api(path = "/item", version = "{{version}}", public)]
impl ItemHandler {
    /// Page through the items.
    async fn get(ctx: Ctx, Query(q): Query<ItemQuery>) -> ApiResult<Page<ItemView>> {
        let paging = page_bounds(q.page, q.size)?;
        let (rows, total) = ctx.db()?.page::<Item>(&Filter::new(), paging).await?;
        Ok(answer_page(rows.into_iter().map(ItemView::from).collect(), total, paging))
    }
}
