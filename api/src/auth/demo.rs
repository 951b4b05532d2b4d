//! The demo's sign-in (`serve --demo` only): a newcomer picks one of three
//! demo people and gets a short-lived token of the platform's own issuer
//! with that person's grants, so every step of `/submit` can be tried
//! without an identity provider. A server started without `--demo` has no
//! such route at all.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use entity::Role;
use schema::error::ApiError;
use serde::{Deserialize, Serialize};

use super::{GrantClaim, mint_named};
use crate::graphql::refuse;
use crate::state::State;

/// Long enough to try the page, short enough that a leaked one soon dies.
const TTL: Duration = Duration::from_secs(30 * 60);

/// What the demo server signs its people's tokens with.
pub struct Demo {
    pub secret: String,
    pub issuer: String,
    pub audience: String,
}

struct Person {
    id: &'static str,
    name: &'static str,
    /// (authority, role, partner)
    grant: (&'static str, Role, Option<&'static str>),
}

const PEOPLE: [Person; 3] = [
    Person {
        id: "croydon-police-analyst",
        name: "Croydon's police analyst (Metropolitan Police)",
        grant: ("croydon", Role::Partner, Some("metropolitan-police")),
    },
    Person {
        id: "kent-officer",
        name: "A Kent performance officer",
        grant: ("kent", Role::Officer, None),
    },
    Person {
        id: "croydon-admin",
        name: "A Croydon administrator",
        grant: ("croydon", Role::Admin, None),
    },
];

/// A secret for a demo server given no `JWT_SECRET`: 256 bits drawn from
/// the process's random hash keys (the standard library seeds them from
/// the operating system), so its tokens verify only on this run.
pub fn random_secret() -> String {
    (0..4)
        .map(|_| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(0);
            format!("{:016x}", h.finish())
        })
        .collect()
}

#[derive(Serialize)]
struct Listed {
    id: &'static str,
    name: &'static str,
    authority: &'static str,
}

/// `GET /auth/demo`: the demo's people.
pub async fn people() -> HttpResponse {
    HttpResponse::Ok().json(
        PEOPLE
            .iter()
            .map(|p| Listed {
                id: p.id,
                name: p.name,
                authority: p.grant.0,
            })
            .collect::<Vec<_>>(),
    )
}

#[derive(Deserialize)]
pub struct Pick {
    person: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Signed {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    name: &'static str,
}

/// `POST /auth/demo` `{"person": ID}`: a token for that demo person.
pub async fn sign_in(state: web::Data<State>, pick: web::Json<Pick>) -> HttpResponse {
    let (Some(demo), Some(person)) = (state.demo.as_ref(), PEOPLE.iter().find(|p| p.id == pick.person))
    else {
        return refuse(&ApiError::NotFound(format!("no demo person `{}`", pick.person)));
    };
    let (authority, role, partner) = person.grant;
    let grant = GrantClaim {
        authority: Some(authority.to_owned()),
        role,
        partner: partner.map(str::to_owned),
    };
    match mint_named(
        &demo.secret,
        &demo.issuer,
        &demo.audience,
        (person.id, Some(person.name)),
        vec![grant],
        TTL,
    ) {
        Ok(token) => HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(Signed {
                access_token: token,
                token_type: "Bearer",
                expires_in: TTL.as_secs(),
                name: person.name,
            }),
        Err(e) => refuse(&ApiError::internal(format!("minting a demo token: {e}"))),
    }
}
