//! Reporting periods in the UK financial year (April to March).
//!
//! A `Period` is parsed once at the edge (GraphQL scalar, import file, database
//! column) and is never handled as a bare string past it.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// Years outside this range are refused: they are typing mistakes, not history.
const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2999;

/// A financial year, a quarter of one, or a calendar month.
///
/// `fy` is the calendar year in which the financial year starts: `2023` is
/// `"2023-24"`, April 2023 to March 2024.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    Year { fy: i32 },
    Quarter { fy: i32, q: u8 },
    Month { year: i32, month: u8 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    Year,
    Quarter,
    Month,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a period: expected a financial year like \"2023-24\", a quarter like \"2023-24 Q1\" or a month like \"2024-02\""
)]
pub struct PeriodError(pub String);

impl Period {
    pub fn year(fy: i32) -> Result<Self, PeriodError> {
        Self::checked(Period::Year { fy })
    }

    pub fn quarter(fy: i32, q: u8) -> Result<Self, PeriodError> {
        Self::checked(Period::Quarter { fy, q })
    }

    pub fn month(year: i32, month: u8) -> Result<Self, PeriodError> {
        Self::checked(Period::Month { year, month })
    }

    fn checked(p: Period) -> Result<Self, PeriodError> {
        let ok = match p {
            Period::Year { fy } => (MIN_YEAR..=MAX_YEAR).contains(&fy),
            Period::Quarter { fy, q } => (MIN_YEAR..=MAX_YEAR).contains(&fy) && (1..=4).contains(&q),
            Period::Month { year, month } => {
                (MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=12).contains(&month)
            }
        };
        if ok {
            Ok(p)
        } else {
            Err(PeriodError(format!("{p:?}")))
        }
    }

    pub fn kind(&self) -> PeriodKind {
        match self {
            Period::Year { .. } => PeriodKind::Year,
            Period::Quarter { .. } => PeriodKind::Quarter,
            Period::Month { .. } => PeriodKind::Month,
        }
    }

    /// The financial year this period lies in.
    pub fn financial_year(&self) -> Period {
        match *self {
            Period::Year { fy } | Period::Quarter { fy, .. } => Period::Year { fy },
            Period::Month { year, month } => Period::Year {
                fy: if month >= 4 { year } else { year - 1 },
            },
        }
    }

    /// The quarter a month lies in; a quarter is its own quarter; a year has none.
    pub fn quarter_of(&self) -> Option<Period> {
        match *self {
            Period::Year { .. } => None,
            Period::Quarter { .. } => Some(*self),
            Period::Month { month, .. } => {
                let Period::Year { fy } = self.financial_year() else {
                    return None;
                };
                // April–June is Q1, …, January–March is Q4.
                let q = ((month + 8) % 12) / 3 + 1;
                Some(Period::Quarter { fy, q })
            }
        }
    }

    /// Index in a linear sequence of periods of the same kind, so that
    /// previous/next and "n periods back" are plain arithmetic.
    fn ordinal(&self) -> i64 {
        match *self {
            Period::Year { fy } => i64::from(fy),
            Period::Quarter { fy, q } => i64::from(fy) * 4 + i64::from(q) - 1,
            Period::Month { year, month } => i64::from(year) * 12 + i64::from(month) - 1,
        }
    }

    fn from_ordinal(kind: PeriodKind, n: i64) -> Option<Period> {
        let p = match kind {
            PeriodKind::Year => Period::Year {
                fy: i32::try_from(n).ok()?,
            },
            PeriodKind::Quarter => Period::Quarter {
                fy: i32::try_from(n.div_euclid(4)).ok()?,
                q: u8::try_from(n.rem_euclid(4) + 1).ok()?,
            },
            PeriodKind::Month => Period::Month {
                year: i32::try_from(n.div_euclid(12)).ok()?,
                month: u8::try_from(n.rem_euclid(12) + 1).ok()?,
            },
        };
        Self::checked(p).ok()
    }

    /// The period `n` steps later (negative: earlier) of the same kind; `None`
    /// past the supported range of years.
    pub fn offset(&self, n: i64) -> Option<Period> {
        Self::from_ordinal(self.kind(), self.ordinal() + n)
    }

    pub fn previous(&self) -> Option<Period> {
        self.offset(-1)
    }

    pub fn next(&self) -> Option<Period> {
        self.offset(1)
    }

    pub fn same_period_last_year(&self) -> Option<Period> {
        self.offset(-self.per_year())
    }

    fn per_year(&self) -> i64 {
        match self.kind() {
            PeriodKind::Year => 1,
            PeriodKind::Quarter => 4,
            PeriodKind::Month => 12,
        }
    }

    /// Which period of its financial year this is, counting from 1, and how
    /// many of its kind the year has: 2023-24 Q2 is (2, 4), 2023-05 is
    /// (2, 12), a year is (1, 1).
    pub fn position_in_year(&self) -> (u32, u32) {
        match *self {
            Period::Year { .. } => (1, 1),
            Period::Quarter { q, .. } => (u32::from(q), 4),
            Period::Month { month, .. } => ((u32::from(month) + 8) % 12 + 1, 12),
        }
    }

    /// The periods whose direction of travel may compare with this one's
    /// value: the next (`PREVIOUS_PERIOD`) and the same period next year
    /// (`SAME_PERIOD_LAST_YEAR`). A changed value changes what they show.
    pub fn compared_by(&self) -> Vec<Period> {
        let mut out: Vec<Period> = [self.next(), self.offset(self.per_year())]
            .into_iter()
            .flatten()
            .collect();
        out.dedup();
        out
    }

    /// The `n` periods of this kind ending with this one, oldest first.
    pub fn window(&self, n: u32) -> Vec<Period> {
        (0..i64::from(n))
            .rev()
            .filter_map(|back| self.offset(-back))
            .collect()
    }

    /// Every period of this kind from `self` to `to` inclusive (empty if `to`
    /// is earlier or of another kind).
    pub fn through(&self, to: &Period) -> Vec<Period> {
        if self.kind() != to.kind() {
            return Vec::new();
        }
        (self.ordinal()..=to.ordinal())
            .filter_map(|n| Self::from_ordinal(self.kind(), n))
            .collect()
    }

    pub fn start_date(&self) -> NaiveDate {
        let (y, m) = match *self {
            Period::Year { fy } => (fy, 4),
            Period::Quarter { fy, q } => {
                let m = 4 + 3 * (u32::from(q) - 1);
                if m > 12 { (fy + 1, m - 12) } else { (fy, m) }
            }
            Period::Month { year, month } => (year, u32::from(month)),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn end_date(&self) -> NaiveDate {
        // From the length rather than from `next()`, which is `None` for the
        // last supported periods.
        let months = match self.kind() {
            PeriodKind::Year => 12,
            PeriodKind::Quarter => 3,
            PeriodKind::Month => 1,
        };
        self.start_date()
            .checked_add_months(chrono::Months::new(months))
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    /// The first and last month the period covers, as months since year 0:
    /// containment and order are integer comparisons, not calendar work
    /// (they run for every result a rating pass reads).
    fn months(&self) -> (i64, i64) {
        match *self {
            Period::Year { fy } => {
                let first = i64::from(fy) * 12 + 3;
                (first, first + 11)
            }
            Period::Quarter { fy, q } => {
                let first = i64::from(fy) * 12 + 3 + 3 * (i64::from(q) - 1);
                (first, first + 2)
            }
            Period::Month { year, month } => {
                let m = i64::from(year) * 12 + i64::from(month) - 1;
                (m, m)
            }
        }
    }

    /// Whether `other` lies wholly within this period (a period contains itself).
    pub fn contains(&self, other: &Period) -> bool {
        let ((a, b), (c, d)) = (self.months(), other.months());
        a <= c && d <= b
    }

    /// The periods whose target applies to this one, most specific first: a
    /// month falls back to its quarter, then its financial year.
    pub fn target_fallbacks(&self) -> Vec<Period> {
        let mut out = vec![*self];
        if self.kind() == PeriodKind::Month {
            out.extend(self.quarter_of());
        }
        if self.kind() != PeriodKind::Year {
            out.push(self.financial_year());
        }
        out
    }

    /// The periods of `kind` that end within this one, oldest first: a
    /// quarter's three months, a year's quarters, and for the last quarter
    /// (or month) of a year, the year itself. These are the periods a
    /// measure reporting in `kind` is due at when this period is reported:
    /// a year's result is due with its last quarter, not with the first.
    pub fn ending_within(&self, kind: PeriodKind) -> Vec<Period> {
        let (first, last) = self.months();
        Period::containing(kind, self.start_date())
            .through(&Period::containing(kind, self.end_date()))
            .into_iter()
            .filter(|p| (first..=last).contains(&p.months().1))
            .collect()
    }

    /// The period of the given kind holding `date`.
    pub fn containing(kind: PeriodKind, date: NaiveDate) -> Period {
        let month = Period::Month {
            year: date.year(),
            month: u8::try_from(date.month()).unwrap_or(1),
        };
        match kind {
            PeriodKind::Month => month,
            PeriodKind::Quarter => month.quarter_of().unwrap_or(month),
            PeriodKind::Year => month.financial_year(),
        }
    }
}

impl Ord for Period {
    /// Chronological by start, and a longer period before the shorter ones it
    /// starts with (2023-24, 2023-24 Q1, 2023-04).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.months()
            .0
            .cmp(&other.months().0)
            .then_with(|| self.kind().cmp(&other.kind()))
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year { fy } => write!(f, "{fy:04}-{:02}", (fy + 1).rem_euclid(100)),
            Period::Quarter { fy, q } => write!(f, "{fy:04}-{:02} Q{q}", (fy + 1).rem_euclid(100)),
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    /// Accepts exactly the canonical forms. `"YYYY-NN"` is a financial year
    /// when NN is the next year's last two digits, else a month: so for years
    /// 2000–2011 a month such as `"2010-11"` reads as the financial year.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodError(s.to_owned());
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        let (head, quarter) = match s.split_once(' ') {
            Some((h, q)) => (h, Some(q)),
            None => (s, None),
        };
        let (y, n) = head.split_once('-').ok_or_else(err)?;
        if !digits(y, 4) || !digits(n, 2) {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let nn: i32 = n.parse().map_err(|_| err())?;
        let is_fy = nn == (year + 1).rem_euclid(100);
        let parsed = match quarter {
            Some(q) => {
                let q = q.strip_prefix('Q').filter(|d| digits(d, 1)).ok_or_else(err)?;
                if !is_fy {
                    return Err(err());
                }
                Period::quarter(year, q.parse().map_err(|_| err())?)
            }
            None if is_fy => Period::year(year),
            None => Period::month(year, u8::try_from(nn).map_err(|_| err())?),
        };
        parsed.map_err(|_| err())
    }
}

impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "graphql")]
mod graphql {
    use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

    use super::Period;

    /// A reporting period in the UK financial year: "2023-24" (April 2023 to
    /// March 2024), "2023-24 Q1" (April–June 2023) … "2023-24 Q4"
    /// (January–March 2024), or a calendar month "2024-02".
    // No published standard describes these periods, and the repository has
    // no public address yet for its README's section: no `@specifiedBy`
    // until it has one, rather than a link that leads nowhere.
    #[Scalar(name = "Period")]
    impl ScalarType for Period {
        fn parse(value: Value) -> InputValueResult<Self> {
            match &value {
                Value::String(s) => s.parse().map_err(InputValueError::custom),
                _ => Err(InputValueError::expected_type(value)),
            }
        }

        fn to_value(&self) -> Value {
            Value::String(self.to_string())
        }
    }
}
