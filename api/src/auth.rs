//! Verifying bearer tokens and minting development ones.
//!
//! HS256 tokens are checked against `JWT_SECRET`; RS256 and ES256 tokens
//! against the key their `kid` names in the `JWT_JWKS_URL` document, or else
//! the PEM in `JWT_PUBLIC_KEY_FILE`. Each algorithm only ever meets its own
//! key, so an HS256 token "signed" with a public key is refused.

mod jwks;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use entity::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use schema::Session;
use schema::error::ApiResult;
use schema::policy::{Grant, Viewer};
use serde::{Deserialize, Serialize};

use crate::config::Jwt;

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

/// One grant as the token carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantClaim {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
}

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

#[derive(Debug, thiserror::Error)]
#[error("invalid token")]
pub struct InvalidToken;

/// The keys a server trusts.
#[derive(Clone)]
pub struct Verifier {
    secret: Option<DecodingKey>,
    public: Option<(DecodingKey, Algorithm)>,
    jwks: Option<Arc<jwks::Jwks>>,
    issuer: String,
    audience: String,
}

impl Verifier {
    pub fn new(jwt: &Jwt) -> anyhow::Result<Self> {
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
            Some(url) => Some(Arc::new(jwks::Jwks::new(url, jwt.jwks_refresh)?)),
        };
        Ok(Verifier {
            secret: jwt
                .secret
                .as_deref()
                .map(|s| DecodingKey::from_secret(s.as_bytes())),
            public,
            jwks,
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
        })
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, InvalidToken> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| InvalidToken)?;
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
        .ok_or(InvalidToken)?;
        let mut v = Validation::new(header.alg);
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Claims>(token, key, &v)
            .map(|d| d.claims)
            .map_err(|e| {
                tracing::debug!(cause = %e, "token refused");
                InvalidToken
            })
    }
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
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = Claims {
        sub: sub.to_owned(),
        name: None,
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

/// The viewer a verified token speaks for. Grants naming an authority or
/// partner that does not exist, or of a shape DESIGN.md does not give
/// (PLATFORM_ADMIN of one authority, say), grant nothing.
pub async fn session(db: &sea_orm::DatabaseConnection, claims: Claims) -> ApiResult<Session> {
    let slugs: Vec<String> = claims.grants.iter().filter_map(|g| g.authority.clone()).collect();
    let (auths, partners) = schema::store::grant_targets(db, &slugs).await?;
    let grants = claims
        .grants
        .iter()
        .filter_map(|g| {
            let authority_id = match &g.authority {
                None => None,
                Some(slug) => Some(auths.iter().find(|a| &a.slug == slug)?.id),
            };
            let partner_id = match &g.partner {
                None => None,
                Some(slug) => Some(
                    partners
                        .iter()
                        .find(|p| &p.slug == slug && Some(p.authority_id) == authority_id)?
                        .id,
                ),
            };
            Some(Grant {
                role: g.role,
                authority_id,
                partner_id,
            })
        })
        .filter(Grant::is_well_formed)
        .collect();
    Ok(Session {
        viewer: Viewer::User {
            subject: claims.sub,
            name: claims.name,
            grants,
        },
        authorities: auths,
    })
}
