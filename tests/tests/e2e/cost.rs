//! Issue 25: every answer shows what it cost (`extensions.cost`), refused
//! or kept by the cache alike; and answers come in the order asked.

use std::time::Duration;

use api::config::Limits;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tests::{Engine, TestApp, multipart_body, spawn, spawn_with, token};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SHALLOW: &str = r#"{ authority(slug: "kent") { name } }"#;
const DEEPER: &str = r#"{ authority(slug: "kent") { name plans { title measures { code title } } } }"#;

fn cost(body: &Value) -> (u64, u64) {
    let c = &body["extensions"]["cost"];
    (
        c["requested"]
            .as_u64()
            .unwrap_or_else(|| panic!("no cost: {body}")),
        c["limit"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn every_answer_shows_its_cost_and_a_deeper_query_costs_more() {
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let limit = Limits::default().max_complexity as u64;
    let shallow = app.post(SHALLOW, Value::Null).await.unwrap();
    let (requested, l) = cost(&shallow);
    assert!(requested > 0 && requested <= limit, "{shallow}");
    assert_eq!(l, limit);
    let deeper = app.post(DEEPER, Value::Null).await.unwrap();
    assert!(cost(&deeper).0 > requested, "{deeper} vs {shallow}");

    // By GET, and each item of a batch.
    let got: Value = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", SHALLOW)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cost(&got), (requested, limit), "{got}");
    let batch: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!([{ "query": SHALLOW }, { "query": DEEPER }]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cost(&batch[0]), (requested, limit), "{batch}");
    assert_eq!(cost(&batch[1]), cost(&deeper), "{batch}");

    // A mutation's answer, refused or not, shows its cost too.
    let refused = app
        .post(r#"mutation { archiveMeasure(id: "nope") { id } }"#, Value::Null)
        .await
        .unwrap();
    assert!(cost(&refused).0 > 0, "{refused}");
}

#[tokio::test]
async fn a_query_over_the_limit_is_refused_and_still_shows_its_cost() {
    let probe = spawn(Engine::Sqlite, true).await.unwrap();
    let (deeper, _) = cost(&probe.post(DEEPER, Value::Null).await.unwrap());
    let limit = deeper as usize - 1;
    let app = spawn_with(
        Engine::Sqlite,
        true,
        Limits {
            max_complexity: limit,
            ..Limits::default()
        },
    )
    .await
    .unwrap();
    let resp = app.send(DEEPER, Value::Null, None).await.unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
    assert_eq!(cost(&body), (deeper, limit as u64), "{body}");
    let on_error = &body["errors"][0]["extensions"]["cost"];
    assert_eq!(on_error, &body["extensions"]["cost"], "{body}");
    // One under the limit runs.
    let fine = app.post(SHALLOW, Value::Null).await.unwrap();
    assert!(fine.get("errors").is_none(), "{fine}");
}

#[tokio::test]
async fn a_cached_answer_still_shows_its_cost() {
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let first = app.post(DEEPER, Value::Null).await.unwrap();
    let hits = app.metric("councilperf_cache_hits_total").await.unwrap();
    let again = app.post(DEEPER, Value::Null).await.unwrap();
    assert_eq!(
        app.metric("councilperf_cache_hits_total").await.unwrap(),
        hits + 1,
        "the second answer came from the cache"
    );
    assert_eq!(again, first);
    assert!(cost(&again).0 > 0, "{again}");
}

/// Where each key first appears in `text`: a JSON map that sorts keys
/// would put them in alphabetical order, the selection set's order is kept.
fn in_order(text: &str, keys: &[&str]) {
    let at: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("no {k} in {text}"))
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "{keys:?} out of order in {text}"
    );
}

#[tokio::test]
async fn a_subscription_event_keeps_the_order_of_its_selection() {
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let (_, cs01) = app.measure("kent", "CS01").await.unwrap();
    let url = format!("{}/graphql/ws", app.address.replacen("http", "ws", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let viewer = format!("Bearer {}", token("viewer", &["kent:VIEWER"]));
    let subscribe =
        r#"subscription { resultChanged(authority: "kent") { value period measure { title code } } }"#;
    for m in [
        json!({ "type": "connection_init", "payload": { "authorization": viewer } }),
        json!({ "id": "r", "type": "subscribe", "payload": { "query": subscribe } }),
        json!({ "type": "ping" }),
    ] {
        ws.send(Message::text(m.to_string())).await.unwrap();
    }
    let mut text = async || loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .unwrap();
        if let Some(Ok(Message::Text(t))) = m {
            return t.as_str().to_owned();
        }
    };
    assert!(text().await.contains("connection_ack"));
    assert!(text().await.contains("pong"), "subscribed before the write");
    let officer = token("officer", &["kent:OFFICER"]);
    app.data_as(
        &officer,
        r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2023-24 Q2", value: 91.5 }) { value } }"#,
        json!({ "m": cs01 }),
    )
    .await
    .unwrap();
    let event = text().await;
    in_order(
        &event,
        &[
            "id", "type", "payload", "value", "period", "measure", "title", "code",
        ],
    );
}

#[tokio::test]
async fn the_import_preview_keeps_the_order_of_its_selection() {
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let plan = plan(&app).await;
    let query = r#"mutation($plan: ID!, $file: Upload!) {
      importResults(planId: $plan, period: "2024-25 Q1", file: $file, dryRun: true) {
        rows applied preview { value status measure { title code } } errors { row } } }"#;
    let boundary = "councilperf-cost-boundary";
    let body = multipart_body(
        boundary,
        query,
        json!({ "plan": plan }),
        "r.csv",
        b"code,value\nO4.4,31\n",
    );
    let text = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .bearer_auth(token("sergeant", &["croydon:PARTNER:metropolitan-police"]))
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["data"]["importResults"]["errors"], json!([]), "{text}");
    assert_eq!(
        parsed["data"]["importResults"]["preview"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{text}"
    );
    in_order(
        &text,
        &[
            "rows", "applied", "preview", "value", "status", "measure", "title", "code", "errors",
        ],
    );
}

async fn plan(app: &TestApp) -> Value {
    let d = app
        .data(r#"{ authority(slug: "croydon") { plans { id } } }"#, Value::Null)
        .await
        .unwrap();
    d["authority"]["plans"][0]["id"].clone()
}
