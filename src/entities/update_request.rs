use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "update_request")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub pledge_id: i32,
    pub state: StoredRequestState,
    pub out_of_un_scope: bool,
    pub deadline_override: Option<Date>,
    pub assigned_reviewer_id: Option<i32>,
    pub submitted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The state as the domain knows it.
    pub fn request_state(&self) -> RequestState {
        self.state.into()
    }
}

/// The request state as stored: the column stays a string on both databases, and a value this
/// build does not know is an error when the row is read, never a silent fallback.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum StoredRequestState {
    #[sea_orm(string_value = "issued")]
    Issued,
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "submitted")]
    Submitted,
    #[sea_orm(string_value = "changes_requested")]
    ChangesRequested,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
}

use crate::domain::request::RequestState;

impl From<StoredRequestState> for RequestState {
    fn from(s: StoredRequestState) -> RequestState {
        match s {
            StoredRequestState::Issued => RequestState::Issued,
            StoredRequestState::Draft => RequestState::Draft,
            StoredRequestState::Submitted => RequestState::Submitted,
            StoredRequestState::ChangesRequested => RequestState::ChangesRequested,
            StoredRequestState::Approved => RequestState::Approved,
            StoredRequestState::Published => RequestState::Published,
            StoredRequestState::Withdrawn => RequestState::Withdrawn,
        }
    }
}

impl From<RequestState> for StoredRequestState {
    fn from(s: RequestState) -> StoredRequestState {
        match s {
            RequestState::Issued => StoredRequestState::Issued,
            RequestState::Draft => StoredRequestState::Draft,
            RequestState::Submitted => StoredRequestState::Submitted,
            RequestState::ChangesRequested => StoredRequestState::ChangesRequested,
            RequestState::Approved => StoredRequestState::Approved,
            RequestState::Published => StoredRequestState::Published,
            RequestState::Withdrawn => StoredRequestState::Withdrawn,
        }
    }
}
