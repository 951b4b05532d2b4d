//! The statements of edits guarded by a version, and of a panel's remit.

use entity::model::{action, commentary, commentary_history, panel, panel_remit};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde::Serialize;

use super::write::Write;
use crate::error::{ApiError, ApiResult};

/// Replaces a commentary's body if it is still at `expected_version`.
pub async fn edit_commentary(
    w: &Write,
    old: &commentary::Model,
    body: &str,
    expected_version: i32,
) -> ApiResult<commentary::Model> {
    let stale = || {
        ApiError::Conflict(format!(
            "the commentary has changed since version {expected_version}"
        ))
    };
    if old.version != expected_version {
        return Err(stale());
    }
    let mut changes = old.clone().into_active_model();
    changes.body = Set(body.to_owned());
    changes.version = Set(expected_version + 1);
    changes.author = Set(w.actor.clone());
    changes.updated_at = Set(w.now);
    let new = w
        .change_versioned(
            "editCommentary",
            "commentary",
            old,
            (commentary::Column::Version, expected_version),
            changes,
            stale,
        )
        .await?;
    commentary_history::ActiveModel {
        authority_id: Set(old.authority_id),
        commentary_id: Set(old.id),
        version: Set(old.version),
        body: Set(old.body.clone()),
        author: Set(old.author.clone()),
        edited_at: Set(w.now),
        ..Default::default()
    }
    .insert(&w.txn)
    .await?;
    Ok(new)
}

/// Changes an action if it is still at `expected_version`.
pub async fn update_action(
    w: &Write,
    old: &action::Model,
    status: Option<entity::ActionStatus>,
    note: Option<String>,
    expected_version: i32,
) -> ApiResult<action::Model> {
    let stale = || ApiError::Conflict(format!("the action has changed since version {expected_version}"));
    if old.version != expected_version {
        return Err(stale());
    }
    let mut changes = old.clone().into_active_model();
    changes.status = Set(status.unwrap_or(old.status));
    changes.note = Set(note.or_else(|| old.note.clone()));
    changes.version = Set(expected_version + 1);
    changes.updated_at = Set(w.now);
    w.change_versioned(
        "updateAction",
        "action",
        old,
        (action::Column::Version, expected_version),
        changes,
        stale,
    )
    .await
}

/// Replaces a panel's remit, auditing the old and new lists.
pub async fn set_remit(w: &Write, p: &panel::Model, node_ids: &[i64], measure_ids: &[i64]) -> ApiResult<()> {
    #[derive(Serialize)]
    struct Remit {
        nodes: Vec<i64>,
        measures: Vec<i64>,
    }
    let old = panel_remit::Entity::find()
        .filter(panel_remit::Column::PanelId.eq(p.id))
        .all(&w.txn)
        .await?;
    let before = Remit {
        nodes: old.iter().filter_map(|r| r.node_id).collect(),
        measures: old.iter().filter_map(|r| r.measure_id).collect(),
    };
    panel_remit::Entity::delete_many()
        .filter(panel_remit::Column::PanelId.eq(p.id))
        .exec(&w.txn)
        .await?;
    let rows = node_ids
        .iter()
        .map(|n| (Some(*n), None))
        .chain(measure_ids.iter().map(|m| (None, Some(*m))))
        .map(|(node_id, measure_id)| panel_remit::ActiveModel {
            authority_id: Set(p.authority_id),
            panel_id: Set(p.id),
            node_id: Set(node_id),
            measure_id: Set(measure_id),
            ..Default::default()
        });
    panel_remit::Entity::insert_many(rows).exec(&w.txn).await?;
    let after = Remit {
        nodes: node_ids.to_vec(),
        measures: measure_ids.to_vec(),
    };
    w.audit(
        Some(p.authority_id),
        "setRemit",
        "panelRemit",
        Some(p.id),
        Some(&before),
        Some(&after),
    )
    .await
}
