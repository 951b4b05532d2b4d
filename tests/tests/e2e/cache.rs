//! The exact response cache (issue 18): an answer is served again only while
//! no write has committed since, on any replica, and never to a viewer who
//! may see something else.

use schema::service::import::Bundle;
use serde_json::{Value, json};
use tests::{Engine, TestApp, engines, spawn, spawn_with_cache, token};

use crate::fixtures::{M, bundle};

/// One measure with a published result in Q1 and an unpublished one in Q2.
fn council() -> Bundle {
    bundle(
        "kent",
        &[M("M1", "A1", "HIGHER_IS_BETTER", "COUNCIL")],
        &[("M1", "2023-24", "50")],
        &[("M1", "2023-24 Q1", "48"), ("M1", "2023-24 Q2", "60")],
        &["2023-24 Q1"],
    )
}

const RESULTS: &str = r#"{ authority(slug: "kent") { plans { measures { id result(period: "2023-24 Q2") { value status } } } } }"#;

async fn q2(app: &TestApp, token: Option<&str>) -> Value {
    let d = app.answer(token, RESULTS, Value::Null).await.unwrap();
    d["authority"]["plans"][0]["measures"][0].clone()
}

async fn hits(app: &TestApp) -> u64 {
    app.metric("councilperf_cache_hits_total").await.unwrap()
}

/// Hits counted exactly, where nothing else can change the version: on
/// PostgreSQL the version is the snapshot, which any test writing to its own
/// database in the same cluster moves on, so a hit there may be a miss.
async fn assert_hits(app: &TestApp, expected: u64, what: &str) {
    let n = hits(app).await;
    match app.engine {
        Engine::Sqlite => assert_eq!(n, expected, "{what}"),
        Engine::Postgres => assert!(n <= expected, "{what}: {n} hits"),
    }
}

#[tokio::test]
async fn a_write_through_one_replica_is_seen_at_once_through_another() {
    for engine in engines() {
        let a = spawn(engine, false).await.unwrap();
        let b = a.replica(api::config::Limits::default()).await.unwrap();
        api::import::import(&a.db, &council()).await.unwrap();
        let officer = token("officer", &["kent:OFFICER"]);
        let before = q2(&b, Some(&officer)).await;
        assert_eq!(before["result"]["value"], json!(60.0), "{engine:?}");
        assert_eq!(q2(&b, Some(&officer)).await, before, "{engine:?}: kept");
        assert_hits(&b, 1, "the second read was a hit").await;
        let kept = hits(&b).await;

        let submitted = a
            .data_as(
                &officer,
                r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2023-24 Q2", value: 35 }) { value } }"#,
                json!({ "m": before["id"] }),
            )
            .await
            .unwrap();
        assert_eq!(submitted["submitResult"]["value"], json!(35.0));
        let after = q2(&b, Some(&officer)).await;
        assert_eq!(
            after["result"]["value"],
            json!(35.0),
            "{engine:?}: B saw A's write at once"
        );
        assert_eq!(after["result"]["status"], json!("RED"), "{engine:?}");
        assert_eq!(
            hits(&b).await,
            kept,
            "{engine:?}: the write made the kept answer unusable"
        );
    }
}

#[tokio::test]
async fn an_officers_unpublished_answer_is_never_served_to_the_public() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        api::import::import(&app.db, &council()).await.unwrap();
        let officer = token("officer", &["kent:OFFICER"]);
        for _ in 0..2 {
            let seen = q2(&app, Some(&officer)).await;
            assert_eq!(
                seen["result"]["value"],
                json!(60.0),
                "{engine:?}: the officer sees the draft"
            );
            let public = q2(&app, None).await;
            assert_eq!(
                public["result"]["value"],
                Value::Null,
                "{engine:?}: the public does not"
            );
        }
        // A second officer of the same council is another viewer too (the
        // answer names who asks where `me` is selected).
        let other = token("someone-else", &["kent:OFFICER"]);
        let me = r#"{ me { subject } }"#;
        let first = app.data_as(&officer, me, Value::Null).await.unwrap();
        let second = app.data_as(&other, me, Value::Null).await.unwrap();
        assert_eq!(first["me"]["subject"], json!("officer"));
        assert_eq!(second["me"]["subject"], json!("someone-else"));
        assert_hits(&app, 2, "only the repeated reads hit").await;
    }
}

#[tokio::test]
async fn mutations_and_errors_are_never_kept() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        api::import::import(&app.db, &council()).await.unwrap();
        let officer = token("officer", &["kent:OFFICER"]);
        let id = q2(&app, Some(&officer)).await["id"].clone();
        let submit = r#"mutation($m: ID!, $v: Float!) { submitResult(input: { measureId: $m, period: "2023-24 Q2", value: $v }) { value } }"#;
        for v in [70, 71] {
            let d = app
                .data_as(&officer, submit, json!({ "m": id, "v": v }))
                .await
                .unwrap();
            assert_eq!(d["submitResult"]["value"], json!(f64::from(v)));
        }
        let bad = r#"{ authority(slug: "kent") { plans { breakdown(period: "not a period") { total } } } }"#;
        for _ in 0..2 {
            let codes = app.error_codes(bad, Value::Null).await.unwrap();
            assert_eq!(codes, ["BAD_USER_INPUT"], "{engine:?}");
        }
        assert_eq!(hits(&app).await, 0, "{engine:?}");
    }
}

#[tokio::test]
async fn a_cache_of_zero_megabytes_is_off() {
    for engine in engines() {
        let app = spawn_with_cache(engine, false, 0).await.unwrap();
        api::import::import(&app.db, &council()).await.unwrap();
        let mut costs = Vec::new();
        for _ in 0..2 {
            let before = app.statements().await.unwrap();
            q2(&app, None).await;
            costs.push(app.statements().await.unwrap() - before);
        }
        assert_eq!(costs[0], costs[1], "{engine:?}: the second read ran again");
        assert_eq!(hits(&app).await, 0);
        assert_eq!(app.metric("councilperf_cache_misses_total").await.unwrap(), 0);
    }
}

async fn get(app: &TestApp, params: &[(&str, &str)], headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(format!("{}/graphql", app.address)).query(params);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn get_answers_revalidate_with_their_entity_tag() {
    let app = spawn(Engine::Sqlite, false).await.unwrap();
    api::import::import(&app.db, &council()).await.unwrap();
    let published =
        r#"{ authority(slug: "kent") { plans { measures { id result(period: "2023-24 Q1") { value } } } } }"#;
    let query = [("query", published)];
    let first = get(&app, &query, &[]).await;
    assert_eq!(first.status(), 200);
    let tag = header(&first, "etag");
    assert!(tag.starts_with('"') && tag.len() > 2, "{tag}");
    assert_eq!(header(&first, "cache-control"), "public, no-cache");
    assert!(header(&first, "vary").starts_with("Authorization"));
    assert!(first.text().await.unwrap().contains("48"));

    let held = get(&app, &query, &[("if-none-match", &tag)]).await;
    assert_eq!(held.status(), 304);
    assert_eq!(header(&held, "etag"), tag);
    assert_eq!(header(&held, "cache-control"), "public, no-cache");
    assert!(held.bytes().await.unwrap().is_empty());

    // A write changes the answer, so the tag held no longer matches.
    let officer = token("officer", &["kent:OFFICER"]);
    let id = q2(&app, Some(&officer)).await["id"].clone();
    app.data_as(
        &officer,
        r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2023-24 Q1", value: 12 }) { value } }"#,
        json!({ "m": id }),
    )
    .await
    .unwrap();
    let changed = get(&app, &query, &[("if-none-match", &tag)]).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(header(&changed, "etag"), tag);
    assert!(changed.text().await.unwrap().contains("12"));

    // A token's answer is its holder's, and may differ from the public's.
    let drafts = [("query", RESULTS)];
    let public = get(&app, &drafts, &[]).await;
    let public_tag = header(&public, "etag");
    let bearer = format!("Bearer {officer}");
    let own = get(
        &app,
        &drafts,
        &[("authorization", &bearer), ("if-none-match", &public_tag)],
    )
    .await;
    assert_eq!(
        own.status(),
        200,
        "the officer sees the draft: not the public's answer"
    );
    assert_eq!(header(&own, "cache-control"), "private, no-cache");
    assert!(header(&own, "vary").starts_with("Authorization"));
    assert_ne!(header(&own, "etag"), public_tag);

    // Errors carry no tag: nothing to revalidate.
    let bad = get(&app, &[("query", "{ nothing }")], &[]).await;
    assert_eq!(header(&bad, "etag"), "");
}
