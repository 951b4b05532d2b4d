//! Apollo Client, as a front-end team would use it (`tests/audit/apollo.mjs`,
//! the README's client example): its normalized cache, with no type
//! policies, merges a live result into the dashboard it holds, by global
//! ids alone; and a subscription resumed `since` the position it last
//! heard is told first of what it missed. Without node or the packages it
//! is skipped, except under CI, which installs them.

use serde_json::{Value, json};
use tests::node::{Script, audit_packages};
use tests::{TestApp, engines, spawn, token};

const SUBMIT: &str = r#"mutation($m: ID!, $p: Period!, $v: Float!) {
  submitResult(input: { measureId: $m, period: $p, value: $v }) { value } }"#;

/// The packages the script imports.
const PACKAGES: &[&str] = &["@apollo/client", "graphql", "graphql-ws", "ws"];

/// Runs the script against `app` as a Kent viewer, its second phase if
/// `resume`.
fn apollo(app: &TestApp, resume: bool) -> Script {
    let http = format!("{}/graphql", app.address);
    let ws = format!("{}/graphql/ws", app.address.replacen("http", "ws", 1));
    let viewer = token("viewer", &["kent:VIEWER"]);
    let phase = if resume { "resume" } else { "" };
    Script::run("apollo.mjs", [http.as_str(), &ws, &viewer, phase])
}

/// A Kent officer submits `value` for CS01 in the published 2023-24 Q1, so
/// every subscriber hears it.
async fn submit(app: &TestApp, cs01: &Value, value: f64) {
    let v = json!({ "m": cs01, "p": "2023-24 Q1", "v": value });
    app.data_as(&token("officer", &["kent:OFFICER"]), SUBMIT, v)
        .await
        .unwrap();
}

/// The README shows the script's client as the test runs it.
#[test]
fn the_readme_shows_the_client_the_test_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("audit/apollo.mjs")).unwrap();
    let readme = std::fs::read_to_string(root.join("../README.md")).unwrap();
    let shown = script
        .split_once("// --- README: begin ---\n")
        .and_then(|(_, rest)| rest.split_once("// --- README: end ---"))
        .expect("markers in apollo.mjs")
        .0;
    assert!(
        readme.contains(shown),
        "README.md's Apollo Client example differs from tests/audit/apollo.mjs:\n{shown}"
    );
}

#[tokio::test]
async fn apollo_merges_a_live_result_into_the_cached_dashboard() {
    let Some(_) = audit_packages(PACKAGES, "the Apollo Client test") else {
        return;
    };
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (_, cs01) = app.measure("kent", "CS01").await.unwrap();
        let mut node = apollo(&app, false);

        let first = node.line().await;
        assert_eq!(first["requests"], 1, "{engine:?} {first}");
        let before = &first["dashboard"]["result"];
        assert_eq!(
            (before["value"].as_f64(), &before["status"]),
            (Some(97.9), &json!("GREEN")),
            "{engine:?} {first}"
        );
        assert_eq!(node.line().await, json!({ "ready": true }), "{engine:?}");

        // Restated below its floor: RED.
        submit(&app, &cs01, 80.0).await;
        let event = node.line().await;
        assert_eq!(event["event"]["id"], before["id"], "{engine:?} {event}");
        assert_eq!(event["event"]["__typename"], "MeasureResult", "{engine:?}");
        let cached = node.line().await;
        let after = &cached["cached"]["result"];
        assert_eq!(after["id"], before["id"], "{engine:?} {cached}");
        assert_eq!(
            (after["value"].as_f64(), &after["status"]),
            (Some(80.0), &json!("RED")),
            "{engine:?} {cached}"
        );
        assert_eq!(cached["requests"], 1, "no refetch: {engine:?} {cached}");
    }
}

/// Needs `since` and `position` (the `live` branch): until they are in the
/// schema, the script's first subscription is refused.
#[tokio::test]
async fn apollo_resumes_since_the_position_it_last_heard() {
    let Some(_) = audit_packages(PACKAGES, "the Apollo Client test") else {
        return;
    };
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (_, cs01) = app.measure("kent", "CS01").await.unwrap();
        let mut node = apollo(&app, true);
        assert_eq!(node.line().await, json!({ "ready": true }), "{engine:?}");

        submit(&app, &cs01, 81.0).await;
        let heard = node.line().await;
        assert_eq!(heard["heard"]["value"].as_f64(), Some(81.0), "{engine:?} {heard}");
        assert!(heard["heard"]["position"].is_string(), "{engine:?} {heard}");
        assert_eq!(node.line().await, json!({ "closed": true }), "{engine:?}");

        // Submitted while the client is away, then told first on its return.
        submit(&app, &cs01, 82.0).await;
        node.tell().await;
        let missed = node.line().await;
        assert_eq!(
            missed["replayed"]["value"].as_f64(),
            Some(82.0),
            "{engine:?} {missed}"
        );
        assert_ne!(
            missed["replayed"]["position"], heard["heard"]["position"],
            "{engine:?}"
        );
        submit(&app, &cs01, 83.0).await;
        let live = node.line().await;
        assert_eq!(
            live["replayed"]["value"].as_f64(),
            Some(83.0),
            "{engine:?} {live}"
        );
    }
}
