//! The reads of the feeds: keyset pages of stored results, and their count.
//! Each is one statement, whatever the filter.

use chrono::NaiveDate;
use entity::model::{authority, measure, metric, partner, result};
use entity::{MeasureKind, Period};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::ApiResult;

/// Which results a feed reads, every name already resolved to ids: a list
/// that is `Some` and empty matches nothing.
#[derive(Clone, Debug, Default)]
pub struct ResultScope {
    pub authorities: Option<Vec<i64>>,
    pub partners: Option<Vec<i64>>,
    pub metrics: Option<Vec<i64>>,
    pub plan: Option<i64>,
    pub node: Option<i64>,
    pub measure: Option<i64>,
    pub kind: Option<MeasureKind>,
    /// Results whose period starts on or after this day.
    pub from: Option<NaiveDate>,
    /// Results whose period starts on or before this day.
    pub to: Option<NaiveDate>,
}

/// A result as a feed pages it: its id is the sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResultKey {
    pub id: i64,
    pub measure_id: i64,
    pub period: Period,
}

/// Live measures matching the scope, as a subquery.
fn measures_of(scope: &ResultScope) -> SelectStatement {
    use measure::Column as M;
    let mut c = Condition::all().add(M::Archived.eq(false));
    if let Some(a) = &scope.authorities {
        c = c.add(M::AuthorityId.is_in(a.iter().copied()));
    }
    if let Some(p) = &scope.partners {
        c = c.add(M::PartnerId.is_in(p.iter().copied()));
    }
    if let Some(m) = &scope.metrics {
        c = c.add(M::MetricId.is_in(m.iter().copied()));
    }
    if let Some(p) = scope.plan {
        c = c.add(M::PlanId.eq(p));
    }
    if let Some(n) = scope.node {
        c = c.add(M::NodeId.eq(n));
    }
    if let Some(m) = scope.measure {
        c = c.add(M::Id.eq(m));
    }
    if let Some(k) = scope.kind {
        c = c.add(M::Kind.eq(k));
    }
    Query::select()
        .column(M::Id)
        .from(measure::Entity)
        .cond_where(c)
        .to_owned()
}

fn results_condition(scope: &ResultScope) -> Condition {
    use result::Column as R;
    let mut c = Condition::all().add(R::MeasureId.in_subquery(measures_of(scope)));
    if let Some(from) = scope.from {
        c = c.add(R::PeriodStart.gte(from));
    }
    if let Some(to) = scope.to {
        c = c.add(R::PeriodStart.lte(to));
    }
    c
}

/// Up to `limit` results of the scope with ids strictly between `after` and
/// `before`, ascending by id, or descending when `backward`.
pub async fn result_keys(
    db: &impl ConnectionTrait,
    scope: &ResultScope,
    after: Option<i64>,
    before: Option<i64>,
    backward: bool,
    limit: u64,
) -> ApiResult<Vec<ResultKey>> {
    use result::Column as R;
    let mut q = result::Entity::find()
        .select_only()
        .columns([R::Id, R::MeasureId, R::Period])
        .filter(results_condition(scope));
    if let Some(a) = after {
        q = q.filter(R::Id.gt(a));
    }
    if let Some(b) = before {
        q = q.filter(R::Id.lt(b));
    }
    let order = if backward { Order::Desc } else { Order::Asc };
    let rows: Vec<(i64, i64, Period)> = q.order_by(R::Id, order).limit(limit).into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, measure_id, period)| ResultKey {
            id,
            measure_id,
            period,
        })
        .collect())
}

/// Results of the scope counted by what decides whether a viewer sees
/// them: one statement, one row per measure scope (plan, authority, kind,
/// partner) and period. The caller decides visibility per row, as it
/// depends on publications and the viewer's roles.
pub struct ResultCount {
    pub plan_id: i64,
    pub authority_id: i64,
    pub kind: MeasureKind,
    pub partner_id: Option<i64>,
    pub period: Period,
    pub count: i64,
}

pub async fn result_counts(db: &impl ConnectionTrait, scope: &ResultScope) -> ApiResult<Vec<ResultCount>> {
    use measure::Column as M;
    use result::Column as R;
    let m = |c: M| Expr::col((measure::Entity, c));
    let q = Query::select()
        .expr_as(m(M::PlanId), Alias::new("plan_id"))
        .expr_as(m(M::AuthorityId), Alias::new("authority_id"))
        .expr_as(m(M::Kind), Alias::new("kind"))
        .expr_as(m(M::PartnerId), Alias::new("partner_id"))
        .expr_as(Expr::col((result::Entity, R::Period)), Alias::new("period"))
        .expr_as(Expr::col((result::Entity, R::Id)).count(), Alias::new("n"))
        .from(result::Entity)
        .inner_join(
            measure::Entity,
            Expr::col((measure::Entity, M::Id)).equals((result::Entity, R::MeasureId)),
        )
        .cond_where(results_condition(scope))
        .group_by_col((measure::Entity, M::PlanId))
        .group_by_col((measure::Entity, M::AuthorityId))
        .group_by_col((measure::Entity, M::Kind))
        .group_by_col((measure::Entity, M::PartnerId))
        .group_by_col((result::Entity, R::Period))
        .to_owned();
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        out.push(ResultCount {
            plan_id: row.try_get("", "plan_id")?,
            authority_id: row.try_get("", "authority_id")?,
            kind: row.try_get("", "kind")?,
            partner_id: row.try_get("", "partner_id")?,
            period: row.try_get("", "period")?,
            count: row.try_get("", "n")?,
        });
    }
    Ok(out)
}

/// The ids a feed's filter names by slug or code, in one statement each:
/// authorities and partners by slug, metrics by code. Names that cannot be
/// slugs never reach SQL.
pub async fn ids_named(
    db: &impl ConnectionTrait,
    authority: Option<&str>,
    partner: Option<&str>,
    metric: Option<&str>,
) -> ApiResult<(Option<Vec<i64>>, Option<Vec<i64>>, Option<Vec<i64>>)> {
    let slug = |s: &str| entity::values::is_slug(s).then(|| s.to_owned());
    let authorities = match authority {
        Some(a) => Some(match slug(a) {
            Some(a) => {
                ids(
                    db,
                    authority::Entity::find().filter(authority::Column::Slug.eq(a)),
                )
                .await?
            }
            None => Vec::new(),
        }),
        None => None,
    };
    let partners = match partner {
        Some(p) => Some(match slug(p) {
            Some(p) => ids(db, partner::Entity::find().filter(partner::Column::Slug.eq(p))).await?,
            None => Vec::new(),
        }),
        None => None,
    };
    let metrics = match metric {
        // A NUL byte is refused by PostgreSQL outright, and is no code.
        Some(m) if m.contains('\0') => Some(Vec::new()),
        Some(m) => Some(ids(db, metric::Entity::find().filter(metric::Column::Code.eq(m))).await?),
        None => None,
    };
    Ok((authorities, partners, metrics))
}

async fn ids<E: EntityTrait>(db: &impl ConnectionTrait, q: sea_orm::Select<E>) -> ApiResult<Vec<i64>> {
    let Some(id) = super::id_column::<E>() else {
        return Ok(Vec::new());
    };
    Ok(q.select_only().column(id).into_tuple().all(db).await?)
}
