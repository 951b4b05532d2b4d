//! Unpublished results, hidden in one place: a viewer the policy does not
//! let read drafts sees a period's results only once it is published, and
//! nothing that hangs on an unpublished value (its history, its commentary).

use entity::model::{commentary, result_history};
use entity::rating::Rated;

use super::rated::Rating;
use crate::policy::{self, Scope, Verb, Viewer};

/// Whether the viewer sees results of unpublished periods in `scope`.
pub fn sees_drafts(viewer: &Viewer, scope: Scope) -> bool {
    policy::allows(viewer, Verb::ReadUnpublished, Some(scope))
}

/// Whether the viewer may know who submitted a result of a measure in
/// `scope`: the authority's own roles and the partner that leads the
/// measure, not the public, another authority or another partner. Those are
/// exactly the viewers who may read its drafts.
pub fn sees_submitter(viewer: &Viewer, scope: Scope) -> bool {
    sees_drafts(viewer, scope)
}

/// Whether a result of a period shows to a viewer: once the period is
/// published, and before to those the policy lets read drafts.
pub fn shown(published: bool, sees_drafts: bool) -> bool {
    published || sees_drafts
}

/// Whether a result enters a benchmark: once its period is published, for
/// every viewer. A council's own officers, who see its drafts elsewhere,
/// see in a benchmark what everyone sees.
pub fn in_benchmark(published: bool) -> bool {
    shown(published, false)
}

/// Whether a change to a measure's result for a period may be announced to
/// a viewer: only when the rating the viewer reads now shows a stored
/// result there, as a query would show it (the public: once published).
pub fn announced(rating: &Rating) -> bool {
    rating.result_id.is_some()
}

/// Whether a rating shows that very stored result: what a feed of results
/// lists, so that a result the viewer may not see is left out.
pub fn shows(rating: &Rating, result_id: i64) -> bool {
    rating.result_id == Some(result_id)
}

/// Empties a rating of an unpublished period for a viewer who may not read
/// it (its value is left out already): every field is null, not only the
/// value, as a target can give the figure away.
pub fn withhold(rated: &mut Rated) {
    rated.target = None;
    rated.floor = None;
    rated.previous_value = None;
}

/// The values a result replaced that the viewer may see, newest first:
/// a viewer who may not read drafts sees only values that were once public.
pub fn history(rating: &Rating, rows: &[result_history::Model]) -> Vec<result_history::Model> {
    rows.iter()
        .rev()
        .filter(|h| rating.history_since.is_none_or(|t| h.replaced_at > t))
        .cloned()
        .collect()
}

/// Commentary on a rating's reported period, shown only beside a value the
/// viewer can see.
pub fn commentary(rating: &Rating, rows: &[commentary::Model]) -> Vec<commentary::Model> {
    if rating.rated.value.is_none() && !rating.published {
        return Vec::new();
    }
    rows.iter()
        .filter(|c| c.period == rating.rated.reported)
        .cloned()
        .collect()
}
