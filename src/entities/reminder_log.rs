use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub update_request_id: i32,
    pub step: String,
    pub contact_id: i32,
    /// sent | skipped
    pub state: StoredReminderOutcome,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use crate::domain::reminders::ReminderOutcome;

stored_enum!(
    StoredReminderOutcome for ReminderOutcome {
        Sent = "sent",
        Skipped = "skipped",
    }
);
