//! The HTML pages: the dashboard at `GET /` and the submission page at
//! `GET /submit` and the API explorer at `GET /graphiql` (files embedded in
//! the binary, so they work with no internet access).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::state::State;

const INDEX: &str = include_str!("../assets/dashboard/index.html");
const SCRIPT: &str = include_str!("../assets/dashboard/dashboard.js");
const STYLE: &str = include_str!("../assets/dashboard/dashboard.css");
const SUBMIT: &str = include_str!("../assets/submit/index.html");
/// The submission page's modules and style, by the name its path gives.
const SUBMIT_ASSETS: [(&str, &str, &str); 8] = [
    ("submit.js", JS, include_str!("../assets/submit/submit.js")),
    ("api.js", JS, include_str!("../assets/submit/api.js")),
    ("auth.js", JS, include_str!("../assets/submit/auth.js")),
    ("entry.js", JS, include_str!("../assets/submit/entry.js")),
    ("sheet.js", JS, include_str!("../assets/submit/sheet.js")),
    (
        "commentary.js",
        JS,
        include_str!("../assets/submit/commentary.js"),
    ),
    ("dom.js", JS, include_str!("../assets/submit/dom.js")),
    (
        "submit.css",
        "text/css; charset=utf-8",
        include_str!("../assets/submit/submit.css"),
    ),
];
const JS: &str = "text/javascript; charset=utf-8";
const EXPLORER: &str = include_str!("../assets/explorer/index.html");
/// The explorer's script and style, by the name its path gives.
const EXPLORER_ASSETS: [(&str, &str, &str); 2] = [
    ("explorer.js", JS, include_str!("../assets/explorer/explorer.js")),
    (
        "explorer.css",
        "text/css; charset=utf-8",
        include_str!("../assets/explorer/explorer.css"),
    ),
];

/// The dashboard may load and call nothing but this server (its socket
/// included: CSP's 'self' covers ws: to the same host), nor be framed.
pub const DASHBOARD_POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    with_policy(content_type, body, DASHBOARD_POLICY.to_owned())
}

fn with_policy(content_type: &str, body: &'static str, policy: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Revalidated on each load, so an upgraded server's page shows at once.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

pub async fn dashboard() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX)
}

pub async fn dashboard_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn dashboard_style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

#[derive(Deserialize)]
pub struct SubmitParams {
    authority: Option<String>,
}

/// The submission page may call this server and the identity providers it
/// signs in at (their token endpoints, from the browser), nothing else; it
/// goes to a provider's sign-in page by navigating, which the policy does
/// not govern. With `?authority=`, only that authority's providers.
pub async fn submit(state: web::Data<State>, params: web::Query<SubmitParams>) -> HttpResponse {
    let origins = match crate::auth::providers::origins(&state, params.authority.as_deref()).await {
        Ok(o) => o,
        Err(e) => return crate::graphql::refuse(&e),
    };
    let policy = format!(
        "default-src 'self'; connect-src 'self'{}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
        origins.iter().map(|o| format!(" {o}")).collect::<String>()
    );
    with_policy("text/html; charset=utf-8", SUBMIT, policy)
}

/// The submission page's scripts and style, under the dashboard's policy:
/// they are not documents, so theirs never applies.
pub async fn submit_asset(file: web::Path<String>) -> HttpResponse {
    named_asset(&SUBMIT_ASSETS, &file)
}

/// One of `assets` by its file name, under the dashboard's policy.
fn named_asset(assets: &[(&str, &str, &'static str)], file: &str) -> HttpResponse {
    match assets.iter().find(|(name, ..)| *name == file) {
        Some((_, content_type, body)) => asset(content_type, body),
        None => HttpResponse::NotFound().finish(),
    }
}

/// The API explorer, under the dashboard's policy: it calls this server
/// alone and needs nothing from elsewhere.
pub fn explorer_page() -> HttpResponse {
    asset("text/html; charset=utf-8", EXPLORER)
}

pub async fn explorer() -> HttpResponse {
    explorer_page()
}

pub async fn explorer_asset(file: web::Path<String>) -> HttpResponse {
    named_asset(&EXPLORER_ASSETS, &file)
}
