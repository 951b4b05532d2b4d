//! How a council rates its measures: RAG status, direction of travel,
//! breakdowns and escalation, exactly as docs/contract.md defines
//! them. Everything is exact decimal arithmetic: a value exactly at a
//! boundary lands on the documented side of it.

use rust_decimal::Decimal;

use crate::enums::{Direction, DirectionMethod, MeasureKind, Polarity, RagMethod, RagStatus};
use crate::period::Period;

pub const DEFAULT_AMBER_TOLERANCE_PERCENT: Decimal = Decimal::TEN;
pub const DEFAULT_STABLE_BAND_PERCENT: Decimal = Decimal::ZERO;
pub const DEFAULT_TREND_PERIODS: u32 = 4;
/// A regression through fewer points than this says nothing.
pub const MIN_TREND_POINTS: usize = 3;
pub const DEFAULT_ESCALATION_CONSECUTIVE: u32 = 2;

/// How far from a target a band reaches: a percentage of the target, or a
/// number of the measure's own units (percentage points for a percentage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    Percent(Decimal),
    Units(Decimal),
}

impl Band {
    /// A band stored as two optional columns, percent and units, of which
    /// validation lets at most one be set; units win if both somehow are.
    pub fn stored(percent: Option<Decimal>, units: Option<Decimal>) -> Option<Band> {
        units.map(Band::Units).or(percent.map(Band::Percent))
    }

    /// The distance the band reaches from `target`.
    fn reach(self, target: Decimal) -> Decimal {
        match self {
            Band::Percent(p) => target.abs() * p / Decimal::ONE_HUNDRED,
            Band::Units(u) => u,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RagRule {
    pub method: RagMethod,
    /// Shown even when `amber_tolerance_units` replaces it, as the contract
    /// has always answered it.
    pub amber_tolerance_percent: Decimal,
    /// The tolerance as a number of units, in place of the percentage;
    /// under FLOOR, the floor of a target that sets none.
    pub amber_tolerance_units: Option<Decimal>,
    /// How far beyond its target a value must be to rate BLUE; none: never.
    pub blue_margin: Option<Band>,
    /// Whether a PROVISIONAL result is rated (see [`crate::rating::hold_provisional`]).
    pub rate_provisional: bool,
}

impl RagRule {
    /// A rule as stored: the amber band defaults to 10%.
    pub fn new(method: RagMethod, amber_tolerance_percent: Option<Decimal>) -> Self {
        RagRule {
            method,
            amber_tolerance_percent: amber_tolerance_percent.unwrap_or(DEFAULT_AMBER_TOLERANCE_PERCENT),
            amber_tolerance_units: None,
            blue_margin: None,
            rate_provisional: true,
        }
    }

    /// The amber band (the green band under IMPROVEMENT).
    pub fn tolerance(&self) -> Band {
        self.amber_tolerance_units
            .map_or(Band::Percent(self.amber_tolerance_percent), Band::Units)
    }
}

impl Default for RagRule {
    fn default() -> Self {
        RagRule::new(RagMethod::Tolerance, None)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectionRule {
    pub method: DirectionMethod,
    pub stable_band_percent: Decimal,
    pub trend_periods: u32,
}

impl Default for DirectionRule {
    fn default() -> Self {
        DirectionRule {
            method: DirectionMethod::PreviousPeriod,
            stable_band_percent: DEFAULT_STABLE_BAND_PERCENT,
            trend_periods: DEFAULT_TREND_PERIODS,
        }
    }
}

/// What a measure is rated on in one period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    pub value: Option<Decimal>,
    pub target: Option<Decimal>,
    pub floor: Option<Decimal>,
    /// The same period last year's value, which IMPROVEMENT compares with.
    pub last_year: Option<Decimal>,
}

/// RAG status of one reading under a rule.
pub fn rag_status(rule: &RagRule, polarity: Polarity, kind: MeasureKind, r: &Reading) -> RagStatus {
    let Some(value) = r.value else {
        return RagStatus::NoData;
    };
    let target = match (r.target, kind, polarity) {
        (None, _, _) | (_, MeasureKind::Tracking, _) | (_, _, Polarity::None) => {
            return RagStatus::NoTarget;
        }
        (Some(t), _, _) => t,
    };
    // Lower-is-better mirrors higher-is-better: negate everything and rate as higher.
    let sign = if polarity == Polarity::LowerIsBetter {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    let (value, target) = (value * sign, target * sign);
    // A target of zero and a percentage margin: beating it at all is blue.
    if rule
        .blue_margin
        .is_some_and(|b| value > target && value - target >= b.reach(target))
    {
        return RagStatus::Blue;
    }
    if value >= target {
        return RagStatus::Green;
    }
    let within_tolerance = value >= target - rule.tolerance().reach(target);
    let amber = match rule.method {
        RagMethod::Tolerance => within_tolerance,
        RagMethod::Floor => match (r.floor, rule.amber_tolerance_units) {
            (Some(f), _) => value >= f * sign,
            (None, Some(_)) => within_tolerance,
            (None, None) => false,
        },
        RagMethod::Improvement if within_tolerance => return RagStatus::Green,
        RagMethod::Improvement => r.last_year.is_some_and(|l| value >= l * sign),
    };
    if amber { RagStatus::Amber } else { RagStatus::Red }
}

/// The period a result is compared with for direction of travel and shown as
/// `previousValue`: the previous period, or for `SAME_PERIOD_LAST_YEAR` the
/// same period a year earlier.
pub fn comparison_period(method: DirectionMethod, period: &Period) -> Option<Period> {
    match method {
        DirectionMethod::PreviousPeriod | DirectionMethod::Trend => period.previous(),
        DirectionMethod::SamePeriodLastYear => period.same_period_last_year(),
    }
}

/// Every period whose result the direction of `period` depends on, besides
/// `period` itself: what a batch loader must fetch.
pub fn direction_inputs(rule: &DirectionRule, period: &Period) -> Vec<Period> {
    let mut out = match rule.method {
        DirectionMethod::Trend => period.window(rule.trend_periods.max(1)),
        _ => Vec::new(),
    };
    out.extend(comparison_period(rule.method, period));
    out.retain(|p| p != period);
    out
}

/// Direction of travel at `period`, reading earlier results through `value_at`.
pub fn direction(
    rule: &DirectionRule,
    polarity: Polarity,
    period: &Period,
    value_at: impl Fn(&Period) -> Option<Decimal>,
) -> Direction {
    if polarity == Polarity::None {
        return Direction::NotComparable;
    }
    let Some(current) = value_at(period) else {
        return Direction::NotComparable;
    };
    match rule.method {
        DirectionMethod::PreviousPeriod | DirectionMethod::SamePeriodLastYear => {
            let Some(earlier) = comparison_period(rule.method, period).and_then(|p| value_at(&p)) else {
                return Direction::NotComparable;
            };
            judge(
                polarity,
                Ratio::whole(current - earlier),
                Ratio::whole(earlier.abs()),
                rule.stable_band_percent,
            )
        }
        DirectionMethod::Trend => {
            let points: Vec<(Decimal, Decimal)> = period
                .window(rule.trend_periods.max(1))
                .iter()
                .enumerate()
                .filter_map(|(x, p)| value_at(p).map(|y| (Decimal::from(x), y)))
                .collect();
            match trend_change(&points) {
                Some((change, mean_magnitude)) => {
                    judge(polarity, change, mean_magnitude, rule.stable_band_percent)
                }
                None => Direction::NotComparable,
            }
        }
    }
}

/// A fraction kept unreduced so that comparisons stay exact.
#[derive(Clone, Copy, Debug)]
struct Ratio {
    num: Decimal,
    /// Always positive.
    den: Decimal,
}

impl Ratio {
    fn whole(num: Decimal) -> Self {
        Ratio {
            num,
            den: Decimal::ONE,
        }
    }
}

/// Least-squares change over the points (slope × (points − 1)) and the mean
/// magnitude of the points; `None` with fewer than three points.
fn trend_change(points: &[(Decimal, Decimal)]) -> Option<(Ratio, Ratio)> {
    if points.len() < MIN_TREND_POINTS {
        return None;
    }
    let n = Decimal::from(points.len());
    let (mut sx, mut sy, mut sxx, mut sxy, mut sabs) = (
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
    );
    for &(x, y) in points {
        sx += x;
        sy += y;
        sxx += x * x;
        sxy = sxy.checked_add(x.checked_mul(y)?)?;
        sabs = sabs.checked_add(y.abs())?;
    }
    // slope = (nΣxy − ΣxΣy) / (nΣx² − (Σx)²); the denominator is positive
    // because the x are distinct positions.
    let slope_num = n.checked_mul(sxy)?.checked_sub(sx.checked_mul(sy)?)?;
    let slope_den = n * sxx - sx * sx;
    let change = Ratio {
        num: slope_num.checked_mul(n - Decimal::ONE)?,
        den: slope_den,
    };
    Some((change, Ratio { num: sabs, den: n }))
}

/// IMPROVING or DECLINING when `change` went the good or bad way by more than
/// `band_percent` % of `scale`; STABLE otherwise.
fn judge(polarity: Polarity, change: Ratio, scale: Ratio, band_percent: Decimal) -> Direction {
    let good = match polarity {
        Polarity::HigherIsBetter => change.num,
        Polarity::LowerIsBetter => -change.num,
        Polarity::None => return Direction::NotComparable,
    };
    // good/change.den vs band/100 × scale.num/scale.den, cross-multiplied.
    let lhs = good
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|v| v.checked_mul(scale.den));
    let rhs = band_percent
        .checked_mul(scale.num)
        .and_then(|v| v.checked_mul(change.den));
    let (lhs, rhs) = match (lhs, rhs) {
        (Some(l), Some(r)) => (l, r),
        // Magnitudes beyond 10^28: compare the divided forms instead.
        _ => (
            good / change.den,
            band_percent / Decimal::ONE_HUNDRED * scale.num / scale.den,
        ),
    };
    if lhs > rhs {
        Direction::Improving
    } else if -lhs > rhs {
        Direction::Declining
    } else {
        Direction::Stable
    }
}

/// The order a comparison reads status moves in: BLUE > GREEN > AMBER >
/// RED. The unrated statuses have no rank.
pub fn status_rank(s: RagStatus) -> Option<u8> {
    match s {
        RagStatus::Blue => Some(4),
        RagStatus::Green => Some(3),
        RagStatus::Amber => Some(2),
        RagStatus::Red => Some(1),
        RagStatus::NoTarget | RagStatus::NoData => None,
    }
}

/// Whether a measure is escalated: RED in this period and in each of the
/// `consecutive − 1` before it. `statuses` runs oldest first and ends with
/// the period in question.
pub fn escalated(statuses: &[RagStatus], consecutive: u32) -> bool {
    let need = usize::try_from(consecutive.max(1)).unwrap_or(usize::MAX);
    statuses.len() >= need
        && statuses[statuses.len() - need..]
            .iter()
            .all(|s| *s == RagStatus::Red)
}

/// Counts of each status and each direction over a set of measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breakdown {
    pub total: u32,
    pub blue: u32,
    pub green: u32,
    pub amber: u32,
    pub red: u32,
    pub no_target: u32,
    pub no_data: u32,
    pub improving: u32,
    pub stable: u32,
    pub declining: u32,
    pub not_comparable: u32,
}

impl Breakdown {
    pub fn add(&mut self, status: RagStatus, direction: Direction) {
        self.total += 1;
        *match status {
            RagStatus::Blue => &mut self.blue,
            RagStatus::Green => &mut self.green,
            RagStatus::Amber => &mut self.amber,
            RagStatus::Red => &mut self.red,
            RagStatus::NoTarget => &mut self.no_target,
            RagStatus::NoData => &mut self.no_data,
        } += 1;
        *match direction {
            Direction::Improving => &mut self.improving,
            Direction::Stable => &mut self.stable,
            Direction::Declining => &mut self.declining,
            Direction::NotComparable => &mut self.not_comparable,
        } += 1;
    }

    /// Met ÷ rated × 100, BLUE counting as met: (blue + green) ÷ (blue +
    /// green + amber + red) × 100; `None` when nothing is rated.
    pub fn percent_green(&self) -> Option<Decimal> {
        let met = self.blue + self.green;
        percent(met, met + self.amber + self.red)
    }

    /// improving ÷ (improving + stable + declining) × 100; `None` when no
    /// direction could be judged.
    pub fn percent_improving(&self) -> Option<Decimal> {
        percent(self.improving, self.improving + self.stable + self.declining)
    }
}

impl FromIterator<(RagStatus, Direction)> for Breakdown {
    fn from_iter<I: IntoIterator<Item = (RagStatus, Direction)>>(iter: I) -> Self {
        let mut b = Breakdown::default();
        for (s, d) in iter {
            b.add(s, d);
        }
        b
    }
}

fn percent(part: u32, whole: u32) -> Option<Decimal> {
    (whole > 0).then(|| Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole))
}

/// Whether a floor lies on the bad side of its target, as a floor must: at
/// or below it when higher is better, at or above it when lower is better.
pub fn floor_fits(polarity: Polarity, target: Decimal, floor: Decimal) -> bool {
    match polarity {
        Polarity::HigherIsBetter => floor <= target,
        Polarity::LowerIsBetter => floor >= target,
        Polarity::None => true,
    }
}

/// When a period became public: the earliest publication of a period that
/// contains it (publishing a year publishes its quarters and months).
pub fn published_at<T: Copy + Ord>(publications: &[(Period, T)], period: &Period) -> Option<T> {
    publications
        .iter()
        .filter(|(p, _)| p.contains(period))
        .map(|(_, at)| *at)
        .min()
}
