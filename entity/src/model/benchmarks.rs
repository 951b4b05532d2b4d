//! Benchmarking across councils (issue 15): national metrics, their
//! reference values, and stored comparison groups with their members.

pub mod metric {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    /// A measure defined the same way nationally. Not a tenant's: every
    /// authority's measures may be linked to it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "metrics")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub code: String,
        pub title: String,
        pub unit: Unit,
        pub polarity: Polarity,
        pub frequency: Frequency,
        pub source: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod metric_value {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    /// A national reference value of a metric for one authority and period.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "metric_values")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub metric_id: i64,
        pub authority_id: i64,
        pub period: Period,
        pub value: Num,
        pub set_by: String,
        pub set_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod comparison_group {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    /// A stored comparison group: nearest neighbours or custom. The built-in
    /// groups (all, by kind, by region) follow the authorities' own rows and
    /// are never stored.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "comparison_groups")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub slug: String,
        pub name: String,
        pub kind: ComparisonGroupKind,
        pub owner_id: Option<i64>,
        pub created_by: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod comparison_group_member {
    use sea_orm::entity::prelude::*;

    #[allow(unused_imports)]
    use crate::{enums::*, period::Period, values::Num};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "comparison_group_members")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub group_id: i64,
        pub authority_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
