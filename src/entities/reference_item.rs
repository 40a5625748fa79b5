use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reference_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scheme: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub position: i32,
    pub label: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
