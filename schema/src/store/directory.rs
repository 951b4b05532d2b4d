//! What decides a person's roles, read whole: authorities and partners (the
//! slugs a token's grants name), identity providers with the authorities
//! they vouch for and their claim mappings, and the roles held in the
//! service. A few thousand rows at national scale, read in one statement
//! when its version changes (`crate::directory`).

use entity::model::{
    authority, identity_provider, identity_provider_authority, membership, partner, role_mapping,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::together::{self, Part};
use super::write::Write;
use crate::error::ApiResult;

pub struct Rows {
    pub authorities: Vec<authority::Model>,
    pub partners: Vec<partner::Model>,
    pub providers: Vec<identity_provider::Model>,
    pub vouched: Vec<identity_provider_authority::Model>,
    pub mappings: Vec<role_mapping::Model>,
    pub memberships: Vec<membership::Model>,
}

pub async fn read(db: &impl ConnectionTrait) -> ApiResult<Rows> {
    let all = || Condition::all().add(Expr::cust("1 = 1"));
    let [a, p, ip, v, m, ms] = together::read(
        db,
        &[
            Part::rows::<authority::Entity>(all()),
            Part::rows::<partner::Entity>(all()),
            Part::rows::<identity_provider::Entity>(all()),
            Part::rows::<identity_provider_authority::Entity>(all()),
            Part::rows::<role_mapping::Entity>(all()),
            Part::rows::<membership::Entity>(all()),
        ],
    )
    .await?;
    Ok(Rows {
        authorities: a.decode()?,
        partners: p.decode()?,
        providers: ip.decode()?,
        vouched: v.decode()?,
        mappings: m.decode()?,
        memberships: ms.decode()?,
    })
}

/// What the audit log records of a provider: its row and what hangs on it.
#[derive(serde::Serialize)]
struct Registered<'a> {
    provider: &'a identity_provider::Model,
    authorities: &'a [i64],
    role_map: &'a [role_mapping::Model],
}

/// A provider as registered, or as it replaces the one of its issuer, with
/// the authorities it vouches for and its claim mappings (whose
/// `provider_id` is set here).
pub async fn register(
    w: &Write,
    issuer: &str,
    mut row: identity_provider::ActiveModel,
    authorities: &[i64],
    mappings: Vec<role_mapping::ActiveModel>,
) -> ApiResult<identity_provider::Model> {
    let old = identity_provider::Entity::find()
        .filter(identity_provider::Column::Issuer.eq(issuer.to_owned()))
        .one(&w.txn)
        .await?;
    let before = match &old {
        None => None,
        Some(p) => Some((p.clone(), children(&w.txn, p.id).await?)),
    };
    let saved = match &old {
        None => row.insert(&w.txn).await?,
        Some(p) => {
            row.id = Set(p.id);
            identity_provider_authority::Entity::delete_many()
                .filter(identity_provider_authority::Column::ProviderId.eq(p.id))
                .exec(&w.txn)
                .await?;
            role_mapping::Entity::delete_many()
                .filter(role_mapping::Column::ProviderId.eq(p.id))
                .exec(&w.txn)
                .await?;
            row.update(&w.txn).await?
        }
    };
    if !authorities.is_empty() {
        identity_provider_authority::Entity::insert_many(authorities.iter().map(|a| {
            identity_provider_authority::ActiveModel {
                provider_id: Set(saved.id),
                authority_id: Set(*a),
            }
        }))
        .exec(&w.txn)
        .await?;
    }
    let mut role_map = Vec::with_capacity(mappings.len());
    for mut m in mappings {
        m.provider_id = Set(saved.id);
        role_map.push(m.insert(&w.txn).await?);
    }
    let after = Registered {
        provider: &saved,
        authorities,
        role_map: &role_map,
    };
    let before = before.as_ref().map(|(p, (a, m))| Registered {
        provider: p,
        authorities: a,
        role_map: m,
    });
    w.audit(
        None,
        "registerIdentityProvider",
        "identityProvider",
        Some(saved.id),
        before.as_ref(),
        Some(&after),
    )
    .await?;
    Ok(saved)
}

/// A provider's authorities and claim mappings.
pub async fn children(
    db: &impl ConnectionTrait,
    provider_id: i64,
) -> ApiResult<(Vec<i64>, Vec<role_mapping::Model>)> {
    let [v, m] = together::read(
        db,
        &[
            Part::rows::<identity_provider_authority::Entity>(
                identity_provider_authority::Column::ProviderId.eq(provider_id),
            ),
            Part::rows::<role_mapping::Entity>(role_mapping::Column::ProviderId.eq(provider_id)),
        ],
    )
    .await?;
    let vouched: Vec<identity_provider_authority::Model> = v.decode()?;
    Ok((vouched.into_iter().map(|v| v.authority_id).collect(), m.decode()?))
}

pub async fn providers(db: &impl ConnectionTrait) -> ApiResult<Vec<identity_provider::Model>> {
    Ok(identity_provider::Entity::find()
        .order_by_asc(identity_provider::Column::Issuer)
        .all(db)
        .await?)
}

/// The membership that holds exactly this role for exactly this person.
pub async fn same_membership(
    db: &impl ConnectionTrait,
    m: &membership::Model,
) -> ApiResult<Option<membership::Model>> {
    let is = |col: membership::Column, v: &Option<String>| match v {
        Some(v) => col.eq(v.clone()),
        None => col.is_null(),
    };
    let id_is = |col: membership::Column, v: Option<i64>| match v {
        Some(v) => col.eq(v),
        None => col.is_null(),
    };
    Ok(membership::Entity::find()
        .filter(id_is(membership::Column::AuthorityId, m.authority_id))
        .filter(membership::Column::Role.eq(m.role))
        .filter(id_is(membership::Column::PartnerId, m.partner_id))
        .filter(is(membership::Column::Issuer, &m.issuer))
        .filter(is(membership::Column::Subject, &m.subject))
        .filter(is(membership::Column::Email, &m.email))
        .one(db)
        .await?)
}

pub async fn membership(db: &impl ConnectionTrait, id: i64) -> ApiResult<Option<membership::Model>> {
    Ok(membership::Entity::find_by_id(id).one(db).await?)
}

/// The roles held at an authority (`None`: platform roles), oldest first.
pub async fn members(
    db: &impl ConnectionTrait,
    authority_id: Option<i64>,
) -> ApiResult<Vec<membership::Model>> {
    let at = match authority_id {
        Some(a) => membership::Column::AuthorityId.eq(a),
        None => membership::Column::AuthorityId.is_null(),
    };
    Ok(membership::Entity::find()
        .filter(at)
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?)
}

/// Removes a membership, auditing it.
pub async fn revoke(w: &Write, m: &membership::Model) -> ApiResult<()> {
    membership::Entity::delete_by_id(m.id).exec(&w.txn).await?;
    w.audit(
        m.authority_id,
        "revokeRole",
        "membership",
        Some(m.id),
        Some(m),
        None,
    )
    .await
}
