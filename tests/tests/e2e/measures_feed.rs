//! `Query.measures` (every filter against a direct computation, every
//! order both ways, both paging directions, the page cap, a walk while
//! measures are added, status visibility), the history and audit
//! connections, and the feeds' entity tags.

use std::collections::HashSet;

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

use crate::fixtures::{M, bundle, sized};

const MEASURES: &str = r#"query($f: MeasureFilter, $o: MeasureOrder, $first: Int, $after: String, $last: Int, $before: String) {
  measures(filter: $f, orderBy: $o, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id code title kind partner { slug } metric { code }
      plan { id authority { slug } } result(period: "2023-24 Q4") { status }
      q3: result(period: "2023-24 Q3") { status } } } } }"#;

async fn page(app: &TestApp, tok: Option<&str>, vars: Value) -> Value {
    app.answer(tok, MEASURES, vars).await.unwrap()["measures"].clone()
}

fn nodes(p: &Value) -> Vec<Value> {
    p["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Every measure of the filter and order, walked forwards in pages of `n`.
async fn forwards(app: &TestApp, tok: Option<&str>, f: &Value, o: &Value, n: i64) -> Vec<Value> {
    let (mut all, mut after) = (Vec::new(), Value::Null);
    loop {
        let p = page(app, tok, json!({ "f": f, "o": o, "first": n, "after": after })).await;
        all.extend(nodes(&p));
        if p["pageInfo"]["hasNextPage"] != true {
            return all;
        }
        after = p["pageInfo"]["endCursor"].clone();
    }
}

/// The same walked backwards from the end, in the list's order.
async fn backwards(app: &TestApp, f: &Value, o: &Value, n: i64) -> Vec<Value> {
    let (mut all, mut before) = (Vec::new(), Value::Null);
    loop {
        let p = page(app, None, json!({ "f": f, "o": o, "last": n, "before": before })).await;
        let mut head = nodes(&p);
        head.extend(all);
        all = head;
        if p["pageInfo"]["hasPreviousPage"] != true {
            return all;
        }
        before = p["pageInfo"]["startCursor"].clone();
    }
}

fn ids(nodes: &[Value]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Which measures a filter should give, computed from the whole list.
type Keep<'a> = Box<dyn Fn(&Value) -> bool + 'a>;
/// What an order sorts by, before the id.
type SortKey = fn(&Value) -> (String, String);

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn measures_filter_order_and_page_as_a_direct_computation_does() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let all = forwards(&app, None, &json!({}), &Value::Null, 500).await;
        assert!(all.len() > 20, "{engine:?}: the demo has measures");
        let unique: HashSet<String> = ids(&all).into_iter().collect();
        assert_eq!(unique.len(), all.len(), "{engine:?}: no measure twice");
        let authorities: HashSet<String> = all
            .iter()
            .map(|n| text(&n["plan"]["authority"]["slug"]))
            .collect();
        assert!(authorities.len() > 1, "{engine:?}: across authorities");
        let total = page(&app, None, json!({ "first": 0 })).await["totalCount"].clone();
        assert_eq!(total, json!(all.len()), "{engine:?}");

        // Every filter, against the same computed from the whole list.
        let partner = all
            .iter()
            .find_map(|n| n["partner"]["slug"].as_str())
            .expect("the demo has a partnership measure")
            .to_owned();
        let metric = all
            .iter()
            .find_map(|n| n["metric"]["code"].as_str())
            .expect("the demo links a metric")
            .to_owned();
        let plan = all[all.len() / 2]["plan"]["id"].clone();
        let word = all[0]["title"]
            .as_str()
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_uppercase();
        let has = |n: &Value, s: &str| {
            text(&n["code"]).to_lowercase().contains(&s.to_lowercase())
                || text(&n["title"]).to_lowercase().contains(&s.to_lowercase())
        };
        let cases: Vec<(Value, Keep)> = vec![
            (
                json!({ "authority": "kent" }),
                Box::new(|n: &Value| n["plan"]["authority"]["slug"] == "kent"),
            ),
            (
                json!({ "plan": plan }),
                Box::new(|n: &Value| n["plan"]["id"] == plan),
            ),
            (
                json!({ "partner": partner }),
                Box::new(|n: &Value| n["partner"]["slug"] == json!(partner)),
            ),
            (
                json!({ "kind": "PARTNERSHIP" }),
                Box::new(|n: &Value| n["kind"] == "PARTNERSHIP"),
            ),
            (
                json!({ "metric": metric }),
                Box::new(|n: &Value| n["metric"]["code"] == json!(metric)),
            ),
            (json!({ "text": word }), Box::new(|n: &Value| has(n, &word))),
            (
                json!({ "statusIn": ["RED"], "statusPeriod": "2023-24 Q4" }),
                Box::new(|n: &Value| n["result"]["status"] == "RED"),
            ),
            (
                json!({ "kind": "PARTNERSHIP", "statusIn": ["RED", "AMBER"], "statusPeriod": "2023-24 Q3" }),
                Box::new(|n: &Value| {
                    n["kind"] == "PARTNERSHIP" && (n["q3"]["status"] == "RED" || n["q3"]["status"] == "AMBER")
                }),
            ),
            (json!({ "authority": "nowhere" }), Box::new(|_: &Value| false)),
        ];
        for (f, keep) in &cases {
            let want: Vec<Value> = all.iter().filter(|n| keep(n)).cloned().collect();
            let got = forwards(&app, None, f, &Value::Null, 3).await;
            assert_eq!(ids(&got), ids(&want), "{engine:?}: {f}");
            let total = page(&app, None, json!({ "f": f, "first": 0 })).await["totalCount"].clone();
            assert_eq!(total, json!(want.len()), "{engine:?}: {f}");
        }
        let red = forwards(&app, None, &cases[6].0, &Value::Null, 500).await;
        assert!(
            !red.is_empty(),
            "{engine:?}: the demo has RED measures in 2023-24 Q4"
        );

        // Every order both ways, and paging backwards gives the same.
        let sorts: [(&str, SortKey); 3] = [
            ("CODE", |n| (text(&n["code"]), String::new())),
            ("TITLE", |n| (text(&n["title"]), String::new())),
            ("AUTHORITY", |n| {
                (text(&n["plan"]["authority"]["slug"]), text(&n["code"]))
            }),
        ];
        let position: std::collections::HashMap<String, usize> =
            ids(&all).into_iter().enumerate().map(|(i, id)| (id, i)).collect();
        for (field, key) in sorts {
            for dir in ["ASC", "DESC"] {
                let o = json!({ "field": field, "direction": dir });
                let mut want = all.clone();
                want.sort_by(|a, b| {
                    (key(a), position[&text(&a["id"])]).cmp(&(key(b), position[&text(&b["id"])]))
                });
                if dir == "DESC" {
                    want.reverse();
                }
                let got = forwards(&app, None, &json!({}), &o, 4).await;
                assert_eq!(ids(&got), ids(&want), "{engine:?}: {o}");
                assert_eq!(
                    ids(&backwards(&app, &json!({}), &o, 4).await),
                    ids(&want),
                    "{engine:?}: {o}"
                );
            }
        }
        let by_id_desc = forwards(
            &app,
            None,
            &json!({}),
            &json!({ "field": "ID", "direction": "DESC" }),
            6,
        )
        .await;
        let mut reversed = ids(&all);
        reversed.reverse();
        assert_eq!(ids(&by_id_desc), reversed, "{engine:?}");
        assert_eq!(
            ids(&backwards(&app, &json!({}), &Value::Null, 6).await),
            ids(&all),
            "{engine:?}"
        );

        // The cap, a cursor of another order, a status without its period.
        let codes = app.error_codes(MEASURES, json!({ "first": 1000 })).await.unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"], "{engine:?}");
        let codes = app.error_codes(MEASURES, json!({ "last": 501 })).await.unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"], "{engine:?}");
        let by_code = page(
            &app,
            None,
            json!({ "o": { "field": "CODE", "direction": "ASC" }, "first": 1 }),
        )
        .await;
        let foreign = by_code["pageInfo"]["endCursor"].clone();
        let codes = app
            .error_codes(MEASURES, json!({ "first": 1, "after": foreign }))
            .await
            .unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"], "{engine:?}");
        let body = app
            .post(MEASURES, json!({ "f": { "statusIn": ["RED"] } }))
            .await
            .unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "statusIn", "{body}");
    }
}

#[tokio::test]
async fn a_measures_walk_while_measures_are_added_sees_each_once() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        api::import::import(&app.db, &sized("busy", 60)).await.unwrap();
        let f = json!({ "authority": "busy" });
        for o in [Value::Null, json!({ "field": "CODE", "direction": "DESC" })] {
            let before = ids(&forwards(&app, None, &f, &o, 500).await);
            assert!(before.len() >= 60, "{engine:?}");

            let node = app
                .data(
                    r#"{ authority(slug: "busy") { plans { nodes { id } } } }"#,
                    Value::Null,
                )
                .await
                .unwrap()["authority"]["plans"][0]["nodes"][0]["id"]
                .clone();
            let admin = token("a", &["busy:ADMIN"]);
            let (client, url) = (app.client.clone(), format!("{}/graphql", app.address));
            let tag = if o.is_null() { "N" } else { "D" };
            let writer = tokio::spawn(async move {
                for i in 0..30 {
                    let input = json!({ "nodeId": node, "code": format!("{tag}{i:02}"),
                        "title": format!("Added {i}"), "unit": "COUNT", "polarity": "HIGHER_IS_BETTER",
                        "kind": "COUNCIL" });
                    let body: Value = client
                        .post(&url)
                        .bearer_auth(&admin)
                        .json(&json!({ "query": "mutation($i: CreateMeasureInput!) { createMeasure(input: $i) { id } }",
                                       "variables": { "i": input } }))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    assert!(body.get("errors").is_none(), "{body}");
                }
            });
            let walked = ids(&forwards(&app, None, &f, &o, 7).await);
            writer.await.unwrap();
            let seen: HashSet<&String> = walked.iter().collect();
            assert_eq!(seen.len(), walked.len(), "{engine:?} {o}: no measure twice");
            for id in &before {
                assert!(seen.contains(id), "{engine:?} {o}: {id} missed");
            }
        }
    }
}

#[tokio::test]
async fn the_public_filters_by_no_unpublished_status() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let b = bundle(
            "dale",
            &[M("X1", "A", "HIGHER_IS_BETTER", "COUNCIL")],
            &[("X1", "2023-24", "50")],
            &[("X1", "2023-24 Q1", "10"), ("X1", "2023-24 Q2", "10")],
            &["2023-24 Q1"],
        );
        api::import::import(&app.db, &b).await.unwrap();
        let red = |p: &str| json!({ "f": { "authority": "dale", "statusIn": ["RED"], "statusPeriod": p } });
        let viewer = token("v", &["dale:VIEWER"]);
        let elsewhere = token("w", &["kent:VIEWER"]);
        for (tok, published, unpublished) in [
            (None, 1, 0),
            (Some(viewer.as_str()), 1, 1),
            (Some(elsewhere.as_str()), 1, 0),
        ] {
            let q1 = page(&app, tok, red("2023-24 Q1")).await;
            assert_eq!(q1["totalCount"], published, "{engine:?}");
            assert_eq!(nodes(&q1).len(), published, "{engine:?}");
            let q2 = page(&app, tok, red("2023-24 Q2")).await;
            assert_eq!(q2["totalCount"], unpublished, "{engine:?}: {tok:?}");
            assert_eq!(nodes(&q2).len(), unpublished, "{engine:?}: {tok:?}");
        }
    }
}

const VERSIONS: &str = r#"query($m: ID!) { measure(id: $m) { result(period: "2023-24 Q1") {
  history { version value }
  all: versions { totalCount edges { node { version } } }
  first: versions(first: 1) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { version value } } }
  last: versions(last: 1) { pageInfo { hasNextPage hasPreviousPage startCursor } edges { node { version } } }
  commentary { id history { version } versions(first: 5) { totalCount edges { node { version body } } } } } } }"#;

const SUBMIT: &str = r#"mutation($m: ID!, $v: Float!) { submitResult(input: { measureId: $m, period: "2023-24 Q1", value: $v }) { value } }"#;

#[tokio::test]
async fn versions_and_the_audit_log_are_connections() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let b = bundle(
            "dale",
            &[M("X1", "A", "HIGHER_IS_BETTER", "COUNCIL")],
            &[("X1", "2023-24", "50")],
            &[],
            &[],
        );
        api::import::import(&app.db, &b).await.unwrap();
        let (_, m) = app.measure("dale", "X1").await.unwrap();
        let officer = token("o", &["dale:OFFICER"]);
        for v in [10.0, 20.0, 30.0, 40.0] {
            app.data_as(&officer, SUBMIT, json!({ "m": m, "v": v }))
                .await
                .unwrap();
        }
        let c = app
            .data_as(&officer, r#"mutation($m: ID!) { addCommentary(input: { measureId: $m, period: "2023-24 Q1", kind: SERVICE, body: "one" }) { id } }"#, json!({ "m": m }))
            .await
            .unwrap()["addCommentary"]["id"]
            .clone();
        for (i, body) in ["two", "three"].iter().enumerate() {
            app.data_as(&officer, r#"mutation($c: ID!, $b: String!, $v: Int!) { editCommentary(input: { id: $c, body: $b, expectedVersion: $v }) { id } }"#, json!({ "c": c, "b": body, "v": i + 1 }))
                .await
                .unwrap();
        }
        let r =
            app.data_as(&officer, VERSIONS, json!({ "m": m })).await.unwrap()["measure"]["result"].clone();
        let history: Vec<Value> = r["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["version"].clone())
            .collect();
        assert_eq!(history.len(), 3, "{engine:?}: {r}");
        let all: Vec<Value> = r["all"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["version"].clone())
            .collect();
        assert_eq!(
            all, history,
            "{engine:?}: the connection holds what the list does"
        );
        assert_eq!(r["all"]["totalCount"], 3);
        assert_eq!(r["first"]["edges"][0]["node"]["version"], history[0]);
        assert_eq!(r["first"]["pageInfo"]["hasNextPage"], true);
        assert_eq!(r["first"]["pageInfo"]["hasPreviousPage"], false);
        assert_eq!(r["last"]["edges"][0]["node"]["version"], history[2]);
        assert_eq!(r["last"]["pageInfo"]["hasPreviousPage"], true);
        let commentary = &r["commentary"][0];
        let edited: Vec<Value> = commentary["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["version"].clone())
            .collect();
        let versions: Vec<Value> = commentary["versions"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["version"].clone())
            .collect();
        assert_eq!(edited.len(), 2, "{engine:?}: {commentary}");
        assert_eq!(versions, edited, "{engine:?}");
        assert_eq!(commentary["versions"]["totalCount"], 2);
        // Walk the result's versions page by page.
        let walk = r#"query($m: ID!, $a: String) { measure(id: $m) { result(period: "2023-24 Q1") { versions(first: 1, after: $a) { pageInfo { hasNextPage endCursor } edges { node { version } } } } } }"#;
        let (mut seen, mut after) = (Vec::new(), Value::Null);
        loop {
            let p = app
                .data_as(&officer, walk, json!({ "m": m, "a": after }))
                .await
                .unwrap()["measure"]["result"]["versions"]
                .clone();
            seen.extend(
                p["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["version"].clone()),
            );
            if p["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = p["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, history, "{engine:?}");
        // The public sees no value of an unpublished period, nor its versions.
        let public = app.data(VERSIONS, json!({ "m": m })).await.unwrap()["measure"]["result"].clone();
        assert_eq!(public["all"]["totalCount"], 0, "{engine:?}: {public}");

        // The audit log, both ways, with its count; the old cursors still work.
        let admin = token("a", &["dale:ADMIN"]);
        let log = r#"query($first: Int = 50, $after: String, $last: Int, $before: String) { authority(slug: "dale") {
          auditLog(first: $first, after: $after, last: $last, before: $before) {
            totalCount hasNextPage endCursor entries { databaseId }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"#;
        let entries = |p: &Value| -> Vec<i64> {
            p["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["databaseId"].as_i64().unwrap())
                .collect()
        };
        let everything =
            app.data_as(&admin, log, json!({ "first": 500 })).await.unwrap()["authority"]["auditLog"].clone();
        let all = entries(&everything);
        assert!(all.len() >= 6, "{engine:?}: {everything}");
        assert_eq!(everything["totalCount"], json!(all.len()));
        let (mut back, mut before) = (Vec::new(), Value::Null);
        loop {
            let p = app
                .data_as(&admin, log, json!({ "last": 2, "before": before }))
                .await
                .unwrap()["authority"]["auditLog"]
                .clone();
            let mut head = entries(&p);
            head.extend(back);
            back = head;
            if p["pageInfo"]["hasPreviousPage"] != true {
                break;
            }
            before = p["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(back, all, "{engine:?}: backwards the same");
        let first =
            app.data_as(&admin, log, json!({ "first": 2 })).await.unwrap()["authority"]["auditLog"].clone();
        assert_eq!(first["endCursor"], first["pageInfo"]["endCursor"]);
        let next = app
            .data_as(&admin, log, json!({ "first": 2, "after": first["endCursor"] }))
            .await
            .unwrap()["authority"]["auditLog"]
            .clone();
        assert_eq!(entries(&next), all[2..4].to_vec(), "{engine:?}");
        assert_eq!(next["pageInfo"]["hasPreviousPage"], true);
        let codes = app
            .error_codes_as(&admin, log, json!({ "last": 501 }))
            .await
            .unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"], "{engine:?}");
    }
}

#[tokio::test]
async fn the_feeds_carry_an_entity_tag_and_answer_304() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let get = |path: &'static str, tag: Option<String>| {
            let mut req = app.client.get(format!("{}{path}", app.address));
            if let Some(t) = tag {
                req = req.header("If-None-Match", t);
            }
            req.send()
        };
        let first = get("/feeds/results.csv?authority=kent&kind=COUNCIL", None)
            .await
            .unwrap();
        assert_eq!(first.status(), 200);
        let tag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert_eq!(first.headers()["cache-control"], "public, max-age=60");
        let body = first.text().await.unwrap();
        // The same filter in another order is the same query.
        let again = get(
            "/feeds/results.csv?kind=COUNCIL&authority=kent",
            Some(tag.clone()),
        )
        .await
        .unwrap();
        assert_eq!(again.status(), 304, "{engine:?}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
        assert_eq!(again.headers()["cache-control"], "public, max-age=60");
        assert!(again.bytes().await.unwrap().is_empty());
        let weak = get(
            "/feeds/results.csv?authority=kent&kind=COUNCIL",
            Some(format!("W/{tag}")),
        )
        .await
        .unwrap();
        assert_eq!(weak.status(), 304, "{engine:?}");
        // Another filter, another format: another tag.
        let json = get(
            "/feeds/results.json?authority=kent&kind=COUNCIL",
            Some(tag.clone()),
        )
        .await
        .unwrap();
        assert_eq!(json.status(), 200, "{engine:?}");
        assert_ne!(json.headers()["etag"].to_str().unwrap(), tag);
        let other = get("/feeds/results.csv?authority=croydon", Some(tag.clone()))
            .await
            .unwrap();
        assert_eq!(other.status(), 200, "{engine:?}");
        // A write makes the held copy stale.
        let root = token("root", &["PLATFORM_ADMIN"]);
        app.data_as(&root, r#"mutation { createMetric(input: { code: "NEW1", title: "New", unit: PERCENT, polarity: HIGHER_IS_BETTER }) { code } }"#, Value::Null)
            .await
            .unwrap();
        let after = get(
            "/feeds/results.csv?authority=kent&kind=COUNCIL",
            Some(tag.clone()),
        )
        .await
        .unwrap();
        assert_eq!(after.status(), 200, "{engine:?}");
        assert_ne!(after.headers()["etag"].to_str().unwrap(), tag);
        assert_eq!(after.text().await.unwrap(), body, "{engine:?}: the same rows");
    }
}
