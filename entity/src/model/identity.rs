//! Who may sign in and what they hold (issue 23): identity providers, the
//! authorities each may vouch for, their claim-to-role mappings, and the
//! roles held in the service.

pub mod identity_provider {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "identity_providers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub issuer: String,
        pub audience: String,
        /// Absent: the `jwks_uri` of the issuer's discovery document.
        pub jwks_url: Option<String>,
        pub client_id: Option<String>,
        /// A JSON array of scope names.
        pub scopes: String,
        /// Set for a partner body's tenant: the partner's slug at each
        /// authority it works with.
        pub partner_slug: Option<String>,
        /// The claim whose values `role_mappings` map to roles.
        pub role_claim: Option<String>,
        pub registered_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod identity_provider_authority {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "identity_provider_authorities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub provider_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub authority_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod role_mapping {
    use sea_orm::entity::prelude::*;

    use crate::enums::Role;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "role_mappings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub provider_id: i64,
        pub claim_value: String,
        pub role: Role,
        pub authority_id: i64,
        pub partner_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod membership {
    use sea_orm::entity::prelude::*;

    use crate::enums::Role;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "memberships")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Absent only for platform roles.
        pub authority_id: Option<i64>,
        pub role: Role,
        pub partner_id: Option<i64>,
        pub issuer: Option<String>,
        pub subject: Option<String>,
        /// Lower case, as compared.
        pub email: Option<String>,
        pub granted_at: DateTimeUtc,
        pub granted_by: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
