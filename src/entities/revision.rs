use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revision")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub update_request_id: i32,
    pub number: i32,
    pub draft_version: i32,
    pub answers: String,
    pub findings: String,
    pub profile_versions: String,
    pub submitted_by_contact_id: Option<i32>,
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
