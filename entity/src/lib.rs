//! What councilperf's things are and how they are rated. No I/O.

pub mod benchmark;
pub mod definitions;
pub mod enums;
pub mod escalation;
pub mod forecast;
pub mod identity;
pub mod model;
pub mod period;
pub mod rating;
pub mod rules;
pub mod values;

pub use enums::*;
pub use period::{Period, PeriodError, PeriodKind};
pub use values::{Num, Profile};

#[cfg(test)]
mod tests;
