//! Identity providers and the roles held in the service (issue 23): who may
//! register a provider, grant or revoke a role, and what makes a
//! registration or a grant well formed.

use std::collections::BTreeSet;

use entity::Role;
use entity::model::{authority, identity_provider, membership, partner, role_mapping};
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;

use super::guard::scope;
use super::validate::{self, MAX_ITEMS};
use crate::error::{ApiError, ApiResult};
use crate::inputs::{GrantRoleInput, RegisterIdentityProviderInput, RoleMappingInput};
use crate::policy::{Verb, Viewer, authorize, authorize_somewhere};
use crate::store::{self, write::Write};

/// Scopes a provider lists; each a name without spaces.
const MAX_SCOPES: usize = 20;
const MAX_CLAIM: usize = 64;
const MAX_EMAIL: usize = 254;

/// An email as compared: trimmed, lower case, one `@` with something on
/// both sides, no spaces.
pub fn email(value: &str) -> ApiResult<String> {
    let v = value.trim().to_lowercase();
    let well_formed = v.len() <= MAX_EMAIL
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        && v.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if well_formed {
        Ok(v)
    } else {
        Err(ApiError::invalid(
            "email",
            format!("`{value}` is not an email address"),
        ))
    }
}

/// A name without spaces or control characters (a scope, a claim).
fn token(field: &'static str, value: &str, max: usize) -> ApiResult<String> {
    let v = validate::text(field, value, max)?;
    if v.chars().any(|c| c.is_whitespace()) {
        return Err(ApiError::invalid(
            field,
            format!("{field} `{v}` must not contain spaces"),
        ));
    }
    Ok(v)
}

/// Authorities by slug, each of which must exist, in the order given, and
/// their partners: one statement.
async fn authorities(
    db: &impl ConnectionTrait,
    slugs: &[String],
) -> ApiResult<(Vec<authority::Model>, Vec<partner::Model>)> {
    let (found, partners) = store::grant_targets(db, slugs).await?;
    let named = slugs
        .iter()
        .map(|s| {
            found
                .iter()
                .find(|a| &a.slug == s)
                .cloned()
                .ok_or_else(|| ApiError::invalid("authorities", format!("no authority `{s}`")))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok((named, partners))
}

/// The partner of `slug` at `authority`, among `partners`.
fn partner_at(
    partners: &[partner::Model],
    authority: &authority::Model,
    slug: &str,
) -> ApiResult<partner::Model> {
    partners
        .iter()
        .find(|p| p.slug == slug && p.authority_id == authority.id)
        .cloned()
        .ok_or_else(|| ApiError::invalid("partner", format!("{} has no partner `{slug}`", authority.slug)))
}

/// One claim mapping, checked against the provider it belongs to.
fn mapping(
    m: &RoleMappingInput,
    among: &[authority::Model],
    partners: &[partner::Model],
    partner_body: Option<&str>,
) -> ApiResult<role_mapping::ActiveModel> {
    let claim_value = validate::text("claimValue", &m.claim_value, 255)?;
    let authority = match (&m.authority, among) {
        (Some(slug), _) => among.iter().find(|a| &a.slug == slug).ok_or_else(|| {
            ApiError::invalid(
                "authority",
                format!("`{slug}` is not among the provider's authorities"),
            )
        })?,
        (None, [only]) => only,
        (None, _) => {
            return Err(ApiError::invalid(
                "authority",
                "a provider of several authorities names the authority of each mapping",
            ));
        }
    };
    let partner_id = match (m.role, &m.partner) {
        (Role::PlatformAdmin, _) => {
            return Err(ApiError::invalid(
                "role",
                "no provider may map a claim to PLATFORM_ADMIN",
            ));
        }
        (Role::Partner, Some(slug)) => {
            if partner_body.is_some_and(|p| p != slug) {
                return Err(ApiError::invalid(
                    "partner",
                    "a partner body's provider maps only its own partner",
                ));
            }
            Some(partner_at(partners, authority, slug)?.id)
        }
        (Role::Partner, None) => {
            return Err(ApiError::invalid(
                "partner",
                "a PARTNER mapping names its partner",
            ));
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "partner",
                "only a PARTNER mapping names a partner",
            ));
        }
        (_, None) if partner_body.is_some() => {
            return Err(ApiError::invalid(
                "role",
                "a partner body's provider maps only to PARTNER",
            ));
        }
        (_, None) => None,
    };
    Ok(role_mapping::ActiveModel {
        claim_value: Set(claim_value),
        role: Set(m.role),
        authority_id: Set(authority.id),
        partner_id: Set(partner_id),
        ..Default::default()
    })
}

/// Registers a provider, or replaces the registration of its issuer.
/// `platform_issuer` (configured by environment) is never registered: its
/// tokens are the platform's own.
pub async fn register_identity_provider(
    w: &Write,
    viewer: &Viewer,
    input: RegisterIdentityProviderInput,
    platform_issuer: &str,
) -> ApiResult<identity_provider::Model> {
    authorize(viewer, Verb::RegisterIdentityProvider, None)?;
    let issuer = validate::url("issuer", &input.issuer)?;
    if issuer == platform_issuer {
        return Err(ApiError::invalid(
            "issuer",
            "that issuer is the platform's own, configured by environment",
        ));
    }
    let audience = token("audience", &input.audience, 255)?;
    let jwks_url = validate::optional(input.jwks_url.as_deref(), |u| validate::url("jwksUrl", u))?;
    let client_id = validate::optional(input.client_id.as_deref(), |c| token("clientId", c, 255))?;
    if input.scopes.len() > MAX_SCOPES {
        return Err(ApiError::invalid(
            "scopes",
            format!("at most {MAX_SCOPES} scopes"),
        ));
    }
    let scopes = input
        .scopes
        .iter()
        .map(|s| token("scopes", s, MAX_CLAIM))
        .collect::<ApiResult<Vec<_>>>()?;
    let slugs: BTreeSet<&String> = input.authorities.iter().collect();
    if slugs.is_empty() || slugs.len() > 500 || slugs.len() != input.authorities.len() {
        return Err(ApiError::invalid(
            "authorities",
            "a provider vouches for 1 to 500 authorities, each named once",
        ));
    }
    let (among, partners) = authorities(&w.txn, &input.authorities).await?;
    let partner = validate::optional(input.partner.as_deref(), |p| {
        validate::slug(p).map_err(|_| ApiError::invalid("partner", format!("`{p}` is not a partner's slug")))
    })?;
    if let Some(p) = &partner {
        for a in &among {
            partner_at(&partners, a, p)?;
        }
    }
    if input.role_map.len() > MAX_ITEMS {
        return Err(ApiError::invalid(
            "roleMap",
            format!("at most {MAX_ITEMS} mappings"),
        ));
    }
    let mut mappings = Vec::with_capacity(input.role_map.len());
    for (i, m) in input.role_map.iter().enumerate() {
        mappings.push(mapping(m, &among, &partners, partner.as_deref()).map_err(|e| e.at_index(i))?);
    }
    let role_claim =
        match validate::optional(input.role_claim.as_deref(), |c| token("roleClaim", c, MAX_CLAIM))? {
            None if !mappings.is_empty() => Some("roles".to_owned()),
            claim => claim,
        };
    let row = identity_provider::ActiveModel {
        issuer: Set(issuer.clone()),
        audience: Set(audience),
        jwks_url: Set(jwks_url),
        client_id: Set(client_id),
        scopes: Set(serde_json::to_string(&scopes).map_err(ApiError::internal)?),
        partner_slug: Set(partner),
        role_claim: Set(role_claim),
        registered_at: Set(w.now),
        ..Default::default()
    };
    let ids: Vec<i64> = among.iter().map(|a| a.id).collect();
    store::directory::register(w, &issuer, row, &ids, mappings).await
}

/// Grants a role to a person; the same role granted again to the same
/// person is answered with the membership that holds it, and writes nothing.
pub async fn grant_role(w: &Write, viewer: &Viewer, input: GrantRoleInput) -> ApiResult<membership::Model> {
    authorize_somewhere(viewer, Verb::ManageMembers)?;
    let (authority, partners) = match &input.authority {
        None => (None, Vec::new()),
        Some(slug) => {
            let (mut found, partners) = store::grant_targets(&w.txn, std::slice::from_ref(slug)).await?;
            let a = found
                .pop()
                .ok_or_else(|| ApiError::invalid("authority", format!("no authority `{slug}`")))?;
            (Some(a), partners)
        }
    };
    authorize(
        viewer,
        Verb::ManageMembers,
        authority.as_ref().map(|a| scope(a.id)),
    )?;
    let partner_id = match (input.role, &input.partner, &authority) {
        (Role::Partner, Some(slug), Some(a)) => Some(partner_at(&partners, a, slug)?.id),
        (Role::Partner, None, _) => {
            return Err(ApiError::invalid("partner", "a PARTNER role names its partner"));
        }
        (_, Some(_), _) => {
            return Err(ApiError::invalid(
                "partner",
                "only a PARTNER role names a partner",
            ));
        }
        _ => None,
    };
    if (input.role == Role::PlatformAdmin) != authority.is_none() {
        return Err(ApiError::invalid(
            "authority",
            "every role but PLATFORM_ADMIN is held at an authority, and PLATFORM_ADMIN at none",
        ));
    }
    let (issuer, subject, email) = match (&input.issuer, &input.subject, &input.email) {
        (Some(i), Some(s), None) => (
            // Any issuer's `iss`, the platform's own (`councilperf` by
            // default, not a URL) included.
            Some(token("issuer", i, 2048)?),
            Some(validate::text("subject", s, 256)?),
            None,
        ),
        (None, None, Some(e)) => (None, None, Some(email(e)?)),
        _ => {
            return Err(ApiError::invalid(
                "email",
                "name the person by issuer and subject, or by email: one of the two",
            ));
        }
    };
    let wanted = membership::Model {
        id: 0,
        authority_id: authority.as_ref().map(|a| a.id),
        role: input.role,
        partner_id,
        issuer,
        subject,
        email,
        granted_at: w.now,
        granted_by: w.actor.clone(),
    };
    if let Some(held) = store::directory::same_membership(&w.txn, &wanted).await? {
        return Ok(held);
    }
    let row = membership::ActiveModel {
        authority_id: Set(wanted.authority_id),
        role: Set(wanted.role),
        partner_id: Set(wanted.partner_id),
        issuer: Set(wanted.issuer),
        subject: Set(wanted.subject),
        email: Set(wanted.email),
        granted_at: Set(wanted.granted_at),
        granted_by: Set(wanted.granted_by),
        ..Default::default()
    };
    w.create("grantRole", "membership", row).await
}

/// Revokes a membership: it stops counting on the next request.
pub async fn revoke_role(w: &Write, viewer: &Viewer, id: async_graphql::ID) -> ApiResult<bool> {
    authorize_somewhere(viewer, Verb::ManageMembers)?;
    let n = validate::id::<membership::Entity>("id", &id)?;
    let m = store::directory::membership(&w.txn, n)
        .await?
        .ok_or_else(|| ApiError::invalid("id", format!("no membership {}", id.as_str())))?;
    authorize(viewer, Verb::ManageMembers, m.authority_id.map(scope))?;
    store::directory::revoke(w, &m).await?;
    Ok(true)
}

/// Who holds what at an authority, for its ADMINs.
pub async fn members(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    authority_id: i64,
) -> ApiResult<Vec<membership::Model>> {
    authorize(viewer, Verb::ManageMembers, Some(scope(authority_id)))?;
    store::directory::members(db, Some(authority_id)).await
}

/// Every registered provider, for PLATFORM_ADMINs.
pub async fn identity_providers(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
) -> ApiResult<Vec<identity_provider::Model>> {
    authorize(viewer, Verb::RegisterIdentityProvider, None)?;
    store::directory::providers(db).await
}
