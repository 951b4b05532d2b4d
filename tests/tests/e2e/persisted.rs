//! Persisted queries in Apollo's shape, and trusted documents (issue 18).

use api::persisted::hash;
use serde_json::{Value, json};
use tests::{Engine, TestApp, spawn, spawn_adjusted};

const QUERY: &str = "{ authorities { slug } }";

fn extension(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn get_by_hash(app: &TestApp, hash: &str) -> Value {
    app.client
        .get(format!("{}/graphql", app.address))
        .query(&[("extensions", extension(hash).to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn post(app: &TestApp, body: Value) -> Value {
    app.client
        .post(format!("{}/graphql", app.address))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("none")
}

#[tokio::test]
async fn a_query_is_registered_with_its_hash_then_sent_by_it() {
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let h = hash(QUERY);
    let unknown = get_by_hash(&app, &h).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND", "{unknown}");
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");

    let registered = post(&app, json!({ "query": QUERY, "extensions": extension(&h) })).await;
    assert!(registered["data"]["authorities"].is_array(), "{registered}");
    let by_hash = get_by_hash(&app, &h).await;
    assert_eq!(by_hash["data"], registered["data"]);
    // By POST too, and in upper case.
    let posted = post(&app, json!({ "extensions": extension(&h.to_uppercase()) })).await;
    assert_eq!(posted["data"], registered["data"]);

    let lie = post(
        &app,
        json!({ "query": "{ authorities { name } }", "extensions": extension(&h) }),
    )
    .await;
    assert_eq!(
        code(&lie),
        "BAD_USER_INPUT",
        "the text must hash to the hash sent: {lie}"
    );
    let version = post(
        &app,
        json!({ "query": QUERY, "extensions": { "persistedQuery": { "version": 2, "sha256Hash": h } } }),
    )
    .await;
    assert_eq!(code(&version), "BAD_USER_INPUT");
}

#[tokio::test]
async fn trusted_documents_are_the_only_ones_that_run() {
    let operations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/operations");
    let dir = operations.clone();
    let app = spawn_adjusted(Engine::Sqlite, true, |c| c.trusted_documents = Some(dir))
        .await
        .unwrap();

    let trusted = std::fs::read_to_string(operations.join("authorities.graphql")).unwrap();
    let by_text = post(&app, json!({ "query": trusted })).await;
    assert!(by_text["data"]["authorities"].is_array(), "{by_text}");
    let by_hash = get_by_hash(&app, &hash(&trusted)).await;
    assert_eq!(by_hash["data"], by_text["data"]);

    let other = post(&app, json!({ "query": QUERY })).await;
    assert_eq!(code(&other), "FORBIDDEN", "{other}");
    let register = post(
        &app,
        json!({ "query": QUERY, "extensions": extension(&hash(QUERY)) }),
    )
    .await;
    assert_eq!(code(&register), "FORBIDDEN", "nothing is registered: {register}");
    let unknown = get_by_hash(&app, &hash(QUERY)).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
}
