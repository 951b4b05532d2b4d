//! The reads of the measures list across authorities: keyset pages in a
//! chosen order, and their count. Each is one statement, whatever the
//! filter.

use entity::MeasureKind;
use entity::model::{authority, measure, plan};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, LikeExpr, Order, Query, SelectStatement};

use crate::error::ApiResult;

/// Which measures the list reads, every name already resolved to ids: a
/// list that is `Some` and empty matches nothing.
#[derive(Clone, Debug, Default)]
pub struct MeasureScope {
    pub authorities: Option<Vec<i64>>,
    pub partners: Option<Vec<i64>>,
    pub metrics: Option<Vec<i64>>,
    pub plan: Option<i64>,
    pub kind: Option<MeasureKind>,
    /// Text found in the code or the title, whatever its case.
    pub text: Option<String>,
}

/// What the list is ordered by; the id always breaks ties, so the order is
/// total and a cursor names one place in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeasureSort {
    Code,
    Title,
    /// The authority's slug, then the code.
    Authority,
    Id,
}

/// A measure's place in the order: its sort columns, then its id.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MeasureKey {
    pub sort: Vec<String>,
    pub id: i64,
}

/// The order of a page: what it sorts by, and whether descending.
#[derive(Clone, Copy, Debug)]
pub struct MeasureOrder {
    pub sort: MeasureSort,
    pub descending: bool,
}

impl MeasureOrder {
    fn columns(self) -> Vec<Expr> {
        use measure::Column as M;
        let m = |c: M| Expr::col((measure::Entity, c));
        match self.sort {
            MeasureSort::Code => vec![m(M::Code)],
            MeasureSort::Title => vec![m(M::Title)],
            MeasureSort::Authority => vec![
                Expr::col((authority::Entity, authority::Column::Slug)),
                m(M::Code),
            ],
            MeasureSort::Id => Vec::new(),
        }
    }
}

/// Live measures of live plans matching the scope: what a plan's and a
/// node's lists show, across plans.
fn matching(scope: &MeasureScope) -> SelectStatement {
    use measure::Column as M;
    let m = |c: M| Expr::col((measure::Entity, c));
    let mut c = Condition::all()
        .add(m(M::Archived).eq(false))
        .add(Expr::col((plan::Entity, plan::Column::Archived)).eq(false));
    if let Some(a) = &scope.authorities {
        c = c.add(m(M::AuthorityId).is_in(a.iter().copied()));
    }
    if let Some(p) = &scope.partners {
        c = c.add(m(M::PartnerId).is_in(p.iter().copied()));
    }
    if let Some(x) = &scope.metrics {
        c = c.add(m(M::MetricId).is_in(x.iter().copied()));
    }
    if let Some(p) = scope.plan {
        c = c.add(m(M::PlanId).eq(p));
    }
    if let Some(k) = scope.kind {
        c = c.add(m(M::Kind).eq(k));
    }
    if let Some(t) = &scope.text {
        let pattern = format!("%{}%", escape_like(&t.to_lowercase()));
        let like = |col: M| Expr::expr(Func::lower(m(col))).like(LikeExpr::new(pattern.clone()).escape('\\'));
        c = c.add(Condition::any().add(like(M::Code)).add(like(M::Title)));
    }
    Query::select()
        .from(measure::Entity)
        .inner_join(
            plan::Entity,
            Expr::col((plan::Entity, plan::Column::Id)).equals((measure::Entity, M::PlanId)),
        )
        .inner_join(
            authority::Entity,
            Expr::col((authority::Entity, authority::Column::Id)).equals((measure::Entity, M::AuthorityId)),
        )
        .cond_where(c)
        .to_owned()
}

/// A text matched literally by LIKE: its wildcards escaped.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Rows whose key comes strictly after `key` in ascending order of
/// `columns` then id (`greater`), or strictly before (`!greater`).
fn beyond(columns: &[Expr], key: &MeasureKey, greater: bool) -> Condition {
    let cmp = |e: Expr, v: sea_orm::Value| if greater { e.gt(v) } else { e.lt(v) };
    let id = Expr::col((measure::Entity, measure::Column::Id));
    let mut any = Condition::any();
    for i in 0..=columns.len() {
        let mut all = Condition::all();
        for (c, v) in columns.iter().zip(&key.sort).take(i) {
            all = all.add(c.clone().eq(v.clone()));
        }
        all = match (columns.get(i), key.sort.get(i)) {
            (Some(c), Some(v)) => all.add(cmp(c.clone(), v.clone().into())),
            _ => all.add(cmp(id.clone(), key.id.into())),
        };
        any = any.add(all);
    }
    any
}

/// Up to `limit` measures of the scope strictly between `after` and
/// `before` in `order`, read from the end when `backward`.
pub async fn measure_keys(
    db: &impl ConnectionTrait,
    scope: &MeasureScope,
    order: MeasureOrder,
    after: Option<&MeasureKey>,
    before: Option<&MeasureKey>,
    backward: bool,
    limit: u64,
) -> ApiResult<Vec<MeasureKey>> {
    let columns = order.columns();
    let mut q = matching(scope);
    q.expr_as(
        Expr::col((measure::Entity, measure::Column::Id)),
        Alias::new("id"),
    );
    for (i, c) in columns.iter().enumerate() {
        q.expr_as(c.clone(), Alias::new(format!("s{i}")));
    }
    if let Some(a) = after {
        q.cond_where(beyond(&columns, a, !order.descending));
    }
    if let Some(b) = before {
        q.cond_where(beyond(&columns, b, order.descending));
    }
    let dir = if order.descending != backward {
        Order::Desc
    } else {
        Order::Asc
    };
    for c in &columns {
        q.order_by_expr(c.clone(), dir.clone());
    }
    q.order_by_expr(Expr::col((measure::Entity, measure::Column::Id)), dir);
    q.limit(limit);
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        let mut sort = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            sort.push(row.try_get("", &format!("s{i}"))?);
        }
        out.push(MeasureKey {
            sort,
            id: row.try_get("", "id")?,
        });
    }
    Ok(out)
}

/// How many measures the scope holds.
pub async fn measure_count(db: &impl ConnectionTrait, scope: &MeasureScope) -> ApiResult<i64> {
    let mut q = matching(scope);
    q.expr_as(
        Expr::col((measure::Entity, measure::Column::Id)).count(),
        Alias::new("n"),
    );
    match db.query_one(&q).await? {
        Some(row) => Ok(row.try_get("", "n")?),
        None => Ok(0),
    }
}
