//! `Query.results` over a dataset from the benchmarks' generator
//! (`councilperf-bench generate`, at a scale a test can afford): a walk
//! across every council sees each published result once while officers
//! submit, and the CSV twin streams the same rows.

use std::collections::HashSet;
use std::process::Command;

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn_adjusted, token};

const AUTHORITIES: usize = 4;
const MEASURES: usize = 25;
const QUARTERS: usize = 8;

const FEED: &str = r#"query($f: ResultFilter!, $after: String) {
  results(filter: $f, first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { period measure { id code plan { authority { slug } } } } } } }"#;

/// Runs the generator against the server's database.
fn generate(database_url: &str) {
    let built = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "bench", "--bin", "councilperf-bench"])
        .status()
        .unwrap();
    assert!(built.success(), "building councilperf-bench");
    let exe = std::env::current_exe().unwrap();
    let bench = exe.parent().unwrap().parent().unwrap().join("councilperf-bench");
    let out = Command::new(bench)
        .args(["generate", "--authorities", &AUTHORITIES.to_string()])
        .args([
            "--measures",
            &MEASURES.to_string(),
            "--quarters",
            &QUARTERS.to_string(),
        ])
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Every result of the public feed, walked forwards: its measure and period.
async fn walk(app: &TestApp, f: &Value) -> Vec<String> {
    let (mut all, mut after) = (Vec::new(), Value::Null);
    loop {
        let d = app.data(FEED, json!({ "f": f, "after": after })).await.unwrap();
        let p = &d["results"];
        all.extend(p["edges"].as_array().unwrap().iter().map(|e| {
            let n = &e["node"];
            format!("{}@{}", n["measure"]["id"], n["period"])
        }));
        if p["pageInfo"]["hasNextPage"] != true {
            return all;
        }
        after = p["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn the_generated_national_dataset_walks_completely_under_submissions() {
    for engine in engines() {
        let mut url = String::new();
        let app = spawn_adjusted(engine, false, |c| url = c.database_url.clone())
            .await
            .unwrap();
        generate(&url);
        let everything = walk(&app, &json!({})).await;
        let unique: HashSet<&str> = everything.iter().map(|k| k.as_str()).collect();
        assert_eq!(unique.len(), everything.len(), "{engine:?}: no row twice");
        // 3% of cells are left empty by the generator.
        assert!(
            everything.len() > AUTHORITIES * MEASURES * QUARTERS * 9 / 10,
            "{engine:?}: {}",
            everything.len()
        );
        let mut writers = Vec::new();
        for a in 1..=AUTHORITIES {
            let slug = format!("a{a:04}");
            let measures: Vec<Value> = app
                .data(
                    "query($s: String!) { authority(slug: $s) { plans { measures { id } } } }",
                    json!({ "s": slug }),
                )
                .await
                .unwrap()["authority"]["plans"][0]["measures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].clone())
                .collect();
            assert_eq!(measures.len(), MEASURES, "{engine:?}");
            let officer = token("o", &[&format!("{slug}:OFFICER")]);
            let (client, endpoint) = (app.client.clone(), format!("{}/graphql", app.address));
            writers.push(tokio::spawn(async move {
                for (i, m) in measures.iter().enumerate() {
                    // Values changed in place, and results of a new quarter.
                    let period = if i % 2 == 0 { "2024-25 Q1" } else { "2023-24 Q4" };
                    let input = json!({ "measureId": m, "period": period, "value": 55 });
                    let body: Value = client
                        .post(&endpoint)
                        .bearer_auth(&officer)
                        .json(&json!({ "query": "mutation($i: SubmitResultInput!) { submitResult(input: $i) { value } }",
                                       "variables": { "i": input } }))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    assert!(body.get("errors").is_none(), "{body}");
                }
            }));
        }
        let walked = walk(&app, &json!({})).await;
        for w in writers {
            w.await.unwrap();
        }
        let seen: HashSet<&String> = walked.iter().collect();
        assert_eq!(seen.len(), walked.len(), "{engine:?}: no row twice");
        for k in &everything {
            assert!(seen.contains(k), "{engine:?}: {k} missed");
        }

        // The CSV twin across every council holds the feed's rows.
        let f = json!({ "kind": "PARTNERSHIP" });
        let feed = walk(&app, &f).await;
        assert!(!feed.is_empty(), "{engine:?}");
        let csv = app
            .client
            .get(format!("{}/feeds/results.csv?kind=PARTNERSHIP", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(
            csv.headers()["transfer-encoding"],
            "chunked",
            "{engine:?}: streamed"
        );
        let text = csv.text().await.unwrap();
        let rows = csv::Reader::from_reader(text.as_bytes()).records().count();
        assert_eq!(rows, feed.len(), "{engine:?}");
    }
}
