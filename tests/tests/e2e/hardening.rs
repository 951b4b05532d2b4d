//! Abuse limits, CORS, request ids, metrics, and riding out a database that
//! goes away.

use std::time::Duration;

use api::config::Limits;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{Engine, spawn, spawn_with, spawn_with_pool, test_jwt};

#[tokio::test]
async fn oversized_queries_are_refused_cleanly() {
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    // Depth 50.
    let deep = format!(
        "{{ {}slug{} }}",
        "authorities { plans { authority { ".repeat(17),
        " } } }".repeat(17)
    );
    assert_eq!(
        app.error_codes(&deep, Value::Null).await.unwrap(),
        ["BAD_USER_INPUT"]
    );
    app.still_serving().await;
    // 10,000 aliases.
    let aliases: String = (0..10_000)
        .map(|i| format!("a{i}: authorities {{ slug }} "))
        .collect();
    let codes = app
        .error_codes(&format!("{{ {aliases} }}"), Value::Null)
        .await
        .unwrap();
    assert_eq!(codes, ["BAD_USER_INPUT"]);
    app.still_serving().await;
    // Too many root fields, without aliases: the same field in fragments would merge,
    // so distinct fields are needed; the demo has few, so lower the limit instead.
    let strict = spawn_with(
        Engine::Sqlite,
        false,
        Limits {
            max_root_fields: 1,
            ..Limits::default()
        },
    )
    .await
    .unwrap();
    let codes = strict
        .error_codes("{ authorities { slug } me { subject } }", Value::Null)
        .await
        .unwrap();
    assert_eq!(codes, ["BAD_USER_INPUT"]);
    // A 5 MB body.
    let huge = json!({ "query": format!("{{ authorities {{ slug }} }} # {}", "x".repeat(5 * 1024 * 1024)) });
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    app.still_serving().await;
}

#[tokio::test]
async fn a_slow_query_times_out() {
    let app = spawn_with(
        Engine::Sqlite,
        true,
        Limits {
            query_timeout: Duration::from_nanos(1),
            ..Limits::default()
        },
    )
    .await
    .unwrap();
    let codes = app
        .error_codes(
            r#"{ authority(slug: "kent") { plans { breakdown(period: "2023-24 Q1") { total } } } }"#,
            Value::Null,
        )
        .await
        .unwrap();
    assert_eq!(codes, ["TIMEOUT"]);
}

/// Past the in-flight limit, operations wait their turn: none is refused.
#[tokio::test]
async fn operations_past_the_in_flight_limit_wait_their_turn() {
    let app = spawn_with(
        Engine::Sqlite,
        true,
        Limits {
            max_in_flight: 1,
            ..Limits::default()
        },
    )
    .await
    .unwrap();
    let query = r#"{ authority(slug: "kent") { plans { breakdown(period: "2023-24 Q1") { total } } } }"#;
    let mut asking = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, url) = (app.client.clone(), format!("{}/graphql", app.address));
        asking.spawn(async move {
            let resp = client.post(url).json(&json!({ "query": query })).send().await?;
            resp.json::<Value>().await
        });
    }
    let mut totals = Vec::new();
    while let Some(answer) = asking.join_next().await {
        totals.push(answer.unwrap().unwrap()["data"]["authority"]["plans"][0]["breakdown"]["total"].clone());
    }
    assert!(
        totals
            .iter()
            .all(|t| t == &totals[0] && t.as_u64().is_some_and(|n| n > 0)),
        "{totals:?}"
    );
}

#[tokio::test]
async fn no_suggestions_and_configurable_introspection() {
    let app = spawn(Engine::Sqlite, false).await.unwrap();
    let body = app.post("{ authoritie { slug } }", Value::Null).await.unwrap();
    let msg = body["errors"][0]["message"].as_str().unwrap();
    assert!(!msg.contains("Did you mean"), "{msg}");
    app.data("{ __schema { queryType { name } } }", Value::Null)
        .await
        .unwrap();

    let config_closed = api::Config {
        introspection: false,
        ..tests_config().await
    };
    let app = api::Application::build(&config_closed, false).await.unwrap();
    let url = format!("http://127.0.0.1:{}/graphql", app.port());
    tokio::spawn(app.run());
    let body: Value = reqwest::Client::new()
        .post(url)
        .json(&json!({ "query": "{ __schema { queryType { name } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["data"]["__schema"],
        Value::Null,
        "introspection is off: {body}"
    );
}

async fn tests_config() -> api::Config {
    api::Config {
        database_url: tests::fresh_database(Engine::Sqlite).await.unwrap(),
        bind: "127.0.0.1:0".parse().unwrap(),
        pool_size: Some(2),
        limits: Limits::default(),
        jwt: test_jwt(),
        cors_origins: Vec::new(),
        introspection: true,
        development: false,
        cache_mb: api::config::DEFAULT_CACHE_MB,
        persisted_queries_mb: api::config::DEFAULT_PERSISTED_QUERIES_MB,
        trusted_documents: None,
    }
}

#[tokio::test]
async fn cors_request_ids_and_metrics() {
    let app = spawn(Engine::Sqlite, false).await.unwrap();
    let url = format!("{}/graphql", app.address);
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let ok = preflight("https://dashboard.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://dashboard.example"
    );
    let other = preflight("https://elsewhere.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let resp = app
        .client
        .post(&url)
        .header("x-request-id", "abc-123")
        .json(&json!({ "query": "query Slugs { authorities { slug } }", "operationName": "Slugs" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert!(
        !resp.headers()["x-request-id"].is_empty(),
        "a request id is made when none is sent"
    );

    app.post("{ nope }", Value::Null).await.unwrap();
    let text = app.metrics().await.unwrap();
    assert!(
        text.contains(r#"councilperf_graphql_operations_total{operation="Slugs",outcome="OK"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"outcome="BAD_USER_INPUT""#), "{text}");
    assert!(
        text.contains("councilperf_graphql_duration_seconds_count 2"),
        "{text}"
    );
    assert!(text.contains("councilperf_db_pool_connections"), "{text}");
}

/// `n` anonymous requests sent together: each one's status and body.
async fn at_once(app: &tests::TestApp, n: usize, query: &str) -> Vec<(u16, Value)> {
    let mut asks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (client, url, query) = (
            app.client.clone(),
            format!("{}/graphql", app.address),
            query.to_owned(),
        );
        asks.spawn(async move {
            let resp = client.post(url).json(&json!({ "query": query })).send().await?;
            let status = resp.status().as_u16();
            Ok::<_, reqwest::Error>((status, resp.json::<Value>().await?))
        });
    }
    let mut out = Vec::new();
    while let Some(r) = asks.join_next().await {
        out.push(r.unwrap().unwrap());
    }
    out
}

/// PostgreSQL refuses the server's database for a while (its connections
/// cut, new ones turned away), then lets it back: meanwhile /readyz answers
/// 503 within a second and requests get 503 UNAVAILABLE with Retry-After;
/// two seconds after it returns, no request fails.
#[tokio::test]
#[ignore = "PostgreSQL only: needs TEST_DATABASE_URL (.ci/run runs it)"]
async fn the_database_goes_away_and_comes_back() {
    tests::require_postgres();
    let app = spawn_with_pool(Engine::Postgres, true, 8).await.unwrap();
    let name = app.database_name();
    let (admin, cut) = app.outage_control().await.unwrap();
    // A probe that waits a second at most, as a load balancer's does.
    let ready = || async {
        app.client
            .get(format!("{}/readyz", app.address))
            .timeout(Duration::from_millis(1_500))
            .send()
            .await
            .expect("/readyz answers within a second")
            .status()
    };
    let query = "{ authorities { slug } }";
    // Fill the pool with idle connections that the outage will kill.
    for (status, body) in at_once(&app, 8, query).await {
        assert!(status == 200 && body.get("errors").is_none(), "{body}");
    }
    assert_eq!(ready().await, 200);

    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    admin.execute_unprepared(&cut).await.unwrap();
    assert_eq!(ready().await, 503);
    let resp = app.send(query, Value::Null, None).await.unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{body}");
    let text = body.to_string();
    assert!(!text.contains("SQL") && !text.contains("connection"), "{text}");
    assert_eq!(ready().await, 503);

    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for round in 0..3 {
        for (status, body) in at_once(&app, 16, query).await {
            assert!(
                status == 200 && body.get("errors").is_none(),
                "round {round}: {status} {body}"
            );
        }
    }
    assert_eq!(ready().await, 200);
    app.still_serving().await;
}

/// Replicas starting together against one fresh PostgreSQL database migrate
/// one at a time under the advisory lock, and both come up.
#[tokio::test]
#[ignore = "PostgreSQL only: needs TEST_DATABASE_URL (.ci/run runs it)"]
async fn replicas_starting_together_migrate_once() {
    tests::require_postgres();
    let url = tests::fresh_database(Engine::Postgres).await.unwrap();
    let config = api::Config {
        database_url: url,
        ..tests_config().await
    };
    let (a, b, c) = tokio::join!(
        api::Application::build(&config, true),
        api::Application::build(&config, true),
        api::Application::build(&config, true)
    );
    let apps: Vec<api::Application> = [a, b, c].into_iter().map(|r| r.unwrap()).collect();
    let mut slugs: Vec<String> = schema::store::authorities(apps[0].db())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.slug)
        .collect();
    assert_eq!(slugs.len(), tests::DEMO_AUTHORITIES, "each demo authority once");
    slugs.dedup();
    assert_eq!(slugs.len(), tests::DEMO_AUTHORITIES);
    let metrics = schema::store::benchmarks::metrics(apps[0].db()).await.unwrap();
    assert_eq!(metrics.len(), 1, "the demo metric once");
}
