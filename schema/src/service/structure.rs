//! An authority's structure, which ADMINs edit: the authority, partners,
//! plans and their nodes, measures, panels and meetings.

use async_graphql::ID;
use entity::model::{agenda_item, authority, measure, meeting, panel, partner, plan, plan_node};
use entity::rules::{DEFAULT_AMBER_TOLERANCE_PERCENT, DEFAULT_STABLE_BAND_PERCENT, DEFAULT_TREND_PERIODS};
use entity::{DirectionMethod, ForecastMethod, Frequency, MeasureKind, Num, Period, RagMethod};
use sea_orm::{ActiveValue::Set, IntoActiveModel};

use super::guard::{at_row, reference, references, structure};
use super::validate::{self, Bound, MAX_ITEMS, MAX_NAME, MAX_TEXT, MAX_TITLE};
use crate::error::{ApiError, ApiResult};
use crate::inputs::*;
use crate::policy::{Verb, Viewer, authorize};
use crate::store::live::{self, Affected};
use crate::store::{self, write::Audited, write::Write};

/// A RAG rule as the columns plans and measures store it.
struct RagColumns {
    method: RagMethod,
    tolerance: Num,
    tolerance_units: Option<Num>,
    blue_percent: Option<Num>,
    blue_units: Option<Num>,
    rate_provisional: Option<bool>,
}

fn rag_rule(r: &RagRuleInput) -> ApiResult<RagColumns> {
    let either = |a: Option<f64>, b: Option<f64>, (fa, fb): (&'static str, &'static str)| {
        if a.is_some() && b.is_some() {
            return Err(ApiError::invalid(fb, format!("give {fa} or {fb}, not both")));
        }
        Ok(())
    };
    either(
        r.amber_tolerance_percent,
        r.amber_tolerance_units,
        ("amberTolerancePercent", "amberToleranceUnits"),
    )?;
    either(
        r.blue_margin_percent,
        r.blue_margin_units,
        ("blueMarginPercent", "blueMarginUnits"),
    )?;
    let distance = |field, value: Option<f64>, at_least| {
        value.map(|v| validate::distance(field, v, at_least)).transpose()
    };
    Ok(RagColumns {
        method: r.method,
        tolerance: match r.amber_tolerance_percent {
            Some(t) => validate::percent("amberTolerancePercent", t)?,
            None => Num(DEFAULT_AMBER_TOLERANCE_PERCENT),
        },
        tolerance_units: distance("amberToleranceUnits", r.amber_tolerance_units, Bound::Zero)?,
        blue_percent: distance("blueMarginPercent", r.blue_margin_percent, Bound::AboveZero)?,
        blue_units: distance("blueMarginUnits", r.blue_margin_units, Bound::AboveZero)?,
        // Stored only when it departs from the default, so a rule set as
        // before reads back as before.
        rate_provisional: r.rate_provisional.filter(|rate| !rate),
    })
}

/// A measure's own rule, or none (its plan's applies).
fn set_measure_rag(row: &mut measure::ActiveModel, rag: Option<RagColumns>) {
    row.rag_method = Set(rag.as_ref().map(|r| r.method));
    row.amber_tolerance_percent = Set(rag.as_ref().map(|r| r.tolerance));
    row.amber_tolerance_units = Set(rag.as_ref().and_then(|r| r.tolerance_units));
    row.blue_margin_percent = Set(rag.as_ref().and_then(|r| r.blue_percent));
    row.blue_margin_units = Set(rag.as_ref().and_then(|r| r.blue_units));
    row.rate_provisional = Set(rag.and_then(|r| r.rate_provisional));
}

/// An annual measure reports its year: there is nothing to forecast.
fn forecast_method(
    method: Option<ForecastMethod>,
    frequency: Frequency,
) -> ApiResult<Option<ForecastMethod>> {
    if method.is_some() && frequency == Frequency::Annual {
        return Err(ApiError::invalid(
            "forecastMethod",
            "an ANNUAL measure reports its year: it has no year-end forecast",
        ));
    }
    Ok(method)
}

fn direction_rule(r: Option<&DirectionRuleInput>) -> ApiResult<(DirectionMethod, Num, i32)> {
    let Some(r) = r else {
        return Ok((
            DirectionMethod::PreviousPeriod,
            Num(DEFAULT_STABLE_BAND_PERCENT),
            DEFAULT_TREND_PERIODS as i32,
        ));
    };
    let band = match r.stable_band_percent {
        Some(b) => validate::percent("stableBandPercent", b)?,
        None => Num(DEFAULT_STABLE_BAND_PERCENT),
    };
    let periods = r.trend_periods.unwrap_or(DEFAULT_TREND_PERIODS as i32);
    if !(entity::rules::MIN_TREND_POINTS as i32..=40).contains(&periods) {
        return Err(ApiError::invalid("trendPeriods", "trendPeriods must be 3 to 40"));
    }
    Ok((r.method, band, periods))
}

fn check_years(from: Option<Period>, to: Option<Period>) -> ApiResult<()> {
    match (from, to) {
        (Some(f), Some(t)) if t < f => Err(ApiError::invalid("to", "the plan's `to` is before its `from`")),
        _ => Ok(()),
    }
}

pub async fn create_authority(
    w: &Write,
    viewer: &Viewer,
    input: CreateAuthorityInput,
) -> ApiResult<authority::Model> {
    authorize(viewer, Verb::CreateAuthority, None)?;
    let row = authority::ActiveModel {
        slug: Set(validate::slug(&input.slug)?),
        name: Set(validate::text("name", &input.name, MAX_NAME)?),
        kind: Set(input.kind),
        created_at: Set(w.now),
        region: Set(validate::optional(input.region.as_deref(), validate::region)?),
        ons_code: Set(validate::optional(input.ons_code.as_deref(), validate::ons_code)?),
        ..Default::default()
    };
    w.create("createAuthority", "authority", row).await
}

pub async fn update_authority(
    w: &Write,
    viewer: &Viewer,
    input: UpdateAuthorityInput,
) -> ApiResult<authority::Model> {
    let old = structure::<authority::Entity>(w, viewer, &input.id, "authority").await?;
    let mut row = old.clone().into_active_model();
    if let Some(name) = &input.name {
        row.name = Set(validate::text("name", name, MAX_NAME)?);
    }
    if let Some(kind) = input.kind {
        row.kind = Set(kind);
    }
    // Given, it replaces; given blank, it clears.
    if input.region.is_some() {
        row.region = Set(validate::optional(input.region.as_deref(), validate::region)?);
    }
    if input.ons_code.is_some() {
        row.ons_code = Set(validate::optional(input.ons_code.as_deref(), validate::ons_code)?);
    }
    w.change("updateAuthority", "authority", &old, row).await
}

pub async fn create_partner(
    w: &Write,
    viewer: &Viewer,
    input: CreatePartnerInput,
) -> ApiResult<partner::Model> {
    let a = structure::<authority::Entity>(w, viewer, &input.authority_id, "authority").await?;
    let row = partner::ActiveModel {
        authority_id: Set(a.id),
        slug: Set(validate::slug(&input.slug)?),
        name: Set(validate::text("name", &input.name, MAX_NAME)?),
        ..Default::default()
    };
    w.create("createPartner", "partner", row).await
}

pub async fn update_partner(
    w: &Write,
    viewer: &Viewer,
    input: UpdatePartnerInput,
) -> ApiResult<partner::Model> {
    let old = structure::<partner::Entity>(w, viewer, &input.id, "partner").await?;
    let mut row = old.clone().into_active_model();
    if let Some(slug) = &input.slug {
        row.slug = Set(validate::slug(slug)?);
    }
    if let Some(name) = &input.name {
        row.name = Set(validate::text("name", name, MAX_NAME)?);
    }
    w.change("updatePartner", "partner", &old, row).await
}

pub async fn create_plan(w: &Write, viewer: &Viewer, input: CreatePlanInput) -> ApiResult<plan::Model> {
    let a = structure::<authority::Entity>(w, viewer, &input.authority_id, "authority").await?;
    let rag = rag_rule(&input.rag_rule)?;
    let (direction_method, band, trend) = direction_rule(input.direction_rule.as_ref())?;
    let (from, to) = (
        input.from.map(|p| p.financial_year()),
        input.to.map(|p| p.financial_year()),
    );
    check_years(from, to)?;
    let row = plan::ActiveModel {
        authority_id: Set(a.id),
        title: Set(validate::text("title", &input.title, MAX_TITLE)?),
        kind: Set(input.kind),
        rag_method: Set(rag.method),
        amber_tolerance_percent: Set(rag.tolerance),
        amber_tolerance_units: Set(rag.tolerance_units),
        blue_margin_percent: Set(rag.blue_percent),
        blue_margin_units: Set(rag.blue_units),
        rate_provisional: Set(rag.rate_provisional),
        direction_method: Set(direction_method),
        stable_band_percent: Set(band),
        trend_periods: Set(trend),
        from_year: Set(from),
        to_year: Set(to),
        archived: Set(false),
        ..Default::default()
    };
    let p = w.create("createPlan", "plan", row).await?;
    live::plan_changed(w, p.id, p.authority_id);
    Ok(p)
}

pub async fn update_plan(w: &Write, viewer: &Viewer, input: UpdatePlanInput) -> ApiResult<plan::Model> {
    let old = structure::<plan::Entity>(w, viewer, &input.id, "plan").await?;
    let mut row = old.clone().into_active_model();
    if let Some(title) = &input.title {
        row.title = Set(validate::text("title", title, MAX_TITLE)?);
    }
    if let Some(kind) = input.kind {
        row.kind = Set(kind);
    }
    if let Some(r) = &input.rag_rule {
        let rag = rag_rule(r)?;
        row.rag_method = Set(rag.method);
        row.amber_tolerance_percent = Set(rag.tolerance);
        row.amber_tolerance_units = Set(rag.tolerance_units);
        row.blue_margin_percent = Set(rag.blue_percent);
        row.blue_margin_units = Set(rag.blue_units);
        row.rate_provisional = Set(rag.rate_provisional);
    }
    if let Some(r) = &input.direction_rule {
        let (method, band, trend) = direction_rule(Some(r))?;
        row.direction_method = Set(method);
        row.stable_band_percent = Set(band);
        row.trend_periods = Set(trend);
    }
    let from = input.from.map(|p| p.financial_year()).or(old.from_year);
    let to = input.to.map(|p| p.financial_year()).or(old.to_year);
    check_years(from, to)?;
    row.from_year = Set(from);
    row.to_year = Set(to);
    let p = w.change("updatePlan", "plan", &old, row).await?;
    live::plan_changed(w, p.id, p.authority_id);
    if input.rag_rule.is_some() || input.direction_rule.is_some() {
        live::results_changed(w, Affected::Plans(&[p.id])).await?;
    }
    Ok(p)
}

pub async fn archive_plan(w: &Write, viewer: &Viewer, id: &ID) -> ApiResult<plan::Model> {
    let old = structure::<plan::Entity>(w, viewer, id, "plan").await?;
    let mut row = old.clone().into_active_model();
    row.archived = Set(true);
    let p = w.change("archivePlan", "plan", &old, row).await?;
    live::plan_changed(w, p.id, p.authority_id);
    live::results_changed(w, Affected::Plans(&[p.id])).await?;
    Ok(p)
}

pub async fn create_plan_node(
    w: &Write,
    viewer: &Viewer,
    input: CreatePlanNodeInput,
) -> ApiResult<plan_node::Model> {
    let p = structure::<plan::Entity>(w, viewer, &input.plan_id, "plan").await?;
    let parent_id = match &input.parent_id {
        Some(pid) => {
            let parent = reference::<plan_node::Entity>(w, pid, "parent node", p.authority_id).await?;
            if parent.plan_id != p.id {
                return Err(ApiError::invalid(
                    "parentId",
                    "the parent node belongs to another plan",
                ));
            }
            Some(parent.id)
        }
        None => None,
    };
    let row = plan_node::ActiveModel {
        authority_id: Set(p.authority_id),
        plan_id: Set(p.id),
        parent_id: Set(parent_id),
        code: Set(validate::code(&input.code)?),
        title: Set(validate::text("title", &input.title, MAX_TITLE)?),
        position: Set(store::next_node_position(&w.txn, p.id, parent_id).await?),
        ..Default::default()
    };
    let n = w.create("createPlanNode", "planNode", row).await?;
    live::plan_changed(w, n.plan_id, n.authority_id);
    Ok(n)
}

pub async fn update_plan_node(
    w: &Write,
    viewer: &Viewer,
    input: UpdatePlanNodeInput,
) -> ApiResult<plan_node::Model> {
    let old = structure::<plan_node::Entity>(w, viewer, &input.id, "plan node").await?;
    let mut row = old.clone().into_active_model();
    if let Some(code) = &input.code {
        row.code = Set(validate::code(code)?);
    }
    if let Some(title) = &input.title {
        row.title = Set(validate::text("title", title, MAX_TITLE)?);
    }
    let n = w.change("updatePlanNode", "planNode", &old, row).await?;
    live::plan_changed(w, n.plan_id, n.authority_id);
    Ok(n)
}

pub async fn create_measure(
    w: &Write,
    viewer: &Viewer,
    input: CreateMeasureInput,
) -> ApiResult<measure::Model> {
    let node = structure::<plan_node::Entity>(w, viewer, &input.node_id, "plan node").await?;
    let partner_id = match (&input.partner_id, input.kind) {
        (Some(pid), MeasureKind::Partnership) => Some(
            reference::<partner::Entity>(w, pid, "partner", node.authority_id)
                .await?
                .id,
        ),
        (None, MeasureKind::Partnership) => {
            return Err(ApiError::invalid(
                "partnerId",
                "a partnership measure names the partner that leads it",
            ));
        }
        (Some(_), _) => {
            return Err(ApiError::invalid(
                "partnerId",
                "only a partnership measure has a lead partner",
            ));
        }
        (None, _) => None,
    };
    let rag = input.rag_rule.as_ref().map(rag_rule).transpose()?;
    let mut row = measure::ActiveModel {
        authority_id: Set(node.authority_id),
        plan_id: Set(node.plan_id),
        node_id: Set(Some(node.id)),
        code: Set(validate::code(&input.code)?),
        title: Set(validate::text("title", &input.title, MAX_TITLE)?),
        unit: Set(input.unit),
        polarity: Set(input.polarity),
        kind: Set(input.kind),
        frequency: Set(input.frequency),
        partner_id: Set(partner_id),
        position: Set(store::next_measure_position(&w.txn, node.plan_id).await?),
        archived: Set(false),
        metric_id: Set(match &input.metric_code {
            Some(code) => Some(super::benchmarks::metric_for(w, code, (input.unit, input.frequency)).await?),
            None => None,
        }),
        accumulation: Set(input.accumulation),
        target_profile: Set(validate::target_profile(
            input.accumulation,
            input.frequency,
            input.target_profile.as_deref(),
        )?),
        forecast_method: Set(forecast_method(input.forecast_method, input.frequency)?),
        ..Default::default()
    };
    set_measure_rag(&mut row, rag);
    let m = w.create("createMeasure", "measure", row).await?;
    live::plan_changed(w, m.plan_id, m.authority_id);
    Ok(m)
}

pub async fn update_measure(
    w: &Write,
    viewer: &Viewer,
    input: UpdateMeasureInput,
) -> ApiResult<measure::Model> {
    let old = structure::<measure::Entity>(w, viewer, &input.id, "measure").await?;
    let mut row = old.clone().into_active_model();
    if let Some(code) = &input.code {
        row.code = Set(validate::code(code)?);
    }
    if let Some(title) = &input.title {
        row.title = Set(validate::text("title", title, MAX_TITLE)?);
    }
    if let Some(unit) = input.unit {
        row.unit = Set(unit);
    }
    if let Some(polarity) = input.polarity {
        row.polarity = Set(polarity);
    }
    if let Some(node_id) = &input.node_id {
        let node = reference::<plan_node::Entity>(w, node_id, "plan node", old.authority_id).await?;
        if node.plan_id != old.plan_id {
            return Err(ApiError::invalid(
                "nodeId",
                "a measure moves only within its plan",
            ));
        }
        row.node_id = Set(Some(node.id));
    }
    match (&input.rag_rule, input.clear_rag_rule) {
        (Some(_), true) => {
            return Err(ApiError::invalid(
                "clearRagRule",
                "give ragRule or clearRagRule, not both",
            ));
        }
        (Some(r), false) => set_measure_rag(&mut row, Some(rag_rule(r)?)),
        (None, true) => set_measure_rag(&mut row, None),
        (None, false) => {}
    }
    match (&input.metric_code, input.clear_metric) {
        (Some(_), true) => {
            return Err(ApiError::invalid(
                "clearMetric",
                "give metricCode or clearMetric, not both",
            ));
        }
        (Some(code), false) => {
            let unit = input.unit.unwrap_or(old.unit);
            row.metric_id = Set(Some(
                super::benchmarks::metric_for(w, code, (unit, old.frequency)).await?,
            ));
        }
        (None, true) => row.metric_id = Set(None),
        (None, false) => {}
    }
    let accumulation = input.accumulation.unwrap_or(old.accumulation);
    row.accumulation = Set(accumulation);
    row.target_profile = Set(match (&input.target_profile, input.clear_target_profile) {
        (Some(_), true) => {
            return Err(ApiError::invalid(
                "clearTargetProfile",
                "give targetProfile or clearTargetProfile, not both",
            ));
        }
        (Some(p), false) => validate::target_profile(accumulation, old.frequency, Some(p))?,
        (None, true) => None,
        // The profile kept must still fit the measure's accumulation.
        (None, false) => {
            if let Some(p) = &old.target_profile {
                validate::profile_fits(accumulation, old.frequency, p)?;
            }
            old.target_profile.clone()
        }
    });
    row.forecast_method = Set(match (input.forecast_method, input.clear_forecast_method) {
        (Some(_), true) => {
            return Err(ApiError::invalid(
                "clearForecastMethod",
                "give forecastMethod or clearForecastMethod, not both",
            ));
        }
        (Some(f), false) => forecast_method(Some(f), old.frequency)?,
        (None, true) => None,
        (None, false) => old.forecast_method,
    });
    let m = w.change("updateMeasure", "measure", &old, row).await?;
    if input.unit.is_some() && input.metric_code.is_none() {
        super::benchmarks::check_link(w, &m).await?;
    }
    measure_changed(w, &m).await?;
    Ok(m)
}

pub async fn archive_measure(w: &Write, viewer: &Viewer, id: &ID) -> ApiResult<measure::Model> {
    let old = structure::<measure::Entity>(w, viewer, id, "measure").await?;
    let mut row = old.clone().into_active_model();
    row.archived = Set(true);
    let m = w.change("archiveMeasure", "measure", &old, row).await?;
    measure_changed(w, &m).await?;
    Ok(m)
}

/// A measure's title, rule, unit or archiving shows on its plan and on
/// every result of it.
pub(super) async fn measure_changed(w: &Write, m: &measure::Model) -> ApiResult<()> {
    live::plan_changed(w, m.plan_id, m.authority_id);
    live::results_changed(w, Affected::Measures(&[m.id])).await
}

/// Checks a remit's ids belong to the panel's authority.
async fn remit(
    w: &Write,
    authority_id: i64,
    nodes: &[ID],
    measures: &[ID],
) -> ApiResult<(Vec<i64>, Vec<i64>)> {
    if nodes.len() + measures.len() > MAX_ITEMS {
        return Err(ApiError::BadUserInput(format!(
            "a remit holds at most {MAX_ITEMS} entries"
        )));
    }
    let nodes = references::<plan_node::Entity>(w, nodes, "plan node", authority_id).await?;
    let measures = references::<measure::Entity>(w, measures, "measure", authority_id).await?;
    Ok((
        nodes.iter().map(Audited::row_id).collect(),
        measures.iter().map(Audited::row_id).collect(),
    ))
}

pub async fn create_panel(w: &Write, viewer: &Viewer, input: CreatePanelInput) -> ApiResult<panel::Model> {
    let a = structure::<authority::Entity>(w, viewer, &input.authority_id, "authority").await?;
    let name = validate::text("name", &input.name, MAX_NAME)?;
    let (nodes, measures) = remit(w, a.id, &input.remit_node_ids, &input.remit_measure_ids).await?;
    let row = panel::ActiveModel {
        authority_id: Set(a.id),
        name: Set(name),
        kind: Set(input.kind),
        ..Default::default()
    };
    let p = w.create("createPanel", "panel", row).await?;
    store::edits::set_remit(w, &p, &nodes, &measures).await?;
    Ok(p)
}

pub async fn update_panel(w: &Write, viewer: &Viewer, input: UpdatePanelInput) -> ApiResult<panel::Model> {
    let old = structure::<panel::Entity>(w, viewer, &input.id, "panel").await?;
    let mut row = old.clone().into_active_model();
    if let Some(name) = &input.name {
        row.name = Set(validate::text("name", name, MAX_NAME)?);
    }
    if let Some(kind) = input.kind {
        row.kind = Set(kind);
    }
    let new_remit = match (&input.remit_node_ids, &input.remit_measure_ids) {
        (None, None) => None,
        (nodes, measures) => Some(
            remit(
                w,
                old.authority_id,
                nodes.as_deref().unwrap_or_default(),
                measures.as_deref().unwrap_or_default(),
            )
            .await?,
        ),
    };
    let p = w.change("updatePanel", "panel", &old, row).await?;
    if let Some((nodes, measures)) = new_remit {
        store::edits::set_remit(w, &p, &nodes, &measures).await?;
    }
    Ok(p)
}

pub async fn create_meeting(
    w: &Write,
    viewer: &Viewer,
    input: CreateMeetingInput,
) -> ApiResult<meeting::Model> {
    let p = structure::<panel::Entity>(w, viewer, &input.panel_id, "panel").await?;
    let title = validate::text("title", &input.title, MAX_TITLE)?;
    let mut items = Vec::with_capacity(input.agenda.len());
    for (i, a) in input.agenda.iter().enumerate() {
        let plan_id = match &a.plan_id {
            Some(id) => Some(
                reference::<plan::Entity>(w, id, "plan", p.authority_id)
                    .await
                    .map_err(|e| at_row(i, e))?
                    .id,
            ),
            None => None,
        };
        let text = |field, value: Option<&str>| {
            validate::optional_text(field, value, MAX_TEXT).map_err(|e| at_row(i, e))
        };
        items.push(agenda_item::ActiveModel {
            authority_id: Set(p.authority_id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            title: Set(validate::text("title", &a.title, MAX_TITLE).map_err(|e| at_row(i, e))?),
            plan_id: Set(plan_id),
            period: Set(a.period),
            minutes: Set(text("minutes", a.minutes.as_deref())?),
            resolutions: Set(text("resolutions", a.resolutions.as_deref())?),
            ..Default::default()
        });
    }
    let row = meeting::ActiveModel {
        authority_id: Set(p.authority_id),
        panel_id: Set(p.id),
        held_on: Set(input.held_on.0),
        title: Set(title),
        ..Default::default()
    };
    let mt = w.create("createMeeting", "meeting", row).await?;
    for item in &mut items {
        item.meeting_id = Set(mt.id);
    }
    w.create_many("createMeeting", "agendaItem", items).await?;
    Ok(mt)
}
