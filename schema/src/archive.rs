//! Archived plans and measures: hidden from reads and closed to new
//! results and targets, never deleted. Their results still count where a
//! plan is rated.

use entity::model::{measure, plan};

/// A row that can be archived: hidden, never deleted.
pub trait Archivable {
    fn archived(&self) -> bool;
}

impl Archivable for plan::Model {
    fn archived(&self) -> bool {
        self.archived
    }
}

impl Archivable for measure::Model {
    fn archived(&self) -> bool {
        self.archived
    }
}

pub fn is_live<M: Archivable>(row: &M) -> bool {
    !row.archived()
}

/// The live rows among `rows`.
pub fn live<M: Archivable + Clone>(rows: &[M]) -> Vec<M> {
    rows.iter().filter(|r| is_live(*r)).cloned().collect()
}
