//! Scheduled and one-off scripts (seed: `script/`): timed jobs run inside
//! the service (once per tick across instances), scripts by hand with
//! `{{bin}} script <name>`.

use crate::db_model::Item;
use crate::rc_model::ItemStats;
use keel::cache::CacheModel;
use keel::db::Filter;
use keel::jobs::JobCtx;
use keel::time::DateTime;
use keel::{Backends, BoxError};

/// At second 0 of every minute (`[jobs] count_items = "…"` overrides it).
pub const COUNT_SCHEDULE: &str = "0 * * * * *";

/// The service's jobs and scripts, added to `app`.
pub fn register<K: keel::kind::Kind>(app: keel::App<K>) -> keel::App<K> {
    app.job("count_items", COUNT_SCHEDULE, count_items).script("rescript_count_items", count_items)
}

/// Counts the items into the cache entry `{{prefix}}_stats:items`.
pub async fn count_items(ctx: JobCtx) -> Result<(), BoxError> {
    let items = ctx.db()?.count::<Item>(&Filter::new()).await?;
    ItemStats { items, counted_at: DateTime::now() }.set(ctx.cache()).await?;
    ctx.log.info(format_args!("counted {items} item(s)"));
    Ok(())
}
