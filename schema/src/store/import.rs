//! Loading a whole authority (structure, targets, results, panels) in one
//! transaction. The demo councils come in through here, and so will real
//! councils' data: one path, so the demo proves it.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::model::{
    agenda_item, authority, measure, meeting, panel, panel_remit, partner, plan, plan_node, publication,
    result, target,
};
use entity::rules::{DEFAULT_AMBER_TOLERANCE_PERCENT, DEFAULT_STABLE_BAND_PERCENT, DEFAULT_TREND_PERIODS};
use entity::{
    AuthorityKind, DirectionMethod, Frequency, MeasureKind, Num, PanelKind, Period, PlanKind, Polarity,
    RagMethod, Unit,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};

/// One authority as an import file set describes it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    pub slug: String,
    pub name: String,
    pub kind: AuthorityKind,
    /// Provenance of the data, for people reading the files.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub partners: Vec<PartnerIn>,
    #[serde(default)]
    pub plans: Vec<PlanIn>,
    #[serde(default)]
    pub panels: Vec<PanelIn>,
    #[serde(default)]
    pub measures: Vec<MeasureRow>,
    #[serde(default)]
    pub targets: Vec<TargetRow>,
    #[serde(default)]
    pub results: Vec<ResultRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerIn {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanIn {
    /// How the other files refer to this plan.
    pub key: String,
    pub title: String,
    pub kind: PlanKind,
    pub rag_rule: RagRuleIn,
    #[serde(default)]
    pub direction_rule: Option<DirectionRuleIn>,
    #[serde(default)]
    pub from: Option<Period>,
    #[serde(default)]
    pub to: Option<Period>,
    #[serde(default)]
    pub published: Vec<Period>,
    #[serde(default)]
    pub nodes: Vec<NodeIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RagRuleIn {
    pub method: RagMethod,
    #[serde(default)]
    pub amber_tolerance_percent: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectionRuleIn {
    pub method: DirectionMethod,
    #[serde(default)]
    pub stable_band_percent: Option<Num>,
    #[serde(default)]
    pub trend_periods: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeIn {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub children: Vec<NodeIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelIn {
    pub name: String,
    pub kind: PanelKind,
    #[serde(default)]
    pub remit: RemitIn,
    #[serde(default)]
    pub meetings: Vec<MeetingIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemitIn {
    #[serde(default)]
    pub nodes: Vec<NodeRef>,
    #[serde(default)]
    pub measures: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRef {
    pub plan: String,
    pub code: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingIn {
    pub date: NaiveDate,
    pub title: String,
    #[serde(default)]
    pub agenda: Vec<AgendaIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaIn {
    pub title: String,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub period: Option<Period>,
    #[serde(default)]
    pub minutes: Option<String>,
    #[serde(default)]
    pub resolutions: Option<String>,
}

/// A row of `measures.csv`.
#[derive(Debug, Deserialize)]
pub struct MeasureRow {
    pub plan: String,
    pub node: String,
    pub code: String,
    pub title: String,
    pub unit: Unit,
    pub polarity: Polarity,
    pub kind: MeasureKind,
    pub frequency: Frequency,
    pub partner: Option<String>,
    pub rag_method: Option<RagMethod>,
    pub amber_tolerance_percent: Option<Num>,
}

/// A row of `targets.csv`.
#[derive(Debug, Deserialize)]
pub struct TargetRow {
    pub measure: String,
    pub period: Period,
    pub target: Num,
    pub floor: Option<Num>,
}

/// A row of `results.csv`.
#[derive(Debug, Deserialize)]
pub struct ResultRow {
    pub measure: String,
    pub period: Period,
    pub value: Num,
    pub note: Option<String>,
}

/// Who an import is recorded as.
const IMPORTER: &str = "import";

fn bad(msg: String) -> ApiError {
    ApiError::BadUserInput(msg)
}

fn lookup<'a, T>(map: &'a HashMap<String, T>, what: &str, key: &str) -> ApiResult<&'a T> {
    map.get(key).ok_or_else(|| bad(format!("unknown {what} `{key}`")))
}

fn position(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

/// Writes the bundle as a new authority, all or nothing.
pub async fn import(db: &DatabaseConnection, b: &Bundle) -> ApiResult<authority::Model> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let auth = authority::ActiveModel {
        slug: Set(b.slug.clone()),
        name: Set(b.name.clone()),
        kind: Set(b.kind),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let aid = auth.id;

    let mut partners = HashMap::new();
    for p in &b.partners {
        let m = partner::ActiveModel {
            authority_id: Set(aid),
            slug: Set(p.slug.clone()),
            name: Set(p.name.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        partners.insert(p.slug.clone(), m.id);
    }

    // (plan key) -> plan id; (plan key, node code) -> node id.
    let mut plans = HashMap::new();
    let mut nodes: HashMap<String, i64> = HashMap::new();
    for p in &b.plans {
        let dir = p.direction_rule.as_ref();
        let m = plan::ActiveModel {
            authority_id: Set(aid),
            title: Set(p.title.clone()),
            kind: Set(p.kind),
            rag_method: Set(p.rag_rule.method),
            amber_tolerance_percent: Set(p
                .rag_rule
                .amber_tolerance_percent
                .unwrap_or(Num(DEFAULT_AMBER_TOLERANCE_PERCENT))),
            direction_method: Set(dir.map_or(DirectionMethod::PreviousPeriod, |d| d.method)),
            stable_band_percent: Set(dir
                .and_then(|d| d.stable_band_percent)
                .unwrap_or(Num(DEFAULT_STABLE_BAND_PERCENT))),
            trend_periods: Set(i32::try_from(
                dir.and_then(|d| d.trend_periods).unwrap_or(DEFAULT_TREND_PERIODS),
            )
            .map_err(|_| bad(format!("plan `{}`: trendPeriods is too large", p.key)))?),
            from_year: Set(p.from.map(|f| f.financial_year())),
            to_year: Set(p.to.map(|t| t.financial_year())),
            archived: Set(false),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        plans.insert(p.key.clone(), m.id);
        let mut stack: Vec<(Option<i64>, &NodeIn, usize)> = p
            .nodes
            .iter()
            .enumerate()
            .rev()
            .map(|(i, n)| (None, n, i))
            .collect();
        while let Some((parent, n, pos)) = stack.pop() {
            let node = plan_node::ActiveModel {
                authority_id: Set(aid),
                plan_id: Set(m.id),
                parent_id: Set(parent),
                code: Set(n.code.clone()),
                title: Set(n.title.clone()),
                position: Set(position(pos)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            nodes.insert(format!("{}/{}", p.key, n.code), node.id);
            stack.extend(
                n.children
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, c)| (Some(node.id), c, i)),
            );
        }
        publication::Entity::insert_many(p.published.iter().map(|period| publication::ActiveModel {
            authority_id: Set(aid),
            plan_id: Set(m.id),
            period: Set(*period),
            published_by: Set(IMPORTER.to_owned()),
            published_at: Set(now),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
    }

    // measure code -> (id, frequency)
    let mut measures = HashMap::new();
    for (i, r) in b.measures.iter().enumerate() {
        let plan_id = *lookup(&plans, "plan", &r.plan)?;
        let node_id = *lookup(&nodes, "node", &format!("{}/{}", r.plan, r.node))?;
        let partner_id = match (r.partner.as_deref(), r.kind) {
            (Some(slug), MeasureKind::Partnership) => Some(*lookup(&partners, "partner", slug)?),
            (None, MeasureKind::Partnership) => {
                return Err(bad(format!("partnership measure `{}` names no partner", r.code)));
            }
            (Some(_), _) => {
                return Err(bad(format!(
                    "measure `{}` has a partner but is not a partnership measure",
                    r.code
                )));
            }
            (None, _) => None,
        };
        let m = measure::ActiveModel {
            authority_id: Set(aid),
            plan_id: Set(plan_id),
            node_id: Set(Some(node_id)),
            code: Set(r.code.clone()),
            title: Set(r.title.clone()),
            unit: Set(r.unit),
            polarity: Set(r.polarity),
            kind: Set(r.kind),
            frequency: Set(r.frequency),
            partner_id: Set(partner_id),
            rag_method: Set(r.rag_method),
            amber_tolerance_percent: Set(r.amber_tolerance_percent),
            position: Set(position(i)),
            archived: Set(false),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if measures.insert(r.code.clone(), (m.id, r.frequency)).is_some() {
            return Err(ApiError::Conflict(format!(
                "measure code `{}` appears twice",
                r.code
            )));
        }
    }

    let targets: Vec<target::ActiveModel> = b
        .targets
        .iter()
        .map(|t| {
            let (measure_id, _) = *lookup(&measures, "measure", &t.measure)?;
            Ok(target::ActiveModel {
                authority_id: Set(aid),
                measure_id: Set(measure_id),
                period: Set(t.period),
                target: Set(t.target),
                floor: Set(t.floor),
                set_by: Set(IMPORTER.to_owned()),
                set_at: Set(now),
                ..Default::default()
            })
        })
        .collect::<ApiResult<_>>()?;
    for chunk in targets.chunks(500) {
        target::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }

    let results: Vec<result::ActiveModel> = b
        .results
        .iter()
        .map(|r| {
            let (measure_id, frequency) = *lookup(&measures, "measure", &r.measure)?;
            if r.period.kind() != frequency.period_kind() {
                return Err(bad(format!(
                    "result for `{}` in {}: the measure reports {:?}",
                    r.measure, r.period, frequency
                )));
            }
            Ok(result::ActiveModel {
                authority_id: Set(aid),
                measure_id: Set(measure_id),
                period: Set(r.period),
                period_start: Set(r.period.start_date()),
                value: Set(r.value),
                note: Set(r.note.clone()),
                submitted_by: Set(IMPORTER.to_owned()),
                submitted_at: Set(now),
                restated: Set(false),
                version: Set(1),
                ..Default::default()
            })
        })
        .collect::<ApiResult<_>>()?;
    for chunk in results.chunks(500) {
        result::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }

    for p in &b.panels {
        let pm = panel::ActiveModel {
            authority_id: Set(aid),
            name: Set(p.name.clone()),
            kind: Set(p.kind),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let mut remit = Vec::new();
        for n in &p.remit.nodes {
            let node_id = *lookup(&nodes, "node", &format!("{}/{}", n.plan, n.code))?;
            remit.push((Some(node_id), None));
        }
        for code in &p.remit.measures {
            remit.push((None, Some(lookup(&measures, "measure", code)?.0)));
        }
        panel_remit::Entity::insert_many(remit.into_iter().map(|(node_id, measure_id)| {
            panel_remit::ActiveModel {
                authority_id: Set(aid),
                panel_id: Set(pm.id),
                node_id: Set(node_id),
                measure_id: Set(measure_id),
                ..Default::default()
            }
        }))
        .exec(&txn)
        .await?;
        for mt in &p.meetings {
            let mm = meeting::ActiveModel {
                authority_id: Set(aid),
                panel_id: Set(pm.id),
                held_on: Set(mt.date),
                title: Set(mt.title.clone()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let mut items = Vec::new();
            for (i, a) in mt.agenda.iter().enumerate() {
                let plan_id = match a.plan.as_deref() {
                    Some(k) => Some(*lookup(&plans, "plan", k)?),
                    None => None,
                };
                items.push(agenda_item::ActiveModel {
                    authority_id: Set(aid),
                    meeting_id: Set(mm.id),
                    position: Set(position(i)),
                    title: Set(a.title.clone()),
                    plan_id: Set(plan_id),
                    period: Set(a.period),
                    minutes: Set(a.minutes.clone()),
                    resolutions: Set(a.resolutions.clone()),
                    ..Default::default()
                });
            }
            agenda_item::Entity::insert_many(items).exec(&txn).await?;
        }
    }

    txn.commit().await?;
    Ok(auth)
}
