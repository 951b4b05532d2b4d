//! Rows of several tables in one statement: a request's round trips to the
//! database cost more than the rows they carry, so reads that always go
//! together (a plan's nodes, measures and publications; a rating's results
//! and targets) travel together.

use sea_orm::sea_query::{
    Alias, Condition, Expr, IntoCondition, JoinType, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryResult,
};

/// One table's share of a [`read`]: which of its columns, and which rows.
pub(crate) struct Part {
    table: &'static str,
    columns: Vec<&'static str>,
    filter: Condition,
}

impl Part {
    /// Every column of `E`: rows for its model.
    pub fn rows<E: EntityTrait>(filter: impl IntoCondition) -> Self {
        Self::columns::<E>(E::Column::iter(), filter)
    }

    /// Some columns of `E`: rows for a partial model.
    pub fn columns<E: EntityTrait>(
        columns: impl IntoIterator<Item = E::Column>,
        filter: impl IntoCondition,
    ) -> Self {
        Part {
            table: E::default().table_name(),
            columns: columns.into_iter().map(|c| c.as_str()).collect(),
            filter: filter.into_condition(),
        }
    }
}

/// The rows one part read, to be decoded as its model.
pub(crate) struct Rows {
    prefix: String,
    rows: Vec<QueryResult>,
}

impl Rows {
    pub fn decode<M: FromQueryResult>(&self) -> Result<Vec<M>, DbErr> {
        self.rows
            .iter()
            .map(|r| M::from_query_result(r, &self.prefix))
            .collect()
    }
}

fn prefix(part: usize) -> String {
    format!("p{part}_")
}

/// The column saying which part a row belongs to.
const PART: &str = "part";

/// One branch of the union: part `i`'s own rows, with the columns of every
/// part, NULL in the other parts' places. PostgreSQL needs those NULLs typed
/// (it resolves a bare NULL's type branch by branch, and two make `text`),
/// so there the other parts' tables are left-joined on a false condition,
/// which it plans as nothing. SQLite has no column types to reconcile, and
/// would scan such a table once per row, so there they are bare NULLs.
fn branch(parts: &[Part], i: usize, backend: DbBackend) -> SelectStatement {
    let typed = backend == DbBackend::Postgres;
    let mut q = Query::select();
    q.expr_as(Expr::cust(i.to_string()), Alias::new(PART));
    for (j, p) in parts.iter().enumerate() {
        for c in &p.columns {
            let value = if typed || j == i {
                Expr::col((Alias::new(p.table), Alias::new(*c)))
            } else {
                Expr::cust("NULL")
            };
            q.expr_as(value, Alias::new(format!("{}{c}", prefix(j))));
        }
    }
    let own = &parts[i];
    q.from(Alias::new(own.table));
    for (j, p) in parts.iter().enumerate() {
        if typed && j != i {
            q.join(JoinType::LeftJoin, Alias::new(p.table), Expr::cust("1 = 0"));
        }
    }
    q.cond_where(own.filter.clone());
    q
}

/// Reads every part's rows in one statement (a UNION ALL, one branch per
/// part; the parts name distinct tables), and hands each part its rows.
pub(crate) async fn read<const N: usize>(
    db: &impl ConnectionTrait,
    parts: &[Part; N],
) -> Result<[Rows; N], DbErr> {
    let mut out: [Rows; N] = std::array::from_fn(|i| Rows {
        prefix: prefix(i),
        rows: Vec::new(),
    });
    let backend = db.get_database_backend();
    let Some(mut q) = (N > 0).then(|| branch(parts, 0, backend)) else {
        return Ok(out);
    };
    for i in 1..N {
        q.union(UnionType::All, branch(parts, i, backend));
    }
    for row in db.query_all(&q).await? {
        let part: i32 = row.try_get("", PART)?;
        let slot = usize::try_from(part)
            .ok()
            .and_then(|p| out.get_mut(p))
            .ok_or_else(|| DbErr::Type(format!("a row of no part ({part})")))?;
        slot.rows.push(row);
    }
    Ok(out)
}
