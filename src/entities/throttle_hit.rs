use sea_orm::entity::prelude::*;

/// One counted attempt of a throttle (see `store::throttle`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "throttle_hit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Which throttle: `link`, `login-address`, `login-account`.
    pub scope: String,
    /// SHA-256 of the key (a client address, an account), hex.
    pub key_hash: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
