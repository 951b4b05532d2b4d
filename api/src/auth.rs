//! Verifying bearer tokens and minting development ones.
//!
//! A token is accepted only from the platform's own issuer (configured by
//! environment) or an identity provider a PLATFORM_ADMIN registered, each
//! verified by its own keys: the platform's HS256 tokens against
//! `JWT_SECRET`, its RS256 and ES256 ones against the key their `kid` names
//! in the `JWT_JWKS_URL` document, or else the PEM in `JWT_PUBLIC_KEY_FILE`;
//! a registered provider's against its JWKS (its `jwksUrl`, or the
//! `jwks_uri` of its discovery document), never HS256. Each algorithm only
//! ever meets its own key, so an HS256 token "signed" with a public key is
//! refused. Which roles a verified token brings is `schema::directory`'s.

pub mod demo;
mod jwks;
pub mod providers;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use entity::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
pub use jwks::Endpoints;
use lru::LruCache;
pub use schema::directory::TokenGrant as GrantClaim;
use schema::directory::{Directory, Held, Identity, Provider};
use schema::error::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::config::Jwt;

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;
/// Values of a role claim taken from one token: more is a token no real
/// provider issues for one person.
const MAX_CLAIM_VALUES: usize = 200;

/// The claims of a token the platform's own issuer mints.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default)]
    pub grants: Vec<GrantClaim>,
}

/// A registered issuer's discovery document and keys.
struct Issuer {
    jwks_url: Option<String>,
    discovery: Arc<jwks::Discovery>,
    keys: Arc<jwks::Jwks>,
}

/// The keys a server trusts.
pub struct Verifier {
    secret: Option<DecodingKey>,
    public: Option<(DecodingKey, Algorithm)>,
    jwks: Option<Arc<jwks::Jwks>>,
    audience: String,
    refresh: Duration,
    directory: Arc<Directory>,
    /// By issuer, made when its first token arrives.
    registered: Mutex<HashMap<String, Arc<Issuer>>>,
    /// Tokens verified already, by their SHA-256, with the registration of
    /// the provider that verified them (`None`: the platform's own).
    verified: Mutex<LruCache<[u8; 32], Verified>>,
}

type Verified = ((Identity, u64), Option<Registration>);

/// A provider's registration as it stood: registering its issuer again
/// (another audience, keys or role claim) makes its tokens be checked anew.
type Registration = (i64, chrono::DateTime<chrono::Utc>);

fn registration_of(p: &Provider) -> Registration {
    (p.row.id, p.row.registered_at)
}

/// Tokens whose verification is remembered: a few MB.
const VERIFIED_TOKENS: usize = 10_000;

fn refused(why: &str) -> ApiError {
    tracing::debug!(why, "token refused");
    ApiError::Unauthenticated
}

impl Verifier {
    pub fn new(jwt: &Jwt, directory: Arc<Directory>) -> anyhow::Result<Self> {
        let public = match jwt.public_key_pem.as_deref() {
            None => None,
            Some(pem) => Some(
                DecodingKey::from_rsa_pem(pem)
                    .map(|k| (k, Algorithm::RS256))
                    .or_else(|_| DecodingKey::from_ec_pem(pem).map(|k| (k, Algorithm::ES256)))
                    .context("JWT_PUBLIC_KEY_FILE holds neither an RSA nor an EC public key in PEM")?,
            ),
        };
        let jwks = match &jwt.jwks_url {
            None => None,
            Some(url) => Some(Arc::new(
                jwks::Jwks::new(url, jwt.jwks_refresh).context("JWT_JWKS_URL")?,
            )),
        };
        Ok(Verifier {
            secret: jwt
                .secret
                .as_deref()
                .map(|s| DecodingKey::from_secret(s.as_bytes())),
            public,
            jwks,
            audience: jwt.audience.clone(),
            refresh: jwt.jwks_refresh,
            directory,
            registered: Mutex::default(),
            verified: Mutex::new(LruCache::new(
                NonZeroUsize::new(VERIFIED_TOKENS).unwrap_or(NonZeroUsize::MIN),
            )),
        })
    }

    /// Who a token names, and when it expires (seconds since the Unix
    /// epoch), by the providers registered in `held` (the directory at this
    /// request's version). A token that does not verify is
    /// `UNAUTHENTICATED`, its message saying nothing of keys or issuers.
    pub async fn verify(&self, token: &str, held: &Held) -> Result<(Identity, u64), ApiError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(known) = self.known(&digest, held) {
            return Ok(known);
        }
        #[derive(Deserialize)]
        struct Unverified {
            iss: String,
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused("no JWT header"))?;
        let iss = jsonwebtoken::dangerous::insecure_decode::<Unverified>(token)
            .map_err(|_| refused("no issuer"))?
            .claims
            .iss;
        let (verified, registration) = if self.directory.is_platform(&iss) {
            let claims = self.platform(token, &header).await?;
            (identity(claims, None, true)?, None)
        } else {
            let Some(provider) = held.provider(&iss) else {
                tracing::info!(issuer = %iss.chars().take(200).collect::<String>(), "a token from an unregistered issuer was refused");
                return Err(ApiError::Unauthenticated);
            };
            let claims = self.registered(token, &header, &provider).await?;
            (
                identity(claims, provider.row.role_claim.as_deref(), false)?,
                Some(registration_of(&provider)),
            )
        };
        self.verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(digest, (verified.clone(), registration));
        Ok(verified)
    }

    /// A token verified before, still unexpired, whose provider is
    /// registered as it was then: its signature need not be checked again
    /// (an RS256 check costs more than the rest of a cached answer).
    fn known(&self, digest: &[u8; 32], held: &Held) -> Option<(Identity, u64)> {
        let (verified, registration) = self
            .verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(digest)
            .cloned()?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        let current = match registration {
            None => None,
            Some(_) => Some(registration_of(&*held.provider(&verified.0.issuer)?)),
        };
        (now <= verified.1 + LEEWAY_SECS && current == registration).then_some(verified)
    }

    async fn platform(&self, token: &str, header: &Header) -> Result<Map<String, Value>, ApiError> {
        let published = match (&self.jwks, &header.kid) {
            (Some(jwks), Some(kid)) if header.alg != Algorithm::HS256 => jwks.key(kid, header.alg).await,
            _ => None,
        };
        let key = match header.alg {
            Algorithm::HS256 => self.secret.as_ref(),
            alg => published
                .as_deref()
                .or_else(|| self.public.as_ref().filter(|(_, a)| *a == alg).map(|(k, _)| k)),
        }
        .ok_or_else(|| refused("no platform key for it"))?;
        decode(
            token,
            key,
            header.alg,
            self.directory.platform_issuer(),
            &self.audience,
        )
    }

    async fn registered(
        &self,
        token: &str,
        header: &Header,
        p: &Provider,
    ) -> Result<Map<String, Value>, ApiError> {
        if header.alg == Algorithm::HS256 {
            return Err(refused("HS256 from a registered provider"));
        }
        let kid = header.kid.as_deref().ok_or_else(|| refused("no kid"))?;
        let issuer = self.issuer(p)?;
        let key = issuer
            .keys
            .key(kid, header.alg)
            .await
            .ok_or_else(|| refused("its provider publishes no such key"))?;
        decode(token, &key, header.alg, &p.row.issuer, &p.row.audience)
    }

    /// A registered issuer's discovery document and keys, made once (again
    /// if its `jwksUrl` was changed).
    fn issuer(&self, p: &Provider) -> Result<Arc<Issuer>, ApiError> {
        let mut registered = self.registered.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = registered.get(&p.row.issuer)
            && i.jwks_url == p.row.jwks_url
        {
            return Ok(i.clone());
        }
        let unusable = |e: jwks::JwksError| {
            tracing::warn!(issuer = %p.row.issuer, cause = %e, "a registered provider's address is unusable");
            ApiError::Unauthenticated
        };
        let discovery = Arc::new(jwks::Discovery::new(&p.row.issuer, self.refresh).map_err(unusable)?);
        let keys = match &p.row.jwks_url {
            Some(url) => jwks::Jwks::new(url, self.refresh),
            None => jwks::Jwks::discovered(discovery.clone(), self.refresh),
        }
        .map_err(unusable)?;
        let made = Arc::new(Issuer {
            jwks_url: p.row.jwks_url.clone(),
            discovery,
            keys: Arc::new(keys),
        });
        registered.insert(p.row.issuer.clone(), made.clone());
        Ok(made)
    }

    /// Where a browser signs in at a registered provider, from its
    /// discovery document; `None` while that cannot be had.
    pub async fn endpoints(&self, p: &Provider) -> Option<Arc<Endpoints>> {
        self.issuer(p).ok()?.discovery.endpoints().await
    }
}

fn decode(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
    issuer: &str,
    audience: &str,
) -> Result<Map<String, Value>, ApiError> {
    let mut v = Validation::new(alg);
    v.leeway = LEEWAY_SECS;
    v.validate_nbf = true;
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Map<String, Value>>(token, key, &v)
        .map(|d| d.claims)
        .map_err(|e| {
            tracing::debug!(cause = %e, "token refused");
            ApiError::Unauthenticated
        })
}

/// What a verified token's claims say of its person. The platform's `grants`
/// must be well formed; another issuer's are kept only to be logged and
/// ignored.
fn identity(
    claims: Map<String, Value>,
    role_claim: Option<&str>,
    platform: bool,
) -> Result<(Identity, u64), ApiError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let sub = text("sub").ok_or_else(|| refused("sub is not a string"))?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| refused("exp is not a number"))?;
    let grants = match claims.get("grants") {
        None => Vec::new(),
        Some(g) if platform => {
            serde_json::from_value(g.clone()).map_err(|_| refused("grants are malformed"))?
        }
        Some(g) => serde_json::from_value(g.clone()).unwrap_or_default(),
    };
    let verified = claims.get("email_verified").and_then(Value::as_bool) != Some(false);
    let email = text("email")
        .filter(|_| verified)
        .and_then(|e| schema::service::identity::email(&e).ok());
    let values = match role_claim.and_then(|c| claims.get(c)) {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .take(MAX_CLAIM_VALUES)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Ok((
        Identity {
            issuer: text("iss").unwrap_or_default(),
            subject: sub,
            name: text("name"),
            email,
            grants,
            claims: values,
        },
        exp,
    ))
}

/// Parses `AUTHORITY:ROLE[:PARTNER]` or `PLATFORM_ADMIN`.
pub fn parse_grant(s: &str) -> anyhow::Result<GrantClaim> {
    let role = |r: &str| -> anyhow::Result<Role> {
        serde_json::from_value(serde_json::Value::String(r.to_ascii_uppercase()))
            .with_context(|| format!("`{r}` is not a role"))
    };
    let parts: Vec<&str> = s.split(':').collect();
    let grant = match parts.as_slice() {
        [r] => GrantClaim {
            authority: None,
            role: role(r)?,
            partner: None,
        },
        [a, r] => GrantClaim {
            authority: Some((*a).to_owned()),
            role: role(r)?,
            partner: None,
        },
        [a, r, p] => GrantClaim {
            authority: Some((*a).to_owned()),
            role: role(r)?,
            partner: Some((*p).to_owned()),
        },
        _ => anyhow::bail!("a grant is AUTHORITY:ROLE[:PARTNER] or PLATFORM_ADMIN, not `{s}`"),
    };
    let platform = grant.role == Role::PlatformAdmin;
    anyhow::ensure!(
        platform == grant.authority.is_none(),
        "only PLATFORM_ADMIN comes without an authority: `{s}`"
    );
    anyhow::ensure!(
        (grant.role == Role::Partner) == grant.partner.is_some(),
        "a PARTNER grant, and only it, names a partner: `{s}`"
    );
    Ok(grant)
}

/// Mints an HS256 token, for development and tests.
pub fn mint(
    secret: &str,
    issuer: &str,
    audience: &str,
    sub: &str,
    grants: Vec<GrantClaim>,
    ttl: Duration,
) -> anyhow::Result<String> {
    mint_named(secret, issuer, audience, (sub, None), grants, ttl)
}

/// Mints an HS256 token for a subject and its display name.
pub fn mint_named(
    secret: &str,
    issuer: &str,
    audience: &str,
    (sub, name): (&str, Option<&str>),
    grants: Vec<GrantClaim>,
    ttl: Duration,
) -> anyhow::Result<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = Claims {
        sub: sub.to_owned(),
        name: name.map(str::to_owned),
        iss: issuer.to_owned(),
        aud: audience.to_owned(),
        exp: now + ttl.as_secs(),
        nbf: Some(now),
        grants,
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}
