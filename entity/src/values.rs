//! Domain values stored as canonical text, so that SQLite and PostgreSQL hold
//! exactly the same thing and a decimal never passes through a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, Value, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable};

use crate::period::Period;

/// An exact decimal: a result value, a target or a floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Num(pub Decimal);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.normalize(), f)
    }
}

impl FromStr for Num {
    type Err = rust_decimal::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::from_str_exact(s)
            .or_else(|_| Decimal::from_scientific(s))
            .map(Num)
    }
}

impl From<Decimal> for Num {
    fn from(d: Decimal) -> Self {
        Num(d)
    }
}

macro_rules! stored_as_text {
    ($ty:ty, $len:expr) => {
        impl From<$ty> for Value {
            fn from(v: $ty) -> Value {
                v.to_string().into()
            }
        }

        impl TryGetable for $ty {
            fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
                let s = String::try_get_by(res, idx)?;
                s.parse().map_err(|_| {
                    TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                        "stored {} is malformed: {s:?}",
                        stringify!($ty)
                    )))
                })
            }
        }

        impl ValueType for $ty {
            fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
                <String as ValueType>::try_from(v)?
                    .parse()
                    .map_err(|_| ValueTypeErr)
            }
            fn type_name() -> String {
                stringify!($ty).to_owned()
            }
            fn array_type() -> ArrayType {
                ArrayType::String
            }
            fn column_type() -> ColumnType {
                ColumnType::String(StringLen::N($len))
            }
        }

        impl Nullable for $ty {
            fn null() -> Value {
                <String as Nullable>::null()
            }
        }
    };
}

/// A cumulative measure's target profile: the percent of its annual target
/// due by the end of each period of the year at its frequency, in order, as
/// "25;50;75;100" for a quarterly measure.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Profile(pub Vec<Decimal>);

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            fmt::Display::fmt(&p.normalize(), f)?;
        }
        Ok(())
    }
}

impl FromStr for Profile {
    type Err = rust_decimal::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(';')
            .map(|p| p.trim().parse::<Num>().map(|n| n.0))
            .collect::<Result<_, _>>()
            .map(Profile)
    }
}

impl serde::Serialize for Profile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Profile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Longest stored profile: twelve monthly percents of a float's shortest text.
pub const MAX_PROFILE_TEXT: u32 = 400;

stored_as_text!(Period, 16);
stored_as_text!(Num, 64);
stored_as_text!(Profile, MAX_PROFILE_TEXT);
stored_as_text!(crate::definitions::Definitions, 65_535);

impl serde::Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Accepts a string or a number. A JSON number reaches us as a float, whose
/// shortest text form is the decimal that was written (`2.5`, not
/// `2.4999…`), so it is parsed from that text.
impl<'de> serde::Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Num, E> {
                s.trim().parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Num, E> {
                Ok(Num(Decimal::from(n)))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Num, E> {
                Ok(Num(Decimal::from(n)))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Num, E> {
                if !n.is_finite() {
                    return Err(E::custom("not a finite number"));
                }
                self.visit_str(&n.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

/// Longest slug: authorities, partners and comparison groups are named by
/// one in URLs and tokens.
pub const MAX_SLUG: usize = 64;

/// Longest code of a node, measure or metric.
pub const MAX_CODE: usize = 32;

/// Whether `value` can be a code: 1 to [`MAX_CODE`] characters, none of
/// them white space or control characters. What cannot be one names
/// nothing.
pub fn is_code(value: &str) -> bool {
    !value.is_empty()
        && value.chars().count() <= MAX_CODE
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether `value` can be a slug: 1 to [`MAX_SLUG`] lower-case letters,
/// digits and inner hyphens. What cannot be one names nothing, so lookups
/// answer "not found" without asking the database.
pub fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_SLUG
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}
