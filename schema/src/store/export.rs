//! Reading everything one authority owns, for its export, and putting back
//! the audit log of an imported export.

use entity::model::{
    action, action_plan, agenda_item, audit_log, authority, commentary, commentary_history, comparison_group,
    comparison_group_member, deadline, measure, meeting, membership, metric, metric_value, panel,
    panel_remit, partner, plan, plan_node, publication, result, result_history, target,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::rows_where_in;
use crate::error::ApiResult;

/// Every row an authority owns, each table in the order rows were written.
pub struct Owned {
    pub authority: authority::Model,
    pub partners: Vec<partner::Model>,
    pub plans: Vec<plan::Model>,
    pub nodes: Vec<plan_node::Model>,
    pub measures: Vec<measure::Model>,
    pub targets: Vec<target::Model>,
    pub results: Vec<result::Model>,
    pub history: Vec<result_history::Model>,
    pub commentary: Vec<commentary::Model>,
    pub commentary_history: Vec<commentary_history::Model>,
    pub action_plans: Vec<action_plan::Model>,
    pub actions: Vec<action::Model>,
    pub panels: Vec<panel::Model>,
    pub remits: Vec<panel_remit::Model>,
    pub meetings: Vec<meeting::Model>,
    pub agenda: Vec<agenda_item::Model>,
    pub publications: Vec<publication::Model>,
    pub deadlines: Vec<deadline::Model>,
    /// The metrics its measures and reference values name.
    pub metrics: Vec<metric::Model>,
    pub metric_values: Vec<metric_value::Model>,
    pub groups: Vec<comparison_group::Model>,
    pub group_members: Vec<comparison_group_member::Model>,
    /// The authorities its groups name.
    pub members: Vec<authority::Model>,
    pub audit: Vec<audit_log::Model>,
    /// The roles held in the service at it.
    pub memberships: Vec<membership::Model>,
}

/// Reads every row of `a` in one repeatable pass: callers run it in a
/// transaction, so the files agree with each other.
pub async fn owned(db: &impl ConnectionTrait, a: authority::Model) -> ApiResult<Owned> {
    let id = [a.id];
    let groups =
        rows_where_in::<comparison_group::Entity>(db, comparison_group::Column::OwnerId, &id, None).await?;
    let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let group_members = rows_where_in::<comparison_group_member::Entity>(
        db,
        comparison_group_member::Column::GroupId,
        &group_ids,
        None,
    )
    .await?;
    let member_ids: Vec<i64> = group_members.iter().map(|m| m.authority_id).collect();
    let measures = rows_where_in::<measure::Entity>(db, measure::Column::AuthorityId, &id, None).await?;
    let metric_values =
        rows_where_in::<metric_value::Entity>(db, metric_value::Column::AuthorityId, &id, None).await?;
    let metric_ids: Vec<i64> = measures
        .iter()
        .filter_map(|m| m.metric_id)
        .chain(metric_values.iter().map(|v| v.metric_id))
        .collect();
    Ok(Owned {
        partners: rows_where_in::<partner::Entity>(db, partner::Column::AuthorityId, &id, None).await?,
        plans: rows_where_in::<plan::Entity>(db, plan::Column::AuthorityId, &id, None).await?,
        nodes: rows_where_in::<plan_node::Entity>(db, plan_node::Column::AuthorityId, &id, None).await?,
        measures,
        targets: rows_where_in::<target::Entity>(db, target::Column::AuthorityId, &id, None).await?,
        results: rows_where_in::<result::Entity>(db, result::Column::AuthorityId, &id, None).await?,
        history: rows_where_in::<result_history::Entity>(db, result_history::Column::AuthorityId, &id, None)
            .await?,
        commentary: rows_where_in::<commentary::Entity>(db, commentary::Column::AuthorityId, &id, None)
            .await?,
        commentary_history: rows_where_in::<commentary_history::Entity>(
            db,
            commentary_history::Column::AuthorityId,
            &id,
            None,
        )
        .await?,
        action_plans: rows_where_in::<action_plan::Entity>(db, action_plan::Column::AuthorityId, &id, None)
            .await?,
        actions: rows_where_in::<action::Entity>(db, action::Column::AuthorityId, &id, None).await?,
        panels: rows_where_in::<panel::Entity>(db, panel::Column::AuthorityId, &id, None).await?,
        remits: rows_where_in::<panel_remit::Entity>(db, panel_remit::Column::AuthorityId, &id, None).await?,
        meetings: rows_where_in::<meeting::Entity>(db, meeting::Column::AuthorityId, &id, None).await?,
        agenda: rows_where_in::<agenda_item::Entity>(db, agenda_item::Column::AuthorityId, &id, None).await?,
        publications: rows_where_in::<publication::Entity>(db, publication::Column::AuthorityId, &id, None)
            .await?,
        deadlines: rows_where_in::<deadline::Entity>(db, deadline::Column::AuthorityId, &id, None).await?,
        metrics: super::by_ids::<metric::Entity>(db, &metric_ids).await?,
        metric_values,
        groups,
        group_members,
        members: super::by_ids::<authority::Entity>(db, &member_ids).await?,
        audit: audit_log::Entity::find()
            .filter(audit_log::Column::AuthorityId.eq(a.id))
            .order_by_asc(audit_log::Column::Id)
            .all(db)
            .await?,
        memberships: rows_where_in::<membership::Entity>(db, membership::Column::AuthorityId, &id, None)
            .await?,
        authority: a,
    })
}
