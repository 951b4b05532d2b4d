//! `GET /auth/providers?authority=SLUG`: what a browser needs to start an
//! OpenID Connect sign-in (authorization code with PKCE) at the providers
//! that vouch for an authority. Public and cacheable; no secret is in it.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use schema::error::ApiError;
use serde::{Deserialize, Serialize};

use crate::graphql::refuse;
use crate::state::State;

/// How long a browser or proxy may keep the answer: providers change rarely.
const MAX_AGE_SECS: u32 = 300;

#[derive(Deserialize)]
pub struct Params {
    authority: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignIn {
    issuer: String,
    /// The `aud` its tokens for this service carry: a browser names it as
    /// the `resource` (RFC 8707) where no scope names the API already.
    audience: String,
    client_id: Option<String>,
    scopes: Vec<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
}

pub async fn get(state: web::Data<State>, params: web::Query<Params>) -> HttpResponse {
    let held = match state.directory.now(&state.db).await {
        Ok(h) => h,
        Err(e) => return refuse(&e),
    };
    let Some(authority) = held.authority(&params.authority) else {
        return refuse(&ApiError::NotFound(format!(
            "no authority `{}`",
            params.authority
        )));
    };
    let mut providers: Vec<_> = held
        .providers()
        .filter(|p| p.authorities.contains(&authority.id))
        .cloned()
        .collect();
    providers.sort_by(|a, b| a.row.issuer.cmp(&b.row.issuer));
    let mut out = Vec::with_capacity(providers.len());
    for p in providers {
        let endpoints = state.verifier.endpoints(&p).await;
        let mut scopes: Vec<String> = serde_json::from_str(&p.row.scopes).unwrap_or_default();
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".to_owned());
        }
        out.push(SignIn {
            issuer: p.row.issuer.clone(),
            audience: p.row.audience.clone(),
            client_id: p.row.client_id.clone(),
            scopes,
            authorization_endpoint: endpoints.as_ref().and_then(|e| e.authorization_endpoint.clone()),
            token_endpoint: endpoints.as_ref().and_then(|e| e.token_endpoint.clone()),
        });
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={MAX_AGE_SECS}")))
        .json(out)
}

/// The origins a browser signing in for `authority` (every authority, if
/// none) talks to: each provider's issuer and token endpoint. An unknown
/// authority has none.
pub async fn origins(state: &State, authority: Option<&str>) -> Result<Vec<String>, ApiError> {
    let held = state.directory.now(&state.db).await?;
    let only = match authority {
        None => None,
        Some(slug) => match held.authority(slug) {
            Some(a) => Some(a.id),
            None => return Ok(Vec::new()),
        },
    };
    let mut out = Vec::new();
    for p in held
        .providers()
        .filter(|p| only.is_none_or(|a| p.authorities.contains(&a)))
    {
        let endpoints = state.verifier.endpoints(p).await;
        let token = endpoints.as_ref().and_then(|e| e.token_endpoint.clone());
        out.extend(
            [Some(p.row.issuer.clone()), token]
                .into_iter()
                .flatten()
                .filter_map(|u| origin(&u)),
        );
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `scheme://host[:port]` of an http(s) URL; nothing else may enter a
/// policy header.
fn origin(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url).ok()?;
    matches!(u.scheme(), "https" | "http")
        .then(|| u.origin().ascii_serialization())
        .filter(|o| o != "null")
}
