//! What an authority's files say happened over time (targets set, results
//! submitted and submitted again, periods published, commentary written and
//! edited, reference values set), replayed through the use cases in the
//! order it happened, each as whoever did it, when: so the versions, the
//! restatements and the times come back as they were; so are the roles
//! held at the authority. Files that say nothing of who or when replay in
//! the order the demo's always did.

use std::collections::{HashMap, HashSet};

use async_graphql::ID;
use chrono::{DateTime, Utc};
use entity::model::{audit_log, authority};
use sea_orm::ActiveValue::Set;

use super::reference::VALUE_COLUMNS;
use super::{Bundle, Import, Place, RESULT_COLUMNS, Stamp, TARGET_COLUMNS, float};
use crate::error::ApiResult;
use crate::ids::{self, Kind};
use crate::inputs::*;
use crate::scalars::Date;
use crate::service::validate::MAX_ITEMS;
use crate::store::write::Write;

const COMMENTARY_COLUMNS: &[(&str, &str)] = &[
    ("body", "body"),
    ("period", "period"),
    ("kind", "kind"),
    ("measureId", "measure"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum What {
    Target,
    Result,
    Publish,
    Comment,
    Value,
}

/// One thing that happened: what, who and when, and the row (and for a
/// publication, the plan's period) that says so.
struct Step {
    at: DateTime<Utc>,
    stamp: Stamp,
    what: What,
    row: usize,
    period: usize,
}

impl Import<'_> {
    pub(super) async fn replay(&mut self, b: &Bundle) -> ApiResult<()> {
        let steps = steps(b, self.origin.1);
        let mut comments: HashMap<&str, (ID, i32)> = HashMap::new();
        let mut k = 0;
        while k < steps.len() {
            let first = &steps[k];
            // Rows written together go in one batch, as a sheet's would;
            // a second version of a value waits for a batch of its own.
            let mut end = k + 1;
            if matches!(first.what, What::Target | What::Result | What::Value) {
                let mut cells = HashSet::from([cell(b, first)]);
                while end < steps.len()
                    && end - k < MAX_ITEMS
                    && steps[end].what == first.what
                    && steps[end].stamp == first.stamp
                    && cells.insert(cell(b, &steps[end]))
                {
                    end += 1;
                }
            }
            self.stamp(first.stamp.clone());
            let rows: Vec<usize> = steps[k..end].iter().map(|s| s.row).collect();
            match first.what {
                What::Target => self.targets(b, &rows).await?,
                What::Result => self.results(b, &rows).await?,
                What::Value => self.values(b, &rows).await?,
                What::Publish => self.publish(b, first.row, first.period).await?,
                What::Comment => self.comment(b, first.row, &mut comments).await?,
            }
            k = end;
        }
        self.stamp((None, None));
        for (i, p) in b.plans.iter().enumerate() {
            for d in &p.deadlines {
                super::super::set_deadline(&self.w, self.viewer, &self.plans[&p.key], d.period, d.due_on)
                    .await
                    .map_err(|e| Place::json(format!("plans[{i}].deadlines")).locate(e))?;
            }
        }
        Ok(())
    }

    async fn targets(&self, b: &Bundle, rows: &[usize]) -> ApiResult<()> {
        let place = |i| Place::csv("targets.csv", i, TARGET_COLUMNS);
        let inputs = rows
            .iter()
            .map(|&i| {
                let t = &b.targets[i];
                Ok(SetTargetInput {
                    measure_id: self.measure_id(&place(i), &t.measure)?,
                    period: t.period,
                    target: float(t.target),
                    floor: t.floor.map(float),
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        super::super::reporting::set_targets(&self.w, self.viewer, &inputs, |i, e| place(rows[i]).locate(e))
            .await?;
        Ok(())
    }

    async fn results(&self, b: &Bundle, rows: &[usize]) -> ApiResult<()> {
        let place = |i| Place::csv("results.csv", i, RESULT_COLUMNS);
        let inputs = rows
            .iter()
            .map(|&i| {
                let r = &b.results[i];
                Ok(SubmitResultInput {
                    measure_id: self.measure_id(&place(i), &r.measure)?,
                    period: r.period,
                    value: float(r.value),
                    note: r.note.clone(),
                    expected_version: None,
                    quality: r.quality,
                    as_at: r.as_at.map(Date),
                    forecast: r.forecast.map(float),
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        super::super::reporting::submit_batch(&self.w, self.viewer, &inputs, |i, e| place(rows[i]).locate(e))
            .await?;
        Ok(())
    }

    async fn values(&self, b: &Bundle, rows: &[usize]) -> ApiResult<()> {
        let inputs: Vec<MetricValueInput> = rows
            .iter()
            .map(|&i| {
                let v = &b.metric_values[i];
                MetricValueInput {
                    metric_code: v.metric.clone(),
                    authority: v.authority.clone(),
                    period: v.period,
                    value: float(v.value),
                }
            })
            .collect();
        super::super::set_metric_values(&self.w, self.viewer, &inputs, |i, e| {
            Place::csv("metric-values.csv", rows[i], VALUE_COLUMNS).locate(e)
        })
        .await?;
        Ok(())
    }

    async fn publish(&self, b: &Bundle, plan: usize, period: usize) -> ApiResult<()> {
        let p = &b.plans[plan];
        super::super::publish_period(
            &self.w,
            self.viewer,
            &self.plans[&p.key],
            p.published[period].period(),
        )
        .await
        .map_err(|e| Place::json(format!("plans[{plan}].published[{period}]")).locate(e))?;
        Ok(())
    }

    /// A commentary's first version is added, each later one edits it.
    async fn comment<'b>(
        &self,
        b: &'b Bundle,
        i: usize,
        seen: &mut HashMap<&'b str, (ID, i32)>,
    ) -> ApiResult<()> {
        let place = Place::csv("commentary.csv", i, COMMENTARY_COLUMNS);
        let c = &b.commentary[i];
        let written = match seen.get(c.key.as_str()) {
            None => {
                let input = AddCommentaryInput {
                    measure_id: self.measure_id(&place, &c.measure)?,
                    period: c.period,
                    body: c.body.clone(),
                    kind: c.kind,
                };
                super::super::add_commentary(&self.w, self.viewer, input).await
            }
            Some((id, version)) => {
                let input = EditCommentaryInput {
                    id: id.clone(),
                    body: c.body.clone(),
                    expected_version: *version,
                };
                super::super::edit_commentary(&self.w, self.viewer, input).await
            }
        }
        .map_err(|e| place.locate(e))?;
        seen.insert(&c.key, (ids::row(Kind::Commentary, written.id), written.version));
        Ok(())
    }

    /// The comparison groups the authority owns, each as its creator made it.
    pub(super) async fn groups(&mut self, b: &Bundle) -> ApiResult<()> {
        for (i, g) in b.comparison_groups.iter().enumerate() {
            self.stamp((g.created_by.clone(), g.created_at));
            super::super::create_comparison_group(&self.w, self.viewer, g.input())
                .await
                .map_err(|e| Place::json(format!("comparisonGroups[{i}] ({})", g.slug)).locate(e))?;
        }
        Ok(())
    }

    /// The roles held at the authority, each granted again through
    /// `grantRole` by whoever granted it, when.
    pub(super) async fn members(&mut self, b: &Bundle) -> ApiResult<()> {
        for (i, m) in b.members.iter().enumerate() {
            self.stamp((m.granted_by.clone(), m.granted_at));
            let input = GrantRoleInput {
                authority: Some(b.slug.clone()),
                role: m.role,
                partner: m.partner.clone(),
                issuer: m.issuer.clone(),
                subject: m.subject.clone(),
                email: m.email.clone(),
            };
            super::super::grant_role(&self.w, self.viewer, input)
                .await
                .map_err(|e| Place::json(format!("members[{i}]")).locate(e))?;
        }
        Ok(())
    }

    /// Archives last: an archived measure takes no more results.
    pub(super) async fn archive(&self, b: &Bundle) -> ApiResult<()> {
        for (i, r) in b.measures.iter().enumerate() {
            if r.archived == Some(true) {
                let place = Place::csv("measures.csv", i, &[]);
                super::super::archive_measure(&self.w, self.viewer, &self.measure_id(&place, &r.code)?)
                    .await
                    .map_err(|e| place.locate(e))?;
            }
        }
        for (i, p) in b.plans.iter().enumerate().filter(|(_, p)| p.archived) {
            super::super::archive_plan(&self.w, self.viewer, &self.plans[&p.key])
                .await
                .map_err(|e| Place::json(format!("plans[{i}]")).locate(e))?;
        }
        Ok(())
    }
}

/// Everything that happened, oldest first; at the same moment, in the
/// order the files list it, targets before results before publications.
fn steps(b: &Bundle, now: DateTime<Utc>) -> Vec<Step> {
    let step = |stamp: Stamp, what, row, period| Step {
        at: stamp.1.unwrap_or(now),
        stamp,
        what,
        row,
        period,
    };
    let mut steps: Vec<Step> = Vec::new();
    for (i, t) in b.targets.iter().enumerate() {
        steps.push(step((t.set_by.clone(), t.set_at), What::Target, i, 0));
    }
    for (i, r) in b.results.iter().enumerate() {
        steps.push(step((r.submitted_by.clone(), r.submitted_at), What::Result, i, 0));
    }
    for (i, p) in b.plans.iter().enumerate() {
        for (j, published) in p.published.iter().enumerate() {
            steps.push(step(published.stamp(), What::Publish, i, j));
        }
    }
    for (i, c) in b.commentary.iter().enumerate() {
        steps.push(step((Some(c.author.clone()), Some(c.at)), What::Comment, i, 0));
    }
    for (i, v) in b.metric_values.iter().enumerate() {
        steps.push(step((v.set_by.clone(), v.set_at), What::Value, i, 0));
    }
    // Stable: what happened at one moment keeps the files' order.
    steps.sort_by_key(|s| s.at);
    steps
}

/// What a row of a batch sets: one batch sets it once.
fn cell(b: &Bundle, s: &Step) -> String {
    match s.what {
        What::Target => format!("{}/{}", b.targets[s.row].measure, b.targets[s.row].period),
        What::Result => format!("{}/{}", b.results[s.row].measure, b.results[s.row].period),
        What::Value => {
            let v = &b.metric_values[s.row];
            format!("{}/{}/{}", v.metric, v.authority, v.period)
        }
        What::Publish | What::Comment => String::new(),
    }
}

/// Puts the exported audit log back in place of the records the replay
/// would have made (it made none), then records the import itself, once.
pub(super) async fn restore_audit(w: &Write, a: &authority::Model, b: &Bundle) -> ApiResult<()> {
    w.hush(false);
    let rows: Vec<audit_log::ActiveModel> = b
        .audit
        .iter()
        .map(|r| audit_log::ActiveModel {
            authority_id: Set(Some(a.id)),
            actor: Set(r.actor.clone()),
            operation: Set(r.operation.clone()),
            entity: Set(r.entity.clone()),
            entity_id: Set(r.entity_id),
            before: Set(r.before.clone()),
            after: Set(r.after.clone()),
            at: Set(r.at),
            ..Default::default()
        })
        .collect();
    w.insert_all(rows).await?;
    let what = serde_json::json!({
        "slug": a.slug,
        "results": b.results.len(),
        "auditRecords": b.audit.len(),
    });
    w.audit(Some(a.id), "import", "authority", Some(a.id), None, Some(&what))
        .await
}
