use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organization_id: i32,
    pub name: String,
    pub email: String,
    pub locale: String,
    pub role: StoredContactRole,
    pub active: bool,
    pub bounced_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Mail can reach this contact: active and not bounced (`store::requests::reachable` is
    /// the same rule for queries).
    pub fn is_reachable(&self) -> bool {
        self.active && self.bounced_at.is_none()
    }
}

use crate::domain::pledge::ContactRole;

stored_enum!(
    StoredContactRole for ContactRole {
        Primary = "primary",
        Alternate = "alternate",
    }
);
