//! Bearer tokens: who a request is made as, refusals of bad tokens, and
//! unpublished results kept from those who may not see them.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tests::{SECRET, engines, spawn, token};

use crate::fixtures::{M, bundle};

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn signed(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn claims() -> Value {
    json!({ "sub": "u1", "iss": "councilperf", "aud": "councilperf", "exp": now() + 600,
            "grants": [{ "authority": "kent", "role": "OFFICER" }] })
}

#[tokio::test]
async fn me_describes_the_token_holder() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let t = token(
            "officer-1",
            &[
                "kent:OFFICER",
                "croydon:PARTNER:metropolitan-police",
                "PLATFORM_ADMIN",
            ],
        );
        let d = app
            .data_as(
                &t,
                "{ me { subject name grants { role authority { slug } partner { slug } } } }",
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(
            d["me"],
            json!({ "subject": "officer-1", "name": null, "grants": [
                { "role": "OFFICER", "authority": { "slug": "kent" }, "partner": null },
                { "role": "PARTNER", "authority": { "slug": "croydon" }, "partner": { "slug": "metropolitan-police" } },
                { "role": "PLATFORM_ADMIN", "authority": null, "partner": null },
            ]}),
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn bad_tokens_refuse_the_whole_request() {
    let app = spawn(tests::Engine::Sqlite, false).await.unwrap();
    let mut c = claims();
    let valid = signed(&c, SECRET);
    let mut bad = vec![
        ("garbage", "not.a.token".to_owned()),
        ("forged", signed(&c, "another-secret-of-at-least-32-bytes")),
        ("tampered", format!("{}x", valid)),
        // alg none: header {"alg":"none","typ":"JWT"}, no signature.
        ("alg none", {
            let mut parts = valid.split('.');
            let _ = parts.next();
            format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts.next().unwrap())
        }),
    ];
    c["exp"] = json!(now() - 3600);
    bad.push(("expired", signed(&c, SECRET)));
    c = claims();
    c["nbf"] = json!(now() + 3600);
    bad.push(("not yet valid", signed(&c, SECRET)));
    c = claims();
    c["iss"] = json!("someone-else");
    bad.push(("wrong issuer", signed(&c, SECRET)));
    c = claims();
    c["aud"] = json!("someone-else");
    bad.push(("wrong audience", signed(&c, SECRET)));
    for (what, t) in bad {
        let resp = app
            .send("{ authorities { slug } }", Value::Null, Some(&t))
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{what}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{what}"
        );
        assert!(body.get("data").is_none(), "{what}");
    }
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": "{ authorities { slug } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "not a bearer token");
    // A valid token is accepted.
    let resp = app
        .send("{ me { subject } }", Value::Null, Some(&valid))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn unpublished_results_are_hidden_from_anonymous_and_other_authorities() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let measures = [M("X1", "A1", "HIGHER_IS_BETTER", "COUNCIL")];
        let results = [("X1", "2023-24 Q1", "90"), ("X1", "2023-24 Q2", "120")];
        let b = bundle(
            "secretshire",
            &measures,
            &[("X1", "2023-24", "100")],
            &results,
            &["2023-24 Q1"],
        );
        api::import::import(&app.db, &b).await.unwrap();
        api::import::import(&app.db, &bundle("elsewhere", &[], &[], &[], &[]))
            .await
            .unwrap();
        let q = r#"{ authority(slug: "secretshire") { plans {
            measures { result(period: "2023-24 Q2") { value status direction published }
                       results(from: "2023-24 Q1", to: "2023-24 Q2") { value } }
            breakdown(period: "2023-24 Q2") { green noData }
            comparison(from: "2023-24 Q1", to: "2023-24 Q2") { improved { value } unratedMoves { to { value } } }
            exceptions(period: "2023-24 Q2") { value }
            trend(from: "2023-24 Q1", to: "2023-24 Q2") { green } }
          panels { breakdown(period: "2023-24 Q2") { green noData } exceptions(period: "2023-24 Q2") { value } } } }"#;
        let hidden =
            json!({ "value": null, "status": "NO_DATA", "direction": "NOT_COMPARABLE", "published": false });
        for t in [None, Some(token("u", &["elsewhere:ADMIN"]))] {
            let d = match &t {
                None => app.data(q, Value::Null).await.unwrap(),
                Some(t) => app.data_as(t, q, Value::Null).await.unwrap(),
            };
            let p = &d["authority"]["plans"][0];
            assert_eq!(p["measures"][0]["result"], hidden, "{engine:?} {t:?}");
            assert_eq!(
                p["measures"][0]["results"],
                json!([{ "value": 90.0 }, { "value": null }])
            );
            assert_eq!(p["breakdown"], json!({ "green": 0, "noData": 1 }));
            assert_eq!(p["comparison"]["improved"], json!([]));
            assert_eq!(
                p["comparison"]["unratedMoves"],
                json!([{ "to": { "value": null } }])
            );
        }
        for grant in ["secretshire:VIEWER", "secretshire:OFFICER", "PLATFORM_ADMIN"] {
            let d = app.data_as(&token("u", &[grant]), q, Value::Null).await.unwrap();
            let p = &d["authority"]["plans"][0];
            assert_eq!(p["measures"][0]["result"]["value"], 120.0, "{grant}");
            assert_eq!(p["breakdown"], json!({ "green": 1, "noData": 0 }), "{grant}");
        }
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

async fn status_with(app: &tests::TestApp, token: &str) -> u16 {
    app.send("{ me { subject } }", Value::Null, Some(token))
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn identity_provider_keys_rs256_and_es256() {
    for (private, public, alg) in [
        ("rsa-private.pem", "rsa-public.pem", Algorithm::RS256),
        ("ec-private.pem", "ec-public.pem", Algorithm::ES256),
    ] {
        let jwt = api::config::Jwt {
            public_key_pem: Some(fixture(public)),
            ..tests::test_jwt()
        };
        let app = tests::spawn_config(tests::Engine::Sqlite, false, Default::default(), jwt)
            .await
            .unwrap();
        let key = match alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&fixture(private)).unwrap(),
            _ => EncodingKey::from_ec_pem(&fixture(private)).unwrap(),
        };
        let good = jsonwebtoken::encode(&Header::new(alg), &claims(), &key).unwrap();
        assert_eq!(
            status_with(&app, &good).await,
            200,
            "{alg:?} from the identity provider"
        );
        // The HS256 secret still works beside the public key.
        assert_eq!(status_with(&app, &signed(&claims(), SECRET)).await, 200);
        // Key confusion: an HS256 token whose "secret" is the public key.
        let confused = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(&fixture(public)),
        )
        .unwrap();
        assert_eq!(
            status_with(&app, &confused).await,
            401,
            "{alg:?} public key as HS256 secret"
        );
        // A token of the other asymmetric algorithm is refused.
        let (other_private, other_alg) = match alg {
            Algorithm::RS256 => ("ec-private.pem", Algorithm::ES256),
            _ => ("rsa-private.pem", Algorithm::RS256),
        };
        let other_key = match other_alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&fixture(other_private)).unwrap(),
            _ => EncodingKey::from_ec_pem(&fixture(other_private)).unwrap(),
        };
        let other = jsonwebtoken::encode(&Header::new(other_alg), &claims(), &other_key).unwrap();
        assert_eq!(status_with(&app, &other).await, 401);
    }
}

#[tokio::test]
async fn a_grant_of_the_wrong_shape_grants_nothing() {
    let app = spawn(tests::Engine::Sqlite, true).await.unwrap();
    let q = r#"mutation { createAuthority(input: { slug: "sneaky", name: "Sneaky", kind: OTHER }) { id } }"#;
    for grant in [
        json!({ "authority": "kent", "role": "PLATFORM_ADMIN" }),
        json!({ "role": "ADMIN" }),
        json!({ "authority": "croydon", "role": "PARTNER" }),
    ] {
        let mut c = claims();
        c["grants"] = json!([grant]);
        let t = signed(&c, SECRET);
        let body: Value = app
            .send(q, Value::Null, Some(&t))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{grant}");
        let me = app
            .data_as(&t, "{ me { grants { role } } }", Value::Null)
            .await
            .unwrap();
        assert_eq!(me["me"]["grants"], json!([]), "{grant}");
    }
}
