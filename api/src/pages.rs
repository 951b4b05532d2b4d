//! The HTML pages: the dashboard at `GET /` (three files embedded in the
//! binary, so it works with no internet access) and GraphiQL, whose code
//! comes from a CDN the operator chooses.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};

use crate::state::State;

const INDEX: &str = include_str!("../assets/dashboard/index.html");
const SCRIPT: &str = include_str!("../assets/dashboard/dashboard.js");
const STYLE: &str = include_str!("../assets/dashboard/dashboard.css");
const GRAPHIQL: &str = include_str!("../assets/graphiql.html");

/// The dashboard may load and call nothing but this server (its socket
/// included: CSP's 'self' covers ws: to the same host), nor be framed.
pub const DASHBOARD_POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, DASHBOARD_POLICY))
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

/// GraphiQL with its code from `cdn` (checked by the configuration to be an
/// http(s) URL with nothing that could leave an HTML attribute).
pub fn graphiql_page(cdn: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(GRAPHIQL.replace("{{cdn}}", cdn))
}

pub async fn graphiql(state: web::Data<State>) -> HttpResponse {
    graphiql_page(&state.graphiql_cdn)
}
