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
