//! The secretariat's actions on a submitted update.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    NotSet, QueryFilter, QueryOrder,
};

use super::ActionError;
use super::audit::{self, Actor};
use super::campaign::link_expiry;
use super::links;
use super::outbox::{self, NewMail};
use super::requests::request_context;
use crate::domain::answers::Answers;
use crate::domain::confirmation::{self, RegisterChange, RegisterFacts};
use crate::domain::delivery::MailKind;
use crate::domain::pledge::{CompactScope, Locale};
use crate::domain::request::{RequestEvent, RequestState, transition_seen};
use crate::entities::{change_request, pledge, update_request};
use crate::i18n::messages;
use crate::mail::messages::{ChangesRequested, changes_requested};

/// One requested change: a field key (or `None` for a general comment) and the comment.
pub struct ChangeItem {
    pub field: Option<String>,
    pub message: String,
}

/// Sends a submitted update back to its officers with comments anchored to fields. Each
/// active contact gets an e-mail with the comments and a fresh personal link (the old link
/// is rotated out), all in one transaction with the state change.
#[allow(clippy::too_many_arguments)]
pub async fn request_changes(
    db: &DatabaseConnection,
    request_id: i32,
    staff_id: Option<i32>,
    seen: Option<RequestState>,
    items: &[ChangeItem],
    base_url: &str,
    grace_days: i64,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let txn = super::write_txn(db).await?;
    let request = super::lock_request(&txn, request_id).await?;
    let state = request.request_state();
    let next = transition_seen(state, seen, RequestEvent::RequestChanges)?;
    let revision = super::drafts::latest_revision(&txn, request_id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("revision of update request {request_id}")))?;
    for item in items {
        change_request::ActiveModel {
            id: NotSet,
            update_request_id: Set(request_id),
            revision_id: Set(revision.id),
            field: Set(item.field.clone()),
            message: Set(item.message.clone()),
            created_by_staff_id: Set(staff_id),
            resolved_in_revision_id: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let mut active: update_request::ActiveModel = request.clone().into();
    active.state = Set(next.into());
    active.updated_at = Set(now);
    let request = active.update(&txn).await?;
    audit::record(
        &txn,
        now,
        staff_id.map(Actor::Staff).unwrap_or(Actor::System),
        "request.changes_requested",
        "update_request",
        Some(request_id.to_string()),
        serde_json::json!({ "revision": revision.number, "fields": items.iter().map(|i| i.field.clone()).collect::<Vec<_>>() }),
    )
    .await?;

    let ctx = request_context(&txn, request).await?;
    let contacts = super::requests::reachable_contacts(&txn, ctx.pledge.organization_id).await?;
    let expires_at = link_expiry(ctx.deadline(), grace_days);
    for c in contacts {
        let locale = Locale::parse(&c.locale).unwrap_or_default();
        let t = messages(locale);
        let token = links::rotate_link(&txn, request_id, c.id, expires_at, now).await?;
        let link = format!("{}/u/{token}", base_url.trim_end_matches('/'));
        let rendered = changes_requested(
            locale,
            &ChangesRequested {
                recipient_name: &c.name,
                pledge_title: &ctx.pledge.title,
                reference: &ctx.pledge.reference,
                link: &link,
                items: items
                    .iter()
                    .map(|i| {
                        let label = i
                            .field
                            .as_deref()
                            .map(|f| t.field_label(f))
                            .unwrap_or_else(|| t.get("form.general_comment").into());
                        (label, i.message.clone())
                    })
                    .collect(),
            },
        );
        outbox::enqueue(
            &txn,
            NewMail {
                attachments: Vec::new(),
                dedup_key: format!("changes:{}:{}:{}", request_id, revision.number, c.id),
                kind: MailKind::ChangesRequested,
                update_request_id: Some(request_id),
                contact_id: Some(c.id),
                recipient: &c.email,
                recipient_name: Some(&c.name),
                locale: locale.as_str(),
                rendered,
                not_before: now,
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Change requests the officer has not answered with a new revision yet.
pub async fn open_change_requests(
    db: &impl sea_orm::ConnectionTrait,
    request_id: i32,
) -> Result<Vec<change_request::Model>, DbErr> {
    change_request::Entity::find()
        .filter(change_request::Column::UpdateRequestId.eq(request_id))
        .filter(change_request::Column::ResolvedInRevisionId.is_null())
        .order_by_asc(change_request::Column::Id)
        .all(db)
        .await
}

/// Approves a submitted update: refused while an interview is open or without the officer's
/// consent to publish (read from the revision being approved, which the officer cannot change).
/// The officers are told, in their language, in the same transaction.
pub async fn approve(
    db: &DatabaseConnection,
    request_id: i32,
    staff_id: Option<i32>,
    seen: Option<RequestState>,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let txn = super::write_txn(db).await?;
    // Locked before anything is read: the revision and interviews below are the ones approved.
    super::lock_request(&txn, request_id).await?;
    let revision = super::drafts::latest_revision(&txn, request_id).await?;
    let consent_given = match &revision {
        Some(r) => super::drafts::revision_answers(r)?.checked("consent_to_publish"),
        None => false,
    };
    let event = RequestEvent::Approve {
        open_interview: super::interviews::blocks_approval(&txn, request_id).await?,
        consent_given,
    };
    let request = transition_in(&txn, request_id, seen, event, "request.approved", staff_id, now).await?;
    let ctx = request_context(&txn, request).await?;
    if let Some(r) = &revision {
        confirm_in_register(
            &txn,
            &ctx.pledge,
            &super::drafts::revision_answers(r)?,
            staff_id,
            now,
        )
        .await?;
    }
    let number = revision.map(|r| r.number).unwrap_or(0);
    for c in super::requests::reachable_contacts(&txn, ctx.pledge.organization_id).await? {
        let locale = Locale::parse(&c.locale).unwrap_or_default();
        let rendered = crate::mail::messages::approved(
            locale,
            &crate::mail::messages::Approved {
                recipient_name: &c.name,
                pledge_title: &ctx.pledge.title,
                reference: &ctx.pledge.reference,
                revision: number,
            },
        );
        outbox::enqueue(
            &txn,
            NewMail {
                attachments: Vec::new(),
                dedup_key: format!("approved:{request_id}:{number}:{}", c.id),
                kind: MailKind::Approved,
                update_request_id: Some(request_id),
                contact_id: Some(c.id),
                recipient: &c.email,
                recipient_name: Some(&c.name),
                locale: locale.as_str(),
                rendered,
                not_before: now,
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The register values an approved update confirmed differently (see `domain::confirmation`).
pub fn register_changes(p: &pledge::Model, answers: &Answers) -> Vec<RegisterChange> {
    let facts = RegisterFacts {
        title: p.title.clone(),
        compact_scope: p.scope().as_str().into(),
        timeline_start: p.timeline_start.clone(),
        timeline_end: p.timeline_end.clone(),
        gcr_pledge_id: p.gcr_pledge_id.clone(),
        gcm_pledge_ref: p.gcm_pledge_ref.clone(),
    };
    confirmation::register_changes(&facts, answers)
}

/// Writes what the approved update confirmed back to the pledge, with its audit row.
async fn confirm_in_register(
    txn: &impl ConnectionTrait,
    p: &pledge::Model,
    answers: &Answers,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let changes = register_changes(p, answers);
    if changes.is_empty() {
        return Ok(());
    }
    let mut row: pledge::ActiveModel = p.clone().into();
    for c in &changes {
        match c.field {
            "title" => {
                let title = c.after.clone().unwrap_or_default();
                // The old title stays searchable beside the new one.
                row.search_text = Set(crate::domain::pledge::search_key(&format!(
                    "{} {title}",
                    p.search_text
                )));
                row.title = Set(title);
            }
            "compact_scope" => {
                let scope =
                    CompactScope::parse(c.after.as_deref().unwrap_or_default()).map_err(DbErr::Custom)?;
                row.compact_scope = Set(scope.into());
            }
            "timeline_start" => row.timeline_start = Set(c.after.clone()),
            "timeline_end" => row.timeline_end = Set(c.after.clone()),
            "gcr_pledge_id" => row.gcr_pledge_id = Set(c.after.clone()),
            "gcm_pledge_ref" => row.gcm_pledge_ref = Set(c.after.clone()),
            _ => {}
        }
    }
    row.updated_at = Set(now);
    row.update(txn).await?;
    audit::record(
        txn,
        now,
        staff_id.map_or(Actor::System, Actor::Staff),
        "pledge.confirmed_by_update",
        "pledge",
        Some(p.reference.clone()),
        serde_json::json!({ "changes": changes }),
    )
    .await
}

/// Moves an update along the state machine for a staff action that causes no mail
/// (publish, withdraw), with its audit row, in one transaction.
pub async fn staff_transition(
    db: &DatabaseConnection,
    request_id: i32,
    seen: Option<RequestState>,
    event: RequestEvent,
    action: &str,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<RequestState, ActionError> {
    let txn = super::write_txn(db).await?;
    let request = transition_in(&txn, request_id, seen, event, action, staff_id, now).await?;
    txn.commit().await?;
    Ok(request.request_state())
}

/// The state change and its audit row, inside the caller's transaction.
async fn transition_in(
    txn: &impl sea_orm::ConnectionTrait,
    request_id: i32,
    seen: Option<RequestState>,
    event: RequestEvent,
    action: &str,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<update_request::Model, ActionError> {
    let request = super::lock_request(txn, request_id).await?;
    let state = request.request_state();
    let next = transition_seen(state, seen, event)?;
    let mut active: update_request::ActiveModel = request.into();
    active.state = Set(next.into());
    active.updated_at = Set(now);
    let request = active.update(txn).await?;
    audit::record(
        txn,
        now,
        staff_id.map(Actor::Staff).unwrap_or(Actor::System),
        action,
        "update_request",
        Some(request_id.to_string()),
        serde_json::json!({ "from": state.as_str(), "to": next.as_str() }),
    )
    .await?;
    Ok(request)
}

/// One line of the secretariat's lists.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub request_id: i32,
    pub campaign: String,
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub compact_scope: CompactScope,
    pub state: RequestState,
    pub out_of_un_scope: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub assigned_reviewer_id: Option<i32>,
}

/// The review queue: updates waiting on the secretariat (submitted, or approved and not yet
/// published), submitted ones first and oldest first; with `assigned_to`, every request
/// assigned to that reviewer instead.
pub async fn queue(
    db: &impl sea_orm::ConnectionTrait,
    assigned_to: Option<i32>,
) -> Result<Vec<QueueRow>, DbErr> {
    use crate::entities::{campaign, organization, pledge};
    use sea_orm::sea_query::Query;
    use std::collections::HashMap;
    let listed = match assigned_to {
        Some(staff) => sea_orm::Condition::all().add(update_request::Column::AssignedReviewerId.eq(staff)),
        None => sea_orm::Condition::all().add(
            update_request::Column::State
                .is_in([RequestState::Submitted.as_str(), RequestState::Approved.as_str()]),
        ),
    };
    let requests = update_request::Entity::find()
        .filter(listed.clone())
        .all(db)
        .await?;
    // Sub-queries, not lists of ids: a list stops at SQLite's 32,766 parameters.
    let their_pledges = Query::select()
        .column(update_request::Column::PledgeId)
        .from(update_request::Entity)
        .cond_where(listed)
        .to_owned();
    let their_organizations = Query::select()
        .column(pledge::Column::OrganizationId)
        .from(pledge::Entity)
        .and_where(pledge::Column::Id.in_subquery(their_pledges.clone()))
        .to_owned();
    let campaigns: HashMap<i32, campaign::Model> = campaign::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let pledges: HashMap<i32, pledge::Model> = pledge::Entity::find()
        .filter(pledge::Column::Id.in_subquery(their_pledges))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let orgs: HashMap<i32, organization::Model> = organization::Entity::find()
        .filter(organization::Column::Id.in_subquery(their_organizations))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut rows: Vec<QueueRow> = requests
        .into_iter()
        .filter_map(|r| {
            let p = pledges.get(&r.pledge_id)?;
            Some(QueueRow {
                request_id: r.id,
                campaign: campaigns
                    .get(&r.campaign_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                reference: p.reference.clone(),
                title: p.title.clone(),
                organization: orgs
                    .get(&p.organization_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                compact_scope: p.scope(),
                state: r.request_state(),
                out_of_un_scope: r.out_of_un_scope,
                submitted_at: r.submitted_at,
                updated_at: r.updated_at,
                assigned_reviewer_id: r.assigned_reviewer_id,
            })
        })
        .collect();
    rows.sort_by_key(|r| {
        (
            r.state != RequestState::Submitted,
            r.submitted_at,
            r.reference.clone(),
        )
    });
    Ok(rows)
}

/// The request's history, oldest first.
pub async fn timeline(
    db: &impl sea_orm::ConnectionTrait,
    request_id: i32,
) -> Result<Vec<crate::entities::audit_event::Model>, DbErr> {
    use crate::entities::audit_event;
    audit_event::Entity::find()
        .filter(audit_event::Column::Entity.eq("update_request"))
        .filter(audit_event::Column::EntityId.eq(request_id.to_string()))
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await
}

/// Every revision of a request, oldest first.
pub async fn revisions(
    db: &impl sea_orm::ConnectionTrait,
    request_id: i32,
) -> Result<Vec<crate::entities::revision::Model>, DbErr> {
    use crate::entities::revision;
    revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.eq(request_id))
        .order_by_asc(revision::Column::Number)
        .all(db)
        .await
}
