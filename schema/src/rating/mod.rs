//! The rating read model, the heart of the product: every measure rated in
//! a period by its plan's rules, as the viewer may see it. One entry point,
//! [`Ratings::rate`], rates any set of measures at any periods, one pass per
//! plan whatever their number; [`Ratings::series`] answers a measure's
//! results over time. The sets of measures that plans, nodes and panels
//! count are in [`sets`]; what is hidden from whom, in [`visible`].

pub mod due;
mod facts;
pub mod feed;
mod rated;
mod ratings;
mod series;
pub mod sets;
pub mod visible;

pub use crate::loaders::Shared;
pub use rated::{MAX_PERIODS, Rating, Submission};
pub use ratings::Ratings;
pub use series::{Series, SeriesKey};
