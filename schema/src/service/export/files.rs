//! Laying out an authority's rows as the import files.

use std::collections::HashMap;

use entity::model::plan_node;
use serde::Serialize;

use super::File;
use crate::error::{ApiError, ApiResult};
use crate::service::import::*;
use crate::store::export::Owned;

/// What each file of an export holds, for whoever opens the archive.
pub const README: &str = "# An authority's data, exported by councilperf

These files hold everything the authority keeps in councilperf, published or
not. `councilperf import DIR` loads them into another councilperf database,
which then answers every question about the authority as this one did.

- `authority.json`: the authority; its partners; its plans with their rating
  rules, node trees, published periods (who published each, when) and
  deadlines; its panels with their remit, meetings and agendas; its action
  plans and actions (each with its status, note, version and when it last
  moved on); the comparison groups it owns; the roles held in councilperf
  at the authority (`members`: role, partner, the person by issuer and
  subject or by email, who granted it and when).
- `measures.csv`: each measure: plan, node, code, title, unit, polarity,
  kind, frequency, partner, its own rating rule, the national metric it
  follows, whether it is archived.
- `targets.csv`: each target and floor, with who set it and when.
- `results.csv`: every version of every result, oldest first, with its
  note, who submitted it and when. The last version of a measure's period
  is its value now.
- `commentary.csv`: every version of every commentary, oldest first; `key`
  groups the versions of one commentary.
- `metric-values.csv`: the authority's national reference values, with who
  set each and when.
- `audit.csv`: the authority's audit log, oldest first: when, who, what
  operation on which entity, and the row as JSON before and after (with the
  ids of the database it came from).

Identity providers and their role mappings are the platform's, not the
authority's, so they are not here: register them again on the database you
import into, and the roles granted through them come back with them.

Times are UTC, in RFC 3339. Periods are written as the API writes them
(`2023-24`, `2023-24 Q1`, `2023-04`).
";

/// The plan keys, node codes and measure codes the files refer to rows by.
struct Names {
    plans: HashMap<i64, String>,
    nodes: HashMap<i64, String>,
    measures: HashMap<i64, String>,
    partners: HashMap<i64, String>,
}

pub fn write(o: &Owned) -> ApiResult<Vec<File>> {
    let names = Names {
        plans: o
            .plans
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, format!("plan-{}", i + 1)))
            .collect(),
        nodes: o.nodes.iter().map(|n| (n.id, n.code.clone())).collect(),
        measures: o.measures.iter().map(|m| (m.id, m.code.clone())).collect(),
        partners: o.partners.iter().map(|p| (p.id, p.slug.clone())).collect(),
    };
    let bundle = bundle(o, &names);
    let json = serde_json::to_vec_pretty(&bundle).map_err(ApiError::internal)?;
    Ok(vec![
        File {
            name: "README.md",
            bytes: README.as_bytes().to_vec(),
        },
        File {
            name: "authority.json",
            bytes: json,
        },
        File {
            name: "measures.csv",
            bytes: csv(&measures(o, &names), MEASURES)?,
        },
        File {
            name: "targets.csv",
            bytes: csv(&targets(o, &names), TARGETS)?,
        },
        File {
            name: "results.csv",
            bytes: csv(&results(o, &names), RESULTS)?,
        },
        File {
            name: "commentary.csv",
            bytes: csv(&commentary(o, &names), COMMENTARY)?,
        },
        File {
            name: "metric-values.csv",
            bytes: csv(&metric_values(o), METRIC_VALUES)?,
        },
        File {
            name: "audit.csv",
            bytes: csv(&audit(o), AUDIT)?,
        },
    ])
}

/// The header of each CSV file, which a file without rows still has (a
/// row's serialised names give it otherwise: a test holds them equal).
const MEASURES: &str = "plan,node,code,title,unit,polarity,kind,frequency,partner,rag_method,amber_tolerance_percent,amber_tolerance_units,blue_margin_percent,blue_margin_units,rate_provisional,metric,archived,accumulation,target_profile,forecast_method,definitions";
const TARGETS: &str = "measure,period,target,floor,set_by,set_at";
const RESULTS: &str = "measure,period,value,note,submitted_by,submitted_at,quality,as_at,forecast";
const COMMENTARY: &str = "key,measure,period,kind,body,author,at";
const METRIC_VALUES: &str = "metric,authority,period,value,set_by,set_at";
const AUDIT: &str = "at,actor,operation,entity,entity_id,before,after";

fn csv<T: Serialize>(rows: &[T], header: &str) -> ApiResult<Vec<u8>> {
    if rows.is_empty() {
        return Ok(format!("{header}\n").into_bytes());
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(ApiError::internal)?;
    }
    w.into_inner().map_err(|e| ApiError::internal(e.into_error()))
}

fn name(map: &HashMap<i64, String>, id: i64) -> String {
    map.get(&id).cloned().unwrap_or_default()
}

fn bundle(o: &Owned, n: &Names) -> Bundle {
    let a = &o.authority;
    let slugs: HashMap<i64, &str> = o.members.iter().map(|m| (m.id, m.slug.as_str())).collect();
    Bundle {
        slug: a.slug.clone(),
        name: a.name.clone(),
        kind: a.kind,
        region: a.region.clone(),
        ons_code: a.ons_code.clone(),
        note: None,
        partners: o
            .partners
            .iter()
            .map(|p| PartnerIn {
                slug: p.slug.clone(),
                name: p.name.clone(),
            })
            .collect(),
        plans: o.plans.iter().map(|p| plan(o, n, p)).collect(),
        panels: o
            .panels
            .iter()
            .map(|p| PanelIn {
                name: p.name.clone(),
                kind: p.kind,
                remit: RemitIn {
                    nodes: o
                        .remits
                        .iter()
                        .filter(|r| r.panel_id == p.id)
                        .filter_map(|r| r.node_id)
                        .filter_map(|id| o.nodes.iter().find(|x| x.id == id))
                        .map(|x| NodeRef {
                            plan: name(&n.plans, x.plan_id),
                            code: x.code.clone(),
                        })
                        .collect(),
                    measures: o
                        .remits
                        .iter()
                        .filter(|r| r.panel_id == p.id)
                        .filter_map(|r| r.measure_id)
                        .map(|id| name(&n.measures, id))
                        .collect(),
                },
                meetings: o
                    .meetings
                    .iter()
                    .filter(|m| m.panel_id == p.id)
                    .map(|m| MeetingIn {
                        date: m.held_on,
                        title: m.title.clone(),
                        agenda: agenda(o, n, m.id),
                    })
                    .collect(),
            })
            .collect(),
        action_plans: o
            .action_plans
            .iter()
            .map(|ap| ActionPlanIn {
                measure: name(&n.measures, ap.measure_id),
                title: ap.title.clone(),
                actions: o
                    .actions
                    .iter()
                    .filter(|x| x.action_plan_id == ap.id)
                    .map(|x| ActionIn {
                        description: x.description.clone(),
                        owner: x.owner.clone(),
                        due_on: x.due_on,
                        status: Some(x.status),
                        note: x.note.clone(),
                        updated_at: Some(x.updated_at),
                        version: Some(x.version),
                    })
                    .collect(),
                created_by: Some(ap.created_by.clone()),
                created_at: Some(ap.created_at),
            })
            .collect(),
        created_at: Some(a.created_at),
        comparison_groups: o
            .groups
            .iter()
            .map(|g| GroupIn {
                slug: g.slug.clone(),
                name: g.name.clone(),
                kind: g.kind,
                owner: Some(a.slug.clone()),
                members: o
                    .group_members
                    .iter()
                    .filter(|m| m.group_id == g.id)
                    .map(|m| slugs.get(&m.authority_id).copied().unwrap_or_default().to_owned())
                    .collect(),
                created_by: Some(g.created_by.clone()),
                created_at: Some(g.created_at),
            })
            .collect(),
        members: o
            .memberships
            .iter()
            .map(|m| MemberIn {
                role: m.role,
                partner: m.partner_id.map(|id| name(&n.partners, id)),
                issuer: m.issuer.clone(),
                subject: m.subject.clone(),
                email: m.email.clone(),
                granted_by: Some(m.granted_by.clone()),
                granted_at: Some(m.granted_at),
            })
            .collect(),
        measures: Vec::new(),
        targets: Vec::new(),
        results: Vec::new(),
        commentary: Vec::new(),
        metric_values: Vec::new(),
        audit: Vec::new(),
    }
}

fn agenda(o: &Owned, n: &Names, meeting: i64) -> Vec<AgendaIn> {
    let mut items: Vec<_> = o.agenda.iter().filter(|a| a.meeting_id == meeting).collect();
    items.sort_by_key(|a| (a.position, a.id));
    items
        .into_iter()
        .map(|a| AgendaIn {
            title: a.title.clone(),
            plan: a.plan_id.map(|id| name(&n.plans, id)),
            period: a.period,
            minutes: a.minutes.clone(),
            resolutions: a.resolutions.clone(),
        })
        .collect()
}

fn plan(o: &Owned, n: &Names, p: &entity::model::plan::Model) -> PlanIn {
    let mut nodes: Vec<&plan_node::Model> = o.nodes.iter().filter(|x| x.plan_id == p.id).collect();
    nodes.sort_by_key(|x| (x.position, x.id));
    PlanIn {
        key: name(&n.plans, p.id),
        title: p.title.clone(),
        kind: p.kind,
        rag_rule: RagRuleIn {
            method: p.rag_method,
            // A rule in units shows the default percentage beside them, which
            // an import would refuse as given with the units.
            amber_tolerance_percent: p
                .amber_tolerance_units
                .is_none()
                .then_some(p.amber_tolerance_percent),
            amber_tolerance_units: p.amber_tolerance_units,
            blue_margin_percent: p.blue_margin_percent,
            blue_margin_units: p.blue_margin_units,
            rate_provisional: p.rate_provisional,
        },
        direction_rule: Some(DirectionRuleIn {
            method: p.direction_method,
            stable_band_percent: Some(p.stable_band_percent),
            trend_periods: u32::try_from(p.trend_periods).ok(),
        }),
        from: p.from_year,
        to: p.to_year,
        published: o
            .publications
            .iter()
            .filter(|x| x.plan_id == p.id)
            .map(|x| PublishedIn::Stamped {
                period: x.period,
                by: x.published_by.clone(),
                at: x.published_at,
            })
            .collect(),
        archived: p.archived,
        deadlines: o
            .deadlines
            .iter()
            .filter(|d| d.plan_id == p.id)
            .map(|d| DeadlineIn {
                period: d.period,
                due_on: d.due_on,
            })
            .collect(),
        nodes: tree(&nodes, None),
    }
}

/// The nodes under `parent`, in their order, each with its own.
fn tree(nodes: &[&plan_node::Model], parent: Option<i64>) -> Vec<NodeIn> {
    nodes
        .iter()
        .filter(|x| x.parent_id == parent)
        .map(|x| NodeIn {
            code: x.code.clone(),
            title: x.title.clone(),
            children: tree(nodes, Some(x.id)),
        })
        .collect()
}

fn measures(o: &Owned, n: &Names) -> Vec<MeasureRow> {
    let metrics: HashMap<i64, &str> = o.metrics.iter().map(|m| (m.id, m.code.as_str())).collect();
    // Created in their order, they take their positions again.
    let mut rows: Vec<_> = o.measures.iter().collect();
    rows.sort_by_key(|m| (m.position, m.id));
    rows.into_iter()
        .map(|m| MeasureRow {
            plan: name(&n.plans, m.plan_id),
            node: m.node_id.map(|id| name(&n.nodes, id)).unwrap_or_default(),
            code: m.code.clone(),
            title: m.title.clone(),
            unit: m.unit,
            polarity: m.polarity,
            kind: m.kind,
            frequency: m.frequency,
            partner: m.partner_id.map(|id| name(&n.partners, id)),
            rag_method: m.rag_method,
            amber_tolerance_percent: m
                .amber_tolerance_percent
                .filter(|_| m.amber_tolerance_units.is_none()),
            amber_tolerance_units: m.amber_tolerance_units,
            blue_margin_percent: m.blue_margin_percent,
            blue_margin_units: m.blue_margin_units,
            rate_provisional: m.rate_provisional,
            metric: m
                .metric_id
                .and_then(|id| metrics.get(&id).map(|c| (*c).to_owned())),
            archived: m.archived.then_some(true),
            accumulation: Some(m.accumulation),
            target_profile: m.target_profile.clone(),
            forecast_method: m.forecast_method,
            definitions: m.definitions.clone(),
        })
        .collect()
}

fn targets(o: &Owned, n: &Names) -> Vec<TargetRow> {
    o.targets
        .iter()
        .map(|t| TargetRow {
            measure: name(&n.measures, t.measure_id),
            period: t.period,
            target: t.target,
            floor: t.floor,
            set_by: Some(t.set_by.clone()),
            set_at: Some(t.set_at),
        })
        .collect()
}

/// Every version of every result, oldest first.
fn results(o: &Owned, n: &Names) -> Vec<ResultRow> {
    let mut rows: Vec<(chrono::DateTime<chrono::Utc>, i32, i64, ResultRow)> = o
        .history
        .iter()
        .map(|h| {
            (
                h.submitted_at,
                h.version,
                h.result_id,
                ResultRow {
                    measure: name(&n.measures, h.measure_id),
                    period: h.period,
                    value: h.value,
                    note: h.note.clone(),
                    submitted_by: Some(h.submitted_by.clone()),
                    submitted_at: Some(h.submitted_at),
                    quality: Some(h.quality),
                    as_at: h.as_at,
                    forecast: h.forecast,
                },
            )
        })
        .chain(o.results.iter().map(|r| {
            (
                r.submitted_at,
                r.version,
                r.id,
                ResultRow {
                    measure: name(&n.measures, r.measure_id),
                    period: r.period,
                    value: r.value,
                    note: r.note.clone(),
                    submitted_by: Some(r.submitted_by.clone()),
                    submitted_at: Some(r.submitted_at),
                    quality: Some(r.quality),
                    as_at: r.as_at,
                    forecast: r.forecast,
                },
            )
        }))
        .collect();
    rows.sort_by_key(|(at, version, id, _)| (*at, *version, *id));
    rows.into_iter().map(|(.., r)| r).collect()
}

/// Every version of every commentary, oldest first, each by whoever wrote
/// it: version 1 was written when the commentary was, each later one when
/// the one before it was replaced.
fn commentary(o: &Owned, n: &Names) -> Vec<CommentaryRow> {
    let mut rows = Vec::new();
    for c in &o.commentary {
        let mut history: Vec<_> = o
            .commentary_history
            .iter()
            .filter(|h| h.commentary_id == c.id)
            .collect();
        history.sort_by_key(|h| h.version);
        let mut at = c.created_at;
        let bodies = history
            .iter()
            .map(|h| (h.body.clone(), h.author.clone(), Some(h.edited_at)))
            .chain(std::iter::once((c.body.clone(), c.author.clone(), None)));
        for (body, author, replaced) in bodies {
            rows.push(CommentaryRow {
                key: c.id.to_string(),
                measure: name(&n.measures, c.measure_id),
                period: c.period,
                kind: c.kind,
                body,
                author,
                at,
            });
            at = replaced.unwrap_or(c.updated_at);
        }
    }
    rows.sort_by_key(|r| r.at);
    rows
}

fn metric_values(o: &Owned) -> Vec<MetricValueRow> {
    let metrics: HashMap<i64, &str> = o.metrics.iter().map(|m| (m.id, m.code.as_str())).collect();
    o.metric_values
        .iter()
        .map(|v| MetricValueRow {
            metric: metrics.get(&v.metric_id).copied().unwrap_or_default().to_owned(),
            authority: o.authority.slug.clone(),
            period: v.period,
            value: v.value,
            set_by: Some(v.set_by.clone()),
            set_at: Some(v.set_at),
        })
        .collect()
}

fn audit(o: &Owned) -> Vec<AuditRow> {
    o.audit
        .iter()
        .map(|r| AuditRow {
            at: r.at,
            actor: r.actor.clone(),
            operation: r.operation.clone(),
            entity: r.entity.clone(),
            entity_id: r.entity_id,
            before: r.before.clone(),
            after: r.after.clone(),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The header a row of `T` gets from its field names.
    fn header_of<T: Serialize>(row: &T) -> String {
        let bytes = csv(std::slice::from_ref(row), "").unwrap();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn an_empty_file_has_the_header_its_rows_would_have() {
        let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        let period: entity::Period = "2023-24".parse().unwrap();
        let n = entity::Num(rust_decimal::Decimal::ONE);
        let measure = MeasureRow {
            plan: "p".into(),
            node: "n".into(),
            code: "c".into(),
            title: "t".into(),
            unit: entity::Unit::Percent,
            polarity: entity::Polarity::HigherIsBetter,
            kind: entity::MeasureKind::Council,
            frequency: entity::Frequency::Annual,
            partner: None,
            rag_method: None,
            amber_tolerance_percent: None,
            amber_tolerance_units: None,
            blue_margin_percent: None,
            blue_margin_units: None,
            rate_provisional: None,
            metric: None,
            archived: None,
            accumulation: None,
            target_profile: None,
            forecast_method: None,
            definitions: None,
        };
        assert_eq!(header_of(&measure), MEASURES);
        let target = TargetRow {
            measure: "c".into(),
            period,
            target: n,
            floor: None,
            set_by: None,
            set_at: None,
        };
        assert_eq!(header_of(&target), TARGETS);
        let result = ResultRow {
            measure: "c".into(),
            period,
            value: n,
            note: None,
            submitted_by: None,
            submitted_at: None,
            quality: None,
            as_at: None,
            forecast: None,
        };
        assert_eq!(header_of(&result), RESULTS);
        let comment = CommentaryRow {
            key: "1".into(),
            measure: "c".into(),
            period,
            kind: entity::CommentaryKind::Service,
            body: "b".into(),
            author: "a".into(),
            at,
        };
        assert_eq!(header_of(&comment), COMMENTARY);
        let value = MetricValueRow {
            metric: "m".into(),
            authority: "a".into(),
            period,
            value: n,
            set_by: None,
            set_at: None,
        };
        assert_eq!(header_of(&value), METRIC_VALUES);
        let audit = AuditRow {
            at,
            actor: "a".into(),
            operation: "o".into(),
            entity: "e".into(),
            entity_id: None,
            before: None,
            after: None,
        };
        assert_eq!(header_of(&audit), AUDIT);
    }
}
