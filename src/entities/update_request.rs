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

use crate::domain::request::RequestState;

stored_enum!(
    /// The request state as stored.
    StoredRequestState for RequestState {
        Issued = "issued",
        Draft = "draft",
        Submitted = "submitted",
        ChangesRequested = "changes_requested",
        Approved = "approved",
        Published = "published",
        Withdrawn = "withdrawn",
    }
);
