//! What each mutation does, in the order every one of them follows: ask
//! the policy whether the viewer could act at all, find what is acted on,
//! ask the policy again for that authority, validate the input, then write
//! in one transaction with its audit record.

use async_graphql::ID;
use entity::model::{
    action, action_plan, agenda_item, authority, commentary, measure, meeting, panel, partner, plan,
    plan_node, result,
};
use entity::rules::{
    DEFAULT_AMBER_TOLERANCE_PERCENT, DEFAULT_STABLE_BAND_PERCENT, DEFAULT_TREND_PERIODS, floor_fits,
};
use entity::{ActionStatus, DirectionMethod, MeasureKind, Num};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel};

use crate::error::{ApiError, ApiResult};
use crate::inputs::*;
use crate::policy::{Action, Scope, Viewer, authorize, authorize_somewhere, measure_scope};
use crate::store::{self, write};
use crate::validate::{self, MAX_ITEMS, MAX_NAME, MAX_TEXT, MAX_TITLE};

fn subject(viewer: &Viewer) -> ApiResult<&str> {
    match viewer {
        Viewer::Anonymous => Err(ApiError::Unauthenticated),
        Viewer::User { subject, .. } => Ok(subject),
    }
}

fn scope(authority_id: i64) -> Scope {
    Scope {
        authority_id,
        partner_id: None,
    }
}

async fn find<E>(db: &DatabaseConnection, id: &ID, what: &str) -> ApiResult<E::Model>
where
    E: EntityTrait,
{
    // An unknown id is a mistake in the input, like any other.
    let not_found = || ApiError::BadUserInput(format!("no {what} {}", id.as_str()));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    store::by_ids::<E>(db, &[n]).await?.pop().ok_or_else(not_found)
}

/// Rows other inputs refer to, in one statement: an unknown id, or one of
/// another authority, is the client's mistake.
async fn references<E>(
    db: &DatabaseConnection,
    ids: &[ID],
    what: &str,
    authority_id: i64,
) -> ApiResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: write::Audited,
{
    let wanted = ids
        .iter()
        .map(|id| validate::id(what, id))
        .collect::<ApiResult<Vec<i64>>>()?;
    let rows = store::by_ids::<E>(db, &wanted).await?;
    wanted
        .iter()
        .zip(ids)
        .map(|(n, id)| {
            rows.iter()
                .find(|r| {
                    write::Audited::row_id(*r) == *n && write::Audited::authority(*r) == Some(authority_id)
                })
                .cloned()
                .ok_or_else(|| ApiError::BadUserInput(format!("no {what} {} in this authority", id.as_str())))
        })
        .collect()
}

fn row_ids<M: write::Audited>(rows: &[M]) -> Vec<i64> {
    rows.iter().map(write::Audited::row_id).collect()
}

async fn reference<E>(db: &DatabaseConnection, id: &ID, what: &str, authority_id: i64) -> ApiResult<E::Model>
where
    E: EntityTrait,
    E::Model: write::Audited,
{
    let mut one = references::<E>(db, std::slice::from_ref(id), what, authority_id).await?;
    one.pop()
        .ok_or_else(|| ApiError::internal("a reference vanished"))
}

/// The policy's two questions: could this viewer act anywhere, then may it
/// act on the row found.
async fn guarded<E>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action: Action,
    id: &ID,
    what: &str,
    scope_of: impl Fn(&E::Model) -> Scope,
) -> ApiResult<E::Model>
where
    E: EntityTrait,
{
    authorize_somewhere(viewer, action)?;
    let row = find::<E>(db, id, what).await?;
    authorize(viewer, action, Some(scope_of(&row)))?;
    Ok(row)
}

/// Inserts a row with its audit record in a transaction of its own.
async fn commit_new<A>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    operation: &str,
    entity: &str,
    row: A,
) -> ApiResult<<A::Entity as EntityTrait>::Model>
where
    A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A> + serde::Serialize + write::Audited,
{
    let w = write::begin(db, subject(viewer)?).await?;
    let m = w.create(operation, entity, row).await?;
    w.commit().await?;
    Ok(m)
}

/// Saves a changed row with its audit record in a transaction of its own.
async fn commit_change<A>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    operation: &str,
    entity: &str,
    old: &<A::Entity as EntityTrait>::Model,
    row: A,
) -> ApiResult<<A::Entity as EntityTrait>::Model>
where
    A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A> + serde::Serialize + write::Audited,
{
    let w = write::begin(db, subject(viewer)?).await?;
    let m = w.change(operation, entity, old, row).await?;
    w.commit().await?;
    Ok(m)
}

fn rag_rule(r: &RagRuleInput) -> ApiResult<(entity::RagMethod, Num)> {
    let tol = match r.amber_tolerance_percent {
        Some(t) => validate::percent("amberTolerancePercent", t)?,
        None => Num(DEFAULT_AMBER_TOLERANCE_PERCENT),
    };
    Ok((r.method, tol))
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
        return Err(ApiError::BadUserInput("trendPeriods must be 3 to 40".to_owned()));
    }
    Ok((r.method, band, periods))
}

pub async fn create_authority(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: CreateAuthorityInput,
) -> ApiResult<authority::Model> {
    authorize(viewer, Action::CreateAuthority, None)?;
    let slug = validate::slug(&input.slug)?;
    let name = validate::text("name", &input.name, MAX_NAME)?;
    let w = write::begin(db, subject(viewer)?).await?;
    let row = authority::ActiveModel {
        slug: Set(slug),
        name: Set(name),
        kind: Set(input.kind),
        created_at: Set(w.now),
        ..Default::default()
    };
    let m = w.create("createAuthority", "authority", row).await?;
    w.commit().await?;
    Ok(m)
}

pub async fn update_authority(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: UpdateAuthorityInput,
) -> ApiResult<authority::Model> {
    let old = guarded::<authority::Entity>(db, viewer, Action::EditStructure, &input.id, "authority", |a| {
        scope(a.id)
    })
    .await?;
    let mut row = old.clone().into_active_model();
    if let Some(name) = &input.name {
        row.name = Set(validate::text("name", name, MAX_NAME)?);
    }
    if let Some(kind) = input.kind {
        row.kind = Set(kind);
    }
    commit_change(db, viewer, "updateAuthority", "authority", &old, row).await
}

pub async fn create_partner(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: CreatePartnerInput,
) -> ApiResult<partner::Model> {
    let a = guarded::<authority::Entity>(
        db,
        viewer,
        Action::EditStructure,
        &input.authority_id,
        "authority",
        |a| scope(a.id),
    )
    .await?;
    let row = partner::ActiveModel {
        authority_id: Set(a.id),
        slug: Set(validate::slug(&input.slug)?),
        name: Set(validate::text("name", &input.name, MAX_NAME)?),
        ..Default::default()
    };
    commit_new(db, viewer, "createPartner", "partner", row).await
}

pub async fn create_plan(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: CreatePlanInput,
) -> ApiResult<plan::Model> {
    let a = guarded::<authority::Entity>(
        db,
        viewer,
        Action::EditStructure,
        &input.authority_id,
        "authority",
        |a| scope(a.id),
    )
    .await?;
    let (rag_method, tolerance) = rag_rule(&input.rag_rule)?;
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
        rag_method: Set(rag_method),
        amber_tolerance_percent: Set(tolerance),
        direction_method: Set(direction_method),
        stable_band_percent: Set(band),
        trend_periods: Set(trend),
        from_year: Set(from),
        to_year: Set(to),
        archived: Set(false),
        ..Default::default()
    };
    commit_new(db, viewer, "createPlan", "plan", row).await
}

pub async fn update_partner(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: UpdatePartnerInput,
) -> ApiResult<partner::Model> {
    let old = guarded::<partner::Entity>(db, viewer, Action::EditStructure, &input.id, "partner", |p| {
        scope(p.authority_id)
    })
    .await?;
    let mut row = old.clone().into_active_model();
    if let Some(slug) = &input.slug {
        row.slug = Set(validate::slug(slug)?);
    }
    if let Some(name) = &input.name {
        row.name = Set(validate::text("name", name, MAX_NAME)?);
    }
    commit_change(db, viewer, "updatePartner", "partner", &old, row).await
}

pub async fn update_plan(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: UpdatePlanInput,
) -> ApiResult<plan::Model> {
    let old = guarded::<plan::Entity>(db, viewer, Action::EditStructure, &input.id, "plan", |p| {
        scope(p.authority_id)
    })
    .await?;
    let mut row = old.clone().into_active_model();
    if let Some(title) = &input.title {
        row.title = Set(validate::text("title", title, MAX_TITLE)?);
    }
    if let Some(kind) = input.kind {
        row.kind = Set(kind);
    }
    if let Some(r) = &input.rag_rule {
        let (method, tolerance) = rag_rule(r)?;
        row.rag_method = Set(method);
        row.amber_tolerance_percent = Set(tolerance);
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
    commit_change(db, viewer, "updatePlan", "plan", &old, row).await
}

fn check_years(from: Option<entity::Period>, to: Option<entity::Period>) -> ApiResult<()> {
    match (from, to) {
        (Some(f), Some(t)) if t < f => Err(ApiError::BadUserInput(
            "the plan's `to` is before its `from`".to_owned(),
        )),
        _ => Ok(()),
    }
}

pub async fn update_plan_node(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: UpdatePlanNodeInput,
) -> ApiResult<plan_node::Model> {
    let old = guarded::<plan_node::Entity>(db, viewer, Action::EditStructure, &input.id, "plan node", |n| {
        scope(n.authority_id)
    })
    .await?;
    let mut row = old.clone().into_active_model();
    if let Some(code) = &input.code {
        row.code = Set(validate::code(code)?);
    }
    if let Some(title) = &input.title {
        row.title = Set(validate::text("title", title, MAX_TITLE)?);
    }
    commit_change(db, viewer, "updatePlanNode", "planNode", &old, row).await
}

pub async fn update_measure(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: UpdateMeasureInput,
) -> ApiResult<measure::Model> {
    let old = guarded::<measure::Entity>(db, viewer, Action::EditStructure, &input.id, "measure", |m| {
        scope(m.authority_id)
    })
    .await?;
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
        let node = reference::<plan_node::Entity>(db, node_id, "plan node", old.authority_id).await?;
        if node.plan_id != old.plan_id {
            return Err(ApiError::BadUserInput(
                "a measure moves only within its plan".to_owned(),
            ));
        }
        row.node_id = Set(Some(node.id));
    }
    match (&input.rag_rule, input.clear_rag_rule) {
        (Some(_), true) => {
            return Err(ApiError::BadUserInput(
                "give ragRule or clearRagRule, not both".to_owned(),
            ));
        }
        (Some(r), false) => {
            let (method, tolerance) = rag_rule(r)?;
            row.rag_method = Set(Some(method));
            row.amber_tolerance_percent = Set(Some(tolerance));
        }
        (None, true) => {
            row.rag_method = Set(None);
            row.amber_tolerance_percent = Set(None);
        }
        (None, false) => {}
    }
    commit_change(db, viewer, "updateMeasure", "measure", &old, row).await
}

pub async fn update_panel(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: UpdatePanelInput,
) -> ApiResult<panel::Model> {
    let old = guarded::<panel::Entity>(db, viewer, Action::EditStructure, &input.id, "panel", |p| {
        scope(p.authority_id)
    })
    .await?;
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
                db,
                old.authority_id,
                nodes.as_deref().unwrap_or_default(),
                measures.as_deref().unwrap_or_default(),
            )
            .await?,
        ),
    };
    let w = write::begin(db, subject(viewer)?).await?;
    let p = w.change("updatePanel", "panel", &old, row).await?;
    if let Some((nodes, measures)) = new_remit {
        write::set_remit(&w, &p, &nodes, &measures).await?;
    }
    w.commit().await?;
    Ok(p)
}

pub async fn archive_plan(db: &DatabaseConnection, viewer: &Viewer, id: &ID) -> ApiResult<plan::Model> {
    let old = guarded::<plan::Entity>(db, viewer, Action::EditStructure, id, "plan", |p| {
        scope(p.authority_id)
    })
    .await?;
    let mut row = old.clone().into_active_model();
    row.archived = Set(true);
    commit_change(db, viewer, "archivePlan", "plan", &old, row).await
}

pub async fn create_plan_node(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: CreatePlanNodeInput,
) -> ApiResult<plan_node::Model> {
    let p = guarded::<plan::Entity>(db, viewer, Action::EditStructure, &input.plan_id, "plan", |p| {
        scope(p.authority_id)
    })
    .await?;
    let parent_id = match &input.parent_id {
        Some(pid) => {
            let parent = reference::<plan_node::Entity>(db, pid, "parent node", p.authority_id).await?;
            if parent.plan_id != p.id {
                return Err(ApiError::BadUserInput(
                    "the parent node belongs to another plan".to_owned(),
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
        position: Set(0),
        ..Default::default()
    };
    commit_new(db, viewer, "createPlanNode", "planNode", row).await
}

pub async fn create_measure(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: CreateMeasureInput,
) -> ApiResult<measure::Model> {
    let node = guarded::<plan_node::Entity>(
        db,
        viewer,
        Action::EditStructure,
        &input.node_id,
        "plan node",
        |n| scope(n.authority_id),
    )
    .await?;
    let partner_id = match (&input.partner_id, input.kind) {
        (Some(pid), MeasureKind::Partnership) => Some(
            reference::<partner::Entity>(db, pid, "partner", node.authority_id)
                .await?
                .id,
        ),
        (None, MeasureKind::Partnership) => {
            return Err(ApiError::BadUserInput(
                "a partnership measure names the partner that leads it".to_owned(),
            ));
        }
        (Some(_), _) => {
            return Err(ApiError::BadUserInput(
                "only a partnership measure has a lead partner".to_owned(),
            ));
        }
        (None, _) => None,
    };
    let (rag_method, tolerance) = match &input.rag_rule {
        Some(r) => rag_rule(r).map(|(m, t)| (Some(m), Some(t)))?,
        None => (None, None),
    };
    let row = measure::ActiveModel {
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
        rag_method: Set(rag_method),
        amber_tolerance_percent: Set(tolerance),
        position: Set(0),
        archived: Set(false),
        ..Default::default()
    };
    commit_new(db, viewer, "createMeasure", "measure", row).await
}

pub async fn archive_measure(db: &DatabaseConnection, viewer: &Viewer, id: &ID) -> ApiResult<measure::Model> {
    let old = guarded::<measure::Entity>(db, viewer, Action::EditStructure, id, "measure", |m| {
        scope(m.authority_id)
    })
    .await?;
    let mut row = old.clone().into_active_model();
    row.archived = Set(true);
    commit_change(db, viewer, "archiveMeasure", "measure", &old, row).await
}

/// The measure a period-keyed input is about, with its plan, once the
/// viewer may `action` on it and the period lies in the plan's years.
async fn measure_in_period(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action: Action,
    measure_id: &ID,
    period: entity::Period,
) -> ApiResult<(measure::Model, plan::Model)> {
    let m = guarded::<measure::Entity>(db, viewer, action, measure_id, "measure", measure_scope).await?;
    let p = store::by_ids::<plan::Entity>(db, &[m.plan_id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("a measure without its plan"))?;
    if m.archived || p.archived {
        return Err(ApiError::BadUserInput(format!("measure {} is archived", m.code)));
    }
    validate::in_span(period, p.from_year, p.to_year)?;
    Ok((m, p))
}

pub async fn set_target(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: SetTargetInput,
) -> ApiResult<measure::Model> {
    let (m, _) = measure_in_period(db, viewer, Action::SetTarget, &input.measure_id, input.period).await?;
    validate::target_period(input.period, m.frequency.period_kind())?;
    let value = validate::number("target", input.target)?;
    let floor = input.floor.map(|f| validate::number("floor", f)).transpose()?;
    if let Some(f) = floor
        && !floor_fits(m.polarity, value.0, f.0)
    {
        return Err(ApiError::BadUserInput(format!(
            "the floor {f} is on the wrong side of the target {value} for a {:?} measure",
            m.polarity
        )));
    }
    let w = write::begin(db, subject(viewer)?).await?;
    write::set_target(&w, &m, input.period, value, floor).await?;
    w.commit().await?;
    Ok(m)
}

/// Stores results all or nothing; a refusal names the row by its index.
/// The measures and plans of every row are read in two statements.
pub async fn submit_results(
    db: &DatabaseConnection,
    viewer: &Viewer,
    inputs: &[SubmitResultInput],
) -> ApiResult<Vec<result::Model>> {
    authorize_somewhere(viewer, Action::SubmitResult)?;
    let ids: Vec<Option<i64>> = inputs.iter().map(|i| i.measure_id.parse::<i64>().ok()).collect();
    let wanted: Vec<i64> = ids.iter().flatten().copied().collect();
    let measures = store::by_ids::<measure::Entity>(db, &wanted).await?;
    let found: Vec<Option<&measure::Model>> = ids
        .iter()
        .map(|id| id.and_then(|id| measures.iter().find(|m| m.id == id)))
        .collect();
    // Every row the viewer may not write is refused before any row is checked.
    for (i, m) in found.iter().enumerate() {
        if let Some(m) = m {
            authorize(viewer, Action::SubmitResult, Some(measure_scope(m))).map_err(|e| at_row(i, e))?;
        }
    }
    if inputs.is_empty() || inputs.len() > MAX_ITEMS {
        return Err(ApiError::BadUserInput(format!(
            "submit 1 to {MAX_ITEMS} results at once"
        )));
    }
    let plan_ids: Vec<i64> = measures.iter().map(|m| m.plan_id).collect();
    let plans = store::by_ids::<plan::Entity>(db, &plan_ids).await?;
    let mut items = Vec::with_capacity(inputs.len());
    for (i, (input, m)) in inputs.iter().zip(&found).enumerate() {
        let check = || -> ApiResult<write::NewResult<'_>> {
            let m =
                m.ok_or_else(|| ApiError::BadUserInput(format!("no measure {}", input.measure_id.as_str())))?;
            let p = plans
                .iter()
                .find(|p| p.id == m.plan_id)
                .ok_or_else(|| ApiError::internal("a measure without its plan"))?;
            if m.archived || p.archived {
                return Err(ApiError::BadUserInput(format!("measure {} is archived", m.code)));
            }
            validate::in_span(input.period, p.from_year, p.to_year)?;
            validate::reporting_period(input.period, m.frequency.period_kind())?;
            if inputs[..i]
                .iter()
                .any(|e| e.measure_id == input.measure_id && e.period == input.period)
            {
                return Err(ApiError::BadUserInput(
                    "the same measure and period appear twice".to_owned(),
                ));
            }
            Ok(write::NewResult {
                measure: m,
                period: input.period,
                value: validate::number("value", input.value)?,
                note: validate::optional_text("note", input.note.as_deref(), MAX_TEXT)?,
                expected_version: input.expected_version,
            })
        };
        items.push(check().map_err(|e| at_row(i, e))?);
    }
    let w = write::begin(db, subject(viewer)?).await?;
    let saved = write::submit_results(&w, &items).await?;
    w.commit().await?;
    Ok(saved)
}

/// The same error, naming the row of a batch it concerns.
fn at_row(i: usize, e: ApiError) -> ApiError {
    match e {
        ApiError::BadUserInput(m) => ApiError::BadUserInput(format!("row {i}: {m}")),
        ApiError::Forbidden(m) => ApiError::Forbidden(format!("row {i}: {m}")),
        ApiError::Conflict(m) => ApiError::Conflict(format!("row {i}: {m}")),
        other => other,
    }
}

pub async fn publish_period(
    db: &DatabaseConnection,
    viewer: &Viewer,
    plan_id: &ID,
    period: entity::Period,
) -> ApiResult<plan::Model> {
    let p = guarded::<plan::Entity>(db, viewer, Action::PublishPeriod, plan_id, "plan", |p| {
        scope(p.authority_id)
    })
    .await?;
    validate::in_span(period, p.from_year, p.to_year)?;
    let w = write::begin(db, subject(viewer)?).await?;
    write::publish(&w, &p, period).await?;
    w.commit().await?;
    Ok(p)
}

pub async fn add_commentary(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: AddCommentaryInput,
) -> ApiResult<commentary::Model> {
    let (m, _) = measure_in_period(
        db,
        viewer,
        Action::AddCommentary(input.kind),
        &input.measure_id,
        input.period,
    )
    .await?;
    let body = validate::text("body", &input.body, MAX_TEXT)?;
    let w = write::begin(db, subject(viewer)?).await?;
    let row = commentary::ActiveModel {
        authority_id: Set(m.authority_id),
        measure_id: Set(m.id),
        period: Set(input.period),
        kind: Set(input.kind),
        body: Set(body),
        version: Set(1),
        author: Set(w.actor.clone()),
        created_at: Set(w.now),
        updated_at: Set(w.now),
        ..Default::default()
    };
    let c = w.create("addCommentary", "commentary", row).await?;
    w.commit().await?;
    Ok(c)
}

pub async fn edit_commentary(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: EditCommentaryInput,
) -> ApiResult<commentary::Model> {
    let me = subject(viewer)?;
    // The kind and author decide, so the row is found before the final question.
    authorize_somewhere(
        viewer,
        Action::EditCommentary {
            kind: entity::CommentaryKind::Service,
            own: true,
        },
    )?;
    let old = find::<commentary::Entity>(db, &input.id, "commentary").await?;
    let m = find::<measure::Entity>(db, &ID(old.measure_id.to_string()), "measure").await?;
    let action = Action::EditCommentary {
        kind: old.kind,
        own: old.author == me,
    };
    authorize(viewer, action, Some(measure_scope(&m)))?;
    let body = validate::text("body", &input.body, MAX_TEXT)?;
    let w = write::begin(db, me).await?;
    let c = write::edit_commentary(&w, &old, &body, input.expected_version).await?;
    w.commit().await?;
    Ok(c)
}

pub async fn create_action_plan(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: CreateActionPlanInput,
) -> ApiResult<action_plan::Model> {
    let m = guarded::<measure::Entity>(
        db,
        viewer,
        Action::WriteActionPlan,
        &input.measure_id,
        "measure",
        measure_scope,
    )
    .await?;
    let title = validate::text("title", &input.title, MAX_TITLE)?;
    if input.actions.len() > MAX_ITEMS {
        return Err(ApiError::BadUserInput(format!("at most {MAX_ITEMS} actions")));
    }
    let mut actions = Vec::with_capacity(input.actions.len());
    for (i, a) in input.actions.iter().enumerate() {
        let description =
            validate::text("description", &a.description, MAX_TEXT).map_err(|e| at_row(i, e))?;
        let owner = validate::text("owner", &a.owner, MAX_NAME).map_err(|e| at_row(i, e))?;
        actions.push((description, owner, a.due_on.map(|d| d.0)));
    }
    let w = write::begin(db, subject(viewer)?).await?;
    let row = action_plan::ActiveModel {
        authority_id: Set(m.authority_id),
        measure_id: Set(m.id),
        title: Set(title),
        created_by: Set(w.actor.clone()),
        created_at: Set(w.now),
        ..Default::default()
    };
    let ap = w.create("createActionPlan", "actionPlan", row).await?;
    for (description, owner, due_on) in actions {
        let row = action::ActiveModel {
            authority_id: Set(m.authority_id),
            action_plan_id: Set(ap.id),
            description: Set(description),
            owner: Set(owner),
            due_on: Set(due_on),
            status: Set(ActionStatus::NotStarted),
            note: Set(None),
            version: Set(1),
            updated_at: Set(w.now),
            ..Default::default()
        };
        w.create("createActionPlan", "action", row).await?;
    }
    w.commit().await?;
    Ok(ap)
}

pub async fn update_action(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: UpdateActionInput,
) -> ApiResult<action::Model> {
    let old = guarded::<action::Entity>(db, viewer, Action::WriteActionPlan, &input.id, "action", |a| {
        scope(a.authority_id)
    })
    .await?;
    let note = validate::optional_text("note", input.note.as_deref(), MAX_TEXT)?;
    let w = write::begin(db, subject(viewer)?).await?;
    let a = write::update_action(&w, &old, input.status, note, input.expected_version).await?;
    w.commit().await?;
    Ok(a)
}

pub async fn create_panel(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: CreatePanelInput,
) -> ApiResult<panel::Model> {
    let a = guarded::<authority::Entity>(
        db,
        viewer,
        Action::EditStructure,
        &input.authority_id,
        "authority",
        |a| scope(a.id),
    )
    .await?;
    let name = validate::text("name", &input.name, MAX_NAME)?;
    let (nodes, measures) = remit(db, a.id, &input.remit_node_ids, &input.remit_measure_ids).await?;
    let w = write::begin(db, subject(viewer)?).await?;
    let row = panel::ActiveModel {
        authority_id: Set(a.id),
        name: Set(name),
        kind: Set(input.kind),
        ..Default::default()
    };
    let p = w.create("createPanel", "panel", row).await?;
    write::set_remit(&w, &p, &nodes, &measures).await?;
    w.commit().await?;
    Ok(p)
}

/// Checks a remit's ids belong to the panel's authority.
async fn remit(
    db: &DatabaseConnection,
    authority_id: i64,
    nodes: &[ID],
    measures: &[ID],
) -> ApiResult<(Vec<i64>, Vec<i64>)> {
    if nodes.len() + measures.len() > MAX_ITEMS {
        return Err(ApiError::BadUserInput(format!(
            "a remit holds at most {MAX_ITEMS} entries"
        )));
    }
    let node_ids = references::<plan_node::Entity>(db, nodes, "plan node", authority_id).await?;
    let measure_ids = references::<measure::Entity>(db, measures, "measure", authority_id).await?;
    Ok((row_ids(&node_ids), row_ids(&measure_ids)))
}

pub async fn create_meeting(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: CreateMeetingInput,
) -> ApiResult<meeting::Model> {
    let p = guarded::<panel::Entity>(db, viewer, Action::EditStructure, &input.panel_id, "panel", |p| {
        scope(p.authority_id)
    })
    .await?;
    let title = validate::text("title", &input.title, MAX_TITLE)?;
    let mut items = Vec::with_capacity(input.agenda.len());
    for (i, a) in input.agenda.iter().enumerate() {
        let plan_id = match &a.plan_id {
            Some(id) => Some(
                reference::<plan::Entity>(db, id, "plan", p.authority_id)
                    .await
                    .map_err(|e| at_row(i, e))?
                    .id,
            ),
            None => None,
        };
        items.push((
            validate::text("title", &a.title, MAX_TITLE).map_err(|e| at_row(i, e))?,
            plan_id,
            a.period,
            validate::optional_text("minutes", a.minutes.as_deref(), MAX_TEXT).map_err(|e| at_row(i, e))?,
            validate::optional_text("resolutions", a.resolutions.as_deref(), MAX_TEXT)
                .map_err(|e| at_row(i, e))?,
        ));
    }
    let w = write::begin(db, subject(viewer)?).await?;
    let row = meeting::ActiveModel {
        authority_id: Set(p.authority_id),
        panel_id: Set(p.id),
        held_on: Set(input.held_on.0),
        title: Set(title),
        ..Default::default()
    };
    let mt = w.create("createMeeting", "meeting", row).await?;
    for (i, (title, plan_id, period, minutes, resolutions)) in items.into_iter().enumerate() {
        let row = agenda_item::ActiveModel {
            authority_id: Set(p.authority_id),
            meeting_id: Set(mt.id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            title: Set(title),
            plan_id: Set(plan_id),
            period: Set(period),
            minutes: Set(minutes),
            resolutions: Set(resolutions),
            ..Default::default()
        };
        w.create("createMeeting", "agendaItem", row).await?;
    }
    w.commit().await?;
    Ok(mt)
}

/// An authority's audit log, for its ADMINs.
pub async fn audit_log(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    authority_id: i64,
    page: AuditPage,
) -> ApiResult<(Vec<entity::model::audit_log::Model>, bool)> {
    authorize(viewer, Action::ReadAudit, Some(scope(authority_id)))?;
    let first = page.first.unwrap_or(50);
    if !(1..=500).contains(&first) {
        return Err(ApiError::BadUserInput("first must be 1 to 500".to_owned()));
    }
    let after = page
        .after
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| ApiError::BadUserInput(format!("`{c}` is not a cursor")))
        })
        .transpose()?;
    let limit = u64::try_from(first).unwrap_or(50);
    let mut rows = write::audit_page(db, authority_id, page.from, page.to, after, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(50));
    Ok((rows, more))
}
