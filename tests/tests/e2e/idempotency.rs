//! Safe retries: a POST sent with an `Idempotency-Key` applies once, and a
//! retry with the same key and the same request, on this server or another
//! on the same database, gets the first answer again. And the fields a
//! client needs to tell which version it holds: `version`, `submittedAt`,
//! `submittedBy`.

use std::time::Duration;

use api::config::Limits;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use tests::{Engine, TestApp, engines, multipart_body, spawn, spawn_with, token};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::sheets::croydon_plan;

const POLICE: &str = "croydon:PARTNER:metropolitan-police";
const PERIOD: &str = "2024-25 Q1";

const IMPORT: &str = r#"mutation($plan: ID!, $period: Period, $file: Upload!) {
  importResults(planId: $plan, period: $period, file: $file) { applied rows results errors { row code message } } }"#;

const SUBMIT: &str = r#"mutation($m: ID!, $p: Period!, $v: Float!) {
  submitResults(input: [{ measureId: $m, period: $p, value: $v }]) { value version } }"#;

const RESULT: &str = r#"query($m: ID!, $p: Period!) {
  measure(id: $m) { result(period: $p) { value version submittedAt submittedBy history { version } } } }"#;

/// An answer as a client sees it.
#[derive(Debug)]
struct Reply {
    status: u16,
    replayed: bool,
    body: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("<none>")
    }
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

fn key(k: &str) -> (&'static str, String) {
    ("idempotency-key", k.to_owned())
}

async fn post(app: &TestApp, headers: &[(&str, String)], content_type: &str, body: Vec<u8>) -> Reply {
    let mut req = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", content_type)
        .body(body);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let resp = req.send().await.unwrap();
    Reply {
        status: resp.status().as_u16(),
        replayed: resp
            .headers()
            .get("idempotency-replayed")
            .is_some_and(|v| v == "true"),
        body: resp.json().await.unwrap(),
    }
}

async fn submit(app: &TestApp, headers: &[(&str, String)], measure: &Value, value: f64) -> Reply {
    let body = json!({ "query": SUBMIT, "variables": { "m": measure, "p": PERIOD, "v": value } });
    post(app, headers, "application/json", body.to_string().into_bytes()).await
}

/// The police's one-row results sheet for O4.3, as an upload parted by
/// `boundary`.
fn sheet(plan: &Value, value: u32, boundary: &str) -> (String, Vec<u8>) {
    let csv = format!("code,period,value,note\nO4.3,{PERIOD},{value},\n");
    (
        format!("multipart/form-data; boundary={boundary}"),
        multipart_body(
            boundary,
            IMPORT,
            json!({ "plan": plan, "period": PERIOD }),
            "results.csv",
            csv.as_bytes(),
        ),
    )
}

/// Rows of the keys table that meet `condition` (SQL).
async fn keys_where(app: &TestApp, condition: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM idempotency_keys WHERE {condition}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Sends a POST over a connection of its own and, once the server has
/// claimed its key, resets the connection without reading a byte of the
/// answer: a client whose network dropped mid-request.
async fn send_and_drop(app: &TestApp, headers: &[(&str, String)], content_type: &str, body: &[u8]) {
    let host = app.address.trim_start_matches("http://");
    let mut socket = TcpStream::connect(host).await.unwrap();
    let mut head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body).await.unwrap();
    let mut waited = 0;
    while keys_where(app, "1 = 1").await == 0 {
        assert!(waited < 1_000, "the server never claimed the key");
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
    socket.set_zero_linger().unwrap();
    drop(socket);
}

/// On PostgreSQL, a transaction holding an uncommitted result of `measure`
/// at `PERIOD`: a write of the same result waits until it ends. SQLite
/// has no row locks to hold a writer with.
async fn hold_result(app: &TestApp, measure: &Value) -> Option<DatabaseTransaction> {
    if app.engine != Engine::Postgres {
        return None;
    }
    let id = tests::row_id(measure);
    let txn = app.db.begin().await.unwrap();
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO results (authority_id, measure_id, period, period_start, value, submitted_by, \
         submitted_at, restated, version) \
         SELECT authority_id, id, $1, DATE '2024-04-01', '1', 'holder', NOW(), FALSE, 1 FROM measures WHERE id = $2",
        [PERIOD.into(), id.into()],
    ))
    .await
    .unwrap();
    Some(txn)
}

async fn result(app: &TestApp, token: Option<&str>, measure: &Value, period: &str) -> Value {
    app.answer(token, RESULT, json!({ "m": measure, "p": period }))
        .await
        .unwrap()["measure"]["result"]
        .clone()
}

/// The acceptance test of safe retries: an upload whose client dropped
/// before the answer is answered again, applied once, also by a server
/// started afresh on the same database.
#[tokio::test]
async fn an_upload_whose_connection_dropped_is_answered_again_and_applied_once() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = croydon_plan(&app).await;
        let (_, measure) = app.measure("croydon", "O4.3").await.unwrap();
        let police = token("sergeant", &[POLICE]);
        let headers = [bearer(&police), key("sheet-2024-25-q1")];
        // On PostgreSQL the upload's write waits for this until the client
        // has gone, so the drop lands in the middle of the run.
        let held = hold_result(&app, &measure).await;
        let (content_type, body) = sheet(&plan, 8050, "first-try");
        send_and_drop(&app, &headers, &content_type, &body).await;
        if let Some(txn) = held {
            tokio::time::sleep(Duration::from_millis(300)).await;
            txn.rollback().await.unwrap();
        }

        // A client library draws a new boundary for each try.
        let (content_type, body) = sheet(&plan, 8050, "second-try");
        let retry = post(&app, &headers, &content_type, body.clone()).await;
        assert_eq!(retry.status, 200, "{engine:?}: {retry:?}");
        assert!(retry.replayed, "{engine:?}: {retry:?}");
        let report = &retry.body["data"]["importResults"];
        assert_eq!(report["applied"], true, "{engine:?}: {report}");
        assert_eq!(report["results"], 1, "{engine:?}: {report}");

        // A restart: this server stops, another starts on its database.
        app.shutdown.shut_down().await;
        let restarted = app.replica(Limits::default()).await.unwrap();
        let again = post(&restarted, &headers, &content_type, body).await;
        assert!(again.replayed, "{engine:?}: {again:?}");
        assert_eq!((again.status, &again.body), (200, &retry.body), "{engine:?}");

        // The upload's own transaction marked the key applied.
        assert_eq!(keys_where(&restarted, "applied = TRUE").await, 1, "{engine:?}");
        let shown = result(&restarted, Some(&police), &measure, PERIOD).await;
        assert_eq!(shown["value"], 8050.0, "{engine:?}: {shown}");
        assert_eq!(shown["version"], 1, "{engine:?}: {shown}");
        assert_eq!(shown["history"], json!([]), "{engine:?}: {shown}");

        // The same key with another sheet is refused, and writes nothing.
        let before = restarted.row_counts().await.unwrap();
        let (content_type, body) = sheet(&plan, 8051, "third-try");
        let other = post(&restarted, &headers, &content_type, body).await;
        assert_eq!(other.status, 422, "{engine:?}: {other:?}");
        assert_eq!(other.code(), "IDEMPOTENCY_KEY_REUSED", "{engine:?}");
        assert!(!other.replayed);
        assert_eq!(restarted.row_counts().await.unwrap(), before, "{engine:?}");
    }
}

#[tokio::test]
async fn a_submission_with_a_key_is_replayed_and_the_key_is_the_subjects_own() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (_, measure) = app.measure("croydon", "O4.3").await.unwrap();
        let police = token("sergeant", &[POLICE]);
        let headers = [bearer(&police), key("batch-1")];
        let first = submit(&app, &headers, &measure, 8050.0).await;
        assert_eq!(first.status, 200, "{engine:?}: {first:?}");
        assert!(!first.replayed);
        assert_eq!(first.body["data"]["submitResults"][0]["version"], 1);

        let again = submit(&app, &headers, &measure, 8050.0).await;
        assert!(again.replayed, "{engine:?}: {again:?}");
        assert_eq!((again.status, &again.body), (first.status, &first.body));
        let shown = result(&app, Some(&police), &measure, PERIOD).await;
        assert_eq!((&shown["version"], &shown["history"]), (&json!(1), &json!([])));

        // Another value under the same key: refused, nothing written.
        let before = app.row_counts().await.unwrap();
        let other = submit(&app, &headers, &measure, 9000.0).await;
        assert_eq!((other.status, other.code()), (422, "IDEMPOTENCY_KEY_REUSED"));
        assert_eq!(app.row_counts().await.unwrap(), before, "{engine:?}");

        // Keys are per subject: an officer's key of the same name is its own.
        let officer = token("analyst", &["croydon:OFFICER"]);
        let theirs = submit(&app, &[bearer(&officer), key("batch-1")], &measure, 9000.0).await;
        assert_eq!(theirs.status, 200, "{engine:?}: {theirs:?}");
        assert!(!theirs.replayed);
        assert_eq!(theirs.body["data"]["submitResults"][0]["version"], 2);
    }
}

#[tokio::test]
async fn two_requests_at_once_with_one_key_apply_once() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (_, measure) = app.measure("croydon", "O4.3").await.unwrap();
        let police = token("sergeant", &[POLICE]);
        let headers = [bearer(&police), key("at-once")];
        let (a, b) = tokio::join!(
            submit(&app, &headers, &measure, 8050.0),
            submit(&app, &headers, &measure, 8050.0)
        );
        assert_eq!((a.status, b.status), (200, 200), "{engine:?}: {a:?} {b:?}");
        assert_eq!(a.body, b.body, "{engine:?}");
        assert!(a.replayed != b.replayed, "{engine:?}: one ran, one replayed");
        let shown = result(&app, Some(&police), &measure, PERIOD).await;
        assert_eq!((&shown["version"], &shown["history"]), (&json!(1), &json!([])));
    }
}

#[tokio::test]
async fn a_malformed_key_is_refused_and_reads_ignore_the_header() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (_, measure) = app.measure("croydon", "O4.3").await.unwrap();
        let police = bearer(&token("sergeant", &[POLICE]));
        let before = app.row_counts().await.unwrap();
        let long = "k".repeat(256);
        for bad in [
            vec![police.clone(), key("")],
            vec![police.clone(), key("two words")],
            vec![police.clone(), key(&long)],
            vec![police.clone(), key("one"), key("two")],
        ] {
            let r = submit(&app, &bad, &measure, 8050.0).await;
            assert_eq!(
                (r.status, r.code()),
                (400, "BAD_USER_INPUT"),
                "{engine:?}: {bad:?}"
            );
        }
        assert_eq!(app.row_counts().await.unwrap(), before, "{engine:?}");
        let longest = submit(&app, &[police, key(&long[1..])], &measure, 8050.0).await;
        assert_eq!(longest.status, 200, "{engine:?}: {longest:?}");

        let get = app
            .client
            .get(format!("{}/graphql?query={{authorities{{slug}}}}", app.address))
            .header("idempotency-key", "two words")
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 200, "{engine:?}");
        assert!(get.headers().get("idempotency-replayed").is_none());

        // A query changes nothing: sent by POST with a key, it is answered
        // afresh each time and keeps no row.
        let query = json!({ "query": "{ authorities { slug } }" }).to_string();
        for _ in 0..2 {
            let read = post(
                &app,
                &[key("a-read")],
                "application/json",
                query.clone().into_bytes(),
            )
            .await;
            assert_eq!(read.status, 200, "{engine:?}: {read:?}");
            assert!(!read.replayed, "{engine:?}");
        }
        assert_eq!(keys_where(&app, "\"key\" = 'a-read'").await, 0, "{engine:?}");
    }
}

/// A dashboard on another origin may send a key, and read whether its
/// answer was replayed.
#[tokio::test]
async fn a_browser_on_another_origin_may_send_a_key() {
    let app = spawn(Engine::Sqlite, false).await.unwrap();
    let url = format!("{}/graphql", app.address);
    let origin = "https://dashboard.example";
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, idempotency-key")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], origin);
    let sent = app
        .client
        .post(&url)
        .header("origin", origin)
        .header("idempotency-key", "from-a-browser")
        .json(&json!({ "query": "{ authorities { slug } }" }))
        .send()
        .await
        .unwrap();
    let exposed = sent.headers()["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.contains("idempotency-replayed"), "{exposed}");
}

/// The states a crash or an outage can leave a key in, made by hand.
#[tokio::test]
async fn a_run_that_died_is_never_applied_twice_and_old_keys_expire() {
    // A short time limit, so that waiting for a run that never ends is short.
    let limits = Limits {
        query_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    for engine in engines() {
        let app = spawn_with(engine, true, limits.clone()).await.unwrap();
        let (_, measure) = app.measure("croydon", "O4.3").await.unwrap();
        let police = token("sergeant", &[POLICE]);
        let headers = [bearer(&police), key("crash")];
        assert_eq!(submit(&app, &headers, &measure, 8050.0).await.status, 200);
        let set = |assignments: &'static str| {
            let db = app.db.clone();
            async move {
                db.execute_unprepared(&format!("UPDATE idempotency_keys SET {assignments}"))
                    .await
                    .unwrap();
            }
        };

        // Applied, its answer not kept yet: a retry waits for it, and past
        // the time limit is told to try again.
        set("status = NULL, content_type = NULL, body = NULL").await;
        let busy = submit(&app, &headers, &measure, 8050.0).await;
        assert_eq!(
            (busy.status, busy.code()),
            (409, "CONFLICT"),
            "{engine:?}: {busy:?}"
        );
        assert!(busy.body.to_string().contains("still running"), "{busy:?}");

        // Applied, then the server died before keeping the answer (an hour
        // ago): a retry is told so, and nothing is applied again.
        set("claimed_at = claimed_at - 3600000").await;
        let lost = submit(&app, &headers, &measure, 8050.0).await;
        assert_eq!(
            (lost.status, lost.code()),
            (409, "CONFLICT"),
            "{engine:?}: {lost:?}"
        );
        assert!(lost.body.to_string().contains("answer was lost"), "{lost:?}");
        assert_eq!(result(&app, Some(&police), &measure, PERIOD).await["version"], 1);

        // Died before applying: a retry takes the key over and runs (the
        // same value again, which changes nothing: still version 1).
        set("applied = FALSE").await;
        let ran = submit(&app, &headers, &measure, 8050.0).await;
        assert_eq!(ran.status, 200, "{engine:?}: {ran:?}");
        assert!(!ran.replayed);
        assert_eq!(ran.body["data"]["submitResults"][0]["version"], 1);

        // A key claimed over 24 hours ago is forgotten: another request may
        // use it, and the old row is purged.
        set("claimed_at = claimed_at - 90000000").await;
        let other = submit(&app, &headers, &measure, 9000.0).await;
        assert_eq!(other.status, 200, "{engine:?}: {other:?}");
        assert!(!other.replayed);
        assert_eq!(keys_where(&app, "1 = 1").await, 1, "{engine:?}");
    }
}

#[tokio::test]
async fn a_result_shows_its_version_and_submitter_to_those_who_may_know() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (_, measure) = app.measure("croydon", "O4.3").await.unwrap();
        let published = "2023-24 Q3";
        let police = token("sergeant", &[POLICE]);
        let before = result(&app, None, &measure, published).await;
        let resubmit = json!({ "query": SUBMIT, "variables": { "m": measure, "p": published, "v": 8900.0 } });
        let r = post(
            &app,
            &[bearer(&police)],
            "application/json",
            resubmit.to_string().into_bytes(),
        )
        .await;
        assert_eq!(r.status, 200, "{engine:?}: {r:?}");
        let stored = before["version"].as_i64().unwrap();
        assert_eq!(r.body["data"]["submitResults"][0]["version"], stored + 1);

        let officer = token("analyst", &["croydon:OFFICER"]);
        let nhs = token("nurse", &["croydon:PARTNER:nhs-swl-icb"]);
        let outsider = token("kent-analyst", &["kent:OFFICER"]);
        for (who, token, by) in [
            (
                "the police, who lead it",
                Some(police.as_str()),
                json!("sergeant"),
            ),
            ("Croydon's officer", Some(officer.as_str()), json!("sergeant")),
            ("another partner", Some(nhs.as_str()), Value::Null),
            ("another council's officer", Some(outsider.as_str()), Value::Null),
            ("the public", None, Value::Null),
        ] {
            let shown = result(&app, token, &measure, published).await;
            assert_eq!(shown["version"], stored + 1, "{engine:?}, {who}: {shown}");
            assert!(shown["submittedAt"].is_string(), "{engine:?}, {who}: {shown}");
            assert_eq!(shown["submittedBy"], by, "{engine:?}, {who}: {shown}");
        }

        let none = result(&app, Some(&officer), &measure, "2024-25 Q2").await;
        assert_eq!(
            (&none["version"], &none["submittedAt"], &none["submittedBy"]),
            (&Value::Null, &Value::Null, &Value::Null),
            "{engine:?}: {none}"
        );
    }
}
