//! Commentary on results, and action plans for the exceptions.

use entity::model::{action, action_plan, commentary, measure};
use entity::{ActionStatus, CommentaryKind};
use sea_orm::ActiveValue::Set;

use super::guard::{at_row, find, guarded, scope};
use super::reporting::measure_in_period;
use super::validate::{self, MAX_ITEMS, MAX_NAME, MAX_TEXT, MAX_TITLE};
use crate::error::{ApiError, ApiResult};
use crate::ids::{self, Kind};
use crate::inputs::{AddCommentaryInput, CreateActionPlanInput, EditCommentaryInput, UpdateActionInput};
use crate::live::Event;
use crate::policy::{Verb, Viewer, authorize, authorize_somewhere, measure_scope};
use crate::store;
use crate::store::live::Affected;
use crate::store::write::Write;

pub async fn add_commentary(
    w: &Write,
    viewer: &Viewer,
    input: AddCommentaryInput,
) -> ApiResult<commentary::Model> {
    let m = measure_in_period(
        w,
        viewer,
        Verb::AddCommentary(input.kind),
        &input.measure_id,
        input.period,
    )
    .await?;
    let row = commentary::ActiveModel {
        authority_id: Set(m.authority_id),
        measure_id: Set(m.id),
        period: Set(input.period),
        kind: Set(input.kind),
        body: Set(validate::text("body", &input.body, MAX_TEXT)?),
        version: Set(1),
        author: Set(w.actor.clone()),
        created_at: Set(w.now),
        updated_at: Set(w.now),
        ..Default::default()
    };
    let c = w.create("addCommentary", "commentary", row).await?;
    w.raise(commentary_event(&c, &m));
    Ok(c)
}

pub async fn edit_commentary(
    w: &Write,
    viewer: &Viewer,
    input: EditCommentaryInput,
) -> ApiResult<commentary::Model> {
    // The kind and author decide, so the row is found before the final question.
    authorize_somewhere(
        viewer,
        Verb::EditCommentary {
            kind: CommentaryKind::Service,
            own: true,
        },
    )?;
    let old = find::<commentary::Entity>(w, &input.id, "commentary").await?;
    let m = find::<measure::Entity>(w, &ids::row(Kind::Measure, old.measure_id), "measure").await?;
    let verb = Verb::EditCommentary {
        kind: old.kind,
        own: old.author == w.actor,
    };
    authorize(viewer, verb, Some(measure_scope(&m)))?;
    let body = validate::text("body", &input.body, MAX_TEXT)?;
    let c = store::edits::edit_commentary(w, &old, &body, input.expected_version).await?;
    w.raise(commentary_event(&c, &m));
    Ok(c)
}

/// What a subscriber to commentary hears: added or edited, the same.
fn commentary_event(c: &commentary::Model, m: &measure::Model) -> Event {
    Event::Commentary {
        commentary: c.id,
        measure: m.id,
        plan: m.plan_id,
        authority: m.authority_id,
    }
}

/// The plan and its actions, in the order given (an import sets their
/// statuses next).
pub async fn create_action_plan(
    w: &Write,
    viewer: &Viewer,
    input: CreateActionPlanInput,
) -> ApiResult<(action_plan::Model, Vec<action::Model>)> {
    let m = guarded::<measure::Entity>(
        w,
        viewer,
        Verb::WriteActionPlan,
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
        actions.push(action::ActiveModel {
            authority_id: Set(m.authority_id),
            description: Set(
                validate::text("description", &a.description, MAX_TEXT).map_err(|e| at_row(i, e))?
            ),
            owner: Set(validate::text("owner", &a.owner, MAX_NAME).map_err(|e| at_row(i, e))?),
            due_on: Set(a.due_on.map(|d| d.0)),
            status: Set(ActionStatus::NotStarted),
            note: Set(None),
            version: Set(1),
            updated_at: Set(w.now),
            ..Default::default()
        });
    }
    let row = action_plan::ActiveModel {
        authority_id: Set(m.authority_id),
        measure_id: Set(m.id),
        title: Set(title),
        created_by: Set(w.actor.clone()),
        created_at: Set(w.now),
        ..Default::default()
    };
    let ap = w.create("createActionPlan", "actionPlan", row).await?;
    for a in &mut actions {
        a.action_plan_id = Set(ap.id);
    }
    let mut actions = w.create_many("createActionPlan", "action", actions).await?;
    store::live::results_changed(w, Affected::Measures(&[m.id])).await?;
    // RETURNING promises no order; ids are given in the order of the rows.
    actions.sort_by_key(|a| a.id);
    Ok((ap, actions))
}

pub async fn update_action(w: &Write, viewer: &Viewer, input: UpdateActionInput) -> ApiResult<action::Model> {
    let old = guarded::<action::Entity>(w, viewer, Verb::WriteActionPlan, &input.id, "action", |a| {
        scope(a.authority_id)
    })
    .await?;
    let note = validate::optional_text("note", input.note.as_deref(), MAX_TEXT)?;
    let a = store::edits::update_action(w, &old, input.status, note, input.expected_version).await?;
    let ap =
        find::<action_plan::Entity>(w, &ids::row(Kind::ActionPlan, a.action_plan_id), "action plan").await?;
    store::live::results_changed(w, Affected::Measures(&[ap.measure_id])).await?;
    Ok(a)
}
