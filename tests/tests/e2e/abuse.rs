//! What an anonymous stranger or a careless client can send, and what must
//! hold anyway: every request refused or answered quickly with a code, the
//! server still serving, nothing unpublished shown.

use std::time::Duration;

use api::config::Limits;
use serde_json::{Value, json};
use tests::{Engine, engines, spawn, spawn_with, token};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Generous bounds: a refusal that takes longer than this is a stall.
const PROMPT: Duration = Duration::from_secs(5);

/// POSTs `query` anonymously with a deadline and returns the error codes.
async fn codes_within(app: &tests::TestApp, query: &str, deadline: Duration) -> Vec<String> {
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .timeout(deadline)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("no answer within {deadline:?}: {e}"));
    let body: Value = resp.json().await.unwrap();
    body["errors"]
        .as_array()
        .map(|es| {
            es.iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The id of Kent's demo measure CS01.
async fn kent_cs01(app: &tests::TestApp) -> Value {
    app.measure("kent", "CS01").await.unwrap().1
}

/// `levels` fragments, each spreading the next one twice: 2^levels fields.
fn fan_out(levels: usize) -> String {
    let mut q = String::from("{ ...F0 }");
    for i in 0..levels {
        q.push_str(&format!(
            " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
            n = i + 1
        ));
    }
    q.push_str(&format!(" fragment F{levels} on Query {{ me {{ subject }} }}"));
    q
}

#[tokio::test]
async fn fragment_fan_out_is_refused_at_once_and_health_stays_fast() {
    let app = spawn(Engine::Sqlite, false).await.unwrap();
    let query = fan_out(30);
    assert!(query.len() < 2_000);
    let attacks: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, q) = (
                app.client.clone(),
                format!("{}/graphql", app.address),
                query.clone(),
            );
            tokio::spawn(async move {
                client
                    .post(url)
                    .timeout(PROMPT)
                    .json(&json!({ "query": q }))
                    .send()
                    .await
            })
        })
        .collect();
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .timeout(PROMPT)
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    for a in attacks {
        let body: Value = a
            .await
            .unwrap()
            .expect("refused within the bound")
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
    }
    // Cycles are refused too, not walked forever.
    let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    assert_eq!(codes_within(&app, cycle, PROMPT).await, ["BAD_USER_INPUT"]);
    app.still_serving().await;
}

#[tokio::test]
async fn duplicated_fields_count_towards_the_limits() {
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let query = format!(
        "{{ authorities {{ plans {{ {} }} }} }}",
        r#"breakdown(period: "2023-24 Q1") { total } "#.repeat(2_000)
    );
    let attacks: Vec<_> = (0..8)
        .map(|_| {
            let (client, url, q) = (
                app.client.clone(),
                format!("{}/graphql", app.address),
                query.clone(),
            );
            tokio::spawn(async move {
                let resp = client
                    .post(url)
                    .timeout(PROMPT)
                    .json(&json!({ "query": q }))
                    .send()
                    .await?;
                resp.json::<Value>().await
            })
        })
        .collect();
    for a in attacks {
        let body = a.await.unwrap().expect("refused within the bound");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains("fields"),
            "{body}"
        );
    }
    // The same through a fragment spread many times over.
    let spread = format!(
        "{{ authorities {{ plans {{ {} }} }} }} fragment B on Plan {{ breakdown(period: \"2023-24 Q1\") {{ total green amber red noTarget noData }} }}",
        "...B ".repeat(190)
    );
    assert_eq!(codes_within(&app, &spread, PROMPT).await, ["BAD_USER_INPUT"]);
    // A body-sized document is refused by its length, before it is parsed.
    let long = format!("{{ authorities {{ {} }} }}", "slug ".repeat(200_000));
    assert_eq!(codes_within(&app, &long, PROMPT).await, ["BAD_USER_INPUT"]);
    app.still_serving().await;
}

/// docs/contract.md ("Publication"): to a viewer who may not read a period's unpublished results,
/// every field of such a result is null, the target and floor included.
#[tokio::test]
async fn unpublished_targets_floors_and_previous_values_stay_hidden() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let cs01 = kent_cs01(&app).await;
        let officer = token("officer", &["kent:OFFICER"]);
        app.data_as(
            &officer,
            r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2023-24 Q2", value: 95 }) { value } }"#,
            json!({ "m": cs01 }),
        )
        .await
        .unwrap();
        let q = r#"query($m: ID!) { measure(id: $m) { result(period: "2023-24 Q2") {
                     value target floor previousValue status published commentary { body } } } }"#;
        let hidden = json!({ "value": null, "target": null, "floor": null, "previousValue": null,
                             "status": "NO_DATA", "published": false, "commentary": [] });
        let public = app.data(q, json!({ "m": cs01 })).await.unwrap();
        assert_eq!(public["measure"]["result"], hidden, "{engine:?} anonymous");
        let croydon = token("viewer", &["croydon:VIEWER"]);
        let other = app.data_as(&croydon, q, json!({ "m": cs01 })).await.unwrap();
        assert_eq!(other["measure"]["result"], hidden, "{engine:?} another council");
        let kent = token("viewer", &["kent:VIEWER"]);
        let own = app.data_as(&kent, q, json!({ "m": cs01 })).await.unwrap();
        assert_eq!(own["measure"]["result"]["value"], 95.0, "{engine:?}");
        assert_eq!(own["measure"]["result"]["target"], 97.0, "{engine:?}");
        assert_eq!(own["measure"]["result"]["floor"], 90.0, "{engine:?}");
    }
}

/// PostgreSQL refuses a NUL byte in text outright; that is the client's bad
/// input or simply nothing found, never an internal error.
#[tokio::test]
async fn nul_bytes_are_bad_input_or_nothing_found() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let body = app
            .post(
                "query($s: String!) { authority(slug: $s) { name } }",
                json!({ "s": "kent\u{0}" }),
            )
            .await
            .unwrap();
        // No errors; `extensions` holds the cost (tests/e2e/cost.rs).
        assert!(body.get("errors").is_none(), "{engine:?}: {body}");
        assert_eq!(body["data"], json!({ "authority": null }), "{engine:?}");
        let grant_nul = token("someone", &["kent\u{0}:VIEWER"]);
        let resp = app
            .send(
                "{ me { subject grants { role } } }",
                Value::Null,
                Some(&grant_nul),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{engine:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["data"]["me"]["grants"], json!([]), "{engine:?} {body}");
        let subject_nul = token("some\u{0}one", &["kent:OFFICER"]);
        let resp = app
            .send("{ me { subject } }", Value::Null, Some(&subject_nul))
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{engine:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{engine:?}"
        );
        let admin = token("admin", &["PLATFORM_ADMIN"]);
        let codes = app
            .error_codes_as(
                &admin,
                r#"mutation { createAuthority(input: { slug: "nul", name: "Nul\u0000 Council", kind: DISTRICT }) { id } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(
            codes.first().map(String::as_str),
            Some("BAD_USER_INPUT"),
            "{engine:?} {codes:?}"
        );
    }
}

#[tokio::test]
async fn get_honours_the_operation_name() {
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let resp = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[
            (
                "query",
                "query A { me { subject } } query B { authority(slug: \"kent\") { slug } }",
            ),
            ("operationName", "B"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"], json!({ "authority": { "slug": "kent" } }));
    // A mutation picked by name from a mixed document is still refused.
    let resp = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[
            ("query", "query A { me { subject } } mutation M { publishPeriod(planId: 1, period: \"2023-24 Q1\") { id } }"),
            ("operationName", "M"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
}

/// Connections that send headers and then stall in the body are answered
/// 408 and closed once the body timeout passes.
#[tokio::test]
async fn stalled_bodies_are_cut_off() {
    let app = spawn_with(
        Engine::Sqlite,
        false,
        Limits {
            body_timeout: Duration::from_secs(1),
            ..Limits::default()
        },
    )
    .await
    .unwrap();
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stalled = Vec::new();
    for path in ["/graphql"; 20] {
        let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"query\":"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        stalled.push(s);
    }
    for mut s in stalled {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the connection was still open after 10 s");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("TIMEOUT"), "{text}");
    }
    app.still_serving().await;
}

/// Of many officers resubmitting one result at once, without naming the
/// version they replace, every one lands and each value reaches the history.
#[tokio::test]
async fn concurrent_plain_resubmissions_all_land() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let cs01 = kent_cs01(&app).await;
        let officer = token("officer", &["kent:OFFICER"]);
        let submit = r#"mutation($m: ID!, $v: Float!) { submitResult(input: { measureId: $m, period: "2023-24 Q2", value: $v }) { value } }"#;
        for round in 0..3 {
            let tasks: Vec<_> = (0..32)
                .map(|i| {
                    let (client, url, t, m) = (
                        app.client.clone(),
                        format!("{}/graphql", app.address),
                        officer.clone(),
                        cs01.clone(),
                    );
                    tokio::spawn(async move {
                        let body: Value = client
                            .post(url)
                            .bearer_auth(t)
                            .json(&json!({ "query": submit, "variables": { "m": m, "v": round * 100 + i } }))
                            .send()
                            .await?
                            .json()
                            .await?;
                        Ok::<_, reqwest::Error>(body)
                    })
                })
                .collect();
            for t in tasks {
                let body = t.await.unwrap().unwrap();
                assert!(body.get("errors").is_none(), "{engine:?}: {body}");
            }
        }
        let q =
            r#"query($m: ID!) { measure(id: $m) { result(period: "2023-24 Q2") { history { version } } } }"#;
        let d = app.data_as(&officer, q, json!({ "m": cs01 })).await.unwrap();
        let history = d["measure"]["result"]["history"].as_array().unwrap();
        assert_eq!(
            history.len(),
            95,
            "{engine:?}: 96 submissions, the first replaced nothing"
        );
        // Naming a stale version is the one way to be told CONFLICT.
        let stale = r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2023-24 Q2", value: 1, expectedVersion: 3 }) { value } }"#;
        let codes = app
            .error_codes_as(&officer, stale, json!({ "m": cs01 }))
            .await
            .unwrap();
        assert_eq!(
            codes.first().map(String::as_str),
            Some("CONFLICT"),
            "{engine:?} {codes:?}"
        );
        let current = r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2023-24 Q2", value: 1, expectedVersion: 96 }) { value } }"#;
        app.data_as(&officer, current, json!({ "m": cs01 }))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn only_the_json_media_type_is_read() {
    let app = spawn(Engine::Sqlite, false).await.unwrap();
    let body = r#"{"query":"{ authorities { slug } }"}"#;
    for (content_type, status) in [
        ("application/json", 200),
        ("application/json; charset=utf-8", 200),
        ("Application/JSON;charset=\"UTF-8\"", 200),
        ("application/json-evil", 415),
        ("application/jsonp", 415),
        ("application/json; charset=latin1", 415),
        ("text/plain", 415),
    ] {
        let resp = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{content_type}");
        if status == 415 {
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }
    }
}

/// A file named over JSON, or by a reference the upload did not send, is
/// bad input: async-graphql's `Upload` would panic on it.
#[tokio::test]
async fn forged_file_references_are_bad_input() {
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let admin = token("admin", &["PLATFORM_ADMIN"]);
    let q = r#"mutation($f: Upload!) { importResults(planId: "1", file: $f) { applied } }"#;
    for reference in [
        "#__graphql_file__:x",
        "#__graphql_file__:0",
        "#__graphql_file__:99999999999999999999999",
    ] {
        let codes = app
            .error_codes_as(&admin, q, json!({ "f": reference }))
            .await
            .unwrap();
        assert_eq!(
            codes.first().map(String::as_str),
            Some("BAD_USER_INPUT"),
            "{reference}: {codes:?}"
        );
    }
    let literal = r##"mutation { importResults(planId: "1", file: "#__graphql_file__:x") { applied } }"##;
    let codes = app.error_codes_as(&admin, literal, Value::Null).await.unwrap();
    assert_eq!(
        codes.first().map(String::as_str),
        Some("BAD_USER_INPUT"),
        "{codes:?}"
    );
    app.still_serving().await;
}

/// `/metrics` is unauthenticated and keeps its labels for the server's life:
/// a name of a mebibyte, or hundreds of made-up names, must not become
/// labels of their own.
#[tokio::test]
async fn operation_names_never_grow_the_metrics_at_a_clients_will() {
    let app = spawn(Engine::Sqlite, false).await.unwrap();
    let huge = "N".repeat(1_000_000);
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .timeout(PROMPT)
        .json(&json!({ "query": "{ __typename }", "operationName": huge }))
        .send()
        .await
        .unwrap();
    // Under the body limit, so the name reaches the server's counters.
    assert_ne!(resp.status(), 413);
    for i in 0..300 {
        let name = format!("Probe{i}");
        let body = app
            .post(&format!("query {name} {{ __typename }}"), Value::Null)
            .await
            .unwrap();
        assert_eq!(body["data"]["__typename"], "Query", "{body}");
    }
    let metrics = app.metrics().await.unwrap();
    assert!(
        metrics.len() < 64 * 1024,
        "/metrics grew to {} bytes",
        metrics.len()
    );
    assert!(
        metrics.contains("operation=\"other\""),
        "{}",
        &metrics[..metrics.len().min(4096)]
    );
    app.still_serving().await;
}

/// A short HS256 secret can be guessed offline from any token it signed, so
/// the server will not start on one, and says why.
#[tokio::test]
async fn a_short_jwt_secret_stops_the_server_with_a_reason() {
    let binary = tests::server::built("api", "councilperf").unwrap();
    let database_url = tests::fresh_database(Engine::Sqlite).await.unwrap();
    let short = "x".repeat(api::config::MIN_SECRET_BYTES - 1);
    let child = tokio::process::Command::new(binary)
        .arg("serve")
        .env("DATABASE_URL", &database_url)
        .env("COUNCILPERF_BIND", "127.0.0.1:0")
        .env("JWT_SECRET", &short)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), child)
        .await
        .expect("the server started on a 31-byte secret")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("JWT_SECRET has 31 bytes; it must have at least 32"),
        "{stderr}"
    );
}
