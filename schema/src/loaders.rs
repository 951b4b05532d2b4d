//! DataLoaders: every resolver that needs rows by key goes through one, so a
//! request costs a fixed number of statements however many rows it touches.
//! A `Loaders` is made per request: its caches and the viewer it rates for
//! must never serve another request.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chrono::{DateTime, Utc};
use entity::model::{
    action, action_plan, agenda_item, authority, commentary, commentary_history, measure, meeting, panel,
    panel_remit, partner, plan, plan_node, publication, result_history,
};
use entity::rating::{self, Goal, MeasureRules, Rated};
use entity::rules::published_at;
use entity::{Num, Period};
use rust_decimal::Decimal;
use sea_orm::sea_query::ValueType;
use sea_orm::{EntityTrait, ModelTrait};
use tokio::sync::OnceCell;

use crate::error::ApiError;
use crate::policy::{self, Action, Viewer};
use crate::store::{self, Reader};

type Shared<T> = Result<T, Arc<ApiError>>;

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

/// One measure rated in one period, as a viewer may see it.
#[derive(Clone, Debug)]
pub struct Rating {
    pub measure_id: i64,
    /// The stored result shown, if any.
    pub result_id: Option<i64>,
    pub rated: Rated,
    /// Whether the reported period is published.
    pub published: bool,
    /// Earlier values are shown only if they were themselves public: for a
    /// viewer who may not read unpublished results, those replaced after
    /// this moment (the period's publication). `None`: every earlier value.
    pub history_since: Option<DateTime<Utc>>,
    /// Whether the shown value was changed after publication.
    pub restated: bool,
}

/// What rating needs of one measure.
struct Subject {
    plan_id: i64,
    scope: policy::Scope,
    rules: MeasureRules,
}

/// Everything loaded for one batch of ratings.
struct Facts<'v> {
    viewer: &'v Viewer,
    measures: HashMap<i64, Subject>,
    /// Per plan: each published period and when it was published.
    published: HashMap<i64, Vec<(Period, DateTime<Utc>)>>,
    values: HashMap<(i64, Period), store::ResultValue>,
    goals: HashMap<(i64, Period), Goal>,
}

impl<'v> Facts<'v> {
    fn new(
        viewer: &'v Viewer,
        measures: &[measure::Model],
        plans: &[plan::Model],
        publications: &[publication::Model],
    ) -> Self {
        let plans: HashMap<i64, &plan::Model> = plans.iter().map(|p| (p.id, p)).collect();
        let mut published: HashMap<i64, Vec<(Period, DateTime<Utc>)>> = HashMap::new();
        for p in publications {
            published
                .entry(p.plan_id)
                .or_default()
                .push((p.period, p.published_at));
        }
        let measures = measures
            .iter()
            .filter_map(|m| {
                let subject = Subject {
                    plan_id: m.plan_id,
                    scope: policy::measure_scope(m),
                    rules: MeasureRules::of(m, plans.get(&m.plan_id)?),
                };
                Some((m.id, subject))
            })
            .collect();
        Facts {
            viewer,
            measures,
            published,
            values: HashMap::new(),
            goals: HashMap::new(),
        }
    }

    /// Facts of measures known only by id: three statements.
    async fn load(db: &Reader, viewer: &'v Viewer, measure_ids: &[i64]) -> Shared<Self> {
        let ctx = store::rating_context(db, measure_ids).await?;
        Ok(Self::new(viewer, &ctx.measures, &ctx.plans, &ctx.publications))
    }

    fn published_at(&self, plan_id: i64, period: &Period) -> Option<DateTime<Utc>> {
        self.published
            .get(&plan_id)
            .and_then(|ps| published_at(ps, period))
    }

    fn sees_drafts(&self, m: &Subject) -> bool {
        policy::allows(self.viewer, Action::ReadUnpublished, Some(m.scope))
    }

    /// Keeps the results the viewer may see: published ones, and unpublished
    /// ones where the policy lets the viewer read them.
    fn add_results(&mut self, rows: Vec<store::ResultValue>) {
        for r in rows {
            let Some(m) = self.measures.get(&r.measure_id) else {
                continue;
            };
            if self.published_at(m.plan_id, &r.period).is_some() || self.sees_drafts(m) {
                self.values.insert((r.measure_id, r.period), r);
            }
        }
    }

    fn add_targets(&mut self, rows: Vec<store::TargetValue>) {
        for t in rows {
            self.goals.insert(
                (t.measure_id, t.period),
                Goal {
                    target: t.target.0,
                    floor: t.floor.map(|f: Num| f.0),
                },
            );
        }
    }

    /// Reads the results and targets rating `keys` needs: two statements,
    /// side by side on the pool (a query's snapshot runs them in turn).
    async fn read(&mut self, db: &Reader, keys: &[(i64, Period)]) -> Shared<()> {
        let ids = unique_ids(keys.iter().map(|k| k.0));
        let mut periods: Vec<Period> = keys
            .iter()
            .filter_map(|(id, p)| self.measures.get(id).map(|m| rating::inputs(&m.rules, p)))
            .flatten()
            .collect();
        periods.sort();
        periods.dedup();
        let (results, targets) = tokio::try_join!(
            store::result_values_in(db, &ids, &periods),
            store::target_values_in(db, &ids, Some(&periods)),
        )?;
        self.add_results(results);
        self.add_targets(targets);
        Ok(())
    }

    fn rate(&self, measure_id: i64, period: &Period) -> Option<Rating> {
        let m = self.measures.get(&measure_id)?;
        let value_at =
            |p: &Period| -> Option<Decimal> { self.values.get(&(measure_id, *p)).map(|r| r.value.0) };
        let goal_at = |p: &Period| self.goals.get(&(measure_id, *p)).copied();
        let mut rated = rating::rate(&m.rules, period, value_at, goal_at);
        let shown = self.values.get(&(measure_id, rated.reported));
        let published_at = self.published_at(m.plan_id, &rated.reported);
        let sees_drafts = self.sees_drafts(m);
        if published_at.is_none() && !sees_drafts {
            // Every field of a result the viewer may not read is null, not
            // only its value: a target can give the figure away.
            rated.target = None;
            rated.floor = None;
            rated.previous_value = None;
        }
        Some(Rating {
            measure_id,
            result_id: shown.map(|r| r.id),
            published: published_at.is_some(),
            history_since: if sees_drafts { None } else { published_at },
            restated: shown.is_some_and(|r| r.restated),
            rated,
        })
    }

    fn rate_all(&self, keys: &[(i64, Period)]) -> HashMap<(i64, Period), Rating> {
        keys.iter()
            .filter_map(|k| self.rate(k.0, &k.1).map(|r| (*k, r)))
            .collect()
    }
}

fn unique_ids(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Rates measures at periods: five statements, however many keys.
async fn rate_keys(
    db: &Reader,
    viewer: &Viewer,
    keys: &[(i64, Period)],
) -> Shared<HashMap<(i64, Period), Rating>> {
    let ids = unique_ids(keys.iter().map(|k| k.0));
    let mut facts = Facts::load(db, viewer, &ids).await?;
    facts.read(db, keys).await?;
    Ok(facts.rate_all(keys))
}

/// Every measure of one plan rated at one period, by measure id.
pub type PlanRatings = Arc<HashMap<i64, Rating>>;

type RatingCell = Arc<OnceCell<PlanRatings>>;

/// A measure's series between two periods (either open), one rating per
/// period of the measure's own frequency. Open ends stop at the first and
/// last result the viewer can see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    pub measure_id: i64,
    pub from: Option<Period>,
    pub to: Option<Period>,
}

pub struct Series {
    db: Reader,
    viewer: Arc<Viewer>,
}

impl Loader<SeriesKey> for Series {
    type Value = Vec<Rating>;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[SeriesKey]) -> Shared<HashMap<SeriesKey, Vec<Rating>>> {
        let ids = unique_ids(keys.iter().map(|k| k.measure_id));
        let mut facts = Facts::load(&self.db, &self.viewer, &ids).await?;
        // One range covering every key, reaching back as far as direction
        // needs; an open end on any key leaves that end open.
        let earliest = keys
            .iter()
            .map(|k| {
                let from = k.from?;
                let rules = &facts.measures.get(&k.measure_id)?.rules;
                let first = rating::inputs(rules, &from).first().copied().unwrap_or(from);
                Some(first.start_date().min(from.start_date()))
            })
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().min());
        let latest = keys
            .iter()
            .map(|k| k.to.map(|t| t.end_date()))
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().max());
        let (results, targets) = tokio::try_join!(
            store::result_values_between(&self.db, &ids, earliest, latest),
            store::target_values_in(&self.db, &ids, None),
        )?;
        facts.add_results(results);
        facts.add_targets(targets);
        let mut out = HashMap::new();
        for k in keys {
            let Some(m) = facts.measures.get(&k.measure_id) else {
                continue;
            };
            let kind = m.rules.frequency.period_kind();
            let seen = || {
                facts
                    .values
                    .keys()
                    .filter(|(id, _)| *id == k.measure_id)
                    .map(|(_, p)| *p)
            };
            let first = k
                .from
                .map(|f| Period::containing(kind, f.start_date()))
                .or_else(|| seen().min());
            let last =
                k.to.map(|t| Period::containing(kind, t.end_date()))
                    .or_else(|| seen().max());
            let mut series = match (first, last) {
                (Some(a), Some(b)) => a.through(&b),
                _ => Vec::new(),
            };
            // An open or far-off end is clipped to the latest periods a chart can hold.
            let cap = crate::analytics::MAX_PERIODS as usize;
            if series.len() > cap {
                series.drain(..series.len() - cap);
            }
            out.insert(
                *k,
                series
                    .iter()
                    .filter_map(|p| facts.rate(k.measure_id, p))
                    .collect(),
            );
        }
        Ok(out)
    }
}

/// A loader that keeps what it read for the rest of the request.
type Cached<L> = DataLoader<L, HashMapCache>;

/// The loaders of one request. Each keeps the rows it read, so a row asked
/// for at several depths of a query is read once; a write forgets them all.
pub struct Loaders {
    pub authority: Cached<ById<authority::Entity>>,
    pub plan: Cached<ById<plan::Entity>>,
    pub node: Cached<ById<plan_node::Entity>>,
    pub measure: Cached<ById<measure::Entity>>,
    pub partner: Cached<ById<partner::Entity>>,
    pub panel: Cached<ById<panel::Entity>>,
    pub plans_of_authority: Cached<ByParent<plan::Entity>>,
    pub partners_of_authority: Cached<ByParent<partner::Entity>>,
    pub panels_of_authority: Cached<ByParent<panel::Entity>>,
    pub nodes_of_plan: Cached<ByParent<plan_node::Entity>>,
    pub measures_of_plan: Cached<ByParent<measure::Entity>>,
    pub remit_of_panel: Cached<ByParent<panel_remit::Entity>>,
    pub meetings_of_panel: Cached<ByParent<meeting::Entity>>,
    pub agenda_of_meeting: Cached<ByParent<agenda_item::Entity>>,
    pub commentary_of_measure: Cached<ByParent<commentary::Entity>>,
    pub action_plans_of_measure: Cached<ByParent<action_plan::Entity>>,
    pub actions_of_plan: Cached<ByParent<action::Entity>>,
    pub publications_of_plan: Cached<ByParent<publication::Entity>>,
    pub history_of_result: Cached<ByParent<result_history::Entity>>,
    pub history_of_commentary: Cached<ByParent<commentary_history::Entity>>,
    pub series: Cached<Series>,
    pub viewer: Arc<Viewer>,
    db: Reader,
    /// One cell per (plan, period): the first resolver to ask rates the
    /// whole plan, every other one waits for that answer. Unlike a batch
    /// window this does not depend on timing, so a request's statements are
    /// the same every time.
    rated: Mutex<HashMap<(i64, Period), RatingCell>>,
    /// Authorities read already, by slug: those the token names.
    by_slug: Mutex<HashMap<String, authority::Model>>,
}

/// A batch is sent as soon as the resolvers polled together have all asked:
/// they ask within one poll of the request, so waiting longer (the default
/// is a millisecond per level of the query) only adds latency.
fn cached<L>(loader: L) -> Cached<L> {
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).delay(Duration::ZERO)
}

impl Loaders {
    pub fn new(db: Reader, session: crate::Session) -> Self {
        let db = &db;
        let viewer = Arc::new(session.viewer);
        let by_slug = session
            .authorities
            .into_iter()
            .map(|a| (a.slug.clone(), a))
            .collect();
        fn by_id<E: EntityTrait>(db: &Reader) -> Cached<ById<E>> {
            cached(ById {
                db: db.clone(),
                entity: PhantomData,
            })
        }
        fn by_parent<E: EntityTrait>(
            db: &Reader,
            column: E::Column,
            order: Option<E::Column>,
        ) -> Cached<ByParent<E>> {
            cached(ByParent {
                db: db.clone(),
                column,
                order,
            })
        }
        Loaders {
            authority: by_id(db),
            plan: by_id(db),
            node: by_id(db),
            measure: by_id(db),
            partner: by_id(db),
            panel: by_id(db),
            plans_of_authority: by_parent(db, plan::Column::AuthorityId, None),
            partners_of_authority: by_parent(db, partner::Column::AuthorityId, Some(partner::Column::Slug)),
            panels_of_authority: by_parent(db, panel::Column::AuthorityId, None),
            nodes_of_plan: by_parent(db, plan_node::Column::PlanId, Some(plan_node::Column::Position)),
            measures_of_plan: by_parent(db, measure::Column::PlanId, Some(measure::Column::Position)),
            remit_of_panel: by_parent(db, panel_remit::Column::PanelId, None),
            meetings_of_panel: by_parent(db, meeting::Column::PanelId, Some(meeting::Column::HeldOn)),
            agenda_of_meeting: by_parent(
                db,
                agenda_item::Column::MeetingId,
                Some(agenda_item::Column::Position),
            ),
            commentary_of_measure: by_parent(
                db,
                commentary::Column::MeasureId,
                Some(commentary::Column::CreatedAt),
            ),
            action_plans_of_measure: by_parent(db, action_plan::Column::MeasureId, None),
            actions_of_plan: by_parent(db, action::Column::ActionPlanId, None),
            publications_of_plan: by_parent(db, publication::Column::PlanId, None),
            history_of_result: by_parent(
                db,
                result_history::Column::ResultId,
                Some(result_history::Column::Version),
            ),
            history_of_commentary: by_parent(
                db,
                commentary_history::Column::CommentaryId,
                Some(commentary_history::Column::Version),
            ),
            series: cached(Series {
                db: db.clone(),
                viewer: viewer.clone(),
            }),
            viewer,
            db: db.clone(),
            rated: Mutex::default(),
            by_slug: Mutex::new(by_slug),
        }
    }

    /// Drops every row and rating read so far: after a write, what this
    /// request read before it may be out of date.
    pub fn forget(&self) {
        self.authority.clear::<i64>();
        self.plan.clear::<i64>();
        self.node.clear::<i64>();
        self.measure.clear::<i64>();
        self.partner.clear::<i64>();
        self.panel.clear::<i64>();
        self.plans_of_authority.clear::<i64>();
        self.partners_of_authority.clear::<i64>();
        self.panels_of_authority.clear::<i64>();
        self.nodes_of_plan.clear::<i64>();
        self.measures_of_plan.clear::<i64>();
        self.remit_of_panel.clear::<i64>();
        self.meetings_of_panel.clear::<i64>();
        self.agenda_of_meeting.clear::<i64>();
        self.commentary_of_measure.clear::<i64>();
        self.action_plans_of_measure.clear::<i64>();
        self.actions_of_plan.clear::<i64>();
        self.publications_of_plan.clear::<i64>();
        self.history_of_result.clear::<i64>();
        self.history_of_commentary.clear::<i64>();
        self.series.clear::<SeriesKey>();
        self.rated.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.by_slug
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    pub async fn authority_by_slug(&self, slug: &str) -> Shared<Option<authority::Model>> {
        let known = self
            .by_slug
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(slug)
            .cloned();
        match known {
            Some(a) => Ok(Some(a)),
            None => Ok(store::authority_by_slug(&self.db, slug).await?),
        }
    }

    /// Where this request reads: reads outside the loaders go here too, so
    /// that a query holds one connection and sees one snapshot.
    pub fn reader(&self) -> &Reader {
        &self.db
    }

    /// Measures rated at periods, read afresh (after a write, say): not
    /// cached, five statements.
    pub async fn rate_now(&self, keys: &[(i64, Period)]) -> Shared<HashMap<(i64, Period), Rating>> {
        rate_keys(&self.db, &self.viewer, keys).await
    }

    /// Every measure of a plan rated at each of `periods` (archived ones too,
    /// so an archived measure still shows its results). The periods not yet
    /// rated in this request are rated together, in one pass.
    pub async fn plan_ratings(&self, plan_id: i64, periods: &[Period]) -> Shared<Vec<PlanRatings>> {
        let cells: Vec<RatingCell> = {
            let mut rated = self.rated.lock().unwrap_or_else(PoisonError::into_inner);
            periods
                .iter()
                .map(|p| rated.entry((plan_id, *p)).or_default().clone())
                .collect()
        };
        let missing: Vec<Period> = periods
            .iter()
            .zip(&cells)
            .filter(|(_, c)| !c.initialized())
            .map(|(p, _)| *p)
            .collect();
        // Several periods at once (a trend) are rated in one pass; a single
        // period goes through its cell alone, so that the many resolvers of
        // a dashboard asking at once wait for one pass instead of each
        // starting their own.
        if missing.len() > 1 {
            let mut fresh = self.rate_plan(plan_id, &missing).await?;
            for (p, cell) in periods.iter().zip(&cells) {
                if let Some(r) = fresh.remove(p) {
                    // Another resolver may have filled it meanwhile: same answer.
                    let _ = cell.set(Arc::new(r));
                }
            }
        }
        let mut out = Vec::with_capacity(periods.len());
        for (p, cell) in periods.iter().zip(&cells) {
            let one = [*p];
            let got = cell
                .get_or_try_init(|| async {
                    let mut r = self.rate_plan(plan_id, &one).await?;
                    Ok::<_, Arc<ApiError>>(Arc::new(r.remove(p).unwrap_or_default()))
                })
                .await?;
            out.push(got.clone());
        }
        Ok(out)
    }

    /// One rating pass over every measure of a plan at every given period.
    /// The plan, its measures and publications come through the loaders
    /// (a dashboard has read them already); then two statements.
    async fn rate_plan(
        &self,
        plan_id: i64,
        periods: &[Period],
    ) -> Shared<HashMap<Period, HashMap<i64, Rating>>> {
        let (measures, plan, publications) = tokio::try_join!(
            self.measures_of_plan.load_one(plan_id),
            self.plan.load_one(plan_id),
            self.publications_of_plan.load_one(plan_id),
        )?;
        let measures = measures.unwrap_or_default();
        let mut facts = Facts::new(
            &self.viewer,
            &measures,
            plan.as_slice(),
            &publications.unwrap_or_default(),
        );
        let keys: Vec<(i64, Period)> = periods
            .iter()
            .flat_map(|p| measures.iter().map(move |m| (m.id, *p)))
            .collect();
        facts.read(&self.db, &keys).await?;
        let mut out: HashMap<Period, HashMap<i64, Rating>> = HashMap::new();
        for ((id, p), r) in facts.rate_all(&keys) {
            out.entry(p).or_default().insert(id, r);
        }
        Ok(out)
    }
}
