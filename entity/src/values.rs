//! Domain values stored as canonical text, so that SQLite and PostgreSQL hold
//! exactly the same thing and a decimal never passes through a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use sea_orm::sea_query::{
    ArrayType, ColumnType, Nullable, StringLen, Value, ValueType, ValueTypeErr,
};
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

stored_as_text!(Period, 16);
stored_as_text!(Num, 64);
