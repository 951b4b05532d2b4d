//! Spreadsheets in and out: results sheets uploaded over the GraphQL
//! multipart request spec, all or nothing, every bad row named.

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

const POLICE: &str = "croydon:PARTNER:metropolitan-police";
const PERIOD: &str = "2024-25 Q1";

const IMPORT: &str = r#"mutation($plan: ID!, $period: Period, $file: Upload!, $dry: Boolean = false) {
  importResults(planId: $plan, period: $period, file: $file, dryRun: $dry) {
    applied rows results targets errors { row column code message } preview { value status } } }"#;

/// A multipart request as `curl -F` sends it: operations, map, one file.
pub async fn upload(app: &TestApp, token: &str, variables: Value, name: &str, file: &[u8]) -> Value {
    let boundary = "councilperf-test-boundary";
    let mut variables = variables;
    variables["file"] = Value::Null;
    let operations = json!({ "query": IMPORT, "variables": variables });
    let mut body = Vec::new();
    for (field, value) in [
        ("operations", operations.to_string()),
        ("map", json!({ "0": ["variables.file"] }).to_string()),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn croydon_plan(app: &TestApp) -> Value {
    let d = app
        .data(r#"{ authority(slug: "croydon") { plans { id } } }"#, Value::Null)
        .await
        .unwrap();
    d["authority"]["plans"][0]["id"].clone()
}

#[tokio::test]
async fn a_bad_csv_is_refused_whole_naming_every_bad_row() {
    let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/croydon-police-refused.csv")).unwrap();
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = croydon_plan(&app).await;
        let before = app.row_counts().await.unwrap();
        let police = token("sergeant", &[POLICE]);
        let body = upload(&app, &police, json!({ "plan": plan, "period": PERIOD }), "results.csv", &file).await;
        assert!(body.get("errors").is_none(), "{engine:?}: {body}");
        let report = &body["data"]["importResults"];
        assert_eq!(report["applied"], false, "{engine:?}: {report}");
        assert_eq!(report["rows"], 3);
        let errors: Vec<(i64, &str)> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["row"].as_i64().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        assert_eq!(errors, [(2, "BAD_USER_INPUT"), (4, "FORBIDDEN")], "{engine:?}: {report}");
        assert_eq!(report["errors"][0]["column"], "value");
        assert_eq!(app.row_counts().await.unwrap(), before, "{engine:?}: a refused sheet writes nothing");
    }
}

#[tokio::test]
async fn a_caller_who_may_submit_nothing_in_the_plan_is_refused_whole() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = croydon_plan(&app).await;
        let kent = token("kent-officer", &["kent:OFFICER"]);
        let body = upload(&app, &kent, json!({ "plan": plan, "period": PERIOD }), "r.csv", b"code,value\nO4.3,1\n").await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{engine:?}: {body}");
    }
}
