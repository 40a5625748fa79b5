use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub opens_at: DateTimeUtc,
    pub deadline: Date,
    pub state: StoredCampaignState,
    /// JSON: the requirement profile ids and versions in force.
    pub profile_versions: String,
    /// JSON: the reminder policy.
    pub reminder_policy: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use crate::domain::request::CampaignState;

stored_enum!(
    StoredCampaignState for CampaignState {
        Draft = "draft",
        Open = "open",
        Closed = "closed",
    }
);
