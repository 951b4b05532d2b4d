//! The demo's sign-in (`serve --demo` only): a newcomer picks one of three
//! demo people and gets a short-lived token of the platform's own issuer
//! with that person's grants, so every step of `/submit` can be tried
//! without an identity provider. A server started without `--demo` has no
//! such route at all.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use anyhow::Context;
use entity::Role;
use schema::error::ApiError;
use serde::{Deserialize, Serialize};

use super::{GrantClaim, mint_named};
use crate::config::{Jwt, MIN_SECRET_BYTES};
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
/// the operating system), 64 hex digits. Unless kept in
/// [`DEVELOPMENT_KEY_FILE`], its tokens verify only on this run.
pub fn random_secret() -> String {
    (0..4)
        .map(|_| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(0);
            format!("{:016x}", h.finish())
        })
        .collect()
}

/// Where `serve --demo` keeps the development key it makes when no key of
/// any kind is configured, and where `councilperf token` finds it: the
/// working directory, as the default database, so the README's commands
/// run from one directory agree with no configuration.
pub const DEVELOPMENT_KEY_FILE: &str = "councilperf.dev-secret";

/// A newcomer's `serve --demo` configures no key, and then no token the
/// README's `token` command mints could verify: with no `JWT_SECRET`,
/// `JWT_PUBLIC_KEY_FILE` or `JWT_JWKS_URL`, the demo signs with a
/// development key kept in [`DEVELOPMENT_KEY_FILE`] (made once, then
/// reused, so tokens outlive a restart) and says so loudly. A server
/// configured with any key is left as it is.
pub fn development_key(jwt: &mut Jwt) -> anyhow::Result<()> {
    if jwt.secret.is_some() || jwt.public_key_pem.is_some() || jwt.jwks_url.is_some() {
        return Ok(());
    }
    let secret = match kept_key()? {
        Some(kept) => kept,
        None => keep(random_secret())?,
    };
    tracing::warn!(
        file = DEVELOPMENT_KEY_FILE,
        "no JWT_SECRET, JWT_PUBLIC_KEY_FILE or JWT_JWKS_URL is set: this demo signs and \
         accepts tokens with a DEVELOPMENT key kept in {DEVELOPMENT_KEY_FILE}, which \
         `councilperf token` run in this directory uses too; never serve real data with it"
    );
    jwt.secret = Some(secret);
    Ok(())
}

/// The development key a demo server left in this directory, if any.
pub fn kept_key() -> anyhow::Result<Option<String>> {
    let kept = match std::fs::read_to_string(DEVELOPMENT_KEY_FILE) {
        Ok(kept) => kept.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {DEVELOPMENT_KEY_FILE}")),
    };
    anyhow::ensure!(
        kept.len() >= MIN_SECRET_BYTES,
        "{DEVELOPMENT_KEY_FILE} holds fewer than {MIN_SECRET_BYTES} bytes: delete it and start `serve --demo` again"
    );
    Ok(Some(kept))
}

/// Writes a new key, readable by its owner only; a server that started at
/// the same moment and wrote first wins, and its key is the one used.
fn keep(secret: String) -> anyhow::Result<String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(DEVELOPMENT_KEY_FILE) {
        Ok(mut file) => {
            std::io::Write::write_all(&mut file, format!("{secret}\n").as_bytes())
                .with_context(|| format!("writing {DEVELOPMENT_KEY_FILE}"))?;
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            kept_key()?.with_context(|| format!("{DEVELOPMENT_KEY_FILE} vanished"))
        }
        Err(e) => Err(e).with_context(|| format!("creating {DEVELOPMENT_KEY_FILE}")),
    }
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
