//! Commentary on results, and action plans for the exceptions.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::escalation::{action_is_open, action_is_overdue};
use entity::model::{action, action_plan, commentary, commentary_history};
use entity::{ActionStatus, CommentaryKind};

use super::common::transact;
use super::feeds::CommentaryVersionConnection;
use crate::context::rows;
use crate::error::Gql;
use crate::ids::{self, Kind};
use crate::inputs::{AddCommentaryInput, CreateActionPlanInput, EditCommentaryInput, UpdateActionInput};
use crate::rating::feed::PageArgs;
use crate::scalars::Date;
use crate::service;

#[derive(Default)]
pub struct CommentaryMutation;

#[Object]
impl CommentaryMutation {
    /// Adds commentary on a measure in a period. OFFICER and ADMIN may add any
    /// kind; a MEMBER, SCRUTINY; the leading partner's PARTNER, PARTNER.
    async fn add_commentary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commentary.")] input: AddCommentaryInput,
    ) -> Result<Commentary> {
        Ok(Commentary(transact!(ctx, service::add_commentary, input)))
    }
    /// Replaces a piece of commentary's text, keeping the old in its history:
    /// an OFFICER or ADMIN, or the author of scrutiny or partner commentary.
    async fn edit_commentary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new text and the version it replaces.")] input: EditCommentaryInput,
    ) -> Result<Commentary> {
        Ok(Commentary(transact!(ctx, service::edit_commentary, input)))
    }
    /// Writes an action plan for a measure (OFFICER or ADMIN).
    async fn create_action_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan and its actions.")] input: CreateActionPlanInput,
    ) -> Result<ActionPlan> {
        Ok(ActionPlan(transact!(ctx, service::create_action_plan, input).0))
    }
    /// Changes an action's status or note (OFFICER or ADMIN).
    async fn update_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What changes and the version it replaces.")] input: UpdateActionInput,
    ) -> Result<ActionItem> {
        Ok(ActionItem(transact!(ctx, service::update_action, input)))
    }
}

pub struct Commentary(pub commentary::Model);

/// Commentary on a measure's result in a period: the service's account,
/// councillors' scrutiny, or the leading partner's.
#[Object]
impl Commentary {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Commentary, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// The text.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Who it speaks for.
    async fn kind(&self) -> CommentaryKind {
        self.0.kind
    }
    /// Its version, counting from 1: what `expectedVersion` compares with.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Who wrote this version (the token's subject).
    async fn author(&self) -> &str {
        &self.0.author
    }
    /// When it was first written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Its place in the authority's live events: the event's, when a
    /// subscription delivers it; in a query, the authority's latest.
    async fn position(&self, ctx: &Context<'_>) -> Result<String> {
        super::live::position(ctx, self.0.authority_id).await
    }
    /// Earlier versions, newest first.
    #[graphql(deprecation = "Use `versions`, the same versions as a cursor connection.")]
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<CommentaryVersion>> {
        Ok(self
            .history_rows(ctx)
            .await?
            .into_iter()
            .map(CommentaryVersion)
            .collect())
    }
    /// Earlier versions, newest first, a page at a time: what `history`
    /// lists.
    async fn versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first this many after `after` (at most 500).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "The last this many before `before` (at most 500).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<CommentaryVersionConnection> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        CommentaryVersionConnection::of(&self.history_rows(ctx).await?, args).await
    }
}

impl Commentary {
    async fn history_rows(&self, ctx: &Context<'_>) -> Result<Vec<commentary_history::Model>> {
        let history = rows(ctx)?.history_of_commentary.load_one(self.0.id).await.gql()?;
        Ok(history.unwrap_or_default().iter().rev().cloned().collect())
    }
}

/// An earlier version of a commentary.
pub struct CommentaryVersion(pub commentary_history::Model);

/// An earlier version of a commentary.
#[Object]
impl CommentaryVersion {
    /// Its version, counting from 1.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The text it held.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Who wrote it (the token's subject).
    async fn author(&self) -> &str {
        &self.0.author
    }
    /// When a newer version replaced it.
    async fn edited_at(&self) -> DateTime<Utc> {
        self.0.edited_at
    }
}

pub struct ActionPlan(pub action_plan::Model);

/// What a council will do about a measure that is off track: a titled list of actions.
#[Object]
impl ActionPlan {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::ActionPlan, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Its actions.
    async fn actions(&self, ctx: &Context<'_>) -> Result<Vec<ActionItem>> {
        Ok(self.rows(ctx).await?.into_iter().map(ActionItem).collect())
    }
    /// Some action is neither done nor dropped.
    async fn open(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.rows(ctx).await?.iter().any(|a| action_is_open(a.status)))
    }
}

impl ActionPlan {
    async fn rows(&self, ctx: &Context<'_>) -> Result<Vec<action::Model>> {
        let actions = rows(ctx)?.actions_of_plan.load_one(self.0.id).await.gql()?;
        Ok(actions.unwrap_or_default().to_vec())
    }
}

/// One item of an action plan (a policy verb is a `Verb`).
pub struct ActionItem(pub action::Model);

/// One action of an action plan.
#[Object(name = "Action")]
impl ActionItem {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Action, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// What will be done.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Who is responsible.
    async fn owner(&self) -> &str {
        &self.0.owner
    }
    /// When it is due; null with no date.
    async fn due_on(&self) -> Option<Date> {
        self.0.due_on.map(Date)
    }
    /// Where it stands.
    async fn status(&self) -> ActionStatus {
        self.0.status
    }
    /// Past its due date and neither done nor dropped.
    async fn overdue(&self) -> bool {
        action_is_overdue(self.0.status, self.0.due_on, Utc::now().date_naive())
    }
    /// Its version, counting from 1: what `expectedVersion` compares with.
    async fn version(&self) -> i32 {
        self.0.version
    }
}
