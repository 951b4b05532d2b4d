//! Importing a whole authority (structure, targets, results, panels) from
//! its files, all or nothing. The files become the inputs a client would
//! send, and go through the same use cases as the mutations, in one
//! transaction: whatever a mutation refuses, an import refuses, naming the
//! file, the row and the column. The demo councils come in through here.

mod bundle;
mod reference;
mod replay;
pub mod sheet;

pub use bundle::*;
pub use reference::import_reference;

use std::collections::HashMap;

use async_graphql::ID;
use chrono::{DateTime, Utc};
use entity::model::authority;
use entity::{Accumulation, Num, Role, RoleSource};
use sea_orm::DatabaseConnection;

use crate::error::{ApiError, ApiResult, Code};
use crate::ids::{self, Kind};
use crate::inputs::*;
use crate::policy::{Grant, Viewer};
use crate::scalars::Date;
use crate::service::validate::MAX_ITEMS;
use crate::store::write::Write;

/// The viewer an import runs as: `subject` (the CLI's `--as`) holding the
/// platform role, since whoever runs the CLI holds the database already.
pub fn importer(subject: &str) -> Viewer {
    Viewer::User {
        subject: subject.to_owned(),
        name: None,
        issuer: "councilperf import".to_owned(),
        email: None,
        grants: vec![Grant {
            role: Role::PlatformAdmin,
            authority_id: None,
            partner_id: None,
            source: RoleSource::Service,
            claim: None,
        }],
    }
}

/// Writes the bundle as a new authority, all or nothing, through the use
/// cases the mutations call, audited under `viewer`.
pub async fn import(db: &DatabaseConnection, viewer: &Viewer, b: &Bundle) -> ApiResult<authority::Model> {
    let w = super::guard::begin(db, viewer).await?;
    // An export brings the audit records of the writes it replays.
    let restoring = !b.audit.is_empty();
    w.hush(restoring);
    let mut import = Import::new(w, viewer);
    let a = import.run(b).await?;
    let w = import.w;
    if restoring {
        replay::restore_audit(&w, &a, b).await?;
    }
    w.commit().await?;
    // Without fresh statistics the next import's reads scan what every
    // earlier one wrote. The import has committed, so a failure here is
    // only slower plans, never a failed import.
    if let Err(e) = crate::store::statistics::refresh_grown(db).await {
        tracing::warn!(cause = %e, "could not refresh the statistics of grown tables");
    }
    Ok(a)
}

/// Where in the files a row came from, and which of its columns the
/// use cases' input fields are: a refusal names the file, the row and the
/// first column its message speaks of.
struct Place {
    at: String,
    /// "column" of a CSV file, "field" of the JSON one.
    part: &'static str,
    columns: &'static [(&'static str, &'static str)],
}

/// The fields of `authority.json` a refusal may be about.
const JSON_FIELDS: &[(&str, &str)] = &[
    ("slug", "slug"),
    ("name", "name"),
    ("region", "region"),
    ("onsCode", "onsCode"),
    ("title", "title"),
    ("code", "code"),
    ("amberTolerancePercent", "amberTolerancePercent"),
    ("stableBandPercent", "stableBandPercent"),
    ("trendPeriods", "trendPeriods"),
    ("minutes", "minutes"),
    ("resolutions", "resolutions"),
    ("period", "period"),
    ("description", "description"),
    ("owner", "owner"),
    ("version", "version"),
    ("role", "role"),
    ("partner", "partner"),
    ("issuer", "issuer"),
    ("subject", "subject"),
    ("email", "email"),
];

impl Place {
    /// Somewhere in `authority.json`: `path` says where, as `plans[0]`.
    fn json(path: impl Into<String>) -> Self {
        Place::in_json("authority.json", path)
    }

    /// Somewhere in the JSON file `file`.
    fn in_json(file: &str, path: impl Into<String>) -> Self {
        let path = path.into();
        Place {
            at: if path.is_empty() {
                file.to_owned()
            } else {
                format!("{file} {path}")
            },
            part: "field",
            columns: JSON_FIELDS,
        }
    }

    /// A data row of a CSV file, counted as a spreadsheet does (the header
    /// is row 1).
    fn csv(file: &str, i: usize, columns: &'static [(&'static str, &'static str)]) -> Self {
        Place {
            at: format!("{file} row {}", i + 2),
            part: "column",
            columns,
        }
    }

    /// The error, said of this place: the column is the one of the input
    /// field the error is about.
    fn locate(&self, e: ApiError) -> ApiError {
        let column = e
            .field()
            .and_then(|f| self.columns.iter().find(|(field, _)| *field == f))
            .map_or_else(String::new, |(_, column)| format!(", {} {column}", self.part));
        match e.unplaced() {
            ApiError::Forbidden(m) => ApiError::Forbidden(format!("{}: {m}", self.at)),
            said if e.code() == Code::BadUserInput => {
                ApiError::BadUserInput(format!("{}{column}: {said}", self.at))
            }
            said if e.code() == Code::Conflict => ApiError::Conflict(format!("{}{column}: {said}", self.at)),
            _ => e,
        }
    }

    fn unknown(&self, column: &str, what: &str, key: &str) -> ApiError {
        ApiError::BadUserInput(format!(
            "{}, {} {column}: unknown {what} `{key}`",
            self.at, self.part
        ))
    }
}

const MEASURE_COLUMNS: &[(&str, &str)] = &[
    ("code", "code"),
    ("title", "title"),
    ("partner", "partner"),
    ("amberTolerancePercent", "amber_tolerance_percent"),
    ("amberToleranceUnits", "amber_tolerance_units"),
    ("blueMarginPercent", "blue_margin_percent"),
    ("blueMarginUnits", "blue_margin_units"),
    ("rateProvisional", "rate_provisional"),
    ("effectiveFrom", "definitions"),
    ("description", "definitions"),
    ("metricCode", "metric"),
    ("targetProfile", "target_profile"),
];
const TARGET_COLUMNS: &[(&str, &str)] = &[
    ("floor", "floor"),
    ("target", "target"),
    ("period", "period"),
    ("measureId", "measure"),
];
const RESULT_COLUMNS: &[(&str, &str)] = &[
    ("value", "value"),
    ("note", "note"),
    ("quality", "quality"),
    ("asAt", "as_at"),
    ("forecast", "forecast"),
    ("period", "period"),
    ("measureId", "measure"),
];

/// The nearest float to a decimal of the files: the inputs carry numbers as
/// GraphQL sends them, and validation turns them back into the decimal.
fn rag_rule(r: &RagRuleIn) -> RagRuleInput {
    RagRuleInput {
        method: r.method,
        amber_tolerance_percent: r.amber_tolerance_percent.map(float),
        amber_tolerance_units: r.amber_tolerance_units.map(float),
        blue_margin_percent: r.blue_margin_percent.map(float),
        blue_margin_units: r.blue_margin_units.map(float),
        rate_provisional: r.rate_provisional,
    }
}

fn float(n: Num) -> f64 {
    n.0.to_string().parse().unwrap_or(f64::NAN)
}

/// An import under way: the ids given so far, by the keys the files use.
struct Import<'w> {
    w: Write,
    viewer: &'w Viewer,
    /// Who runs the import and when: what an unstamped row is written as.
    origin: (String, DateTime<Utc>),
    partners: HashMap<String, ID>,
    plans: HashMap<String, ID>,
    /// By "plan key/node code".
    nodes: HashMap<String, ID>,
    measures: HashMap<String, ID>,
}

impl<'w> Import<'w> {
    fn new(w: Write, viewer: &'w Viewer) -> Self {
        Import {
            origin: (w.actor.clone(), w.now),
            w,
            viewer,
            partners: HashMap::new(),
            plans: HashMap::new(),
            nodes: HashMap::new(),
            measures: HashMap::new(),
        }
    }

    /// Writes what follows as `by` at `at`, as the row that says so was
    /// written; the importer now, where it says nothing.
    fn stamp(&mut self, (by, at): Stamp) {
        self.w.actor = by.unwrap_or_else(|| self.origin.0.clone());
        self.w.now = at.unwrap_or(self.origin.1);
    }

    async fn run(&mut self, b: &Bundle) -> ApiResult<authority::Model> {
        self.stamp((None, b.created_at));
        let (w, v) = (&&self.w, self.viewer);
        let input = CreateAuthorityInput {
            slug: b.slug.clone(),
            name: b.name.clone(),
            kind: b.kind,
            region: b.region.clone(),
            ons_code: b.ons_code.clone(),
        };
        let a = super::create_authority(w, v, input)
            .await
            .map_err(|e| Place::json("").locate(e))?;
        let authority_id = ids::row(Kind::Authority, a.id);
        for (i, p) in b.partners.iter().enumerate() {
            let input = CreatePartnerInput {
                authority_id: authority_id.clone(),
                slug: p.slug.clone(),
                name: p.name.clone(),
            };
            let m = super::create_partner(w, v, input)
                .await
                .map_err(|e| Place::json(format!("partners[{i}]")).locate(e))?;
            self.partners
                .insert(p.slug.clone(), ids::row(Kind::Partner, m.id));
        }
        for (i, p) in b.plans.iter().enumerate() {
            self.plan(&authority_id, i, p).await?;
        }
        self.measures(&b.measures).await?;
        for (i, p) in b.panels.iter().enumerate() {
            self.panel(&authority_id, i, p).await?;
        }
        self.replay(b).await?;
        for (i, p) in b.action_plans.iter().enumerate() {
            self.action_plan(i, p).await?;
        }
        self.groups(b).await?;
        self.members(b).await?;
        self.stamp((None, b.created_at));
        self.archive(b).await?;
        self.stamp((None, None));
        Ok(a)
    }

    async fn plan(&mut self, authority_id: &ID, i: usize, p: &PlanIn) -> ApiResult<()> {
        let place = Place::json(format!("plans[{i}] ({})", p.key));
        let input = CreatePlanInput {
            authority_id: authority_id.clone(),
            title: p.title.clone(),
            kind: p.kind,
            rag_rule: rag_rule(&p.rag_rule),
            direction_rule: p.direction_rule.as_ref().map(|d| DirectionRuleInput {
                method: d.method,
                stable_band_percent: d.stable_band_percent.map(float),
                trend_periods: d.trend_periods.map(|t| i32::try_from(t).unwrap_or(i32::MAX)),
            }),
            from: p.from,
            to: p.to,
        };
        let plan = super::create_plan(&self.w, self.viewer, input)
            .await
            .map_err(|e| place.locate(e))?;
        let plan_id = ids::row(Kind::Plan, plan.id);
        if self.plans.insert(p.key.clone(), plan_id.clone()).is_some() {
            return Err(place.locate(ApiError::Conflict(format!("plan key `{}` appears twice", p.key))));
        }
        // Depth first, each node before its children, siblings in order.
        let mut stack: Vec<(Option<ID>, &NodeIn)> = p.nodes.iter().rev().map(|n| (None, n)).collect();
        while let Some((parent_id, n)) = stack.pop() {
            let input = CreatePlanNodeInput {
                plan_id: plan_id.clone(),
                parent_id,
                code: n.code.clone(),
                title: n.title.clone(),
            };
            let node = super::create_plan_node(&self.w, self.viewer, input)
                .await
                .map_err(|e| Place::json(format!("plans[{i}] node {}", n.code)).locate(e))?;
            self.nodes
                .insert(format!("{}/{}", p.key, n.code), ids::row(Kind::PlanNode, node.id));
            stack.extend(
                n.children
                    .iter()
                    .rev()
                    .map(|c| (Some(ids::row(Kind::PlanNode, node.id)), c)),
            );
        }
        Ok(())
    }

    async fn measures(&mut self, rows: &[MeasureRow]) -> ApiResult<()> {
        for (i, r) in rows.iter().enumerate() {
            let place = Place::csv("measures.csv", i, MEASURE_COLUMNS);
            let node_id = self
                .nodes
                .get(&format!("{}/{}", r.plan, r.node))
                .ok_or_else(|| place.unknown("node", "node", &format!("{}/{}", r.plan, r.node)))?
                .clone();
            let partner_id = match r.partner.as_deref() {
                Some(slug) => Some(
                    self.partners
                        .get(slug)
                        .ok_or_else(|| place.unknown("partner", "partner", slug))?
                        .clone(),
                ),
                None => None,
            };
            let bands = [
                r.amber_tolerance_percent,
                r.amber_tolerance_units,
                r.blue_margin_percent,
                r.blue_margin_units,
            ];
            let bands = bands.iter().any(Option::is_some) || r.rate_provisional.is_some();
            let rag_rule = match r.rag_method {
                Some(method) => Some(rag_rule(&RagRuleIn {
                    method,
                    amber_tolerance_percent: r.amber_tolerance_percent,
                    amber_tolerance_units: r.amber_tolerance_units,
                    blue_margin_percent: r.blue_margin_percent,
                    blue_margin_units: r.blue_margin_units,
                    rate_provisional: r.rate_provisional,
                })),
                None if bands => {
                    return Err(place.locate(ApiError::BadUserInput(
                        "a tolerance, blue margin or rate_provisional needs a rag_method".to_owned(),
                    )));
                }
                None => None,
            };
            let input = CreateMeasureInput {
                node_id,
                code: r.code.clone(),
                title: r.title.clone(),
                unit: r.unit,
                polarity: r.polarity,
                kind: r.kind,
                frequency: r.frequency,
                partner_id,
                rag_rule,
                metric_code: r.metric.clone(),
                accumulation: r.accumulation.unwrap_or(Accumulation::Period),
                target_profile: r
                    .target_profile
                    .as_ref()
                    .map(|p| p.0.iter().map(|d| float(Num(*d))).collect()),
                forecast_method: r.forecast_method,
            };
            let m = super::create_measure(&self.w, self.viewer, input)
                .await
                .map_err(|e| place.locate(e))?;
            // Each definition change as it was recorded, by whom and when.
            let (actor, now) = (self.w.actor.clone(), self.w.now);
            for d in r.definitions.iter().flat_map(|d| d.0.iter()) {
                self.stamp((Some(d.changed_by.clone()), Some(d.changed_at)));
                let input = ChangeMeasureDefinitionInput {
                    measure_id: ids::row(Kind::Measure, m.id),
                    effective_from: d.effective_from,
                    description: d.description.clone(),
                };
                super::change_measure_definition(&self.w, self.viewer, input)
                    .await
                    .map_err(|e| place.locate(e))?;
            }
            (self.w.actor, self.w.now) = (actor, now);
            // Targets and results name measures by code, across plans.
            if self
                .measures
                .insert(r.code.clone(), ids::row(Kind::Measure, m.id))
                .is_some()
            {
                return Err(place.locate(ApiError::Conflict(format!(
                    "measure code `{}` appears twice",
                    r.code
                ))));
            }
        }
        Ok(())
    }

    fn measure_id(&self, place: &Place, code: &str) -> ApiResult<ID> {
        self.measures
            .get(code)
            .cloned()
            .ok_or_else(|| place.unknown("measure", "measure", code))
    }

    /// An action plan as `createActionPlan` writes it, then each action
    /// that has moved on as `updateAction` records it, as many times as it
    /// was: the version it answers counts its updates. The updates before
    /// the last leave it as it was; the last gives it its status and note.
    async fn action_plan(&mut self, i: usize, p: &ActionPlanIn) -> ApiResult<()> {
        self.stamp((p.created_by.clone(), p.created_at));
        let place = Place::json(format!("actionPlans[{i}]"));
        let input = CreateActionPlanInput {
            measure_id: self.measure_id(&place, &p.measure)?,
            title: p.title.clone(),
            actions: p
                .actions
                .iter()
                .map(|a| NewActionInput {
                    description: a.description.clone(),
                    owner: a.owner.clone(),
                    due_on: a.due_on.map(Date),
                })
                .collect(),
        };
        let (_, actions) = super::create_action_plan(&self.w, self.viewer, input)
            .await
            .map_err(|e| place.locate(e))?;
        for (j, (a, row)) in p.actions.iter().zip(&actions).enumerate() {
            let place = Place::json(format!("actionPlans[{i}].actions[{j}]"));
            let status = a.status.filter(|s| *s != row.status);
            let first = row.version + i32::from(status.is_some() || a.note.is_some());
            let version = a.version.unwrap_or(first);
            let most = row
                .version
                .saturating_add(i32::try_from(MAX_ITEMS).unwrap_or(i32::MAX));
            if !(first..=most).contains(&version) {
                return Err(place.locate(ApiError::invalid(
                    "version",
                    format!("version {version} must be from {first} (its status and note) to {most}"),
                )));
            }
            self.stamp((p.created_by.clone(), a.updated_at));
            let mut current = row.version;
            while current < version {
                let last = current + 1 == version;
                let input = UpdateActionInput {
                    id: ids::row(Kind::Action, row.id),
                    status: status.filter(|_| last),
                    note: a.note.clone().filter(|_| last),
                    expected_version: current,
                };
                current = super::update_action(&self.w, self.viewer, input)
                    .await
                    .map_err(|e| place.locate(e))?
                    .version;
            }
        }
        Ok(())
    }

    async fn panel(&self, authority_id: &ID, i: usize, p: &PanelIn) -> ApiResult<()> {
        let place = Place::json(format!("panels[{i}] ({})", p.name));
        let nodes = p
            .remit
            .nodes
            .iter()
            .map(|n| {
                let key = format!("{}/{}", n.plan, n.code);
                self.nodes
                    .get(&key)
                    .cloned()
                    .ok_or_else(|| place.unknown("remit", "node", &key))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let measures = p
            .remit
            .measures
            .iter()
            .map(|code| self.measure_id(&place, code))
            .collect::<ApiResult<Vec<_>>>()?;
        let input = CreatePanelInput {
            authority_id: authority_id.clone(),
            name: p.name.clone(),
            kind: p.kind,
            remit_node_ids: nodes,
            remit_measure_ids: measures,
        };
        let panel = super::create_panel(&self.w, self.viewer, input)
            .await
            .map_err(|e| place.locate(e))?;
        for (j, mt) in p.meetings.iter().enumerate() {
            let place = Place::json(format!("panels[{i}].meetings[{j}]"));
            let agenda = mt
                .agenda
                .iter()
                .map(|a| {
                    let plan_id = match a.plan.as_deref() {
                        Some(k) => Some(
                            self.plans
                                .get(k)
                                .cloned()
                                .ok_or_else(|| place.unknown("plan", "plan", k))?,
                        ),
                        None => None,
                    };
                    Ok(AgendaItemInput {
                        title: a.title.clone(),
                        plan_id,
                        period: a.period,
                        minutes: a.minutes.clone(),
                        resolutions: a.resolutions.clone(),
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?;
            let input = CreateMeetingInput {
                panel_id: ids::row(Kind::Panel, panel.id),
                held_on: Date(mt.date),
                title: mt.title.clone(),
                agenda,
            };
            super::create_meeting(&self.w, self.viewer, input)
                .await
                .map_err(|e| place.locate(e))?;
        }
        Ok(())
    }
}
