//! A measure's definition changes: each starts its series again (see
//! `entity::definitions`), so ADMINs record them with the period they take
//! effect from and why.

use entity::definitions::{Definition, MAX_DEFINITIONS};
use entity::model::measure;
use sea_orm::{ActiveValue::Set, IntoActiveModel};

use super::guard::structure;
use super::structure::measure_changed;
use super::validate::{self, MAX_TEXT};
use crate::error::{ApiError, ApiResult};
use crate::inputs::ChangeMeasureDefinitionInput;
use crate::policy::Viewer;
use crate::store::write::Write;

const FROM: &str = "effectiveFrom";

pub async fn change_measure_definition(
    w: &Write,
    viewer: &Viewer,
    input: ChangeMeasureDefinitionInput,
) -> ApiResult<measure::Model> {
    let old = structure::<measure::Entity>(w, viewer, &input.measure_id, "measure").await?;
    let from = input.effective_from;
    let kind = old.frequency.period_kind();
    if from.kind() != kind {
        return Err(ApiError::invalid(
            FROM,
            format!("{from} is not a {kind:?} period, which {} reports in", old.code),
        ));
    }
    let description = validate::text("description", &input.description, MAX_TEXT)?;
    let mut definitions = old.definitions.clone().unwrap_or_default();
    // The last change recorded again, as a retry would: nothing to write.
    if definitions
        .0
        .last()
        .is_some_and(|last| last.effective_from == from && last.description == description)
    {
        return Ok(old);
    }
    if definitions.0.len() >= MAX_DEFINITIONS {
        return Err(ApiError::invalid(
            FROM,
            format!(
                "{} has {MAX_DEFINITIONS} definition changes, the most one measure keeps",
                old.code
            ),
        ));
    }
    if let Some(last) = definitions.0.last()
        && from.start_date() <= last.effective_from.start_date()
    {
        return Err(ApiError::invalid(
            FROM,
            format!(
                "{}'s definition last changed from {}: a new change comes after it",
                old.code, last.effective_from
            ),
        ));
    }
    definitions.0.push(Definition {
        effective_from: from,
        description,
        changed_by: w.actor.clone(),
        changed_at: w.now,
    });
    let mut row = old.clone().into_active_model();
    row.definitions = Set(Some(definitions));
    let m = w.change("changeMeasureDefinition", "measure", &old, row).await?;
    measure_changed(w, &m).await?;
    Ok(m)
}
