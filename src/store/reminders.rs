//! One scheduler pass: read the open requests and what was sent, ask the planner, and queue
//! its mails. The unique (request, step, contact) rows of `reminder_log`, written in the same
//! transaction as the outbox row, make a second scheduler (or a retried pass) a no-op.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{OnConflict, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, NotSet,
    QueryFilter,
};
use serde::Serialize;

use super::campaign::link_expiry;
use super::outbox::{self, NewMail};
use crate::domain::delivery::MailKind;
use crate::domain::pledge::{ContactRole, Locale};
use crate::domain::reminders::{OpenRequest, Policy, Recipient, ReminderOutcome, SentKey, plan};
use crate::domain::request::{RequestState, local_date};
use crate::entities::{
    campaign, change_request, contact, organization, pledge, reminder_log, update_request,
};
use crate::mail::messages::{ReminderItem, escalation_copy, reminder};

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct PassReport {
    pub mails: usize,
    pub digests: usize,
    pub escalations: usize,
    pub reminders: usize,
    pub skipped: usize,
    /// Pledge references whose every contact bounced.
    pub unreachable: Vec<String>,
    /// Day-before interview reminders queued (officers and interviewers).
    pub interview_reminders: usize,
    /// Expired staff and officer sessions deleted.
    pub sessions_purged: u64,
    /// Throttle counts older than every window, deleted in the same pass.
    pub throttle_rows_purged: u64,
}

struct Loaded {
    requests: Vec<OpenRequest>,
    pledges: HashMap<i32, pledge::Model>,
    /// Request id → pledge id.
    pledge_of: HashMap<i32, i32>,
    deadlines: HashMap<i32, chrono::NaiveDate>,
    contacts: HashMap<i32, contact::Model>,
}

/// `SELECT column FROM update_request` for the requests reminders are about: waiting on the
/// officer, in an open campaign.
fn waiting(column: update_request::Column) -> SelectStatement {
    let open_campaigns = Query::select()
        .column(campaign::Column::Id)
        .from(campaign::Entity)
        .and_where(campaign::Column::State.eq(campaign::StoredCampaignState::Open))
        .to_owned();
    Query::select()
        .column(column)
        .from(update_request::Entity)
        .and_where(
            update_request::Column::State.is_in(
                [
                    RequestState::Issued,
                    RequestState::Draft,
                    RequestState::ChangesRequested,
                ]
                .map(|s| s.as_str()),
            ),
        )
        .and_where(update_request::Column::CampaignId.in_subquery(open_campaigns))
        .to_owned()
}

async fn load(db: &impl ConnectionTrait) -> Result<Loaded, DbErr> {
    let open_campaigns: HashMap<i32, campaign::Model> = campaign::Entity::find()
        .filter(campaign::Column::State.eq(campaign::StoredCampaignState::Open))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let policies: HashMap<i32, std::sync::Arc<Policy>> = open_campaigns
        .values()
        .filter_map(|c| Some((c.id, std::sync::Arc::new(campaign_policy(c)?))))
        .collect();
    let rows: Vec<update_request::Model> = update_request::Entity::find()
        .filter(update_request::Column::Id.in_subquery(waiting(update_request::Column::Id)))
        .all(db)
        .await?;
    // Related rows are found through sub-queries: a list of ids bound as parameters stops
    // at SQLite's 32,766 (a campaign of 40,000 would get no reminder at all).
    let pledges: HashMap<i32, pledge::Model> = pledge::Entity::find()
        .filter(pledge::Column::Id.in_subquery(waiting(update_request::Column::PledgeId)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let their_organizations = Query::select()
        .column(pledge::Column::OrganizationId)
        .from(pledge::Entity)
        .and_where(pledge::Column::Id.in_subquery(waiting(update_request::Column::PledgeId)))
        .to_owned();
    let orgs: HashMap<i32, organization::Model> = organization::Entity::find()
        .filter(organization::Column::Id.in_subquery(their_organizations.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let contacts: HashMap<i32, contact::Model> = contact::Entity::find()
        .filter(contact::Column::OrganizationId.in_subquery(their_organizations))
        .filter(contact::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut changes_on: HashMap<i32, DateTime<Utc>> = HashMap::new();
    for c in change_request::Entity::find()
        .filter(change_request::Column::UpdateRequestId.in_subquery(waiting(update_request::Column::Id)))
        .filter(change_request::Column::ResolvedInRevisionId.is_null())
        .all(db)
        .await?
    {
        let entry = changes_on.entry(c.update_request_id).or_insert(c.created_at);
        *entry = (*entry).max(c.created_at);
    }
    let mut requests = Vec::new();
    let mut deadlines = HashMap::new();
    let pledge_of: HashMap<i32, i32> = rows.iter().map(|r| (r.id, r.pledge_id)).collect();
    for r in rows {
        let (Some(p), Some(c)) = (pledges.get(&r.pledge_id), open_campaigns.get(&r.campaign_id)) else {
            continue;
        };
        let Some(org) = orgs.get(&p.organization_id) else {
            continue;
        };
        let tz = org.zone();
        let deadline = r.deadline_override.unwrap_or(c.deadline);
        deadlines.insert(r.id, deadline);
        requests.push(OpenRequest {
            policy: policies.get(&c.id).cloned(),
            request_id: r.id,
            state: r.request_state(),
            deadline,
            changes_requested_on: changes_on.get(&r.id).map(|at| local_date(*at, tz)),
            timezone: tz,
            recipients: contacts
                .values()
                .filter(|c| c.organization_id == p.organization_id)
                .map(|c| Recipient {
                    contact_id: c.id,
                    alternate: ContactRole::from(c.role) == ContactRole::Alternate,
                    bounced: c.bounced_at.is_some(),
                })
                .collect(),
        });
    }
    requests.sort_by_key(|r| r.request_id);
    Ok(Loaded {
        requests,
        pledges,
        pledge_of,
        deadlines,
        contacts,
    })
}

/// Plans and queues the reminders due at `now`.
pub async fn run_pass(
    db: &DatabaseConnection,
    policy: &Policy,
    base_url: &str,
    grace_days: i64,
    secretariat: &str,
    now: DateTime<Utc>,
) -> Result<PassReport, DbErr> {
    let loaded = load(db).await?;
    let logged = reminder_log::Entity::find()
        .filter(reminder_log::Column::UpdateRequestId.in_subquery(waiting(update_request::Column::Id)))
        .all(db)
        .await?;
    let sent: HashSet<SentKey> = logged
        .iter()
        .map(|l| (l.update_request_id, l.step.clone(), l.contact_id))
        .collect();
    // Mails per contact in the last day: one mail may cover several log rows (a digest).
    let mut last_day: HashMap<i32, HashSet<DateTime<Utc>>> = HashMap::new();
    for l in logged.iter().filter(|l| {
        ReminderOutcome::from(l.state) == ReminderOutcome::Sent && l.created_at > now - Duration::hours(24)
    }) {
        last_day.entry(l.contact_id).or_default().insert(l.created_at);
    }
    let sent_last_day: HashMap<i32, usize> = last_day.into_iter().map(|(c, at)| (c, at.len())).collect();
    let planned = plan(policy, &loaded.requests, &sent, &sent_last_day, now);

    let mut report = PassReport {
        skipped: planned.skipped.len(),
        ..Default::default()
    };
    for request_id in &planned.unreachable {
        report
            .unreachable
            .extend(update_request_pledge(&loaded, *request_id).map(|p| p.reference.clone()));
    }
    if !planned.skipped.is_empty() {
        reminder_log::Entity::insert_many(
            planned
                .skipped
                .iter()
                .map(|(r, step, c)| log_row(*r, step, *c, ReminderOutcome::Skipped, now)),
        )
        .on_conflict(unique_key().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    }
    let open: HashMap<i32, &OpenRequest> = loaded.requests.iter().map(|r| (r.request_id, r)).collect();
    for mail in planned.mails {
        let Some(contact) = loaded.contacts.get(&mail.contact_id) else {
            continue;
        };
        let txn = super::write_txn(db).await?;
        // The log rows claim the steps; if another pass claimed one first, this mail is theirs.
        let claimed = reminder_log::Entity::insert_many(
            mail.items
                .iter()
                .map(|(r, step)| log_row(*r, step, contact.id, ReminderOutcome::Sent, now)),
        )
        .on_conflict(unique_key().do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
        if claimed as usize != mail.items.len() {
            txn.rollback().await?;
            continue;
        }
        let locale = Locale::parse(&contact.locale).unwrap_or_default();
        let mut items = Vec::new();
        let mut review_links = Vec::new();
        for (request_id, _) in &mail.items {
            let (Some(p), Some(request)) =
                (update_request_pledge(&loaded, *request_id), open.get(request_id))
            else {
                continue;
            };
            let deadline = loaded.deadlines[request_id];
            // A new link beside the invitation's (not instead of it): the older mail keeps working.
            let token = super::campaign::issue_link(
                &txn,
                *request_id,
                contact.id,
                link_expiry(deadline, grace_days),
                now,
            )
            .await?;
            let base = base_url.trim_end_matches('/');
            items.push(ReminderItem {
                pledge_title: &p.title,
                reference: &p.reference,
                deadline,
                state: request.state,
                overdue: local_date(now, request.timezone) > deadline,
                link: format!("{base}/u/{token}"),
            });
            review_links.push(format!("{base}/review/requests/{request_id}"));
        }
        let rendered = reminder(locale, &contact.name, &items, mail.escalation);
        let key: Vec<String> = mail.items.iter().map(|(r, s)| format!("{r}{s}")).collect();
        let kind = if mail.escalation {
            MailKind::Escalation
        } else if items.len() > 1 {
            MailKind::Digest
        } else {
            MailKind::Reminder
        };
        outbox::enqueue(
            &txn,
            NewMail {
                attachments: Vec::new(),
                dedup_key: format!("{kind}:{}:{}", contact.id, key.join(",")),
                kind,
                update_request_id: (mail.items.len() == 1).then(|| mail.items[0].0),
                contact_id: Some(contact.id),
                recipient: &contact.email,
                recipient_name: Some(&contact.name),
                locale: locale.as_str(),
                rendered: rendered.clone(),
                not_before: now,
            },
            now,
        )
        .await?;
        if mail.escalation {
            // The secretariat is copied on escalations, with the review pages instead of the
            // officer's personal links.
            for (item, review) in items.iter_mut().zip(review_links) {
                item.link = review;
            }
            let copy = escalation_copy(&contact.name, &contact.email, locale, &items, &rendered);
            outbox::enqueue(
                &txn,
                NewMail {
                    attachments: Vec::new(),
                    dedup_key: format!("escalation-copy:{}:{}", contact.id, key.join(",")),
                    kind: MailKind::EscalationCopy,
                    update_request_id: None,
                    contact_id: None,
                    recipient: secretariat,
                    recipient_name: None,
                    locale: "en",
                    rendered: copy,
                    not_before: now,
                },
                now,
            )
            .await?;
            report.escalations += 1;
        }
        txn.commit().await?;
        report.mails += 1;
        report.reminders += mail.items.len();
        report.digests += usize::from(mail.items.len() > 1);
    }
    Ok(report)
}

/// The campaign's own reminder policy; `None` (the default policy) when it has none or it
/// no longer parses.
pub fn campaign_policy(c: &campaign::Model) -> Option<Policy> {
    let settings: crate::domain::reminders::PolicySettings = serde_json::from_str(&c.reminder_policy).ok()?;
    match settings.policy() {
        Ok(policy) => Some(policy),
        Err(e) => {
            tracing::warn!(campaign = c.id, error = %e, "the campaign's reminder policy does not parse; using the default");
            None
        }
    }
}

fn update_request_pledge(loaded: &Loaded, request_id: i32) -> Option<&pledge::Model> {
    loaded.pledges.get(loaded.pledge_of.get(&request_id)?)
}

fn unique_key() -> OnConflict {
    OnConflict::columns([
        reminder_log::Column::UpdateRequestId,
        reminder_log::Column::Step,
        reminder_log::Column::ContactId,
    ])
}

fn log_row(
    request_id: i32,
    step: &str,
    contact_id: i32,
    state: ReminderOutcome,
    now: DateTime<Utc>,
) -> reminder_log::ActiveModel {
    reminder_log::ActiveModel {
        id: NotSet,
        update_request_id: Set(request_id),
        step: Set(step.into()),
        contact_id: Set(contact_id),
        state: Set(state.into()),
        created_at: Set(now),
    }
}
