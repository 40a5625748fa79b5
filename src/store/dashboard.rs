//! Reads a campaign's requests for the progress dashboard, in a fixed number of queries
//! (not one per request).
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};

use crate::domain::answers::Answers;
use crate::domain::dashboard::{DashboardRow, Dimension, Group};
use crate::domain::delivery::MailKind;
use crate::domain::pledge::CompactScope;
use crate::domain::reminders::ReminderOutcome;
use crate::domain::reminders::{OpenRequest, Policy, next_reminder};
use crate::domain::request::{CampaignState, RequestState, local_date};
use crate::entities::{
    audit_event, campaign, change_request, contact, organization, outbox_mail, pledge, pledge_classification,
    reminder_log, revision, staff_user, update_request,
};

pub async fn campaigns(db: &impl ConnectionTrait) -> Result<Vec<campaign::Model>, DbErr> {
    campaign::Entity::find()
        .order_by_desc(campaign::Column::OpensAt)
        .all(db)
        .await
}

/// The campaign's counts by state (the list of campaigns, the API and the dashboard's totals).
pub async fn tally(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    now: DateTime<Utc>,
) -> Result<crate::domain::dashboard::Tally, DbErr> {
    Ok(crate::domain::dashboard::overall(
        groups(db, campaign, None).await?,
        now,
    ))
}

/// The campaign's counts per value of `dimension`, values in their natural order.
pub async fn breakdown(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    dimension: Dimension,
    now: DateTime<Utc>,
) -> Result<Vec<(String, crate::domain::dashboard::Tally)>, DbErr> {
    let groups = groups(db, campaign, Some(dimension)).await?;
    Ok(crate::domain::dashboard::tallies(Some(dimension), groups, now))
}

/// The campaign's requests counted by the database: one row per (state, deadline, time zone,
/// value of `dimension`), so memory and transfer do not grow with the campaign. A pledge with
/// several priorities is counted once per priority.
async fn groups(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    dimension: Option<Dimension>,
) -> Result<Vec<Group>, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType};
    let r = update_request::Entity;
    let mut query = Query::select();
    query
        .column((r, update_request::Column::State))
        .column((r, update_request::Column::DeadlineOverride))
        .column((organization::Entity, organization::Column::Timezone))
        .expr_as(
            Func::count(Expr::col((r, update_request::Column::Id))),
            Alias::new("requests"),
        )
        .from(r)
        .join(
            JoinType::InnerJoin,
            pledge::Entity,
            Expr::col((pledge::Entity, pledge::Column::Id)).equals((r, update_request::Column::PledgeId)),
        )
        .join(
            JoinType::InnerJoin,
            organization::Entity,
            Expr::col((organization::Entity, organization::Column::Id))
                .equals((pledge::Entity, pledge::Column::OrganizationId)),
        )
        .and_where(Expr::col((r, update_request::Column::CampaignId)).eq(campaign.id))
        .group_by_col((r, update_request::Column::State))
        .group_by_col((r, update_request::Column::DeadlineOverride))
        .group_by_col((organization::Entity, organization::Column::Timezone));
    let value = match dimension {
        None => None,
        Some(Dimension::Region) => Some(Expr::col((organization::Entity, organization::Column::Region))),
        Some(Dimension::Locale) => Some(Expr::col((organization::Entity, organization::Column::Locale))),
        Some(Dimension::Scope) => Some(Expr::col((pledge::Entity, pledge::Column::CompactScope))),
        Some(Dimension::Priority) => {
            query.join(
                JoinType::LeftJoin,
                pledge_classification::Entity,
                Condition::all()
                    .add(
                        Expr::col((
                            pledge_classification::Entity,
                            pledge_classification::Column::PledgeId,
                        ))
                        .equals((pledge::Entity, pledge::Column::Id)),
                    )
                    .add(
                        Expr::col((
                            pledge_classification::Entity,
                            pledge_classification::Column::Scheme,
                        ))
                        .eq("priority"),
                    ),
            );
            Some(Expr::col((
                pledge_classification::Entity,
                pledge_classification::Column::Code,
            )))
        }
    };
    if let Some(value) = value {
        query
            .expr_as(value.clone(), Alias::new("value"))
            .add_group_by([value]);
    }
    let mut groups = Vec::new();
    for row in db.query_all(&query).await? {
        let state: String = row.try_get("", "state")?;
        let deadline: Option<chrono::NaiveDate> = row.try_get("", "deadline_override")?;
        let timezone: String = row.try_get("", "timezone")?;
        let requests: i64 = row.try_get("", "requests")?;
        groups.push(Group {
            value: match dimension {
                Some(_) => row.try_get("", "value")?,
                None => None,
            },
            state: RequestState::parse(&state)
                .ok_or_else(|| DbErr::Type(format!("unknown request state `{state}`")))?,
            deadline: deadline.unwrap_or(campaign.deadline),
            timezone: timezone.parse().unwrap_or(chrono_tz::UTC),
            requests: u32::try_from(requests).unwrap_or(u32::MAX),
        });
    }
    Ok(groups)
}

/// Every request of the campaign (or only the request `only`), with what the dashboard shows
/// of it. `default_policy` plans the next reminder unless the campaign has its own.
pub async fn rows(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    only: Option<i32>,
    default_policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Vec<DashboardRow>, DbErr> {
    let scope = || {
        let mut condition = Condition::all().add(update_request::Column::CampaignId.eq(campaign.id));
        if let Some(id) = only {
            condition = condition.add(update_request::Column::Id.eq(id));
        }
        condition
    };
    let requests = update_request::Entity::find().filter(scope()).all(db).await?;
    // The campaign's rows are found with sub-queries, not with lists of thousands of ids.
    let in_campaign = |column: update_request::Column| {
        Query::select()
            .column(column)
            .from(update_request::Entity)
            .cond_where(scope())
            .to_owned()
    };
    let pledges: HashMap<i32, pledge::Model> = pledge::Entity::find()
        .filter(pledge::Column::Id.in_subquery(in_campaign(update_request::Column::PledgeId)))
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
        .filter(
            pledge_classification::Column::PledgeId
                .in_subquery(in_campaign(update_request::Column::PledgeId)),
        )
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
        .apply_if(only, |q, id| {
            q.filter(audit_event::Column::EntityId.eq(id.to_string()))
        })
        .group_by(audit_event::Column::EntityId)
        .into_tuple::<(Option<String>, Option<chrono::DateTime<chrono::Utc>>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, at)| Some((id?, at?)))
        .collect();
    let mut last_mail: HashMap<i32, (MailKind, chrono::DateTime<chrono::Utc>)> = HashMap::new();
    for (request_id, kind, sent_at) in outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::UpdateRequestId)
        .column(outbox_mail::Column::Kind)
        .column(outbox_mail::Column::SentAt)
        .filter(outbox_mail::Column::State.eq(outbox_mail::StoredMailState::Sent))
        .filter(outbox_mail::Column::UpdateRequestId.in_subquery(in_campaign(update_request::Column::Id)))
        .order_by_asc(outbox_mail::Column::SentAt)
        .into_tuple::<(
            Option<i32>,
            outbox_mail::StoredMailKind,
            Option<chrono::DateTime<chrono::Utc>>,
        )>()
        .all(db)
        .await?
    {
        if let (Some(id), Some(at)) = (request_id, sent_at) {
            last_mail.insert(id, (kind.into(), at));
        }
    }
    // Reminders: what went out, which steps are done, who can still be reached.
    let mut last_reminder: HashMap<i32, chrono::DateTime<chrono::Utc>> = HashMap::new();
    let mut done_steps: HashMap<i32, HashSet<String>> = HashMap::new();
    for log in reminder_log::Entity::find()
        .filter(reminder_log::Column::UpdateRequestId.in_subquery(in_campaign(update_request::Column::Id)))
        .all(db)
        .await?
    {
        if ReminderOutcome::from(log.state) == ReminderOutcome::Sent {
            let at = last_reminder
                .entry(log.update_request_id)
                .or_insert(log.created_at);
            *at = (*at).max(log.created_at);
        }
        done_steps
            .entry(log.update_request_id)
            .or_default()
            .insert(log.step);
    }
    let mut changes_on: HashMap<i32, DateTime<Utc>> = HashMap::new();
    for c in change_request::Entity::find()
        .filter(change_request::Column::UpdateRequestId.in_subquery(in_campaign(update_request::Column::Id)))
        .filter(change_request::Column::ResolvedInRevisionId.is_null())
        .all(db)
        .await?
    {
        let at = changes_on.entry(c.update_request_id).or_insert(c.created_at);
        *at = (*at).max(c.created_at);
    }
    let mut reachable: HashSet<i32> = HashSet::new();
    for c in contact::Entity::find()
        .filter(contact::Column::Active.eq(true))
        .filter(contact::Column::BouncedAt.is_null())
        .all(db)
        .await?
    {
        reachable.insert(c.organization_id);
    }
    let policy = crate::store::reminders::campaign_policy(campaign);
    let policy = policy.as_ref().unwrap_or(default_policy);
    let no_steps = HashSet::new();
    Ok(requests
        .into_iter()
        .filter_map(|r| {
            let p = pledges.get(&r.pledge_id)?;
            let org = orgs.get(&p.organization_id)?;
            let state = r.request_state();
            let deadline = r.deadline_override.unwrap_or(campaign.deadline);
            let zone = org.zone();
            let open = OpenRequest {
                request_id: r.id,
                state,
                deadline,
                changes_requested_on: changes_on.get(&r.id).map(|at| local_date(*at, zone)),
                timezone: zone,
                recipients: vec![],
                policy: None,
            };
            let next_reminder = (CampaignState::from(campaign.state) == CampaignState::Open)
                .then(|| {
                    next_reminder(
                        policy,
                        &open,
                        done_steps.get(&r.id).unwrap_or(&no_steps),
                        local_date(now, zone),
                    )
                })
                .flatten()
                .map(|(day, step)| (day, step.escalate));
            Some(DashboardRow {
                request_id: r.id,
                reference: p.reference.clone(),
                title: p.title.clone(),
                organization: org.name.clone(),
                region: org.region.clone(),
                scope: p.scope().to_string(),
                priorities: priorities.get(&p.id).cloned().unwrap_or_default(),
                locale: org.locale.clone(),
                state,
                deadline,
                timezone: zone,
                reviewer: r.assigned_reviewer_id.and_then(|id| staff.get(&id).cloned()),
                last_activity: last_activity
                    .get(&r.id.to_string())
                    .copied()
                    .max(Some(r.updated_at)),
                last_mail: last_mail.remove(&r.id),
                last_reminder: last_reminder.get(&r.id).copied(),
                next_reminder,
                unreachable: !reachable.contains(&org.id),
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
    let approved = Condition::all()
        .add(update_request::Column::CampaignId.eq(campaign_id))
        .add(
            update_request::Column::State
                .is_in([RequestState::Approved.as_str(), RequestState::Published.as_str()]),
        );
    let requests = update_request::Entity::find()
        .filter(approved.clone())
        .all(db)
        .await?;
    // Sub-queries, not lists of ids: a list stops at SQLite's 32,766 parameters.
    let approved_column = |column: update_request::Column| {
        Query::select()
            .column(column)
            .from(update_request::Entity)
            .cond_where(approved.clone())
            .to_owned()
    };
    let scopes: HashMap<i32, CompactScope> = pledge::Entity::find()
        .filter(pledge::Column::Id.in_subquery(approved_column(update_request::Column::PledgeId)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.scope()))
        .collect();
    let mut newest: HashMap<i32, revision::Model> = HashMap::new();
    for rev in revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.in_subquery(approved_column(update_request::Column::Id)))
        .order_by_asc(revision::Column::Number)
        .all(db)
        .await?
    {
        newest.insert(rev.update_request_id, rev);
    }
    let mut out = Vec::with_capacity(requests.len());
    for r in &requests {
        if let Some(rev) = newest.get(&r.id) {
            let scope = *scopes
                .get(&r.pledge_id)
                .ok_or_else(|| DbErr::RecordNotFound(format!("pledge {}", r.pledge_id)))?;
            out.push((scope, super::drafts::revision_answers(rev)?));
        }
    }
    Ok(out)
}
