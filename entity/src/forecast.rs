//! Year-end forecasts beside a quarter's or month's result: the value the
//! year is projected to end at, by the measure's `ForecastMethod`, and the
//! status that value would earn against the year's target under the
//! measure's rule.

use rust_decimal::Decimal;

use crate::definitions;
use crate::enums::{Accumulation, ForecastMethod, RagStatus};
use crate::period::{Period, PeriodKind};
use crate::rating::{Goal, MeasureRules};
use crate::rules::{self, Reading};

/// A year-end forecast made at one period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forecast {
    pub method: ForecastMethod,
    /// The year's last period at the measure's frequency: what is forecast.
    pub period: Period,
    pub value: Decimal,
    /// The year's target and floor, which the status is earned against.
    pub target: Option<Decimal>,
    pub status: RagStatus,
}

/// The measure's periods of `period`'s year up to and including it, and
/// the year's last one; `None` for an annual measure (the year is the
/// period itself).
fn year_of(period: &Period) -> Option<(Vec<Period>, Period)> {
    if period.kind() == PeriodKind::Year {
        return None;
    }
    let year = period.financial_year();
    let first = Period::containing(period.kind(), year.start_date());
    let last = Period::containing(period.kind(), year.end_date());
    Some((first.through(period), last))
}

/// Every period a forecast at `period` reads besides the year itself (whose
/// target the rating already reads): the year's periods so far, and last
/// year's last one (what IMPROVEMENT compares with).
pub fn inputs(period: &Period) -> Vec<Period> {
    let Some((so_far, last)) = year_of(period) else {
        return Vec::new();
    };
    let mut out = so_far;
    out.extend(last.same_period_last_year());
    out
}

/// The forecast at `period`; `entered` is the officer's own (ENTERED).
/// PROFILE scales a cumulative measure's year to date by the share of its
/// target profile (or even steps) reached at `period`. `None` where the
/// method has nothing to go on: no result at `period`, fewer than two
/// results this year for TREND, a measure that does not accumulate for
/// PROFILE, nothing entered, or an annual measure. At the year's last
/// period the forecast is the outturn itself.
pub fn forecast(
    method: ForecastMethod,
    rules: &MeasureRules,
    period: &Period,
    value_at: impl Fn(&Period) -> Option<Decimal>,
    goal_at: impl Fn(&Period) -> Option<Goal>,
    entered: Option<Decimal>,
) -> Option<Forecast> {
    let (so_far, last) = year_of(period)?;
    // Nothing from before a definition change: not the year's earlier
    // points, nor last year's outturn.
    let since = definitions::series_start(&rules.breaks, period);
    let value_at = definitions::within(since, value_at);
    let now = value_at(period)?;
    let value = if *period == last {
        now
    } else {
        match method {
            ForecastMethod::Entered => entered?,
            ForecastMethod::Profile => {
                if rules.accumulation != Accumulation::Cumulative {
                    return None;
                }
                let share = rules::profiled(Decimal::ONE_HUNDRED, rules.target_profile.as_deref(), period);
                now.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(share)?
            }
            ForecastMethod::Trend => {
                let points: Vec<(Decimal, Decimal)> = so_far
                    .iter()
                    .enumerate()
                    .filter_map(|(x, p)| value_at(p).map(|y| (Decimal::from(x), y)))
                    .collect();
                // The year's last period, counted from its first: 3 for quarters.
                let end = so_far.first()?.through(&last).len().saturating_sub(1);
                extend_line(&points, Decimal::from(end))?
            }
        }
    };
    let goal = goal_at(&period.financial_year());
    let reading = Reading {
        value: Some(value),
        target: goal.map(|g| g.target),
        floor: goal.and_then(|g| g.floor),
        last_year: last.same_period_last_year().and_then(|p| value_at(&p)),
    };
    Some(Forecast {
        method,
        period: last,
        value,
        target: reading.target,
        status: rules::rag_status(&rules.rag, rules.polarity, rules.kind, &reading),
    })
}

/// The least-squares line through the points, read at `x`; `None` with
/// fewer than two points.
fn extend_line(points: &[(Decimal, Decimal)], x: Decimal) -> Option<Decimal> {
    if points.len() < 2 {
        return None;
    }
    let n = Decimal::from(points.len());
    let (mut sx, mut sy, mut sxx, mut sxy) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for &(px, py) in points {
        sx += px;
        sy = sy.checked_add(py)?;
        sxx += px * px;
        sxy = sxy.checked_add(px.checked_mul(py)?)?;
    }
    let den = n * sxx - sx * sx;
    let slope = n
        .checked_mul(sxy)?
        .checked_sub(sx.checked_mul(sy)?)?
        .checked_div(den)?;
    let intercept = sy.checked_sub(slope.checked_mul(sx)?)?.checked_div(n)?;
    intercept.checked_add(slope.checked_mul(x)?)
}
