//! Reads a campaign's requests for the progress dashboard, in a fixed number of queries
//! (not one per request).
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::answers::Answers;
use crate::domain::dashboard::DashboardRow;
use crate::domain::pledge::CompactScope;
use crate::domain::request::RequestState;
use crate::entities::{
    audit_event, campaign, organization, outbox_mail, pledge, pledge_classification, revision, staff_user,
    update_request,
};

pub async fn campaigns(db: &impl ConnectionTrait) -> Result<Vec<campaign::Model>, DbErr> {
    campaign::Entity::find()
        .order_by_desc(campaign::Column::OpensAt)
        .all(db)
        .await
}

/// Every request of the campaign, with what the dashboard shows of it.
pub async fn rows(db: &impl ConnectionTrait, campaign: &campaign::Model) -> Result<Vec<DashboardRow>, DbErr> {
    let requests = update_request::Entity::find()
        .filter(update_request::Column::CampaignId.eq(campaign.id))
        .all(db)
        .await?;
    let pledge_ids: Vec<i32> = requests.iter().map(|r| r.pledge_id).collect();
    let request_ids: Vec<i32> = requests.iter().map(|r| r.id).collect();
    let pledges: HashMap<i32, pledge::Model> = pledge::Entity::find()
        .filter(pledge::Column::Id.is_in(pledge_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let orgs: HashMap<i32, organization::Model> = organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut priorities: HashMap<i32, Vec<String>> = HashMap::new();
    for c in pledge_classification::Entity::find()
        .filter(pledge_classification::Column::Scheme.eq("priority"))
        .filter(pledge_classification::Column::PledgeId.is_in(pledge_ids))
        .all(db)
        .await?
    {
        priorities.entry(c.pledge_id).or_default().push(c.code);
    }
    let staff: HashMap<i32, String> = staff_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let last_activity: HashMap<String, chrono::DateTime<chrono::Utc>> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::EntityId)
        .column_as(audit_event::Column::At.max(), "at")
        .filter(audit_event::Column::Entity.eq("update_request"))
        .filter(audit_event::Column::EntityId.is_in(request_ids.iter().map(|id| id.to_string())))
        .group_by(audit_event::Column::EntityId)
        .into_tuple::<(Option<String>, Option<chrono::DateTime<chrono::Utc>>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, at)| Some((id?, at?)))
        .collect();
    let mut last_mail: HashMap<i32, (String, chrono::DateTime<chrono::Utc>)> = HashMap::new();
    for (request_id, kind, sent_at) in outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::UpdateRequestId)
        .column(outbox_mail::Column::Kind)
        .column(outbox_mail::Column::SentAt)
        .filter(outbox_mail::Column::State.eq("sent"))
        .filter(outbox_mail::Column::UpdateRequestId.is_in(request_ids))
        .order_by_asc(outbox_mail::Column::SentAt)
        .into_tuple::<(Option<i32>, String, Option<chrono::DateTime<chrono::Utc>>)>()
        .all(db)
        .await?
    {
        if let (Some(id), Some(at)) = (request_id, sent_at) {
            last_mail.insert(id, (kind, at));
        }
    }
    Ok(requests
        .into_iter()
        .filter_map(|r| {
            let p = pledges.get(&r.pledge_id)?;
            let org = orgs.get(&p.organization_id)?;
            Some(DashboardRow {
                request_id: r.id,
                reference: p.reference.clone(),
                title: p.title.clone(),
                organization: org.name.clone(),
                region: org.region.clone(),
                scope: p.compact_scope.clone(),
                priorities: priorities.get(&p.id).cloned().unwrap_or_default(),
                locale: org.locale.clone(),
                state: RequestState::parse(&r.state).unwrap_or(RequestState::Withdrawn),
                deadline: r.deadline_override.unwrap_or(campaign.deadline),
                reviewer: r.assigned_reviewer_id.and_then(|id| staff.get(&id).cloned()),
                last_activity: last_activity
                    .get(&r.id.to_string())
                    .copied()
                    .max(Some(r.updated_at)),
                last_mail: last_mail.remove(&r.id),
            })
        })
        .collect())
}

/// The approved (or published) answers of the campaign's requests, with each pledge's scope
/// in the register: the input of the "at a glance" figures.
pub async fn approved_answers(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<Vec<(CompactScope, Answers)>, DbErr> {
    let requests = update_request::Entity::find()
        .filter(update_request::Column::CampaignId.eq(campaign_id))
        .filter(
            update_request::Column::State
                .is_in([RequestState::Approved.as_str(), RequestState::Published.as_str()]),
        )
        .all(db)
        .await?;
    let scopes: HashMap<i32, CompactScope> = pledge::Entity::find()
        .filter(pledge::Column::Id.is_in(requests.iter().map(|r| r.pledge_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.id,
                CompactScope::parse(&p.compact_scope).unwrap_or(CompactScope::Gcm),
            )
        })
        .collect();
    let mut newest: HashMap<i32, revision::Model> = HashMap::new();
    for rev in revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.is_in(requests.iter().map(|r| r.id)))
        .order_by_asc(revision::Column::Number)
        .all(db)
        .await?
    {
        newest.insert(rev.update_request_id, rev);
    }
    let mut out = Vec::with_capacity(requests.len());
    for r in &requests {
        if let Some(rev) = newest.get(&r.id) {
            let scope = scopes.get(&r.pledge_id).copied().unwrap_or(CompactScope::Gcm);
            out.push((scope, super::drafts::revision_answers(rev)?));
        }
    }
    Ok(out)
}
