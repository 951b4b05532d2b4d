//! The OpenID issuers the identity-provider tests rely on
//! (`tests::oidc`): they publish discovery and keys, mint tokens carrying
//! what was asked, each signed with its own key, take their keys down on
//! demand, and forge a cross-signed token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tests::oidc::{AUDIENCE, CLIENT_ID, Issuers};

/// A JWT's header and payload, unverified.
fn parts(token: &str) -> (Value, Value) {
    let mut segments = token.split('.');
    let mut next = || {
        let segment = segments.next().unwrap();
        serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    };
    (next(), next())
}

async fn discovery(client: &reqwest::Client, issuer: &str) -> Value {
    let doc: Value = client
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], issuer, "{doc}");
    for endpoint in ["jwks_uri", "authorization_endpoint", "token_endpoint"] {
        assert!(
            doc[endpoint].as_str().is_some_and(|u| u.starts_with(issuer)),
            "{endpoint} in {doc}"
        );
    }
    doc
}

async fn jwks(client: &reqwest::Client, uri: &str) -> JwkSet {
    client
        .get(uri)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Whether `token` verifies as an access token of `issuer` with one of
/// `keys`.
fn verifies(token: &str, keys: &JwkSet, issuer: &str) -> bool {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["iss", "sub", "aud", "exp"]);
    keys.keys.iter().any(|jwk| {
        let key = DecodingKey::from_jwk(jwk).unwrap();
        jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok()
    })
}

fn kids(keys: &JwkSet) -> Vec<String> {
    keys.keys.iter().filter_map(|k| k.common.key_id.clone()).collect()
}

#[tokio::test]
async fn the_issuers_mint_forge_and_drop_their_keys() {
    let Some(mut issuers) = Issuers::start().await else {
        return;
    };
    let client = reqwest::Client::new();
    let (kent, croydon) = (issuers.kent.clone(), issuers.croydon.clone());
    assert_ne!(kent, croydon);
    assert!(
        kent.starts_with("http://127.0.0.1:") && !kent.ends_with('/'),
        "{kent}"
    );
    let kent_doc = discovery(&client, &kent).await;
    let croydon_doc = discovery(&client, &croydon).await;
    let kent_jwks_uri = kent_doc["jwks_uri"].as_str().unwrap();
    let kent_keys = jwks(&client, kent_jwks_uri).await;
    let croydon_keys = jwks(&client, croydon_doc["jwks_uri"].as_str().unwrap()).await;
    let (kent_kids, croydon_kids) = (kids(&kent_keys), kids(&croydon_keys));
    assert!(!kent_kids.is_empty() && !croydon_kids.is_empty());
    assert!(kent_kids.iter().all(|k| !croydon_kids.contains(k)));

    let (token, id_token) = issuers
        .tokens(
            "kent",
            "alice",
            Some("alice@kent.gov.uk"),
            &["Kent.Officer", "Kent.Viewer"],
        )
        .await;
    let (header, claims) = parts(&token);
    assert_eq!(header["alg"], "RS256", "{header}");
    let kid = header["kid"].as_str().unwrap();
    assert!(kent_kids.iter().any(|k| k == kid), "{kid} not in {kent_kids:?}");
    assert!(!croydon_kids.iter().any(|k| k == kid));
    assert_eq!(claims["iss"], kent, "{claims}");
    let aud = &claims["aud"];
    assert!(
        aud == AUDIENCE || aud.as_array().is_some_and(|a| a.iter().any(|x| x == AUDIENCE)),
        "{claims}"
    );
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["email"], "alice@kent.gov.uk");
    assert_eq!(claims["name"], "alice");
    assert_eq!(
        claims["roles"],
        serde_json::json!(["Kent.Officer", "Kent.Viewer"])
    );
    assert_eq!(claims["client_id"], CLIENT_ID);
    assert!(
        claims["exp"]
            .as_u64()
            .is_some_and(|e| e > claims["iat"].as_u64().unwrap())
    );
    assert!(verifies(&token, &kent_keys, &kent));
    assert!(!verifies(&token, &croydon_keys, &kent));
    let (_, id_claims) = parts(&id_token);
    assert_eq!(id_claims["aud"], CLIENT_ID, "{id_claims}");
    assert_eq!(id_claims["sub"], "alice");

    // Roles changed at the provider show in the next token; no email, no claim.
    let again = issuers.token("kent", "alice", None, &[]).await;
    let (_, claims) = parts(&again);
    assert_eq!(claims["roles"], serde_json::json!([]), "{claims}");
    assert!(claims.get("email").is_none(), "{claims}");

    let theirs = issuers
        .token("croydon", "bob", Some("bob@croydon.gov.uk"), &["Croydon.Viewer"])
        .await;
    let (header, claims) = parts(&theirs);
    assert!(croydon_kids.iter().any(|k| header["kid"] == *k), "{header}");
    assert_eq!(claims["iss"], croydon);
    assert!(verifies(&theirs, &croydon_keys, &croydon));

    issuers.keys("kent", false).await;
    let down = client.get(kent_jwks_uri).send().await.unwrap();
    assert_eq!(down.status(), 503);
    discovery(&client, &kent).await;
    jwks(&client, croydon_doc["jwks_uri"].as_str().unwrap()).await;
    issuers.keys("kent", true).await;
    assert_eq!(
        jwks(&client, kent_jwks_uri).await.keys.len(),
        kent_keys.keys.len()
    );

    let forged = issuers.forge("kent", "croydon", "mallory").await;
    let (header, claims) = parts(&forged);
    assert!(croydon_kids.iter().any(|k| header["kid"] == *k), "{header}");
    assert_eq!(claims["iss"], kent, "{claims}");
    assert_eq!(claims["sub"], "mallory");
    assert_eq!(claims["aud"], AUDIENCE);
    assert!(!verifies(&forged, &kent_keys, &kent));
    assert!(verifies(&forged, &croydon_keys, &kent), "signed by Croydon's key");
}
