//! The paged feeds: `Query.results` walked forwards and backwards, its
//! filters against a direct computation, visibility, a walk during writes,
//! and the analysts' `/feeds/results.csv|json`.

use std::collections::HashSet;

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

use crate::fixtures::{M, bundle, sized};

const FEED: &str = r#"query($f: ResultFilter!, $first: Int, $after: String, $last: Int, $before: String) {
  results(filter: $f, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { period value status published
      measure { id code kind metric { code } plan { id authority { slug } } } } } } }"#;

/// A row's identity: its measure and period.
fn key(node: &Value) -> String {
    format!("{}@{}", node["measure"]["id"], node["period"])
}

async fn page(app: &TestApp, tok: Option<&str>, f: &Value, args: Value) -> Value {
    let mut vars = json!({ "f": f });
    for (k, v) in args.as_object().unwrap() {
        vars[k] = v.clone();
    }
    app.answer(tok, FEED, vars).await.unwrap()["results"].clone()
}

/// Every node of the feed, walked forwards in pages of `n`.
async fn forwards(app: &TestApp, tok: Option<&str>, f: &Value, n: i64) -> Vec<Value> {
    let (mut all, mut after) = (Vec::new(), Value::Null);
    loop {
        let p = page(app, tok, f, json!({ "first": n, "after": after })).await;
        all.extend(p["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()));
        if p["pageInfo"]["hasNextPage"] != true {
            return all;
        }
        after = p["pageInfo"]["endCursor"].clone();
    }
}

/// The same walked backwards from the end, in the feed's order.
async fn backwards(app: &TestApp, tok: Option<&str>, f: &Value, n: i64) -> Vec<Value> {
    let (mut all, mut before) = (Vec::new(), Value::Null);
    loop {
        let p = page(app, tok, f, json!({ "last": n, "before": before })).await;
        let mut edges: Vec<Value> = p["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect();
        edges.extend(all);
        all = edges;
        if p["pageInfo"]["hasPreviousPage"] != true {
            return all;
        }
        before = p["pageInfo"]["startCursor"].clone();
    }
}

fn keys(nodes: &[Value]) -> Vec<String> {
    nodes.iter().map(key).collect()
}

#[tokio::test]
async fn paging_forwards_and_backwards_gives_the_whole_feed() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let all = forwards(&app, None, &json!({}), 500).await;
        assert!(all.len() > 50, "{engine:?}: the demo has results");
        let unique: HashSet<String> = keys(&all).into_iter().collect();
        assert_eq!(unique.len(), all.len(), "{engine:?}: no row twice");
        let total = page(&app, None, &json!({}), json!({ "first": 1 })).await["totalCount"].clone();
        assert_eq!(total, json!(all.len()), "{engine:?}");

        let kent = json!({ "authority": "kent" });
        let kent_all = forwards(&app, None, &kent, 500).await;
        assert!(!kent_all.is_empty());
        assert_eq!(
            keys(&forwards(&app, None, &kent, 7).await),
            keys(&kent_all),
            "{engine:?}"
        );
        assert_eq!(
            keys(&backwards(&app, None, &kent, 7).await),
            keys(&kent_all),
            "{engine:?}"
        );

        let codes = app
            .error_codes(FEED, json!({ "f": {}, "first": 1000 }))
            .await
            .unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"], "{engine:?}");
        let codes = app
            .error_codes(FEED, json!({ "f": {}, "first": 1, "after": "not a cursor" }))
            .await
            .unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"], "{engine:?}");
    }
}

/// The first month a period's text covers, as months since year 0.
fn start_month(p: &str) -> i64 {
    let y: i64 = p[..4].parse().unwrap();
    if let Some((_, q)) = p.split_once(" Q") {
        return y * 12 + 3 + 3 * (q.parse::<i64>().unwrap() - 1);
    }
    let second: i64 = p[5..7].parse().unwrap();
    if (y + 1) % 100 == second {
        y * 12 + 3
    } else {
        y * 12 + second - 1
    }
}

#[tokio::test]
async fn filters_give_what_a_direct_computation_gives() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let all = forwards(&app, None, &json!({}), 500).await;
        let check = |f: Value, keep: &dyn Fn(&Value) -> bool| {
            let want: Vec<String> = all.iter().filter(|n| keep(n)).map(key).collect();
            (f, want)
        };
        let (from, to) = (start_month("2022-23 Q2"), start_month("2023-24 Q1") + 2);
        let cases = [
            check(json!({ "authority": "kent" }), &|n| {
                n["measure"]["plan"]["authority"]["slug"] == "kent"
            }),
            check(json!({ "kind": "PARTNERSHIP" }), &|n| {
                n["measure"]["kind"] == "PARTNERSHIP"
            }),
            check(json!({ "metric": "NI192" }), &|n| {
                n["measure"]["metric"]["code"] == "NI192"
            }),
            check(json!({ "status": "RED" }), &|n| n["status"] == "RED"),
            check(json!({ "authority": "croydon", "status": "GREEN" }), &|n| {
                n["status"] == "GREEN" && n["measure"]["plan"]["authority"]["slug"] == "croydon"
            }),
            check(json!({ "from": "2022-23 Q2", "to": "2023-24 Q1" }), &|n| {
                (from..=to).contains(&start_month(n["period"].as_str().unwrap()))
            }),
        ];
        for (f, want) in cases {
            let got = forwards(&app, None, &f, 50).await;
            assert_eq!(keys(&got), want, "{engine:?}: {f}");
            let total = page(&app, None, &f, json!({ "first": 0 })).await["totalCount"].clone();
            assert_eq!(total, json!(want.len()), "{engine:?}: {f}");
        }
        let some_red = all.iter().any(|n| n["status"] == "RED");
        assert!(some_red, "the demo has RED results to filter");
    }
}

#[tokio::test]
async fn unpublished_results_show_only_to_those_who_may_read_them() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let b = bundle(
            "dale",
            &[M("X1", "A", "HIGHER_IS_BETTER", "COUNCIL")],
            &[("X1", "2023-24", "50")],
            &[("X1", "2023-24 Q1", "40"), ("X1", "2023-24 Q2", "60")],
            &["2023-24 Q1"],
        );
        api::import::import(&app.db, &b).await.unwrap();
        let f = json!({ "authority": "dale" });
        let public = page(&app, None, &f, json!({})).await;
        let periods: Vec<&str> = public["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["period"].as_str().unwrap())
            .collect();
        assert_eq!(periods, ["2023-24 Q1"], "{engine:?}");
        assert_eq!(public["totalCount"], 1);
        let viewer = token("v", &["dale:VIEWER"]);
        let theirs = page(&app, Some(&viewer), &f, json!({})).await;
        let periods: Vec<&str> = theirs["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["period"].as_str().unwrap())
            .collect();
        assert_eq!(periods, ["2023-24 Q1", "2023-24 Q2"], "{engine:?}");
        assert_eq!(theirs["totalCount"], 2);
        assert_eq!(theirs["edges"][1]["node"]["published"], false);
        let elsewhere = token("w", &["kent:VIEWER"]);
        assert_eq!(page(&app, Some(&elsewhere), &f, json!({})).await["totalCount"], 1);
    }
}

const SUBMIT: &str = r#"mutation($input: SubmitResultInput!) { submitResult(input: $input) { value } }"#;

#[tokio::test]
async fn a_walk_during_writes_sees_every_row_once() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        api::import::import(&app.db, &sized("busy", 60)).await.unwrap();
        let root = token("root", &["PLATFORM_ADMIN"]);
        let f = json!({ "authority": "busy" });
        let before = keys(&forwards(&app, Some(&root), &f, 500).await);
        assert_eq!(before.len(), 120);
        let measures = app
            .data(
                r#"{ authority(slug: "busy") { plans { measures { id } } } }"#,
                Value::Null,
            )
            .await
            .unwrap()["authority"]["plans"][0]["measures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect::<Vec<_>>();
        let officer = token("o", &["busy:OFFICER"]);
        let (client, url) = (app.client.clone(), format!("{}/graphql", app.address));
        let writer = tokio::spawn(async move {
            for (i, m) in measures.iter().enumerate() {
                // New results, and values changed in place.
                let period = if i % 2 == 0 { "2023-24 Q3" } else { "2023-24 Q1" };
                let input = json!({ "measureId": m, "period": period, "value": 70 });
                let body: Value = client
                    .post(&url)
                    .bearer_auth(&officer)
                    .json(&json!({ "query": SUBMIT, "variables": { "input": input } }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert!(body.get("errors").is_none(), "{body}");
            }
        });
        let walked = keys(&forwards(&app, Some(&root), &f, 7).await);
        writer.await.unwrap();
        let seen: HashSet<&String> = walked.iter().collect();
        assert_eq!(seen.len(), walked.len(), "{engine:?}: no row twice");
        for k in &before {
            assert!(seen.contains(k), "{engine:?}: {k} missed");
        }
    }
}

/// A metric linked to a measure of every generated council.
fn with_metric(slug: &str, n: usize) -> schema::service::import::Bundle {
    let mut b = sized(slug, n);
    for m in &mut b.measures {
        m.metric = Some("NI192".to_owned());
    }
    b
}

#[tokio::test]
async fn the_csv_feed_matches_the_graphql_feed_and_streams() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let root = token("root", &["PLATFORM_ADMIN"]);
        app.data_as(&root, r#"mutation { createMetric(input: { code: "NI192", title: "Household waste recycled", unit: PERCENT, polarity: HIGHER_IS_BETTER }) { code } }"#, Value::Null)
            .await
            .unwrap();
        for slug in ["north", "south", "east", "west"] {
            api::import::import(&app.db, &with_metric(slug, 150))
                .await
                .unwrap();
        }
        let f = json!({ "metric": "NI192" });
        let feed = forwards(&app, None, &f, 500).await;
        assert_eq!(feed.len(), 1_200, "{engine:?}");
        let resp = app
            .client
            .get(format!("{}/feeds/results.csv?metric=NI192", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["transfer-encoding"],
            "chunked",
            "{engine:?}: streamed"
        );
        let text = resp.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), feed.len(), "{engine:?}");
        for (row, node) in rows.iter().zip(&feed) {
            assert_eq!(
                row[0],
                *node["measure"]["plan"]["authority"]["slug"].as_str().unwrap()
            );
            assert_eq!(row[2], *node["measure"]["code"].as_str().unwrap());
            assert_eq!(row[5], *node["period"].as_str().unwrap());
            assert_eq!(row[6].parse::<f64>().unwrap(), node["value"].as_f64().unwrap());
            assert_eq!(row[8], *node["status"].as_str().unwrap());
        }
        let json: Value = app
            .client
            .get(format!(
                "{}/feeds/results.json?metric=NI192&authority=north",
                app.address
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(json.as_array().unwrap().len(), 300, "{engine:?}");
        let bad = app
            .client
            .get(format!("{}/feeds/results.csv?from=someday", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400, "{engine:?}");
        let body: Value = bad.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
    }
}
