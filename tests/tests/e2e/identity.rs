//! Identity providers scoped per council and roles held in the service
//! (issue 23), against two real OpenID issuers (`tests::oidc`: panva's
//! `oidc-provider`, tokens minted through its own endpoints by
//! authorization code with PKCE): "Kent's tenant" and "Croydon's tenant".

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tests::oidc::{AUDIENCE, CLIENT_ID, Issuers};
use tests::{TestApp, engines, spawn, token};

const REGISTER: &str = "mutation($v: RegisterIdentityProviderInput!) { registerIdentityProvider(input: $v) {
    id issuer audience jwksUrl clientId scopes authorities { slug } partner { slug } roleClaim
    roleMap { claimValue role authority { slug } partner { slug } } } }";
const GRANT: &str = "mutation($v: GrantRoleInput!) { grantRole(input: $v) { id role authority { slug } partner { slug } issuer subject email grantedBy } }";
const REVOKE: &str = "mutation($id: ID!) { revokeRole(id: $id) }";
const SUBMIT: &str = "mutation($m: ID!, $p: Period!, $v: Float!) { submitResult(input: { measureId: $m, period: $p, value: $v }) { value published } }";
const ME: &str =
    "{ me { subject issuer email roles { role authority { slug } partner { slug } source claim } } }";

fn root() -> String {
    token("root", &["PLATFORM_ADMIN"])
}

/// Registers `issuer` for `authorities`, mapping Entra-style app roles.
async fn register(app: &TestApp, issuer: &str, authorities: &[&str], role_map: Value) -> Value {
    let v = json!({ "v": {
        "issuer": issuer, "audience": AUDIENCE, "clientId": CLIENT_ID,
        "scopes": ["openid", "email", "profile", "api"], "authorities": authorities,
        "roleClaim": "roles", "roleMap": role_map } });
    app.data_as(&root(), REGISTER, v).await.unwrap()["registerIdentityProvider"].clone()
}

/// The code and message of the one error a request as `token` gets, and
/// its HTTP status.
async fn refusal(app: &TestApp, token: &str, query: &str, vars: Value) -> (u16, String, String) {
    let resp = app.send(query, vars, Some(token)).await.unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    let e = &body["errors"][0];
    (
        status,
        e["extensions"]["code"].as_str().unwrap_or_default().to_owned(),
        e["message"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Whether a request as `token` is refused as a whole with 401, coded,
/// saying nothing of keys or issuers.
async fn refused_401(app: &TestApp, token: &str, what: &str) {
    let (status, code, message) = refusal(app, token, "{ me { subject } }", Value::Null).await;
    assert_eq!(
        (status, code.as_str()),
        (401, "UNAUTHENTICATED"),
        "{what}: {message}"
    );
    let lower = message.to_lowercase();
    for leak in ["key", "kid", "jwks", "issuer", "signature", "127.0.0.1", "http"] {
        assert!(
            !lower.contains(leak),
            "{what}: the message names `{leak}`: {message}"
        );
    }
}

#[tokio::test]
async fn kents_tenant_makes_an_officer_at_kent_and_nowhere_else() {
    let Some(mut idp) = Issuers::start().await else {
        return;
    };
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let kent_admin = token("kent-admin", &["kent:ADMIN"]);
        let croydon_admin = token("croydon-admin", &["croydon:ADMIN"]);
        let p = register(&app, &idp.kent, &["kent"], json!([])).await;
        assert_eq!(p["authorities"], json!([{ "slug": "kent" }]));
        register(&app, &idp.croydon, &["croydon"], json!([])).await;

        // Granted in the service, by Kent's ADMIN, before alice signs in.
        let g = app
            .data_as(
                &kent_admin,
                GRANT,
                json!({ "v": { "authority": "kent", "role": "OFFICER", "issuer": idp.kent, "subject": "alice" } }),
            )
            .await
            .unwrap();
        assert_eq!(g["grantRole"]["grantedBy"], "kent-admin");
        // Croydon's ADMIN names Kent's alice, by subject and by email: a
        // role Kent's tenant cannot vouch for.
        for who in [
            json!({ "issuer": idp.kent, "subject": "alice" }),
            json!({ "email": "alice@kent.gov.uk" }),
        ] {
            let mut v = json!({ "authority": "croydon", "role": "OFFICER" });
            v.as_object_mut()
                .unwrap()
                .extend(who.as_object().unwrap().clone());
            app.data_as(&croydon_admin, GRANT, json!({ "v": v }))
                .await
                .unwrap();
        }
        // Her token's own claims name a Croydon role no mapping knows.
        let alice = idp
            .token("kent", "alice", Some("alice@kent.gov.uk"), &["Croydon.Officer"])
            .await;

        let me = app.data_as(&alice, ME, Value::Null).await.unwrap();
        assert_eq!(
            me["me"],
            json!({ "subject": "alice", "issuer": idp.kent, "email": "alice@kent.gov.uk",
                    "roles": [{ "role": "OFFICER", "authority": { "slug": "kent" }, "partner": null,
                                "source": "SERVICE", "claim": null }] }),
            "{engine:?}"
        );

        let (_, cs01) = app.measure("kent", "CS01").await.unwrap();
        let d = app
            .data_as(&alice, SUBMIT, json!({ "m": cs01, "p": "2023-24 Q2", "v": 91.5 }))
            .await
            .unwrap();
        assert_eq!(d["submitResult"]["value"], 91.5);

        // Croydon: its unpublished result is hidden from her, and she may not act.
        let (_, o11) = app.measure("croydon", "O1.1").await.unwrap();
        let officer = token("croydon-officer", &["croydon:OFFICER"]);
        let d = app
            .data_as(
                &officer,
                SUBMIT,
                json!({ "m": o11, "p": "2024-25 Q1", "v": 12.0 }),
            )
            .await
            .unwrap();
        assert_eq!(d["submitResult"]["published"], false);
        let read = r#"{ authority(slug: "croydon") { plans { measures { code result(period: "2024-25 Q1") { value } } } } }"#;
        let value_of_o11 = |d: &Value| {
            d["authority"]["plans"][0]["measures"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["code"] == "O1.1")
                .unwrap()["result"]["value"]
                .clone()
        };
        assert_eq!(
            value_of_o11(&app.data_as(&officer, read, Value::Null).await.unwrap()),
            12.0
        );
        assert_eq!(
            value_of_o11(&app.data_as(&alice, read, Value::Null).await.unwrap()),
            Value::Null
        );
        let (status, code, _) = refusal(
            &app,
            &alice,
            SUBMIT,
            json!({ "m": o11, "p": "2024-25 Q1", "v": 1.0 }),
        )
        .await;
        assert_eq!((status, code.as_str()), (200, "FORBIDDEN"), "{engine:?}");

        // A person granted by email before their first sign-in.
        app.data_as(
            &kent_admin,
            GRANT,
            json!({ "v": { "authority": "kent", "role": "VIEWER", "email": "Carol@Kent.gov.uk" } }),
        )
        .await
        .unwrap();
        let carol = idp.token("kent", "carol", Some("carol@kent.gov.uk"), &[]).await;
        let me = app.data_as(&carol, ME, Value::Null).await.unwrap();
        assert_eq!(me["me"]["roles"][0]["role"], "VIEWER");
        assert_eq!(me["me"]["roles"][0]["authority"]["slug"], "kent");
        // The same email asserted by Croydon's tenant brings nothing at Kent.
        let imposter = idp
            .token("croydon", "carol", Some("carol@kent.gov.uk"), &[])
            .await;
        let me = app.data_as(&imposter, ME, Value::Null).await.unwrap();
        assert_eq!(me["me"]["roles"], json!([]), "{engine:?}");
    }
}

#[tokio::test]
async fn a_mapped_role_works_and_a_revoked_role_stops_on_the_next_request() {
    let Some(mut idp) = Issuers::start().await else {
        return;
    };
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let kent_admin = token("kent-admin", &["kent:ADMIN"]);
        let p = register(
            &app,
            &idp.kent,
            &["kent"],
            json!([{ "claimValue": "Kent.Officer", "role": "OFFICER" }]),
        )
        .await;
        assert_eq!(
            p["roleMap"],
            json!([{ "claimValue": "Kent.Officer", "role": "OFFICER", "authority": { "slug": "kent" }, "partner": null }])
        );
        let (_, cs01) = app.measure("kent", "CS01").await.unwrap();

        let bob = idp.token("kent", "bob", None, &["Kent.Officer"]).await;
        let me = app.data_as(&bob, ME, Value::Null).await.unwrap();
        assert_eq!(
            me["me"]["roles"],
            json!([{ "role": "OFFICER", "authority": { "slug": "kent" }, "partner": null,
                     "source": "CLAIM_MAPPING", "claim": "Kent.Officer" }])
        );
        app.data_as(&bob, SUBMIT, json!({ "m": cs01, "p": "2023-24 Q2", "v": 80.0 }))
            .await
            .unwrap();

        // A role held in the service, revoked between two requests of one token.
        let dave = idp.token("kent", "dave", None, &[]).await;
        let g = app
            .data_as(
                &kent_admin,
                GRANT,
                json!({ "v": { "authority": "kent", "role": "OFFICER", "issuer": idp.kent, "subject": "dave" } }),
            )
            .await
            .unwrap();
        let id = g["grantRole"]["id"].clone();
        // Kept by the response cache while it holds.
        for _ in 0..2 {
            let me = app.data_as(&dave, ME, Value::Null).await.unwrap();
            assert_eq!(me["me"]["roles"][0]["role"], "OFFICER");
        }
        app.data_as(&dave, SUBMIT, json!({ "m": cs01, "p": "2023-24 Q2", "v": 81.0 }))
            .await
            .unwrap();
        let members = app
            .data_as(
                &kent_admin,
                r#"{ authority(slug: "kent") { members { id role subject } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(
            members["authority"]["members"],
            json!([{ "id": id, "role": "OFFICER", "subject": "dave" }])
        );
        assert_eq!(
            app.data_as(&kent_admin, REVOKE, json!({ "id": id }))
                .await
                .unwrap()["revokeRole"],
            true
        );
        let me = app.data_as(&dave, ME, Value::Null).await.unwrap();
        assert_eq!(
            me["me"]["roles"],
            json!([]),
            "{engine:?}: the cache kept a revoked role"
        );
        let (_, code, _) = refusal(
            &app,
            &dave,
            SUBMIT,
            json!({ "m": cs01, "p": "2023-24 Q2", "v": 82.0 }),
        )
        .await;
        assert_eq!(code, "FORBIDDEN", "{engine:?}");

        // Every change is in Kent's audit log.
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT operation FROM audit_log WHERE entity = 'membership' AND authority_id IS NOT NULL ORDER BY id",
            ))
            .await
            .unwrap();
        let ops: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String>("", "operation").unwrap())
            .collect();
        assert_eq!(ops, ["grantRole", "revokeRole"]);
    }
}

#[tokio::test]
async fn tokens_from_elsewhere_are_refused_with_401_saying_nothing_of_keys() {
    let Some(mut idp) = Issuers::start().await else {
        return;
    };
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        // Croydon's tenant is not registered.
        let stranger = idp.token("croydon", "eve", None, &[]).await;
        refused_401(&app, &stranger, "an unregistered issuer").await;

        // Kent's keys are down before the server ever fetched them.
        register(&app, &idp.kent, &["kent"], json!([])).await;
        idp.keys("kent", false).await;
        let alice = idp.token("kent", "alice", None, &[]).await;
        refused_401(&app, &alice, "a provider whose keys are down").await;
        idp.keys("kent", true).await;

        // Signed by Croydon's key, naming Kent's issuer. A server that has
        // Kent's keys already: a fresh one fetches them for the real token.
        let fresh = spawn(engine, true).await.unwrap();
        register(&fresh, &idp.kent, &["kent"], json!([])).await;
        fresh.data_as(&alice, ME, Value::Null).await.unwrap();
        let forged = idp.forge("kent", "croydon", "alice").await;
        refused_401(
            &fresh,
            &forged,
            "a token signed by Croydon's keys naming Kent's issuer",
        )
        .await;
        // Nor does the platform's own secret sign for Kent.
        let hs = api::auth::mint(
            tests::SECRET,
            &idp.kent,
            AUDIENCE,
            "alice",
            Vec::new(),
            std::time::Duration::from_secs(600),
        )
        .unwrap();
        refused_401(&fresh, &hs, "an HS256 token naming Kent's issuer").await;
        // A token verified once is remembered, but not past its provider's
        // registration: registered again for another audience, it is refused.
        fresh.data_as(&alice, ME, Value::Null).await.unwrap();
        let v = json!({ "v": { "issuer": idp.kent, "audience": "api://another", "authorities": ["kent"] } });
        fresh.data_as(&root(), REGISTER, v).await.unwrap();
        refused_401(&fresh, &alice, "a token for the audience its provider had before").await;
        fresh.still_serving().await;
    }
}

#[tokio::test]
async fn a_partner_bodys_tenant_vouches_only_for_its_partner_role() {
    let Some(mut idp) = Issuers::start().await else {
        return;
    };
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        // Here "Croydon's tenant" stands for the Metropolitan Police's.
        let v = json!({ "v": { "issuer": idp.croydon, "audience": AUDIENCE, "authorities": ["croydon"],
            "partner": "metropolitan-police",
            "roleMap": [{ "claimValue": "Analyst", "role": "PARTNER", "partner": "metropolitan-police" }] } });
        let p = app.data_as(&root(), REGISTER, v).await.unwrap();
        assert_eq!(
            p["registerIdentityProvider"]["partner"]["slug"],
            "metropolitan-police"
        );
        // A council's role for its people is refused at registration ...
        let bad = json!({ "v": { "issuer": idp.croydon, "audience": AUDIENCE, "authorities": ["croydon"],
            "partner": "metropolitan-police", "roleMap": [{ "claimValue": "Boss", "role": "OFFICER" }] } });
        let body: Value = app
            .send(REGISTER, bad, Some(&root()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "role", "{body}");
        let listed = app
            .data_as(
                &root(),
                "{ identityProviders { issuer partner { slug } authorities { slug } } }",
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(
            listed["identityProviders"],
            json!([{ "issuer": idp.croydon, "partner": { "slug": "metropolitan-police" }, "authorities": [{ "slug": "croydon" }] }])
        );
        // ... and one held in the service counts for nothing.
        app.data_as(
            &token("croydon-admin", &["croydon:ADMIN"]),
            GRANT,
            json!({ "v": { "authority": "croydon", "role": "OFFICER", "issuer": idp.croydon, "subject": "pc" } }),
        )
        .await
        .unwrap();
        let analyst = idp.token("croydon", "pc", None, &["Analyst"]).await;
        let me = app.data_as(&analyst, ME, Value::Null).await.unwrap();
        assert_eq!(
            me["me"]["roles"],
            json!([{ "role": "PARTNER", "authority": { "slug": "croydon" }, "partner": { "slug": "metropolitan-police" },
                     "source": "CLAIM_MAPPING", "claim": "Analyst" }]),
            "{engine:?}"
        );
        let (_, o43) = app.measure("croydon", "O4.3").await.unwrap();
        app.data_as(&analyst, SUBMIT, json!({ "m": o43, "p": "2023-24 Q4", "v": 5.0 }))
            .await
            .unwrap();
        let (_, o11) = app.measure("croydon", "O1.1").await.unwrap();
        let (_, code, _) = refusal(
            &app,
            &analyst,
            SUBMIT,
            json!({ "m": o11, "p": "2023-24 Q4", "v": 5.0 }),
        )
        .await;
        assert_eq!(code, "FORBIDDEN");
    }
}

#[tokio::test]
async fn a_sign_in_page_learns_where_to_send_the_browser() {
    let Some(idp) = Issuers::start().await else { return };
    let app = spawn(tests::Engine::Sqlite, true).await.unwrap();
    register(&app, &idp.kent, &["kent"], json!([])).await;
    let resp = app
        .client
        .get(format!("{}/auth/providers?authority=kent", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cache = resp.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.starts_with("public"), "{cache}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!([{ "issuer": idp.kent, "audience": AUDIENCE, "clientId": CLIENT_ID, "scopes": ["openid", "email", "profile", "api"],
                 "authorizationEndpoint": format!("{}/auth", idp.kent), "tokenEndpoint": format!("{}/token", idp.kent) }])
    );
    let none: Value = app
        .client
        .get(format!("{}/auth/providers?authority=croydon", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!([]));
    let missing = app
        .client
        .get(format!("{}/auth/providers?authority=atlantis", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// Who may register, grant and list, and the refusals of ill-formed grants,
/// each coded and naming its field. Needs no OpenID issuer.
#[tokio::test]
async fn grants_are_checked_and_scoped_to_their_authority() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let kent_admin = token("kent-admin", &["kent:ADMIN"]);
        let cases = [
            (
                json!({ "authority": "kent", "role": "OFFICER", "email": "a@kent.gov.uk", "subject": "a" }),
                "email",
            ),
            (json!({ "authority": "kent", "role": "OFFICER" }), "email"),
            (
                json!({ "authority": "kent", "role": "OFFICER", "email": "not an email" }),
                "email",
            ),
            (
                json!({ "authority": "kent", "role": "PARTNER", "email": "a@kent.gov.uk" }),
                "partner",
            ),
            (
                json!({ "authority": "kent", "role": "OFFICER", "partner": "x", "email": "a@kent.gov.uk" }),
                "partner",
            ),
            (
                json!({ "authority": "atlantis", "role": "OFFICER", "email": "a@kent.gov.uk" }),
                "authority",
            ),
            (
                json!({ "authority": "kent", "role": "OFFICER", "issuer": "not an issuer", "subject": "a" }),
                "issuer",
            ),
        ];
        for (v, field) in cases {
            let body: Value = app
                .send(GRANT, json!({ "v": v }), Some(&kent_admin))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let e = &body["errors"][0]["extensions"];
            assert_eq!(
                (e["code"].as_str(), e["field"].as_str()),
                (Some("BAD_USER_INPUT"), Some(field)),
                "{v}: {body}"
            );
        }
        // Another authority's ADMIN, an OFFICER, anyone for a platform role.
        let v = json!({ "v": { "authority": "kent", "role": "OFFICER", "email": "a@kent.gov.uk" } });
        for t in [token("c", &["croydon:ADMIN"]), token("o", &["kent:OFFICER"])] {
            let (_, code, _) = refusal(&app, &t, GRANT, v.clone()).await;
            assert_eq!(code, "FORBIDDEN");
        }
        let platform = json!({ "v": { "role": "PLATFORM_ADMIN", "email": "a@kent.gov.uk" } });
        let (_, code, _) = refusal(&app, &kent_admin, GRANT, platform.clone()).await;
        assert_eq!(code, "FORBIDDEN");
        app.data_as(&root(), GRANT, platform).await.unwrap();
        // Granting the same role again writes nothing and answers the one held.
        let first = app.data_as(&kent_admin, GRANT, v.clone()).await.unwrap();
        let before = app.row_counts().await.unwrap();
        let again = app.data_as(&kent_admin, GRANT, v.clone()).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(app.row_counts().await.unwrap(), before);
        // Members and providers are for their ADMIN and the platform.
        let members = r#"{ authority(slug: "kent") { members { email } } }"#;
        for t in [token("o", &["kent:OFFICER"]), token("c", &["croydon:ADMIN"])] {
            let (_, code, _) = refusal(&app, &t, members, Value::Null).await;
            assert_eq!(code, "FORBIDDEN");
        }
        let (_, code, _) = refusal(&app, &kent_admin, "{ identityProviders { issuer } }", Value::Null).await;
        assert_eq!(code, "FORBIDDEN");
        // The platform's own issuer is not registered.
        let own = json!({ "v": { "issuer": "councilperf", "audience": "x", "authorities": ["kent"] } });
        let body: Value = app
            .send(REGISTER, own, Some(&root()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["errors"][0]["extensions"]["field"], "issuer", "{body}");
    }
}

/// A role held in the service, for a service account of the platform's own
/// issuer: granted through one replica it works through another, and
/// revoked through the first it stops there on the next request.
#[tokio::test]
async fn a_revocation_through_one_replica_holds_on_the_next_request_through_another() {
    for engine in engines() {
        let a = spawn(engine, true).await.unwrap();
        let b = a.replica(api::config::Limits::default()).await.unwrap();
        let kent_admin = token("kent-admin", &["kent:ADMIN"]);
        let sam = token("sam", &[]);
        let (_, cs01) = b.measure("kent", "CS01").await.unwrap();
        let submit = |v: f64| json!({ "m": cs01, "p": "2023-24 Q2", "v": v });
        let (_, code, _) = refusal(&b, &sam, SUBMIT, submit(70.0)).await;
        assert_eq!(code, "FORBIDDEN");
        let g = a
            .data_as(
                &kent_admin,
                GRANT,
                json!({ "v": { "authority": "kent", "role": "OFFICER", "issuer": "councilperf", "subject": "sam" } }),
            )
            .await
            .unwrap();
        b.data_as(&sam, SUBMIT, submit(71.0)).await.unwrap();
        // A socket opened while the role held.
        let mut socket = tests::ws::Socket::connect(&b, Some(&sam)).await.unwrap();
        socket.subscribe("1", ME, Value::Null).await.unwrap();
        let m = socket.message().await.unwrap();
        assert_eq!(m["payload"]["data"]["me"]["roles"][0]["role"], "OFFICER", "{m}");
        a.data_as(&kent_admin, REVOKE, json!({ "id": g["grantRole"]["id"] }))
            .await
            .unwrap();
        // Its next operation runs with the roles as they are now.
        let _complete = socket.message().await.unwrap();
        socket.subscribe("2", SUBMIT, submit(73.0)).await.unwrap();
        let m = socket.message().await.unwrap();
        assert_eq!(
            m["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{engine:?}: {m}"
        );
        let (_, code, _) = refusal(&b, &sam, SUBMIT, submit(72.0)).await;
        assert_eq!(code, "FORBIDDEN", "{engine:?}");
        let me = b.data_as(&sam, ME, Value::Null).await.unwrap();
        assert_eq!(me["me"]["roles"], json!([]), "{engine:?}");
    }
}
