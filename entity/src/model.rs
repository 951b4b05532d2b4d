//! SeaORM entities: one module a table. Every tenant-owned table carries
//! `authority_id`.

mod benchmarks;
mod identity;

pub use benchmarks::{comparison_group, comparison_group_member, metric, metric_value};
pub use identity::{identity_provider, identity_provider_authority, membership, role_mapping};

pub mod authority {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "authorities")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub slug: String,
        pub name: String,
        pub kind: AuthorityKind,
        pub created_at: DateTimeUtc,
        /// The region its comparison group is named by, as "South East".
        pub region: Option<String>,
        /// The ONS (GSS) code, as E10000016.
        pub ons_code: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod partner {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "partners")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub slug: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "plans")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub title: String,
        pub kind: PlanKind,
        pub rag_method: RagMethod,
        pub amber_tolerance_percent: Num,
        pub amber_tolerance_units: Option<Num>,
        pub blue_margin_percent: Option<Num>,
        pub blue_margin_units: Option<Num>,
        /// Whether PROVISIONAL results are rated; null: they are.
        pub rate_provisional: Option<bool>,
        pub direction_method: DirectionMethod,
        pub stable_band_percent: Num,
        pub trend_periods: i32,
        /// First financial year the plan covers, if bounded.
        pub from_year: Option<Period>,
        /// Last financial year the plan covers, if bounded.
        pub to_year: Option<Period>,
        pub archived: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan_node {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "plan_nodes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub plan_id: i64,
        pub parent_id: Option<i64>,
        pub code: String,
        pub title: String,
        pub position: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod measure {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "measures")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub plan_id: i64,
        pub node_id: Option<i64>,
        pub code: String,
        pub title: String,
        pub unit: Unit,
        pub polarity: Polarity,
        pub kind: MeasureKind,
        pub frequency: Frequency,
        pub partner_id: Option<i64>,
        /// Overrides the plan's RAG rule when set.
        pub rag_method: Option<RagMethod>,
        pub amber_tolerance_percent: Option<Num>,
        pub amber_tolerance_units: Option<Num>,
        pub blue_margin_percent: Option<Num>,
        pub blue_margin_units: Option<Num>,
        /// Whether PROVISIONAL results are rated; null: they are.
        pub rate_provisional: Option<bool>,
        pub position: i32,
        pub archived: bool,
        /// The national metric its published results are values of.
        pub metric_id: Option<i64>,
        /// How its year-end forecast is made; none: no forecast.
        pub forecast_method: Option<ForecastMethod>,
        /// Its definition changes, each breaking its series.
        pub definitions: Option<crate::definitions::Definitions>,
        /// Whether its values stand alone, run year to date, or roll.
        pub accumulation: Accumulation,
        /// A cumulative measure's profile of its annual target.
        pub target_profile: Option<crate::values::Profile>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod target {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "targets")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub measure_id: i64,
        pub period: Period,
        pub target: Num,
        pub floor: Option<Num>,
        pub set_by: String,
        pub set_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod result {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "results")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub measure_id: i64,
        pub period: Period,
        /// First day of the period, so ranges are index scans.
        pub period_start: Date,
        pub value: Num,
        pub note: Option<String>,
        pub submitted_by: String,
        pub submitted_at: DateTimeUtc,
        /// Changed after its period was published.
        pub restated: bool,
        pub version: i32,
        pub quality: DataQuality,
        /// The date the figure was true at, as its source states it.
        pub as_at: Option<Date>,
        /// The officer's year-end forecast, entered with the result.
        pub forecast: Option<Num>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod result_history {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "result_history")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub result_id: i64,
        pub measure_id: i64,
        pub period: Period,
        pub value: Num,
        pub note: Option<String>,
        pub submitted_by: String,
        pub submitted_at: DateTimeUtc,
        pub version: i32,
        pub replaced_at: DateTimeUtc,
        pub quality: DataQuality,
        pub as_at: Option<Date>,
        pub forecast: Option<Num>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod commentary {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "commentary")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub measure_id: i64,
        pub period: Period,
        pub kind: CommentaryKind,
        pub body: String,
        pub version: i32,
        pub author: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod commentary_history {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "commentary_history")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub commentary_id: i64,
        pub version: i32,
        pub body: String,
        pub author: String,
        pub edited_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod action_plan {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "action_plans")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub measure_id: i64,
        pub title: String,
        pub created_by: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod action {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "actions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub action_plan_id: i64,
        pub description: String,
        pub owner: String,
        pub due_on: Option<Date>,
        pub status: ActionStatus,
        pub note: Option<String>,
        pub version: i32,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod panel {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "panels")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub name: String,
        pub kind: PanelKind,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod panel_remit {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "panel_remits")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub panel_id: i64,
        /// Exactly one of `node_id` and `measure_id` is set: a node brings every
        /// measure beneath it into the remit.
        pub node_id: Option<i64>,
        pub measure_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod meeting {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "meetings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub panel_id: i64,
        pub held_on: Date,
        pub title: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod agenda_item {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "agenda_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub meeting_id: i64,
        pub position: i32,
        pub title: String,
        pub plan_id: Option<i64>,
        pub period: Option<Period>,
        pub minutes: Option<String>,
        pub resolutions: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod publication {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "publications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub plan_id: i64,
        pub period: Period,
        pub published_by: String,
        pub published_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// When a plan's results for a period are due.
pub mod deadline {
    use sea_orm::entity::prelude::*;

    use crate::period::Period;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "deadlines")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub authority_id: i64,
        pub plan_id: i64,
        pub period: Period,
        pub due_on: Date,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_log {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Absent for platform operations outside any authority.
        pub authority_id: Option<i64>,
        pub actor: String,
        pub operation: String,
        pub entity: String,
        pub entity_id: Option<i64>,
        pub before: Option<String>,
        pub after: Option<String>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
