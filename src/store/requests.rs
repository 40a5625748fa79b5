//! Reading an update request together with what its pages need.
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::entities::{campaign, organization, pledge, update_request};

pub struct RequestContext {
    pub request: update_request::Model,
    pub pledge: pledge::Model,
    pub organization: organization::Model,
    pub campaign: campaign::Model,
}

impl RequestContext {
    /// The request's own deadline, or the campaign's.
    pub fn deadline(&self) -> chrono::NaiveDate {
        self.request.deadline_override.unwrap_or(self.campaign.deadline)
    }
}

pub async fn request_context(
    db: &impl ConnectionTrait,
    request: update_request::Model,
) -> Result<RequestContext, DbErr> {
    let missing = |what: &str| DbErr::RecordNotFound(format!("{what} of update request {}", request.id));
    let pledge = pledge::Entity::find_by_id(request.pledge_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("pledge"))?;
    let organization = organization::Entity::find_by_id(pledge.organization_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("organization"))?;
    let campaign = campaign::Entity::find_by_id(request.campaign_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("campaign"))?;
    Ok(RequestContext {
        request,
        pledge,
        organization,
        campaign,
    })
}
