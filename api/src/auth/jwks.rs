//! Signing keys an identity provider publishes as a JWKS document (RFC 7517)
//! and rotates without notice, as Entra ID does.
//!
//! The document is fetched when a token first needs it rather than at start,
//! so a provider that is down never stops the server starting. It is fetched
//! again when a token names a `kid` it does not hold (a rotation) and when it
//! is older than [`MAX_AGE`] (so withdrawn keys stop verifying), but never
//! more than once per `min_interval`, however many tokens with made-up kids
//! arrive, and requests that miss together share one fetch.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use reqwest::Url;
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

/// The whole fetch, connecting to the last byte, so a provider that
/// stalls delays the tokens waiting on it by this much at most.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Entra ID's document is a few KB; this bounds what a broken or hostile
/// provider can make the server hold.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// How long a key the provider has withdrawn goes on verifying.
const MAX_AGE: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("not a URL: {0}")]
    Url(String),
    #[error("must be https (plain http only on a loopback address), not {0}")]
    Insecure(Url),
    #[error("fetching the JWKS document: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the JWKS document answered HTTP {0}")]
    Status(reqwest::StatusCode),
    #[error("the JWKS document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    #[error("the issuer's discovery document could not be had")]
    NoDiscovery,
    #[error("the JWKS document is not a JWK set: {0}")]
    Malformed(#[from] serde_json::Error),
}

/// A published key and the one algorithm it verifies.
struct Key {
    alg: Algorithm,
    key: Arc<DecodingKey>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Key>,
    fetched_at: Option<Instant>,
    /// Successful fetches so far: a request that waited for the fetch lock
    /// sees whether a fetch finished meanwhile and, if so, uses its result.
    generation: u64,
}

impl Cache {
    fn key(&self, kid: &str, alg: Algorithm) -> Option<Arc<DecodingKey>> {
        self.keys.get(kid).filter(|k| k.alg == alg).map(|k| k.key.clone())
    }

    fn is_fresh(&self) -> bool {
        self.fetched_at.is_some_and(|t| t.elapsed() < MAX_AGE)
    }
}

/// Where the keys are: a JWKS URL, or the `jwks_uri` an issuer's discovery
/// document names.
enum Source {
    Keys(Url),
    Discovery(Arc<Discovery>),
}

pub struct Jwks {
    source: Source,
    client: reqwest::Client,
    min_interval: Duration,
    cache: RwLock<Cache>,
    /// Held while fetching; holds when the last attempt was made, successful
    /// or not, for the rate limit.
    last_attempt: Mutex<Option<Instant>>,
}

/// A provider's address, checked by the one rule registrations are checked
/// by (`validate::url`: https, or plain http on a loopback address).
fn checked(url: &str) -> Result<Url, JwksError> {
    let parsed = Url::parse(url).map_err(|e| JwksError::Url(e.to_string()))?;
    schema::service::validate::url("url", url).map_err(|_| JwksError::Insecure(parsed.clone()))?;
    Ok(parsed)
}

fn client(url: &Url) -> Result<reqwest::Client, JwksError> {
    Ok(reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        // A redirect must not downgrade the fetch to plain http.
        .https_only(url.scheme() == "https")
        .build()?)
}

/// GETs a document of at most [`MAX_DOCUMENT_BYTES`].
async fn fetch_bounded(client: &reqwest::Client, url: Url) -> Result<Vec<u8>, JwksError> {
    let mut resp = client.get(url).send().await?;
    if !resp.status().is_success() {
        return Err(JwksError::Status(resp.status()));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(JwksError::TooLarge);
    }
    // Content-Length may be absent (chunked) or wrong: count as it comes.
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(JwksError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What an OpenID Connect discovery document says of an issuer.
#[derive(Clone, Debug, Deserialize)]
pub struct Endpoints {
    pub jwks_uri: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
}

/// An issuer's discovery document (`ISSUER/.well-known/openid-configuration`),
/// fetched when first needed and kept for [`MAX_AGE`], with the same bounds
/// and rate limit as its keys.
pub struct Discovery {
    url: Url,
    client: reqwest::Client,
    min_interval: Duration,
    held: RwLock<Option<(Instant, Arc<Endpoints>)>>,
    last_attempt: Mutex<Option<Instant>>,
}

impl Discovery {
    pub fn new(issuer: &str, min_interval: Duration) -> Result<Self, JwksError> {
        let url = checked(&format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ))?;
        Ok(Discovery {
            client: client(&url)?,
            url,
            min_interval,
            held: RwLock::default(),
            last_attempt: Mutex::default(),
        })
    }

    pub async fn endpoints(&self) -> Option<Arc<Endpoints>> {
        let fresh = |held: &Option<(Instant, Arc<Endpoints>)>| {
            held.as_ref()
                .filter(|(at, _)| at.elapsed() < MAX_AGE)
                .map(|(_, e)| e.clone())
        };
        if let Some(e) = fresh(&*self.held.read().await) {
            return Some(e);
        }
        let mut last_attempt = self.last_attempt.lock().await;
        // Fetched by another request while this one waited?
        let held = self.held.read().await.clone();
        if let Some(e) = fresh(&held) {
            return Some(e);
        }
        let stale = held.map(|(_, e)| e);
        if last_attempt.is_some_and(|t| t.elapsed() < self.min_interval) {
            return stale;
        }
        *last_attempt = Some(Instant::now());
        let fetched = fetch_bounded(&self.client, self.url.clone())
            .await
            .and_then(|body| Ok(serde_json::from_slice::<Endpoints>(&body)?));
        *last_attempt = Some(Instant::now());
        match fetched {
            Ok(e) => {
                let e = Arc::new(e);
                *self.held.write().await = Some((Instant::now(), e.clone()));
                Some(e)
            }
            // What was held stays trusted, as with keys.
            Err(e) => {
                tracing::warn!(url = %self.url, cause = %e, "fetching a discovery document failed");
                stale
            }
        }
    }
}

impl Jwks {
    pub fn new(url: &str, min_interval: Duration) -> Result<Self, JwksError> {
        let url = checked(url)?;
        Ok(Jwks {
            client: client(&url)?,
            source: Source::Keys(url),
            min_interval,
            cache: RwLock::default(),
            last_attempt: Mutex::default(),
        })
    }

    /// The keys at the `jwks_uri` of `discovery`.
    pub fn discovered(discovery: Arc<Discovery>, min_interval: Duration) -> Result<Self, JwksError> {
        Ok(Jwks {
            client: client(&discovery.url)?,
            source: Source::Discovery(discovery),
            min_interval,
            cache: RwLock::default(),
            last_attempt: Mutex::default(),
        })
    }

    /// The published key named `kid`, if it verifies `alg`.
    pub async fn key(&self, kid: &str, alg: Algorithm) -> Option<Arc<DecodingKey>> {
        let (held, generation) = {
            let cache = self.cache.read().await;
            let held = cache.key(kid, alg);
            if held.is_some() && cache.is_fresh() {
                return held;
            }
            (held, cache.generation)
        };
        let mut last_attempt = match held {
            // Refreshing a stale document is not worth making this request
            // wait for a fetch already under way.
            Some(_) => match self.last_attempt.try_lock() {
                Ok(guard) => guard,
                Err(_) => return held,
            },
            None => self.last_attempt.lock().await,
        };
        let refetched_meanwhile = self.cache.read().await.generation != generation;
        if !refetched_meanwhile && last_attempt.is_none_or(|t| t.elapsed() >= self.min_interval) {
            // Counted from the start too, so a client that hangs up mid-fetch
            // (dropping this future) does not let the next one fetch at once.
            *last_attempt = Some(Instant::now());
            let fetched = self.fetch().await;
            // And from the end, so a provider slower than the interval is
            // not asked again the moment it answers.
            *last_attempt = Some(Instant::now());
            match fetched {
                Ok(keys) => {
                    tracing::info!(keys = keys.len(), "fetched a JWKS document");
                    let mut cache = self.cache.write().await;
                    cache.keys = keys;
                    cache.fetched_at = Some(Instant::now());
                    cache.generation += 1;
                }
                // The keys held stay trusted: a provider that is down must
                // not sign everyone out.
                Err(e) => tracing::warn!(cause = %e, "refreshing a JWKS document failed"),
            }
        }
        drop(last_attempt);
        self.cache.read().await.key(kid, alg)
    }

    async fn fetch(&self) -> Result<HashMap<String, Key>, JwksError> {
        let url = match &self.source {
            Source::Keys(url) => url.clone(),
            Source::Discovery(d) => {
                let endpoints = d.endpoints().await.ok_or(JwksError::NoDiscovery)?;
                checked(&endpoints.jwks_uri)?
            }
        };
        keys_of(&fetch_bounded(&self.client, url).await?)
    }
}

/// The keys of a document that can verify tokens, by `kid`. One key this
/// server cannot use is skipped rather than losing the rest.
fn keys_of(document: &[u8]) -> Result<HashMap<String, Key>, JwksError> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document = serde_json::from_slice(document)?;
    Ok(document
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .filter_map(|jwk| {
            let alg = algorithm_of(&jwk)?;
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            Some((
                jwk.common.key_id?,
                Key {
                    alg,
                    key: Arc::new(key),
                },
            ))
        })
        .collect())
}

/// The one algorithm a key verifies: the `alg` it names, if that suits its
/// kind, or its kind's usual one. Symmetric keys are never taken from a
/// document anyone can read, so no HS256 token meets a published key.
fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    let named = jwk.common.key_algorithm;
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => match named {
            None | Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
            Some(KeyAlgorithm::RS384) => Some(Algorithm::RS384),
            Some(KeyAlgorithm::RS512) => Some(Algorithm::RS512),
            Some(_) => None,
        },
        AlgorithmParameters::EllipticCurve(p) => match (&p.curve, named) {
            (EllipticCurve::P256, None | Some(KeyAlgorithm::ES256)) => Some(Algorithm::ES256),
            (EllipticCurve::P384, None | Some(KeyAlgorithm::ES384)) => Some(Algorithm::ES384),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::{Value, json};

    use super::*;

    // The values need only be base64url: keys are not checked until used.
    fn rsa(extra: Value) -> Value {
        let mut k = json!({ "kty": "RSA", "n": "sXch", "e": "AQAB" });
        k.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        k
    }

    fn ec(crv: &str, extra: Value) -> Value {
        let mut k = json!({ "kty": "EC", "crv": crv, "x": "f83O", "y": "x_FE" });
        k.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        k
    }

    fn algorithms(keys: Vec<Value>) -> Vec<(String, Algorithm)> {
        let doc = serde_json::to_vec(&json!({ "keys": keys })).unwrap();
        let mut out: Vec<_> = keys_of(&doc)
            .unwrap()
            .into_iter()
            .map(|(kid, k)| (kid, k.alg))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn each_key_verifies_one_algorithm_suited_to_its_kind() {
        let got = algorithms(vec![
            rsa(json!({ "kid": "rsa" })),
            rsa(json!({ "kid": "rsa-sig", "use": "sig", "alg": "RS256" })),
            rsa(json!({ "kid": "rsa384", "alg": "RS384" })),
            rsa(json!({ "kid": "rsa512", "alg": "RS512" })),
            ec("P-256", json!({ "kid": "p256" })),
            ec("P-256", json!({ "kid": "p256-es256", "alg": "ES256" })),
            ec("P-384", json!({ "kid": "p384" })),
        ]);
        assert_eq!(
            got,
            vec![
                ("p256".to_owned(), Algorithm::ES256),
                ("p256-es256".to_owned(), Algorithm::ES256),
                ("p384".to_owned(), Algorithm::ES384),
                ("rsa".to_owned(), Algorithm::RS256),
                ("rsa-sig".to_owned(), Algorithm::RS256),
                ("rsa384".to_owned(), Algorithm::RS384),
                ("rsa512".to_owned(), Algorithm::RS512),
            ]
        );
    }

    #[test]
    fn keys_that_cannot_verify_are_skipped_and_the_rest_kept() {
        let got = algorithms(vec![
            rsa(json!({ "kid": "enc", "use": "enc" })),
            rsa(json!({ "kid": "other-use", "use": "tls" })),
            rsa(json!({ "kid": "rsa-as-ec", "alg": "ES256" })),
            rsa(json!({ "kid": "pss", "alg": "PS256" })),
            rsa(json!({ "kid": "unknown-alg", "alg": "XX999" })),
            rsa(json!({})),
            ec("P-256", json!({ "kid": "ec-as-rsa", "alg": "RS256" })),
            ec("P-384", json!({ "kid": "p384-as-es256", "alg": "ES256" })),
            ec("P-521", json!({ "kid": "p521" })),
            json!({ "kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256" }),
            json!({ "kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "11qY" }),
            json!({ "kty": "XYZ", "kid": "strange" }),
            json!({ "kid": "no-kty" }),
            json!("not an object"),
            rsa(json!({ "kid": "good" })),
        ]);
        assert_eq!(got, vec![("good".to_owned(), Algorithm::RS256)]);
    }

    #[test]
    fn a_document_that_is_not_a_key_set_is_an_error() {
        for doc in [&b"<html>"[..], b"{}", br#"{"keys":"x"}"#, b""] {
            assert!(
                matches!(keys_of(doc), Err(JwksError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    #[test]
    fn the_url_must_be_https_except_on_loopback() {
        let every = Duration::from_secs(30);
        for ok in [
            "https://login.microsoftonline.com/common/discovery/v2.0/keys",
            "http://127.0.0.1:8081/keys",
            "http://[::1]/keys",
            "http://localhost/keys",
        ] {
            assert!(Jwks::new(ok, every).is_ok(), "{ok}");
        }
        for insecure in [
            "http://idp.example/keys",
            "http://10.0.0.1/keys",
            "ftp://localhost/keys",
        ] {
            assert!(
                matches!(Jwks::new(insecure, every), Err(JwksError::Insecure(_))),
                "{insecure}"
            );
        }
        assert!(matches!(Jwks::new("not a url", every), Err(JwksError::Url(_))));
    }
}
