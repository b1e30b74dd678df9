//! {{name}} through `keel::testing::TestClient`: booted on an embedded
//! SQLite in a temporary home, requests through the full stack.

use {{crate}}::db_model::Item;
use keel::Backends;

#[tokio::test]
async fn the_item_route_answers_the_rows_of_the_table() {
    let client = keel::testing::TestClient::boot({{crate}}::uri_router::app()).await.expect("boots");
    let empty = client.get("/v{{version}}/item").send().await;
    assert_eq!((empty.status, empty.json["data"]["total"].as_u64()), (200, Some(0)), "{}", empty.text);
    let item = Item { id: None, name: "first".to_owned(), created_at: Some(keel::time::DateTime::now()) };
    client.state().db().expect("a database").insert(&item).await.expect("inserts");
    let one = client.get("/v{{version}}/item?size=5").send().await;
    assert_eq!(one.json["data"]["list"][0]["name"], "first", "{}", one.text);
    let bad = client.get("/v{{version}}/item?size=0").send().await;
    assert_eq!(bad.status, 400, "{}", bad.text);
}

/// The models match the latest migration (boot refuses them otherwise).
#[test]
fn models_match_the_migrations() {
    keel::testing::assert_migrations_match(&{{crate}}::uri_router::app());
}
