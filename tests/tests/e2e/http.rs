//! GraphQL over HTTP: methods, content types, status codes, batches.

use serde_json::{Value, json};
use tests::{engines, spawn};

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let url = format!("{}/graphql", app.address);
        let resp = app
            .client
            .get(&url)
            .query(&[("query", "{ authorities { slug } }")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["data"]["authorities"].as_array().unwrap().len(),
            tests::DEMO_AUTHORITIES
        );

        let resp = app
            .client
            .get(&url)
            .query(&[("query", "mutation { noSuchMutation }")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405);
        assert_eq!(resp.headers()["allow"], "POST");

        let resp = app
            .client
            .get(&url)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.text().await.unwrap().contains("graphiql"));
    }
}

#[tokio::test]
async fn status_codes_follow_the_media_type() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let url = format!("{}/graphql", app.address);
        let bad = json!({ "query": "{ authorities { nope } }" });
        let plain = app.client.post(&url).json(&bad).send().await.unwrap();
        assert_eq!(plain.status(), 200, "application/json always answers 200");
        let modern = app
            .client
            .post(&url)
            .header("accept", "application/graphql-response+json")
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(modern.status(), 400);
        assert!(
            modern.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/graphql-response+json")
        );
        let body: Value = modern.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

        let text = app
            .client
            .post(&url)
            .header("content-type", "text/plain")
            .body("{ authorities { slug } }")
            .send()
            .await
            .unwrap();
        assert_eq!(text.status(), 415);

        for (accept, status) in [
            ("application/json", 400),
            ("application/graphql-response+json", 400),
        ] {
            let junk = app
                .client
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", accept)
                .body("{not json")
                .send()
                .await
                .unwrap();
            assert_eq!(junk.status(), status, "{accept}");
            let body: Value = junk.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }
    }
}

#[tokio::test]
async fn batches_are_bounded() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let url = format!("{}/graphql", app.address);
        let op = json!({ "query": "{ authorities { slug } }" });
        let ok: Value = app
            .client
            .post(&url)
            .json(&json!([op, op]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ok.as_array().unwrap().len(), 2);
        let many = vec![op; 1000];
        let resp = app
            .client
            .post(&url)
            .header("accept", "application/graphql-response+json")
            .json(&many)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let d = app.data("{ authorities { slug } }", Value::Null).await.unwrap();
        assert_eq!(
            d["authorities"].as_array().unwrap().len(),
            tests::DEMO_AUTHORITIES,
            "still serving"
        );
    }
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        for (path, want) in [("/healthz", "ok"), ("/readyz", "ready")] {
            let resp = app
                .client
                .get(format!("{}{path}", app.address))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.text().await.unwrap(), want);
        }
        app.data("{ authorities { slug } }", Value::Null).await.unwrap();
        assert!(app.statements().await.unwrap() > 0);
    }
}

#[tokio::test]
async fn a_bad_or_unreachable_database_is_one_clear_line() {
    let metrics = std::sync::Arc::default;
    let err = api::db::connect("mysql://somewhere/db", None, metrics())
        .await
        .unwrap_err();
    assert!(matches!(err, api::db::DbSetupError::BadUrl(_)));
    let err = api::db::connect("postgres://user:secret@127.0.0.1:1/none", None, metrics())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, api::db::DbSetupError::Unreachable { .. }), "{msg}");
    assert!(!msg.contains('\n') && !msg.contains("secret"), "{msg}");
}
