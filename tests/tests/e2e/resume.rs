//! Live events a client can resume and a cache can merge: every event
//! carries its authority's position; a subscription `since` a position
//! replays what it missed, on any replica, or ends with `RESYNC`; and every
//! change of what a subscriber sees raises one.

use api::config::Limits;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tests::ws::Socket;
use tests::{TestApp, engines, spawn, token};

const RESULTS: &str = r#"subscription($a: String!, $s: String) {
  resultChanged(authority: $a, since: $s) { id measure { code } period value target position } }"#;
const COMMENTARY: &str = r#"subscription($a: String!, $s: String) {
  commentaryAdded(authority: $a, since: $s) { id body position } }"#;
const PLANS: &str = r#"subscription($a: String!, $s: String) {
  planChanged(authority: $a, since: $s) { id title deadline(period: "2023-24 Q4") measures { code } position } }"#;
const SUBMIT: &str = r#"mutation($m: ID!, $p: Period!, $v: Float!) {
  submitResult(input: { measureId: $m, period: $p, value: $v }) { value } }"#;
const POSITION: &str = r#"query($m: ID!) { measure(id: $m) { result(period: "2023-24 Q1") { position } } }"#;

fn officer() -> String {
    token("officer", &["kent:OFFICER", "kent:ADMIN"])
}

/// A socket with one subscription `s` to Kent. Without `since`, it waits
/// for a pong: the server reads a socket's messages in order, so once it
/// answers the ping it listens. With it, nothing is missed anyway, and the
/// missed events may come before any pong.
async fn subscribed(app: &TestApp, query: &str, since: Option<&str>) -> Socket {
    let mut s = Socket::connect(app, Some(&officer())).await.unwrap();
    s.subscribe("s", query, json!({ "a": "kent", "s": since }))
        .await
        .unwrap();
    if since.is_none() {
        s.send(json!({ "type": "ping" })).await.unwrap();
        assert_eq!(s.message().await.unwrap(), json!({ "type": "pong" }));
    }
    s
}

/// The next event's data under its field.
async fn next(s: &mut Socket, field: &str) -> Value {
    let m = s.message().await.unwrap();
    assert_eq!(m["type"], "next", "{m}");
    assert!(m["payload"].get("errors").is_none(), "{m}");
    m["payload"]["data"][field].clone()
}

/// The next `count` results, each of CS01, each once.
async fn every_result_of(s: &mut Socket, count: i64, what: &str) {
    let mut periods = Vec::new();
    for _ in 0..count {
        let e = next(s, "resultChanged").await;
        assert_eq!(e["measure"]["code"], "CS01", "{what}: {e}");
        periods.push(e["period"].as_str().unwrap().to_owned());
    }
    let all = periods.len();
    periods.sort();
    periods.dedup();
    assert_eq!(periods.len(), all, "{what}: a result announced twice");
}

fn position(v: &Value) -> i64 {
    v["position"].as_str().unwrap().parse().unwrap()
}

async fn position_now(app: &TestApp, measure: &Value) -> i64 {
    let d = app
        .data_as(&officer(), POSITION, json!({ "m": measure }))
        .await
        .unwrap();
    position(&d["measure"]["result"])
}

async fn submit(app: &TestApp, measure: &Value, period: &str, value: f64) {
    let v = json!({ "m": measure, "p": period, "v": value });
    app.data_as(&officer(), SUBMIT, v).await.unwrap();
}

/// The code of the error a subscription ended with at once: its one
/// result, then `complete`.
async fn refusal(app: &TestApp, query: &str, since: &str) -> String {
    let mut s = Socket::connect(app, Some(&officer())).await.unwrap();
    s.subscribe("s", query, json!({ "a": "kent", "s": since }))
        .await
        .unwrap();
    let m = s.message().await.unwrap();
    assert_eq!(m["type"], "next", "{m}");
    assert_eq!(
        s.message().await.unwrap(),
        json!({ "id": "s", "type": "complete" })
    );
    m["payload"]["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_client_resumes_where_it_left_off_on_another_replica() {
    for engine in engines() {
        let a = spawn(engine, true).await.unwrap();
        let b = a.replica(Limits::default()).await.unwrap();
        let (_, cs01) = a.measure("kent", "CS01").await.unwrap();

        // A query's position is where a subscription starts missing nothing.
        let start = position_now(&b, &cs01).await;
        let mut s = subscribed(&b, RESULTS, Some(&start.to_string())).await;
        submit(&a, &cs01, "2023-24 Q3", 50.0).await;
        let first = next(&mut s, "resultChanged").await;
        assert_eq!(
            (first["period"].as_str(), first["value"].as_f64()),
            (Some("2023-24 Q3"), Some(50.0))
        );
        assert_eq!(position(&first), start + 1, "{engine:?}");
        drop(s);

        // Away, while two more values are written through the other replica.
        submit(&a, &cs01, "2023-24 Q3", 51.0).await;
        submit(&a, &cs01, "2023-24 Q4", 52.0).await;
        assert_eq!(position_now(&b, &cs01).await, start + 3, "{engine:?}");

        let mut s = subscribed(&b, RESULTS, Some(&position(&first).to_string())).await;
        let mut from_start = subscribed(&a, RESULTS, Some(&start.to_string())).await;
        for (value, period, at) in [(51.0, "2023-24 Q3", 2), (52.0, "2023-24 Q4", 3)] {
            let missed = next(&mut s, "resultChanged").await;
            assert_eq!(missed["value"], value, "{engine:?}");
            assert_eq!(missed["period"], period, "{engine:?}");
            assert_eq!(position(&missed), start + at, "{engine:?}");
        }
        // Each missed event shows its object as it is now (events name
        // objects, and each is read when delivered): Q3 twice, at 51.
        let mut missed = Vec::new();
        for _ in 0..3 {
            let e = next(&mut from_start, "resultChanged").await;
            missed.push((position(&e) - start, e["period"].clone(), e["value"].clone()));
        }
        assert_eq!(
            missed,
            [
                (1, json!("2023-24 Q3"), json!(51.0)),
                (2, json!("2023-24 Q3"), json!(51.0)),
                (3, json!("2023-24 Q4"), json!(52.0)),
            ],
            "{engine:?}"
        );

        // Then live again, once each: nothing replayed comes twice.
        submit(&a, &cs01, "2023-24 Q4", 53.0).await;
        let mut live = Value::Null;
        for socket in [&mut s, &mut from_start] {
            live = next(socket, "resultChanged").await;
            assert_eq!(
                (live["value"].as_f64(), position(&live)),
                (Some(53.0), start + 4),
                "{engine:?}"
            );
        }
        // The object a query names: a normalized cache merges the event.
        let d = b
            .data_as(
                &officer(),
                r#"query($m: ID!) { measure(id: $m) { result(period: "2023-24 Q4") { id value } } }"#,
                json!({ "m": cs01 }),
            )
            .await
            .unwrap();
        assert_eq!(
            d["measure"]["result"],
            json!({ "id": live["id"], "value": 53.0 }),
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn a_position_no_longer_kept_ends_with_resync() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (_, cs01) = app.measure("kent", "CS01").await.unwrap();
        assert_eq!(refusal(&app, RESULTS, "yesterday").await, "BAD_USER_INPUT");
        assert_eq!(refusal(&app, RESULTS, "-1").await, "BAD_USER_INPUT");
        // A position this database never gave (another database's, or one
        // from before a restore).
        assert_eq!(refusal(&app, COMMENTARY, "999999999").await, "RESYNC");

        submit(&app, &cs01, "2023-24 Q3", 60.0).await;
        let old = position_now(&app, &cs01).await;
        // Sixteen minutes pass: the next write lets the old events go.
        let (sql, backend) = match app.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => ("UPDATE live_events SET at = $1", sea_orm::DbBackend::Postgres),
            other => ("UPDATE live_events SET at = ?", other),
        };
        let past = chrono::Utc::now() - chrono::TimeDelta::minutes(16);
        app.db
            .execute_raw(Statement::from_sql_and_values(backend, sql, [past.into()]))
            .await
            .unwrap();
        submit(&app, &cs01, "2023-24 Q3", 61.0).await;
        assert_eq!(
            refusal(&app, RESULTS, &(old - 1).to_string()).await,
            "RESYNC",
            "{engine:?}"
        );

        // From the last kept position on, it resumes.
        let mut s = subscribed(&app, RESULTS, Some(&old.to_string())).await;
        let kept = next(&mut s, "resultChanged").await;
        assert_eq!(
            (kept["value"].as_f64(), position(&kept)),
            (Some(61.0), old + 1),
            "{engine:?}"
        );
        app.still_serving().await;
    }
}

#[tokio::test]
async fn every_change_a_subscriber_sees_raises_an_event() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (plan, cs01) = app.measure("kent", "CS01").await.unwrap();
        let admin = officer();
        let count = app
            .data_as(
                &admin,
                "query($m: ID!) { results(filter: { measure: $m }, first: 100) { totalCount } }",
                json!({ "m": cs01 }),
            )
            .await
            .unwrap()["results"]["totalCount"]
            .as_i64()
            .unwrap();
        assert!(count > 1);
        let mut results = subscribed(&app, RESULTS, None).await;
        let mut commentary = subscribed(&app, COMMENTARY, None).await;
        let mut plans = subscribed(&app, PLANS, None).await;
        // A target: the results it applies to (Q1's own).
        let set = r#"mutation($m: ID!) { setTarget(input: { measureId: $m, period: "2023-24 Q1", target: 99 }) { target } }"#;
        app.data_as(&admin, set, json!({ "m": cs01 })).await.unwrap();
        let e = next(&mut results, "resultChanged").await;
        assert_eq!(
            (e["period"].as_str(), e["target"].as_f64()),
            (Some("2023-24 Q1"), Some(99.0)),
            "{engine:?}"
        );

        // Commentary added, then edited.
        let add = r#"mutation($m: ID!) { addCommentary(input: { measureId: $m, period: "2023-24 Q1", body: "First", kind: SERVICE }) { id version } }"#;
        let c = app.data_as(&admin, add, json!({ "m": cs01 })).await.unwrap();
        assert_eq!(next(&mut commentary, "commentaryAdded").await["body"], "First");
        let edit = r#"mutation($c: ID!) { editCommentary(input: { id: $c, body: "Second", expectedVersion: 1 }) { id } }"#;
        app.data_as(&admin, edit, json!({ "c": c["addCommentary"]["id"] }))
            .await
            .unwrap();
        let edited = next(&mut commentary, "commentaryAdded").await;
        assert_eq!(
            (&edited["body"], &edited["id"]),
            (&json!("Second"), &c["addCommentary"]["id"])
        );

        // An action plan shows on every result of its measure.
        let act = r#"mutation($m: ID!) { createActionPlan(input: { measureId: $m, title: "Recover", actions: [] }) { id } }"#;
        app.data_as(&admin, act, json!({ "m": cs01 })).await.unwrap();
        every_result_of(&mut results, count, "an action plan").await;

        // A deadline and a new node change the plan.
        let due = r#"mutation($p: ID!) { setDeadline(planId: $p, period: "2023-24 Q4", dueOn: "2024-05-01") { id } }"#;
        app.data_as(&admin, due, json!({ "p": plan })).await.unwrap();
        let p = next(&mut plans, "planChanged").await;
        assert_eq!(
            (&p["id"], &p["deadline"]),
            (&plan, &json!("2024-05-01")),
            "{engine:?}"
        );

        // A measure's rule and its archiving: the plan, and each result.
        let rule = r#"mutation($m: ID!) { updateMeasure(input: { id: $m, ragRule: { method: TOLERANCE, amberTolerancePercent: 20 } }) { id } }"#;
        app.data_as(&admin, rule, json!({ "m": cs01 })).await.unwrap();
        assert_eq!(next(&mut plans, "planChanged").await["id"], plan);
        every_result_of(&mut results, count, "a rule").await;
        let archive = r#"mutation($m: ID!) { archiveMeasure(id: $m) { id } }"#;
        app.data_as(&admin, archive, json!({ "m": cs01 })).await.unwrap();
        let p = next(&mut plans, "planChanged").await;
        assert!(
            p["measures"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["code"] != "CS01"),
            "{p}"
        );
        every_result_of(&mut results, count, "archiving").await;

        // Positions only grow, across the kinds of event.
        let last = [
            position(&edited),
            position(&p),
            position(&next_of_publication(&app, &plan).await),
        ];
        assert!(last.windows(2).all(|w| w[0] < w[1]), "{last:?}");
    }
}

/// Publishes Q4 and answers the `periodPublished` event it raised.
async fn next_of_publication(app: &TestApp, plan: &Value) -> Value {
    let mut s = subscribed(
        app,
        r#"subscription($a: String!, $s: String) { periodPublished(authority: $a, since: $s) { period position } }"#,
        None,
    )
    .await;
    let publish = r#"mutation($p: ID!) { publishPeriod(planId: $p, period: "2023-24 Q4") { id } }"#;
    app.data_as(&officer(), publish, json!({ "p": plan }))
        .await
        .unwrap();
    next(&mut s, "periodPublished").await
}
