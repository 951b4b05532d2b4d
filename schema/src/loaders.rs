//! Row loaders: every resolver that needs rows by key goes through one, so a
//! request costs a fixed number of statements however many rows it touches.
//! A `Loaders` is made per request: its caches must never serve another.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::model::{
    action, action_plan, agenda_item, authority, commentary, commentary_history, comparison_group,
    comparison_group_member, measure, meeting, metric, panel, panel_remit, partner, plan, plan_node,
    publication, result_history,
};
use sea_orm::sea_query::ValueType;
use sea_orm::{EntityTrait, ModelTrait};

use crate::error::ApiError;
use crate::store::{self, Reader};

/// Rows of `E` by primary key.
pub struct ById<E> {
    db: Reader,
    entity: PhantomData<E>,
}

impl<E> Loader<i64> for ById<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Clone + Send + Sync,
{
    type Value = E::Model;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[i64]) -> Shared<HashMap<i64, E::Model>> {
        let rows = store::by_ids::<E>(&self.db, keys).await?;
        Ok(rows
            .into_iter()
            .filter_map(|m| store::id_of(&m).ok().map(|id| (id, m)))
            .collect())
    }
}

/// Rows of `E` grouped by a parent key column, in `order` then id order.
pub struct ByParent<E: EntityTrait> {
    db: Reader,
    column: E::Column,
    order: Option<E::Column>,
}

/// Rows shared by every resolver that asks for them: a plan's measures are
/// read by each of its nodes, and copying them each time costs more than
/// reading them.
pub type Rows<M> = Arc<[M]>;

impl<E> Loader<i64> for ByParent<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Clone + Send + Sync,
    E::Column: Send + Sync,
{
    type Value = Rows<E::Model>;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[i64]) -> Shared<HashMap<i64, Rows<E::Model>>> {
        let rows = store::rows_where_in::<E>(&self.db, self.column, keys, self.order).await?;
        let mut grouped: HashMap<i64, Vec<E::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for m in rows {
            if let Ok(k) = <i64 as ValueType>::try_from(m.get(self.column)) {
                grouped.entry(k).or_default().push(m);
            }
        }
        Ok(grouped.into_iter().map(|(k, v)| (k, v.into())).collect())
    }
}

/// A plan's own rows, read together (`store::plan_rows`).
#[derive(Clone, Default)]
pub struct OfPlan {
    pub nodes: Rows<plan_node::Model>,
    pub measures: Rows<measure::Model>,
    pub publications: Rows<publication::Model>,
}

/// A plan's nodes, measures and publications by plan id.
pub struct ByPlan {
    db: Reader,
}

impl Loader<i64> for ByPlan {
    type Value = OfPlan;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[i64]) -> Shared<HashMap<i64, OfPlan>> {
        let read = store::plan_rows(&self.db, keys).await?;
        let mut grouped: HashMap<i64, (Vec<_>, Vec<_>, Vec<_>)> =
            keys.iter().map(|k| (*k, Default::default())).collect();
        for n in read.nodes {
            if let Some(g) = grouped.get_mut(&n.plan_id) {
                g.0.push(n);
            }
        }
        for m in read.measures {
            if let Some(g) = grouped.get_mut(&m.plan_id) {
                g.1.push(m);
            }
        }
        for p in read.publications {
            if let Some(g) = grouped.get_mut(&p.plan_id) {
                g.2.push(p);
            }
        }
        Ok(grouped
            .into_iter()
            .map(|(k, (nodes, measures, publications))| {
                let rows = OfPlan {
                    nodes: nodes.into(),
                    measures: measures.into(),
                    publications: publications.into(),
                };
                (k, rows)
            })
            .collect())
    }
}

/// Each authority's latest live position (`store::live::latest`).
pub struct Positions {
    db: Reader,
}

impl Loader<i64> for Positions {
    type Value = i64;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[i64]) -> Shared<HashMap<i64, i64>> {
        Ok(store::live::latest(&self.db, keys).await?)
    }
}

/// A loader's error, shared between every key of its batch.
pub type Shared<T> = Result<T, Arc<ApiError>>;

/// A loader that keeps what it read for the rest of the request.
pub type Cached<L> = DataLoader<L, HashMapCache>;

/// A batch is sent as soon as the resolvers polled together have all asked:
/// they ask within one poll of the request, so waiting longer (the default
/// is a millisecond per level of the query) only adds latency.
pub fn cached<L>(loader: L) -> Cached<L> {
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).delay(Duration::ZERO)
}

fn by_id<E: EntityTrait>(db: &Reader) -> ById<E> {
    ById {
        db: db.clone(),
        entity: PhantomData,
    }
}

fn by_parent<E: EntityTrait>(db: &Reader, column: E::Column, order: Option<E::Column>) -> ByParent<E> {
    ByParent {
        db: db.clone(),
        column,
        order,
    }
}

/// Declares the loaders once: the struct, how each is made, and forgetting
/// them all.
macro_rules! loaders {
    ($($name:ident: $loader:ty = $make:expr;)+) => {
        /// The row loaders of one request. Each keeps the rows it read, so a
        /// row asked for at several depths of a query is read once; a write
        /// forgets them all.
        pub struct Loaders {
            $(pub $name: Cached<$loader>,)+
        }

        impl Loaders {
            pub fn new(db: &Reader) -> Self {
                Loaders {
                    $($name: cached({
                        let make: fn(&Reader) -> $loader = $make;
                        make(db)
                    }),)+
                }
            }

            /// Drops every row read so far: after a write, what this
            /// request read before it may be out of date.
            pub fn forget(&self) {
                $(self.$name.clear::<i64>();)+
            }

            /// A plan's nodes, measures and publications (none for no
            /// such plan).
            pub async fn plan_rows(&self, plan_id: i64) -> Shared<OfPlan> {
                Ok(self.of_plan.load_one(plan_id).await?.unwrap_or_default())
            }
        }
    };
}

loaders! {
    authority: ById<authority::Entity> = by_id;
    plan: ById<plan::Entity> = by_id;
    node: ById<plan_node::Entity> = by_id;
    measure: ById<measure::Entity> = by_id;
    partner: ById<partner::Entity> = by_id;
    panel: ById<panel::Entity> = by_id;
    metric: ById<metric::Entity> = by_id;
    commentary: ById<commentary::Entity> = by_id;
    action_plan: ById<action_plan::Entity> = by_id;
    action: ById<action::Entity> = by_id;
    meeting: ById<meeting::Entity> = by_id;
    agenda_item: ById<agenda_item::Entity> = by_id;
    groups_of_owner: ByParent<comparison_group::Entity> =
        |db| by_parent(db, comparison_group::Column::OwnerId, None);
    members_of_group: ByParent<comparison_group_member::Entity> =
        |db| by_parent(db, comparison_group_member::Column::GroupId, None);
    plans_of_authority: ByParent<plan::Entity> = |db| by_parent(db, plan::Column::AuthorityId, None);
    partners_of_authority: ByParent<partner::Entity> =
        |db| by_parent(db, partner::Column::AuthorityId, Some(partner::Column::Slug));
    panels_of_authority: ByParent<panel::Entity> = |db| by_parent(db, panel::Column::AuthorityId, None);
    of_plan: ByPlan = |db| ByPlan { db: db.clone() };
    position: Positions = |db| Positions { db: db.clone() };
    remit_of_panel: ByParent<panel_remit::Entity> = |db| by_parent(db, panel_remit::Column::PanelId, None);
    meetings_of_panel: ByParent<meeting::Entity> =
        |db| by_parent(db, meeting::Column::PanelId, Some(meeting::Column::HeldOn));
    agenda_of_meeting: ByParent<agenda_item::Entity> =
        |db| by_parent(db, agenda_item::Column::MeetingId, Some(agenda_item::Column::Position));
    commentary_of_measure: ByParent<commentary::Entity> =
        |db| by_parent(db, commentary::Column::MeasureId, Some(commentary::Column::CreatedAt));
    action_plans_of_measure: ByParent<action_plan::Entity> =
        |db| by_parent(db, action_plan::Column::MeasureId, None);
    actions_of_plan: ByParent<action::Entity> = |db| by_parent(db, action::Column::ActionPlanId, None);
    history_of_result: ByParent<result_history::Entity> =
        |db| by_parent(db, result_history::Column::ResultId, Some(result_history::Column::Version));
    history_of_commentary: ByParent<commentary_history::Entity> = |db| {
        by_parent(
            db,
            commentary_history::Column::CommentaryId,
            Some(commentary_history::Column::Version),
        )
    };
}
