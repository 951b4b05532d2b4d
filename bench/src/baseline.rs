//! The hand-written baseline for the dashboard (operation a): one actix-web
//! handler that sends the server's statements for it with sqlx on one pooled
//! connection, rates each measure with the same domain code, and writes the
//! GraphQL answer's JSON by hand. No GraphQL, no ORM, no loaders: what the
//! server spends beyond this is what those layers cost.
//!
//! It takes the authority and period from the path and skips token checks
//! and visibility rules (the harness's officer may read every result), so
//! it sends the same eight statements and returns the same JSON as the
//! server's answer to the harness's dashboard query.

use std::collections::HashMap;
use std::str::FromStr;

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use entity::model::{measure, plan};
use entity::rating::{self, Goal, MeasureRules};
use entity::{Num, Period};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::ActiveEnum;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row};

type Rows = anyhow::Result<Vec<PgRow>>;

/// `$first, …` for `n` parameters.
fn params(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn fetch_in(conn: &mut PgConnection, sql: &str, ids: &[i64]) -> Rows {
    // Only placeholders are formatted in; every value is bound.
    let sql = AssertSqlSafe(sql.replace("{ids}", &params(1, ids.len())));
    let mut q = sqlx::query::<Postgres>(sql);
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(&mut *conn).await?)
}

async fn fetch_values(
    conn: &mut PgConnection,
    columns: &str,
    table: &str,
    ids: &[i64],
    periods: &[Period],
) -> Rows {
    let sql = AssertSqlSafe(format!(
        "SELECT {columns} FROM {table} WHERE measure_id IN ({}) AND period IN ({})",
        params(1, ids.len()),
        params(ids.len() + 1, periods.len())
    ));
    let mut q = sqlx::query::<Postgres>(sql);
    for id in ids {
        q = q.bind(*id);
    }
    for p in periods {
        q = q.bind(p.to_string());
    }
    Ok(q.fetch_all(&mut *conn).await?)
}

fn vocab<E: ActiveEnum<Value = String>>(row: &PgRow, i: usize) -> anyhow::Result<E> {
    E::try_from_value(&row.try_get::<String, _>(i)?).map_err(|e| anyhow::anyhow!("{e}"))
}

fn num(text: &str) -> anyhow::Result<Decimal> {
    Decimal::from_str(text).context("a stored number")
}

fn period(row: &PgRow, i: usize) -> anyhow::Result<Period> {
    Ok(row.try_get::<String, _>(i)?.parse()?)
}

fn opt_num(r: &PgRow, i: usize) -> anyhow::Result<Option<Num>> {
    r.try_get::<Option<String>, _>(i)?
        .map(|s| num(&s).map(Num))
        .transpose()
}

fn plan_of(r: &PgRow) -> anyhow::Result<plan::Model> {
    Ok(plan::Model {
        id: r.try_get(0)?,
        authority_id: r.try_get(1)?,
        title: r.try_get(2)?,
        kind: vocab(r, 3)?,
        rag_method: vocab(r, 4)?,
        amber_tolerance_percent: Num(num(r.try_get(5)?)?),
        direction_method: vocab(r, 6)?,
        stable_band_percent: Num(num(r.try_get(7)?)?),
        trend_periods: r.try_get(8)?,
        from_year: None,
        to_year: None,
        archived: r.try_get(11)?,
        amber_tolerance_units: opt_num(r, 12)?,
        blue_margin_percent: opt_num(r, 13)?,
        blue_margin_units: opt_num(r, 14)?,
        rate_provisional: r.try_get(15)?,
    })
}

fn measure_of(r: &PgRow) -> anyhow::Result<measure::Model> {
    Ok(measure::Model {
        id: r.try_get(0)?,
        authority_id: r.try_get(1)?,
        plan_id: r.try_get(2)?,
        node_id: r.try_get(3)?,
        code: r.try_get(4)?,
        title: r.try_get(5)?,
        unit: vocab(r, 6)?,
        polarity: vocab(r, 7)?,
        kind: vocab(r, 8)?,
        frequency: vocab(r, 9)?,
        partner_id: r.try_get(10)?,
        rag_method: r
            .try_get::<Option<String>, _>(11)?
            .map(|s| entity::RagMethod::try_from_value(&s))
            .transpose()
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        amber_tolerance_percent: opt_num(r, 12)?,
        position: r.try_get(13)?,
        archived: r.try_get(14)?,
        amber_tolerance_units: opt_num(r, 15)?,
        blue_margin_percent: opt_num(r, 16)?,
        blue_margin_units: opt_num(r, 17)?,
        rate_provisional: r.try_get(18)?,
        // The dashboard rates; it neither benchmarks nor forecasts.
        metric_id: None,
        forecast_method: None,
        definitions: r
            .try_get::<Option<String>, _>(21)?
            .map(|s| s.parse().map_err(|e| anyhow::anyhow!("stored definitions: {e}")))
            .transpose()?,
        accumulation: vocab(r, 19)?,
        target_profile: r
            .try_get::<Option<String>, _>(20)?
            .map(|s| {
                s.parse()
                    .map_err(|e| anyhow::anyhow!("a stored target profile: {e}"))
            })
            .transpose()?,
    })
}

fn float(d: Decimal) -> Value {
    d.to_f64().map_or(Value::Null, Value::from)
}

async fn dashboard(pool: &PgPool, slug: &str, at: Period) -> anyhow::Result<Value> {
    // One connection for the whole request, as the server's snapshot holds.
    let mut held = pool.acquire().await?;
    let conn: &mut PgConnection = &mut held;
    let authorities = sqlx::query::<Postgres>(
        "SELECT id, slug, name, kind, created_at FROM authorities WHERE slug IN ($1)",
    )
    .bind(slug)
    .fetch_all(&mut *conn)
    .await?;
    let Some(authority) = authorities.first() else {
        return Ok(json!({ "data": { "authority": null } }));
    };
    let authority_id: i64 = authority.try_get(0)?;
    fetch_in(
        &mut *conn,
        "SELECT id, authority_id, slug, name FROM partners WHERE authority_id IN ({ids}) ORDER BY id",
        &[authority_id],
    )
    .await?;
    let plans = fetch_in(
        &mut *conn,
        "SELECT id, authority_id, title, kind, rag_method, amber_tolerance_percent, direction_method, \
         stable_band_percent, trend_periods, from_year, to_year, archived, amber_tolerance_units, \
         blue_margin_percent, blue_margin_units, rate_provisional FROM plans \
         WHERE authority_id IN ({ids}) ORDER BY id",
        &[authority_id],
    )
    .await?
    .iter()
    .map(plan_of)
    .collect::<anyhow::Result<Vec<_>>>()?;
    let plan_ids: Vec<i64> = plans.iter().filter(|p| !p.archived).map(|p| p.id).collect();
    let nodes = fetch_in(
        &mut *conn,
        "SELECT id, parent_id, code, title, plan_id FROM plan_nodes WHERE plan_id IN ({ids}) \
         ORDER BY position, id",
        &plan_ids,
    )
    .await?;
    let measures = fetch_in(
        &mut *conn,
        "SELECT id, authority_id, plan_id, node_id, code, title, unit, polarity, kind, frequency, \
         partner_id, rag_method, amber_tolerance_percent, position, archived, amber_tolerance_units, \
         blue_margin_percent, blue_margin_units, rate_provisional, accumulation, target_profile, \
         definitions FROM measures \
         WHERE plan_id IN ({ids}) ORDER BY position, id",
        &plan_ids,
    )
    .await?
    .iter()
    .map(measure_of)
    .collect::<anyhow::Result<Vec<_>>>()?;
    fetch_in(
        &mut *conn,
        "SELECT id, authority_id, plan_id, period, published_by, published_at FROM publications \
         WHERE plan_id IN ({ids}) ORDER BY id",
        &plan_ids,
    )
    .await?;
    let by_plan: HashMap<i64, &plan::Model> = plans.iter().map(|p| (p.id, p)).collect();
    let rules: HashMap<i64, MeasureRules> = measures
        .iter()
        .filter_map(|m| Some((m.id, MeasureRules::of(m, by_plan.get(&m.plan_id)?))))
        .collect();
    let ids: Vec<i64> = measures.iter().map(|m| m.id).collect();
    let mut periods: Vec<Period> = rules.values().flat_map(|r| rating::inputs(r, &at)).collect();
    periods.sort();
    periods.dedup();
    let results = fetch_values(
        conn,
        "id, measure_id, period, value, restated",
        "results",
        &ids,
        &periods,
    )
    .await?;
    let targets = fetch_values(
        conn,
        "measure_id, period, target, floor",
        "targets",
        &ids,
        &periods,
    )
    .await?;
    let mut values: HashMap<(i64, Period), Decimal> = HashMap::new();
    for r in &results {
        values.insert((r.try_get(1)?, period(r, 2)?), num(r.try_get(3)?)?);
    }
    let mut goals: HashMap<(i64, Period), Goal> = HashMap::new();
    for t in &targets {
        let floor: Option<&str> = t.try_get(3)?;
        goals.insert(
            (t.try_get(0)?, period(t, 1)?),
            Goal {
                target: num(t.try_get(2)?)?,
                floor: floor.map(num).transpose()?,
            },
        );
    }
    let measure_json = |node_id: i64| -> Vec<Value> {
        measures
            .iter()
            .filter(|m| !m.archived && m.node_id == Some(node_id))
            .filter_map(|m| {
                let rated = rating::rate(
                    rules.get(&m.id)?,
                    &at,
                    |p| values.get(&(m.id, *p)).copied(),
                    |p| goals.get(&(m.id, *p)).copied(),
                );
                Some(json!({
                    "code": m.code, "title": m.title,
                    "result": {
                        "value": rated.value.map_or(Value::Null, float),
                        "target": rated.target.map_or(Value::Null, float),
                        "status": rated.status, "direction": rated.direction,
                    }
                }))
            })
            .collect()
    };
    let node_json = |plan_id: i64, parent: Option<i64>| -> anyhow::Result<Vec<(i64, Value)>> {
        let mut out = Vec::new();
        for n in &nodes {
            if n.try_get::<i64, _>(4)? == plan_id && n.try_get::<Option<i64>, _>(1)? == parent {
                let code: String = n.try_get(2)?;
                let title: String = n.try_get(3)?;
                out.push((n.try_get(0)?, json!({ "code": code, "title": title })));
            }
        }
        Ok(out)
    };
    let mut plans_json = Vec::new();
    for p in &plan_ids {
        let mut roots = Vec::new();
        for (id, mut root) in node_json(*p, None)? {
            let children: Vec<Value> = node_json(*p, Some(id))?
                .into_iter()
                .map(|(cid, mut child)| {
                    child["measures"] = Value::from(measure_json(cid));
                    child
                })
                .collect();
            root["children"] = Value::from(children);
            roots.push(root);
        }
        plans_json.push(json!({ "nodes": roots }));
    }
    Ok(json!({ "data": { "authority": { "plans": plans_json } } }))
}

async fn handle(pool: web::Data<PgPool>, path: web::Path<(String, String)>) -> HttpResponse {
    let (slug, at) = path.into_inner();
    let answer = match at.parse::<Period>() {
        Ok(at) => dashboard(&pool, &slug, at).await,
        Err(e) => Err(e.into()),
    };
    match answer {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(e) => {
            HttpResponse::InternalServerError().json(json!({ "errors": [{ "message": e.to_string() }] }))
        }
    }
}

/// Serves `GET /dashboard/{slug}/{period}` until stopped.
pub async fn serve(database_url: &str, bind: &str, pool_size: u32) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(pool_size)
        .test_before_acquire(false)
        .connect(database_url)
        .await?;
    let data = web::Data::new(pool);
    HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/dashboard/{slug}/{period}", web::get().to(handle))
    })
    .bind(bind)?
    .run()
    .await?;
    Ok(())
}
