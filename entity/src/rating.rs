//! Rating one measure in one period from the facts a loader fetched: which of
//! the measure's own periods answers for the period asked, its value and
//! target, RAG status, direction of travel and the value compared with.

use rust_decimal::Decimal;

use crate::definitions::{self, Definitions};
use crate::enums::{
    Accumulation, DataQuality, Direction, ForecastMethod, Frequency, MeasureKind, Polarity, RagMethod,
    RagStatus,
};
use crate::model::{measure, plan};
use crate::period::Period;
use crate::rules::{self, Band, DirectionRule, RagRule, Reading};

/// What rating a measure depends on besides its results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasureRules {
    pub polarity: Polarity,
    pub kind: MeasureKind,
    pub frequency: Frequency,
    /// The measure's own rule if it has one, else its plan's.
    pub rag: RagRule,
    /// Its plan's, with the method [`rules::direction_method`] gives.
    pub direction: DirectionRule,
    /// How its year-end forecast is made, if it has one.
    pub forecast: Option<ForecastMethod>,
    /// Where its definition changed, oldest first: no comparison crosses one.
    pub breaks: Vec<Period>,
    pub accumulation: Accumulation,
    /// A cumulative measure's percents of its annual target, one a period.
    pub target_profile: Option<Vec<Decimal>>,
}

impl MeasureRules {
    /// A measure's rules: its own RAG rule if it sets a method, else its
    /// plan's; its plan's direction rule, compared with the same period
    /// last year for an accumulating measure.
    pub fn of(m: &measure::Model, p: &plan::Model) -> Self {
        MeasureRules {
            polarity: m.polarity,
            kind: m.kind,
            frequency: m.frequency,
            rag: measure_rag(m).unwrap_or_else(|| plan_rag(p)),
            direction: DirectionRule {
                method: rules::direction_method(m.accumulation, p.direction_method),
                stable_band_percent: p.stable_band_percent.0,
                trend_periods: u32::try_from(p.trend_periods).unwrap_or(1),
            },
            forecast: m.forecast_method,
            breaks: m
                .definitions
                .as_ref()
                .map(Definitions::breaks)
                .unwrap_or_default(),
            accumulation: m.accumulation,
            target_profile: m.target_profile.as_ref().map(|p| p.0.clone()),
        }
    }
}

/// A plan's RAG rule as stored.
pub fn plan_rag(p: &plan::Model) -> RagRule {
    RagRule {
        amber_tolerance_units: p.amber_tolerance_units.map(|n| n.0),
        blue_margin: Band::stored(
            p.blue_margin_percent.map(|n| n.0),
            p.blue_margin_units.map(|n| n.0),
        ),
        rate_provisional: p.rate_provisional.unwrap_or(true),
        ..RagRule::new(p.rag_method, Some(p.amber_tolerance_percent.0))
    }
}

/// A measure's own RAG rule, when it sets a method: the whole rule then
/// replaces its plan's.
pub fn measure_rag(m: &measure::Model) -> Option<RagRule> {
    m.rag_method.map(|method| RagRule {
        amber_tolerance_units: m.amber_tolerance_units.map(|n| n.0),
        blue_margin: Band::stored(
            m.blue_margin_percent.map(|n| n.0),
            m.blue_margin_units.map(|n| n.0),
        ),
        rate_provisional: m.rate_provisional.unwrap_or(true),
        ..RagRule::new(method, m.amber_tolerance_percent.map(|n| n.0))
    })
}

/// A target and the optional floor beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Goal {
    pub target: Decimal,
    pub floor: Option<Decimal>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rated {
    /// The period asked for.
    pub period: Period,
    /// The measure's own period that answers for it (see [`reported_candidates`]).
    pub reported: Period,
    pub value: Option<Decimal>,
    pub target: Option<Decimal>,
    pub floor: Option<Decimal>,
    pub status: RagStatus,
    pub direction: Direction,
    pub previous_value: Option<Decimal>,
    /// Where the reported period's series starts: its latest definition
    /// change, if any.
    pub since: Option<Period>,
    /// The value compared with lies before a definition change: not compared.
    pub definition_changed: bool,
}

/// The measure's own periods that may answer for `period`, latest last.
///
/// Same frequency: the period itself. A finer measure (monthly, asked for a
/// quarter) answers with its latest period inside it that has a result, as a
/// report "as at" a date does. A coarser measure (annual, asked for a quarter)
/// answers with its period containing it.
pub fn reported_candidates(frequency: Frequency, period: &Period) -> Vec<Period> {
    let kind = frequency.period_kind();
    if kind == period.kind() {
        return vec![*period];
    }
    let first = Period::containing(kind, period.start_date());
    if kind < period.kind() {
        return vec![first];
    }
    first.through(&Period::containing(kind, period.end_date()))
}

/// Every period whose result or target rating `period` may read.
pub fn inputs(rules: &MeasureRules, period: &Period) -> Vec<Period> {
    let mut out = Vec::new();
    for p in reported_candidates(rules.frequency, period) {
        out.push(p);
        out.extend(rules::direction_inputs(&rules.direction, &p));
        if rules.rag.method == RagMethod::Improvement {
            out.extend(p.same_period_last_year());
        }
        out.extend(p.target_fallbacks());
        if rules.forecast.is_some() {
            out.extend(crate::forecast::inputs(&p));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Rates a measure at `period`. `value_at` gives the result of a period the
/// viewer may see; `goal_at` the target set for exactly that period.
pub fn rate(
    rules: &MeasureRules,
    period: &Period,
    value_at: impl Fn(&Period) -> Option<Decimal>,
    goal_at: impl Fn(&Period) -> Option<Goal>,
) -> Rated {
    let candidates = reported_candidates(rules.frequency, period);
    let reported = candidates
        .iter()
        .rev()
        .find(|p| value_at(p).is_some())
        .or(candidates.last())
        .copied()
        .unwrap_or(*period);
    let value = value_at(&reported);
    let goal = goal_of(rules, &reported, &goal_at);
    let since = definitions::series_start(&rules.breaks, &reported);
    // Every comparison reads through this: nothing from before the change.
    let comparable = definitions::within(since, &value_at);
    let reading = Reading {
        value,
        target: goal.map(|g| g.target),
        floor: goal.and_then(|g| g.floor),
        last_year: reported.same_period_last_year().and_then(|p| comparable(&p)),
    };
    let compared = rules::comparison_period(rules.direction.method, &reported);
    Rated {
        period: *period,
        reported,
        value,
        target: reading.target,
        floor: reading.floor,
        status: rules::rag_status(&rules.rag, rules.polarity, rules.kind, &reading),
        direction: rules::direction(&rules.direction, rules.polarity, &reported, &comparable),
        previous_value: compared.and_then(|p| comparable(&p)),
        since,
        definition_changed: compared.is_some_and(|p| definitions::before(since, &p)),
    }
}

/// A PROVISIONAL result under a rule that does not rate them stays shown,
/// value and direction, but is NO_DATA: not yet a result to rate.
pub fn hold_provisional(rules: &MeasureRules, rated: &mut Rated, quality: Option<DataQuality>) {
    if quality == Some(DataQuality::Provisional) && !rules.rag.rate_provisional && rated.value.is_some() {
        rated.status = RagStatus::NoData;
    }
}

/// The target (and floor) `period` is rated against: the first set among
/// its [`Period::target_fallbacks`]. A cumulative measure's value of a
/// period within the year counts from the year's start, so short of a
/// target set for exactly that period it aims at the share of the annual
/// target its profile gives ([`rules::profiled`]), floor alike.
pub fn goal_of(
    rules: &MeasureRules,
    period: &Period,
    goal_at: impl Fn(&Period) -> Option<Goal>,
) -> Option<Goal> {
    let year = period.financial_year();
    if rules.accumulation != Accumulation::Cumulative || *period == year {
        return period.target_fallbacks().iter().find_map(goal_at);
    }
    goal_at(period).or_else(|| {
        let annual = goal_at(&year)?;
        let share = |a: Decimal| rules::profiled(a, rules.target_profile.as_deref(), period);
        Some(Goal {
            target: share(annual.target),
            floor: annual.floor.map(share),
        })
    })
}
