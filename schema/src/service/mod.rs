//! The use cases: what each mutation and the import do, in the order every
//! one of them follows: ask the policy whether the viewer could act at all,
//! find what is acted on, ask the policy again for that authority, validate
//! the input, then write through the caller's transaction with its audit
//! record. Nothing here knows of GraphQL requests: a use case takes a
//! [`Write`] and the viewer it acts for, so a mutation runs one in a
//! transaction of its own and an import runs many in one.

mod audit;
mod benchmarks;
mod commentary;
mod definitions;
pub mod export;
mod guard;
pub mod identity;
pub mod import;
pub mod reporting;
pub mod sheet;
mod structure;
pub mod validate;

pub use audit::audit_log;
pub use benchmarks::{create_comparison_group, create_metric, set_metric_values};
pub use commentary::{add_commentary, create_action_plan, edit_commentary, update_action};
pub use definitions::change_measure_definition;
pub use guard::{at_row, begin};
pub use identity::{grant_role, identity_providers, members, register_identity_provider, revoke_role};
pub use reporting::{publish_period, set_deadline, set_targets, submit_results};
pub use structure::{
    archive_measure, archive_plan, create_authority, create_measure, create_meeting, create_panel,
    create_partner, create_plan, create_plan_node, update_authority, update_measure, update_panel,
    update_partner, update_plan, update_plan_node,
};
