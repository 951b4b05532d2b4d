//! Identity providers, the roles held in the service, and where each role
//! a signed-in person holds comes from (issue 23).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::identity::HeldRole;
use entity::model::{authority, identity_provider, membership, partner, role_mapping};
use entity::{Role, RoleSource};

use super::authority::{Authority, Partner};
use super::common::transact;
use crate::context::{database, request, rows};
use crate::directory::Directory;
use crate::error::{ApiError, Gql};
use crate::ids::{self, Kind};
use crate::inputs::{GrantRoleInput, RegisterIdentityProviderInput};
use crate::{service, store};

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// Every registered identity provider (PLATFORM_ADMIN).
    async fn identity_providers(&self, ctx: &Context<'_>) -> Result<Vec<IdentityProvider>> {
        let r = request(ctx)?;
        let providers = service::identity_providers(r.reader(), &r.viewer).await.gql()?;
        let mut out = Vec::with_capacity(providers.len());
        for p in providers {
            out.push(IdentityProvider::read(r.reader(), p).await?);
        }
        Ok(out)
    }
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// PLATFORM_ADMIN. Registering an issuer again replaces its registration.
    async fn register_identity_provider(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider.")] input: RegisterIdentityProviderInput,
    ) -> Result<IdentityProvider> {
        let platform = ctx
            .data::<Arc<Directory>>()
            .map_err(|e| ApiError::internal(e.message))
            .gql()?
            .platform_issuer()
            .to_owned();
        let row = transact!(ctx, service::register_identity_provider, input, &platform);
        IdentityProvider::read(database(ctx)?, row).await
    }
    /// An ADMIN of the authority (PLATFORM_ADMIN for platform roles).
    async fn grant_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The role and who holds it.")] input: GrantRoleInput,
    ) -> Result<Membership> {
        Ok(Membership(transact!(ctx, service::grant_role, input)))
    }
    /// An ADMIN of the role's authority: it stops counting on the next request.
    async fn revoke_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The membership's global id.")] id: ID,
    ) -> Result<bool> {
        Ok(transact!(ctx, service::revoke_role, id))
    }
}

async fn authority_of(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Authority>> {
    let Some(id) = id else { return Ok(None) };
    let found: Option<authority::Model> = rows(ctx)?.authority.load_one(id).await.gql()?;
    Ok(found.map(Authority))
}

async fn partner_of(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Partner>> {
    let Some(id) = id else { return Ok(None) };
    let found: Option<partner::Model> = rows(ctx)?.partner.load_one(id).await.gql()?;
    Ok(found.map(Partner))
}

/// A provider people sign in through, and what it may vouch for.
pub struct IdentityProvider {
    row: identity_provider::Model,
    authorities: Vec<i64>,
    mappings: Vec<role_mapping::Model>,
}

impl IdentityProvider {
    pub(super) async fn read(
        db: &impl sea_orm::ConnectionTrait,
        row: identity_provider::Model,
    ) -> Result<Self> {
        let (authorities, mappings) = store::directory::children(db, row.id).await.gql()?;
        Ok(IdentityProvider {
            row,
            authorities,
            mappings,
        })
    }
}

/// A provider people sign in through, and what it may vouch for.
#[Object]
impl IdentityProvider {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::IdentityProvider, self.row.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.row.id
    }
    /// Its `iss`, exactly as its tokens carry it.
    async fn issuer(&self) -> &str {
        &self.row.issuer
    }
    /// The `aud` its tokens for this service carry.
    async fn audience(&self) -> &str {
        &self.row.audience
    }
    /// Absent: the `jwks_uri` of its discovery document.
    async fn jwks_url(&self) -> Option<&str> {
        self.row.jwks_url.as_deref()
    }
    /// The client id a browser signs in with.
    async fn client_id(&self) -> Option<&str> {
        self.row.client_id.as_deref()
    }
    /// The scopes a browser asks for (`openid` is always asked).
    async fn scopes(&self) -> Vec<String> {
        serde_json::from_str(&self.row.scopes).unwrap_or_default()
    }
    /// The authorities it may vouch for.
    async fn authorities(&self, ctx: &Context<'_>) -> Result<Vec<Authority>> {
        let found: HashMap<i64, authority::Model> = rows(ctx)?
            .authority
            .load_many(self.authorities.iter().copied())
            .await
            .gql()?;
        Ok(self
            .authorities
            .iter()
            .filter_map(|a| found.get(a).cloned().map(Authority))
            .collect())
    }
    /// Set for a partner body's provider: its partner at the first of its
    /// authorities (the same slug at each).
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let (Some(slug), Some(first)) = (&self.row.partner_slug, self.authorities.first()) else {
            return Ok(None);
        };
        let partners = rows(ctx)?.partners_of_authority.load_one(*first).await.gql()?;
        Ok(partners
            .unwrap_or_default()
            .iter()
            .find(|p| &p.slug == slug)
            .cloned()
            .map(Partner))
    }
    /// The claim whose values `roleMap` maps.
    async fn role_claim(&self) -> Option<&str> {
        self.row.role_claim.as_deref()
    }
    /// Which claim values give which roles.
    async fn role_map(&self) -> Vec<RoleMapping> {
        self.mappings.iter().cloned().map(RoleMapping).collect()
    }
}

/// A value of a provider's role claim, and the role it brings.
pub struct RoleMapping(role_mapping::Model);

/// A value of a provider's role claim, and the role it brings.
#[Object]
impl RoleMapping {
    /// The claim's value.
    async fn claim_value(&self) -> &str {
        &self.0.claim_value
    }
    /// The role it gives.
    async fn role(&self) -> Role {
        self.0.role
    }
    /// The authority the role is held at.
    async fn authority(&self, ctx: &Context<'_>) -> Result<Option<Authority>> {
        authority_of(ctx, Some(self.0.authority_id)).await
    }
    /// For PARTNER: the partner it speaks for.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        partner_of(ctx, self.0.partner_id).await
    }
}

/// A role held in the service by a person named by issuer and subject, or
/// by email.
pub struct Membership(pub membership::Model);

/// A role held in the service by a person named by issuer and subject, or
/// by email (ADMINs of the authority see these).
#[Object]
impl Membership {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Membership, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Absent for platform roles.
    async fn authority(&self, ctx: &Context<'_>) -> Result<Option<Authority>> {
        authority_of(ctx, self.0.authority_id).await
    }
    /// The role.
    async fn role(&self) -> Role {
        self.0.role
    }
    /// For PARTNER: the partner it speaks for.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        partner_of(ctx, self.0.partner_id).await
    }
    /// The holder's `sub` at `issuer`; null when granted by email.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// The issuer of the holder's tokens; null when granted by email.
    async fn issuer(&self) -> Option<&str> {
        self.0.issuer.as_deref()
    }
    /// The holder's email, as their provider asserts it; null when granted by issuer and subject.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// When it was granted.
    async fn granted_at(&self) -> DateTime<Utc> {
        self.0.granted_at
    }
    /// Who granted it (the granter's subject).
    async fn granted_by(&self) -> &str {
        &self.0.granted_by
    }
}

/// A role the signed-in person holds, and where it comes from.
pub struct HeldRoleObject(pub HeldRole);

/// A role the signed-in person holds, and where it comes from.
#[Object(name = "HeldRole")]
impl HeldRoleObject {
    /// The authority it is held at; null for PLATFORM_ADMIN.
    async fn authority(&self, ctx: &Context<'_>) -> Result<Option<Authority>> {
        authority_of(ctx, self.0.authority_id).await
    }
    /// The role.
    async fn role(&self) -> Role {
        self.0.role
    }
    /// For PARTNER: the partner it speaks for.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        partner_of(ctx, self.0.partner_id).await
    }
    /// Where it comes from.
    async fn source(&self) -> RoleSource {
        self.0.source
    }
    /// For CLAIM_MAPPING: the claim value it was mapped from.
    async fn claim(&self) -> Option<&str> {
        self.0.claim.as_deref()
    }
}

/// Who holds what at an authority (its ADMINs).
pub(super) async fn members(ctx: &Context<'_>, authority_id: i64) -> Result<Vec<Membership>> {
    let r = request(ctx)?;
    Ok(service::members(r.reader(), &r.viewer, authority_id)
        .await
        .gql()?
        .into_iter()
        .map(Membership)
        .collect())
}
