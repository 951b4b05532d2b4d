//! Keys an identity provider publishes as a JWKS document (`JWT_JWKS_URL`):
//! chosen by `kid`, fetched again on rotation, refreshes rate-limited, each
//! key verifying only its own algorithm, and a provider that is down or
//! misbehaves costing a few seconds at most.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tests::TestApp;

/// Refreshes in these tests: short, so they need not wait long.
const REFRESH: Duration = Duration::from_secs(1);

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims() -> Value {
    json!({ "sub": "u1", "iss": "councilperf", "aud": "councilperf", "exp": now() + 600 })
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Key A is RSA and key B EC P-256, from the PEM fixtures.
fn rsa_a() -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).unwrap()
}

fn ec_b() -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture("ec-private.pem")).unwrap()
}

/// The public JWK of `key`, as a provider publishes it. `alg: None` leaves
/// the algorithm to the key's kind.
fn jwk(key: &EncodingKey, kind: Algorithm, kid: &str, alg: Option<Algorithm>, usage: PublicKeyUse) -> Value {
    let mut jwk = Jwk::from_encoding_key(key, kind).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    jwk.common.key_algorithm = alg.map(Into::into);
    jwk.common.public_key_use = Some(usage);
    serde_json::to_value(jwk).unwrap()
}

fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, &claims(), key).unwrap()
}

/// A JWKS document served over HTTP on a free loopback port, counting the
/// fetches; the test may change the document at any time.
struct Provider {
    url: String,
    document: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
}

impl Provider {
    fn serve(document: &Value) -> Provider {
        Provider::serve_slowly(document, Duration::ZERO)
    }

    /// A provider taking `delay` to answer each fetch.
    fn serve_slowly(document: &Value, delay: Duration) -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/keys", listener.local_addr().unwrap());
        let provider = Provider {
            url,
            document: Arc::new(Mutex::new(document.to_string())),
            fetches: Arc::default(),
        };
        let (doc, fetches) = (provider.document.clone(), provider.fetches.clone());
        std::thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                answer(&mut s, &doc, &fetches, delay);
            }
        });
        provider
    }

    fn publish(&self, document: &Value) {
        *self.document.lock().unwrap() = document.to_string();
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn answer(s: &mut TcpStream, document: &Mutex<String>, fetches: &AtomicUsize, delay: Duration) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    fetches.fetch_add(1, Ordering::SeqCst);
    std::thread::sleep(delay);
    let body = document.lock().unwrap().clone();
    let _ = write!(
        s,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

async fn spawn_for(url: &str, secret: Option<&str>, refresh: Duration) -> TestApp {
    let jwt = api::config::Jwt {
        secret: secret.map(str::to_owned),
        jwks_url: Some(url.to_owned()),
        jwks_refresh: refresh,
        ..Default::default()
    };
    tests::spawn_config(tests::Engine::Sqlite, false, Default::default(), jwt)
        .await
        .unwrap()
}

/// The status of a request made with `token`, checking a refusal's code.
async fn status_with(app: &TestApp, token: &str) -> u16 {
    let resp = app
        .send("{ me { subject } }", Value::Null, Some(token))
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    if status == 401 {
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body}"
        );
    } else {
        assert_eq!(body["data"]["me"]["subject"], "u1", "{body}");
    }
    status
}

/// The statuses of `tokens` sent all at once.
async fn statuses_at_once(app: &TestApp, tokens: Vec<String>) -> Vec<u16> {
    let requests: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let (client, address) = (app.client.clone(), app.address.clone());
            tokio::spawn(async move {
                client
                    .post(format!("{address}/graphql"))
                    .bearer_auth(t)
                    .json(&json!({ "query": "{ me { subject } }" }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut out = Vec::new();
    for r in requests {
        out.push(r.await.unwrap());
    }
    out
}

async fn past_the_rate_limit() {
    tokio::time::sleep(REFRESH + Duration::from_millis(200)).await;
}

#[tokio::test]
async fn keys_are_chosen_by_kid_and_a_rotation_is_picked_up() {
    let (a, b) = (rsa_a(), ec_b());
    let provider = Provider::serve(&json!({ "keys": [
        jwk(&a, Algorithm::RS256, "a", Some(Algorithm::RS256), PublicKeyUse::Signature),
    ]}));
    let app = spawn_for(&provider.url, None, REFRESH).await;
    assert_eq!(provider.fetches(), 0, "fetched when first needed, not at start");

    let token_a = sign(Algorithm::RS256, Some("a"), &a);
    assert_eq!(status_with(&app, &token_a).await, 200);
    assert_eq!(status_with(&app, &token_a).await, 200);
    assert_eq!(provider.fetches(), 1, "a known kid is not fetched again");

    // The provider rotates to key B; the first token naming it fetches once.
    provider.publish(&json!({ "keys": [
        jwk(&b, Algorithm::ES256, "b", None, PublicKeyUse::Signature),
    ]}));
    past_the_rate_limit().await;
    let token_b = sign(Algorithm::ES256, Some("b"), &b);
    assert_eq!(status_with(&app, &token_b).await, 200);
    assert_eq!(status_with(&app, &token_b).await, 200);
    assert_eq!(provider.fetches(), 2);

    // An unknown kid is fetched once more, then refused.
    past_the_rate_limit().await;
    assert_eq!(
        status_with(&app, &sign(Algorithm::ES256, Some("nope"), &b)).await,
        401
    );
    assert_eq!(provider.fetches(), 3);
    // Without a kid, or with a kid but no key of its own, a token meets no
    // published key.
    assert_eq!(status_with(&app, &sign(Algorithm::ES256, None, &b)).await, 401);
    assert_eq!(
        status_with(&app, &sign(Algorithm::RS256, Some("b"), &a)).await,
        401
    );
}

#[tokio::test]
async fn requests_missing_a_key_together_share_one_fetch() {
    let (a, b) = (rsa_a(), ec_b());
    // Slow enough that all the requests arrive during the one fetch.
    let provider = Provider::serve_slowly(
        &json!({ "keys": [jwk(&b, Algorithm::ES256, "b", None, PublicKeyUse::Signature)] }),
        Duration::from_millis(500),
    );
    // No rate limit, so only the sharing keeps this to one fetch.
    let app = spawn_for(&provider.url, None, Duration::ZERO).await;
    assert_eq!(
        status_with(&app, &sign(Algorithm::ES256, Some("b"), &b)).await,
        200
    );
    provider.publish(&json!({ "keys": [
        jwk(&b, Algorithm::ES256, "b", None, PublicKeyUse::Signature),
        jwk(&a, Algorithm::RS256, "c", None, PublicKeyUse::Signature),
    ]}));
    let token_c = sign(Algorithm::RS256, Some("c"), &a);
    let statuses = statuses_at_once(&app, vec![token_c; 20]).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(provider.fetches(), 2, "one fetch for all twenty");
}

#[tokio::test]
async fn a_flood_of_unknown_kids_does_not_hammer_the_provider() {
    let b = ec_b();
    let provider = Provider::serve(&json!({ "keys": [
        jwk(&b, Algorithm::ES256, "b", None, PublicKeyUse::Signature),
    ]}));
    let app = spawn_for(&provider.url, None, REFRESH).await;
    assert_eq!(
        status_with(&app, &sign(Algorithm::ES256, Some("b"), &b)).await,
        200
    );
    past_the_rate_limit().await;

    let before = provider.fetches();
    let started = Instant::now();
    let tokens = (0..50)
        .map(|i| sign(Algorithm::ES256, Some(&format!("random-{i}-{}", now())), &b))
        .collect();
    let statuses = statuses_at_once(&app, tokens).await;
    let elapsed = started.elapsed();
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let fetched = provider.fetches() - before;
    // One fetch per REFRESH at most, however long the flood took here.
    let allowed = 1 + (elapsed.as_millis() / REFRESH.as_millis()) as usize;
    assert!(
        (1..=allowed).contains(&fetched),
        "{fetched} fetches for 50 unknown kids in {elapsed:?}"
    );
    // The known key still verifies, without waiting on the rate limit.
    assert_eq!(
        status_with(&app, &sign(Algorithm::ES256, Some("b"), &b)).await,
        200
    );
}

#[tokio::test]
async fn each_published_key_verifies_only_its_own_algorithm() {
    let (a, b) = (rsa_a(), ec_b());
    // A symmetric key, which anyone who reads the document would know.
    let oct = EncodingKey::from_secret(b"published-oct-key-of-32-bytes!!!");
    let provider = Provider::serve(&json!({ "keys": [
        jwk(&a, Algorithm::RS256, "a", None, PublicKeyUse::Signature),
        jwk(&b, Algorithm::ES256, "b", Some(Algorithm::ES256), PublicKeyUse::Signature),
        jwk(&a, Algorithm::RS256, "enc", None, PublicKeyUse::Encryption),
        jwk(&oct, Algorithm::HS256, "k", Some(Algorithm::HS256), PublicKeyUse::Signature),
    ]}));
    // The server trusts JWT_SECRET too, so HS256 tokens are not refused
    // outright: only their keys decide.
    let app = spawn_for(&provider.url, Some(tests::SECRET), REFRESH).await;
    assert_eq!(
        status_with(&app, &sign(Algorithm::RS256, Some("a"), &a)).await,
        200
    );
    assert_eq!(
        status_with(&app, &sign(Algorithm::ES256, Some("b"), &b)).await,
        200
    );

    let published_a =
        serde_json::to_vec(&jwk(&a, Algorithm::RS256, "a", None, PublicKeyUse::Signature)).unwrap();
    let refused = [
        // Key A is RSA with no `alg`: RS256 only, even signed by A itself.
        ("RS384 by key A", sign(Algorithm::RS384, Some("a"), &a)),
        ("RS512 by key A", sign(Algorithm::RS512, Some("a"), &a)),
        ("ES256 naming RSA key A", sign(Algorithm::ES256, Some("a"), &b)),
        ("RS256 naming EC key B", sign(Algorithm::RS256, Some("b"), &a)),
        // Key confusion: the published key as an HMAC secret.
        (
            "HS256 with key A's JWK as secret",
            sign(
                Algorithm::HS256,
                Some("a"),
                &EncodingKey::from_secret(&published_a),
            ),
        ),
        (
            "HS256 by the published oct key",
            sign(Algorithm::HS256, Some("k"), &oct),
        ),
        (
            "a key published for encryption",
            sign(Algorithm::RS256, Some("enc"), &a),
        ),
    ];
    for (what, token) in refused {
        assert_eq!(status_with(&app, &token).await, 401, "{what}");
    }
}

#[tokio::test]
async fn a_provider_that_is_down_or_misbehaves_costs_seconds_not_the_server() {
    let b = ec_b();
    let token_b = sign(Algorithm::ES256, Some("b"), &b);
    let hs256 = tests::token("u1", &[]);

    // Nothing listens: the server starts, HS256 tokens are unaffected.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/keys", l.local_addr().unwrap())
    };
    let app = spawn_for(&closed, Some(tests::SECRET), REFRESH).await;
    assert_eq!(status_with(&app, &token_b).await, 401);
    assert_eq!(status_with(&app, &hs256).await, 200);

    // Connects but never answers: refused once the fetch times out.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let app = spawn_for(
        &format!("http://{}/keys", silent.local_addr().unwrap()),
        Some(tests::SECRET),
        Duration::from_secs(60),
    )
    .await;
    let started = Instant::now();
    assert_eq!(status_with(&app, &token_b).await, 401);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // Then rate-limited, so the next refusal does not wait again.
    let started = Instant::now();
    assert_eq!(status_with(&app, &token_b).await, 401);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    drop(silent);

    // A document too large to hold, or not a key set, is not taken.
    let padding = "x".repeat(300 * 1024);
    let provider = Provider::serve(&json!({ "keys": [
        jwk(&b, Algorithm::ES256, "b", None, PublicKeyUse::Signature),
    ], "padding": padding }));
    let app = spawn_for(&provider.url, None, REFRESH).await;
    assert_eq!(status_with(&app, &token_b).await, 401);
    assert_eq!(provider.fetches(), 1);
    // Once the provider mends, the key is taken at the next refresh.
    provider.publish(&json!({ "keys": [
        jwk(&b, Algorithm::ES256, "b", None, PublicKeyUse::Signature),
    ]}));
    past_the_rate_limit().await;
    assert_eq!(status_with(&app, &token_b).await, 200);

    provider.publish(&json!("<html>maintenance</html>"));
    past_the_rate_limit().await;
    assert_eq!(
        status_with(&app, &sign(Algorithm::ES256, Some("other"), &b)).await,
        401
    );
    // The keys held stay trusted while the provider is broken.
    assert_eq!(status_with(&app, &token_b).await, 200);
}
