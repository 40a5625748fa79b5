//! Reading an update request together with what its pages need.
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{campaign, contact, organization, pledge, update_request};

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

/// A contact mail can reach: active and not bounced. The rule's one statement for queries;
/// `contact::Model::is_reachable` says it of a loaded row.
pub fn reachable() -> Condition {
    Condition::all()
        .add(contact::Column::Active.eq(true))
        .add(contact::Column::BouncedAt.is_null())
}

/// Every contact mail can reach, by id: all organizations at once.
pub async fn all_reachable_contacts(db: &impl ConnectionTrait) -> Result<Vec<contact::Model>, DbErr> {
    contact::Entity::find()
        .filter(reachable())
        .order_by_asc(contact::Column::Id)
        .all(db)
        .await
}

/// The contacts mail about an organization's pledges goes to.
pub async fn reachable_contacts(
    db: &impl ConnectionTrait,
    organization_id: i32,
) -> Result<Vec<contact::Model>, DbErr> {
    contact::Entity::find()
        .filter(contact::Column::OrganizationId.eq(organization_id))
        .filter(reachable())
        .order_by_asc(contact::Column::Id)
        .all(db)
        .await
}
