use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub role: StoredStaffRole,
    pub password_hash: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The role as the domain knows it.
    pub fn staff_role(&self) -> StaffRole {
        self.role.into()
    }
}

use crate::domain::pledge::StaffRole;

stored_enum!(
    StoredStaffRole for StaffRole {
        Viewer = "viewer",
        Reviewer = "reviewer",
        Admin = "admin",
    }
);
