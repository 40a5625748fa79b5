use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_mail")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub dedup_key: String,
    pub kind: StoredMailKind,
    pub update_request_id: Option<i32>,
    pub contact_id: Option<i32>,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub locale: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    pub message_id: String,
    pub state: StoredMailState,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// JSON `[{filename, content_type, content}]`, e.g. an interview's .ics.
    pub attachments: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use crate::domain::delivery::{MailKind, MailState};

stored_enum!(
    StoredMailState for MailState {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
        Cancelled = "cancelled",
    }
);

stored_enum!(
    StoredMailKind for MailKind {
        Invitation = "invitation",
        Reminder = "reminder",
        Digest = "digest",
        Escalation = "escalation",
        EscalationCopy = "escalation_copy",
        Confirmation = "confirmation",
        ChangesRequested = "changes_requested",
        Approved = "approved",
        InterviewInvitation = "interview_invitation",
        InterviewCancelled = "interview_cancelled",
        InterviewReminder = "interview_reminder",
    }
);
