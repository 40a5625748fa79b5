use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interview")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub update_request_id: i32,
    pub state: StoredInterviewState,
    pub scheduled_at: Option<DateTimeUtc>,
    pub timezone: Option<String>,
    pub duration_minutes: Option<i32>,
    pub mode: Option<String>,
    pub interviewer: Option<String>,
    pub meeting_link: Option<String>,
    pub notes: Option<String>,
    pub outcome: Option<String>,
    pub ics_uid: String,
    /// SEQUENCE of the last calendar message sent (0 before the first).
    pub ics_sequence: i32,
    pub requested_by_staff_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Gets the reminder the day before.
    pub interviewer_email: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn interview_state(&self) -> InterviewState {
        self.state.into()
    }
}

use crate::domain::interview::InterviewState;

stored_enum!(
    StoredInterviewState for InterviewState {
        Requested = "requested",
        Scheduled = "scheduled",
        Held = "held",
        Validated = "validated",
        NoShow = "no_show",
        Cancelled = "cancelled",
    }
);
