//! The secretariat's care of one request: who reviews it, comments, its deadline, its
//! officers' links and contacts. Each change with its audit row in one transaction.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use super::ActionError;
use super::audit::{self, Actor};
use super::campaign::{IssueSpec, invite, link_expiry};
use super::requests::{RequestContext, request_context};
use crate::domain::access::{Permission, allows};
use crate::domain::delivery::MailKind;
use crate::domain::register::ContactRecord;
use crate::domain::request::DeadlineRefusal;
use crate::domain::request::RequestState;
use crate::entities::{access_link, contact, staff_user, update_request};

fn actor(staff_id: Option<i32>) -> Actor {
    staff_id.map(Actor::Staff).unwrap_or(Actor::System)
}

/// The request an action changes, its row locked until the transaction ends.
async fn context(db: &impl ConnectionTrait, request_id: i32) -> Result<RequestContext, ActionError> {
    let request = update_request::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("there is no update request {request_id}")))?;
    Ok(request_context(db, request).await?)
}

async fn record(
    db: &impl ConnectionTrait,
    staff_id: Option<i32>,
    action: &str,
    request_id: i32,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    audit::record(
        db,
        now,
        actor(staff_id),
        action,
        "update_request",
        Some(request_id.to_string()),
        detail,
    )
    .await?;
    Ok(())
}

/// Staff who can review: the choices for assignment.
pub async fn reviewers(db: &impl ConnectionTrait) -> Result<Vec<staff_user::Model>, sea_orm::DbErr> {
    Ok(staff_user::Entity::find()
        .order_by_asc(staff_user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|u| allows(u.staff_role(), Permission::Review))
        .collect())
}

/// Assigns the request to a reviewer, or unassigns it (`None`).
pub async fn assign(
    db: &DatabaseConnection,
    request_id: i32,
    reviewer_id: Option<i32>,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let txn = super::write_txn(db).await?;
    let ctx = context(&txn, request_id).await?;
    let reviewer = match reviewer_id {
        Some(id) => {
            let user = staff_user::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .filter(|u| allows(u.staff_role(), Permission::Review))
                .ok_or_else(|| ActionError::Invalid(format!("staff member {id} is not a reviewer")))?;
            Some(user.email)
        }
        None => None,
    };
    let mut active: update_request::ActiveModel = ctx.request.into();
    active.assigned_reviewer_id = Set(reviewer_id);
    active.update(&txn).await?;
    record(
        &txn,
        staff_id,
        "request.assigned",
        request_id,
        serde_json::json!({ "reviewer": reviewer }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A plain comment on the request's timeline (the officer does not see it).
pub async fn comment(
    db: &DatabaseConnection,
    request_id: i32,
    text: &str,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 5_000 {
        return Err(ActionError::Invalid(
            "comment: write 1 to 5,000 characters".into(),
        ));
    }
    let txn = super::write_txn(db).await?;
    context(&txn, request_id).await?;
    record(
        &txn,
        staff_id,
        "request.commented",
        request_id,
        serde_json::json!({ "text": text }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Gives one request a later deadline. The officers' unrevoked links are extended to match.
pub async fn extend_deadline(
    db: &DatabaseConnection,
    request_id: i32,
    deadline: NaiveDate,
    grace_days: i64,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let txn = super::write_txn(db).await?;
    let ctx = context(&txn, request_id).await?;
    let current = ctx.deadline();
    crate::domain::request::extend_deadline(ctx.request.request_state(), current, deadline).map_err(|e| {
        match e {
            DeadlineRefusal::NotOwed(_) => ActionError::Refused(e.to_string()),
            DeadlineRefusal::NotLater { .. } => ActionError::Invalid(e.to_string()),
        }
    })?;
    let mut active: update_request::ActiveModel = ctx.request.clone().into();
    active.deadline_override = Set(Some(deadline));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    let expires_at = link_expiry(deadline, grace_days);
    access_link::Entity::update_many()
        .col_expr(access_link::Column::ExpiresAt, Expr::value(expires_at))
        .filter(access_link::Column::UpdateRequestId.eq(request_id))
        .filter(access_link::Column::RevokedAt.is_null())
        .filter(access_link::Column::ExpiresAt.lt(expires_at))
        .exec(&txn)
        .await?;
    record(
        &txn,
        staff_id,
        "request.deadline_extended",
        request_id,
        serde_json::json!({ "from": current, "to": deadline }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn request_contact(
    db: &impl ConnectionTrait,
    ctx: &RequestContext,
    contact_id: i32,
) -> Result<contact::Model, ActionError> {
    contact::Entity::find_by_id(contact_id)
        .one(db)
        .await?
        .filter(|c| c.organization_id == ctx.pledge.organization_id)
        .ok_or_else(|| {
            ActionError::NotFound(format!("contact {contact_id} is not an officer of this pledge"))
        })
}

/// Revokes a contact's links to the request and sends them a fresh one with a new
/// invitation (the old link stops working at once).
pub async fn resend_link(
    db: &DatabaseConnection,
    request_id: i32,
    contact_id: i32,
    spec: &IssueSpec<'_>,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let txn = super::write_txn(db).await?;
    let ctx = context(&txn, request_id).await?;
    let state = ctx.request.request_state();
    if matches!(state, RequestState::Withdrawn) {
        return Err(ActionError::Refused(
            "this request is withdrawn; its links stay closed".into(),
        ));
    }
    // A new link comes with an invitation to update: only for an update the officer owes.
    if !state.awaits_officer() {
        return Err(ActionError::Refused(format!(
            "this update is {}: it does not wait on the officer, so no new link is sent",
            state.as_str().replace('_', " ")
        )));
    }
    let c = request_contact(&txn, &ctx, contact_id).await?;
    if !c.is_reachable() {
        return Err(ActionError::Refused(format!(
            "{} is {}; reactivate the contact or add another address first",
            c.email,
            if c.active { "bouncing" } else { "deactivated" }
        )));
    }
    super::links::revoke_links(&txn, request_id, c.id, now).await?;
    let earlier = access_link::Entity::find()
        .filter(access_link::Column::UpdateRequestId.eq(request_id))
        .filter(access_link::Column::ContactId.eq(c.id))
        .count(&txn)
        .await?;
    let dedup_key = format!("invitation:{request_id}:{}:resend:{earlier}", c.id);
    invite(
        &txn,
        &ctx.request,
        &ctx.pledge,
        ctx.deadline(),
        &c,
        spec,
        dedup_key,
        now,
    )
    .await?;
    record(
        &txn,
        spec.staff_id,
        "link.resent",
        request_id,
        serde_json::json!({ "contact": c.email }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Closes every link a contact has to the request.
pub async fn revoke_links(
    db: &DatabaseConnection,
    request_id: i32,
    contact_id: i32,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<u64, ActionError> {
    let txn = super::write_txn(db).await?;
    let ctx = context(&txn, request_id).await?;
    let c = request_contact(&txn, &ctx, contact_id).await?;
    let revoked = super::links::revoke_links(&txn, request_id, c.id, now).await?;
    record(
        &txn,
        staff_id,
        "link.revoked",
        request_id,
        serde_json::json!({ "contact": c.email, "links": revoked }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(revoked)
}

/// Adds (or reactivates) an officer of the pledge's organization and, while the officer
/// still owes the update, sends them an invitation with their own link.
pub async fn add_contact(
    db: &DatabaseConnection,
    request_id: i32,
    new: &ContactRecord,
    spec: &IssueSpec<'_>,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let txn = super::write_txn(db).await?;
    let ctx = context(&txn, request_id).await?;
    let email = new.email.clone();
    let reachable = super::requests::reachable_contacts(&txn, ctx.pledge.organization_id).await?;
    if reachable.iter().any(|c| c.email == email) {
        return Err(ActionError::Refused(format!(
            "{email} is already an active contact of {}",
            ctx.organization.name
        )));
    }
    let (c, _) = super::register::save_contact(&txn, ctx.pledge.organization_id, new, true, now).await?;
    let state = ctx.request.request_state();
    let invited = state.awaits_officer();
    if invited {
        let dedup_key = format!("invitation:{request_id}:{}", c.id);
        invite(
            &txn,
            &ctx.request,
            &ctx.pledge,
            ctx.deadline(),
            &c,
            spec,
            dedup_key,
            now,
        )
        .await?;
    }
    record(
        &txn,
        spec.staff_id,
        "contact.added",
        request_id,
        serde_json::json!({ "contact": email, "invited": invited }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Deactivates an officer contact: no more mail, and every link they hold is revoked.
pub async fn deactivate_contact(
    db: &DatabaseConnection,
    request_id: i32,
    contact_id: i32,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let txn = super::write_txn(db).await?;
    let ctx = context(&txn, request_id).await?;
    let c = request_contact(&txn, &ctx, contact_id).await?;
    if !c.active {
        return Err(ActionError::Refused(format!(
            "{} is already deactivated",
            c.email
        )));
    }
    let email = c.email.clone();
    let mut active: contact::ActiveModel = c.into();
    active.active = Set(false);
    active.updated_at = Set(now);
    active.update(&txn).await?;
    access_link::Entity::update_many()
        .col_expr(access_link::Column::RevokedAt, Expr::value(Some(now)))
        .filter(access_link::Column::ContactId.eq(contact_id))
        .filter(access_link::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    record(
        &txn,
        staff_id,
        "contact.deactivated",
        request_id,
        serde_json::json!({ "contact": email }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// One officer of the request, with their links and the last mail they were sent.
#[derive(Debug, Clone)]
pub struct OfficerLine {
    pub contact: contact::Model,
    pub open_links: usize,
    pub last_used: Option<DateTime<Utc>>,
    pub last_mail: Option<(MailKind, DateTime<Utc>)>,
}

pub async fn officers(
    db: &impl ConnectionTrait,
    ctx: &RequestContext,
    now: DateTime<Utc>,
) -> Result<Vec<OfficerLine>, sea_orm::DbErr> {
    use crate::entities::outbox_mail;
    let contacts = contact::Entity::find()
        .filter(contact::Column::OrganizationId.eq(ctx.pledge.organization_id))
        .order_by_asc(contact::Column::Id)
        .all(db)
        .await?;
    let links = access_link::Entity::find()
        .filter(access_link::Column::UpdateRequestId.eq(ctx.request.id))
        .all(db)
        .await?;
    let mails = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::UpdateRequestId.eq(ctx.request.id))
        .filter(outbox_mail::Column::State.eq(outbox_mail::StoredMailState::Sent))
        .order_by_asc(outbox_mail::Column::Id)
        .all(db)
        .await?;
    Ok(contacts
        .into_iter()
        .map(|c| {
            let mine = || links.iter().filter(|l| l.contact_id == c.id);
            OfficerLine {
                open_links: mine()
                    .filter(|l| l.revoked_at.is_none() && l.expires_at > now)
                    .count(),
                last_used: mine().filter_map(|l| l.last_used_at).max(),
                last_mail: mails
                    .iter()
                    .rev()
                    .find(|m| m.contact_id == Some(c.id))
                    .and_then(|m| m.sent_at.map(|at| (MailKind::from(m.kind), at))),
                contact: c,
            }
        })
        .collect())
}
