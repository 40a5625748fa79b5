use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "draft_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub update_request_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// JSON object: field key → value.
    pub answers: String,
    pub saved_by_contact_id: Option<i32>,
    pub saved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
