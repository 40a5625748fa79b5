//! Interviews: each change of state with its audit row and, when the officer's calendar must
//! change, the mail with the .ics — in one transaction.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    NotSet, QueryFilter, QueryOrder, QuerySelect,
};

use super::ActionError;
use super::audit::{self, Actor};
use super::outbox::{self, NewMail};
use super::requests::{reachable_contacts, request_context};
use crate::domain::delivery::MailKind;
use crate::domain::interview::{
    CalendarInvite, CalendarMethod, InterviewEvent, InterviewMode, InterviewState, Schedule, calendar,
    may_request, outcome_note, transition,
};
use crate::domain::pledge::Locale;
use crate::entities::{interview, update_request};
use crate::mail::MailAttachment;
use crate::mail::messages::{self, InterviewMail, InterviewNotice};

fn actor(staff_id: Option<i32>) -> Actor {
    staff_id.map(Actor::Staff).unwrap_or(Actor::System)
}

fn state_of(row: &interview::Model) -> InterviewState {
    row.interview_state()
}

/// The request's interviews, oldest first.
pub async fn for_request(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> Result<Vec<interview::Model>, sea_orm::DbErr> {
    interview::Entity::find()
        .filter(interview::Column::UpdateRequestId.eq(request_id))
        .order_by_asc(interview::Column::Id)
        .all(db)
        .await
}

/// True while an interview of the request is requested, scheduled or held.
pub async fn blocks_approval(db: &impl ConnectionTrait, request_id: i32) -> Result<bool, sea_orm::DbErr> {
    Ok(for_request(db, request_id)
        .await?
        .iter()
        .any(|i| state_of(i).blocks_approval()))
}

/// Asks for an interview about a submitted update (or one sent back for changes).
pub async fn request_interview(
    db: &DatabaseConnection,
    request_id: i32,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<i32, ActionError> {
    let txn = super::write_txn(db).await?;
    let request = update_request::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("there is no update request {request_id}")))?;
    let interviews: Vec<InterviewState> = for_request(&txn, request_id)
        .await?
        .iter()
        .map(state_of)
        .collect();
    may_request(request.request_state(), &interviews).map_err(ActionError::Refused)?;
    let row = interview::ActiveModel {
        id: NotSet,
        update_request_id: Set(request_id),
        state: Set(InterviewState::Requested.into()),
        scheduled_at: Set(None),
        timezone: Set(None),
        duration_minutes: Set(None),
        mode: Set(None),
        interviewer: Set(None),
        meeting_link: Set(None),
        notes: Set(None),
        outcome: Set(None),
        ics_uid: Set(format!("interview-{}@pledgeflow", uuid::Uuid::new_v4())),
        ics_sequence: Set(0),
        requested_by_staff_id: Set(staff_id),
        created_at: Set(now),
        updated_at: Set(now),
        interviewer_email: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        actor(staff_id),
        "interview.requested",
        "update_request",
        Some(request_id.to_string()),
        serde_json::json!({ "interview": row.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// The interview a step changes, its row locked until the transaction ends (two clicks on
/// one interview are applied one after the other, the second to what the first left).
async fn find(db: &impl ConnectionTrait, interview_id: i32) -> Result<interview::Model, ActionError> {
    interview::Entity::find_by_id(interview_id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("there is no interview {interview_id}")))
}

fn refused(e: crate::domain::interview::InterviewTransitionError) -> ActionError {
    ActionError::Refused(e.to_string())
}

/// Schedules (or reschedules) an interview and sends every reachable contact an invitation
/// with a calendar file. Rescheduling keeps the UID and raises SEQUENCE.
pub async fn schedule(
    db: &DatabaseConnection,
    interview_id: i32,
    schedule: &Schedule,
    staff_id: Option<i32>,
    organizer: &str,
    now: DateTime<Utc>,
) -> Result<i32, ActionError> {
    let txn = super::write_txn(db).await?;
    let row = find(&txn, interview_id).await?;
    transition(state_of(&row), InterviewEvent::Schedule).map_err(refused)?;
    let rescheduled = row.scheduled_at.is_some();
    let sequence = if rescheduled { row.ics_sequence + 1 } else { 0 };
    let mut active: interview::ActiveModel = row.clone().into();
    active.state = Set(InterviewState::Scheduled.into());
    active.scheduled_at = Set(Some(schedule.starts_at));
    active.timezone = Set(Some(schedule.timezone.name().into()));
    active.duration_minutes = Set(Some(schedule.duration_minutes as i32));
    active.mode = Set(Some(schedule.mode.as_str().into()));
    active.interviewer = Set(Some(schedule.interviewer.clone()));
    active.interviewer_email = Set(schedule.interviewer_email.clone());
    active.meeting_link = Set(schedule.meeting_link.clone());
    active.ics_sequence = Set(sequence);
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        now,
        actor(staff_id),
        if rescheduled {
            "interview.rescheduled"
        } else {
            "interview.scheduled"
        },
        "update_request",
        Some(row.update_request_id.to_string()),
        serde_json::json!({
            "interview": row.id,
            "at": schedule.starts_at,
            "timezone": schedule.timezone.name(),
            "mode": schedule.mode.as_str(),
            "interviewer": schedule.interviewer,
            "sequence": sequence,
        }),
    )
    .await?;
    let notice = if rescheduled {
        InterviewNotice::Rescheduled
    } else {
        InterviewNotice::Invitation
    };
    notify(&txn, &row, notice, organizer, now).await?;
    txn.commit().await?;
    Ok(row.update_request_id)
}

/// Cancels an interview. If the officer's calendar holds it, a METHOD:CANCEL goes out.
pub async fn cancel(
    db: &DatabaseConnection,
    interview_id: i32,
    staff_id: Option<i32>,
    organizer: &str,
    now: DateTime<Utc>,
) -> Result<i32, ActionError> {
    let txn = super::write_txn(db).await?;
    let row = find(&txn, interview_id).await?;
    let before = state_of(&row);
    let next = transition(before, InterviewEvent::Cancel).map_err(refused)?;
    let calendar_holds_it = before == InterviewState::Scheduled;
    let mut active: interview::ActiveModel = row.clone().into();
    active.state = Set(next.into());
    if calendar_holds_it {
        active.ics_sequence = Set(row.ics_sequence + 1);
    }
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        now,
        actor(staff_id),
        "interview.cancelled",
        "update_request",
        Some(row.update_request_id.to_string()),
        serde_json::json!({ "interview": row.id, "from": before.as_str() }),
    )
    .await?;
    if calendar_holds_it {
        notify(&txn, &row, InterviewNotice::Cancelled, organizer, now).await?;
    }
    txn.commit().await?;
    Ok(row.update_request_id)
}

/// Marks an interview held (with notes), validated (facts confirmed) or a no-show.
pub async fn record_outcome(
    db: &DatabaseConnection,
    interview_id: i32,
    event: InterviewEvent,
    note: &str,
    staff_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<i32, ActionError> {
    let note = outcome_note(event, note).map_err(ActionError::Invalid)?;
    let txn = super::write_txn(db).await?;
    let row = find(&txn, interview_id).await?;
    let before = state_of(&row);
    let next = transition(before, event).map_err(refused)?;
    let mut active: interview::ActiveModel = row.clone().into();
    active.state = Set(next.into());
    match event {
        InterviewEvent::Hold => active.notes = Set(note),
        _ if note.is_some() => active.outcome = Set(note),
        _ => {}
    }
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        now,
        actor(staff_id),
        &format!("interview.{}", next.as_str()),
        "update_request",
        Some(row.update_request_id.to_string()),
        serde_json::json!({ "interview": row.id, "from": before.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.update_request_id)
}

/// What every interview mail says about the interview.
struct Details {
    ctx: super::requests::RequestContext,
    starts_at: DateTime<Utc>,
    zone: chrono_tz::Tz,
    mode: InterviewMode,
    duration_minutes: u32,
    interviewer: String,
}

impl Details {
    fn mail<'a>(
        &'a self,
        notice: InterviewNotice,
        name: &'a str,
        row: &'a interview::Model,
    ) -> InterviewMail<'a> {
        InterviewMail {
            notice,
            recipient_name: name,
            pledge_title: &self.ctx.pledge.title,
            reference: &self.ctx.pledge.reference,
            starts_at: self.starts_at,
            timezone: self.zone,
            duration_minutes: self.duration_minutes,
            mode: self.mode,
            interviewer: &self.interviewer,
            meeting_link: row.meeting_link.as_deref(),
        }
    }
}

async fn details(txn: &impl ConnectionTrait, row: &interview::Model) -> Result<Details, ActionError> {
    let request = update_request::Entity::find_by_id(row.update_request_id)
        .one(txn)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("update request {}", row.update_request_id)))?;
    let ctx = request_context(txn, request).await?;
    let (Some(starts_at), Some(zone)) = (
        row.scheduled_at,
        row.timezone
            .as_deref()
            .and_then(|z| z.parse::<chrono_tz::Tz>().ok()),
    ) else {
        return Err(ActionError::Invalid("the interview has no time yet".into()));
    };
    Ok(Details {
        ctx,
        starts_at,
        zone,
        mode: row
            .mode
            .as_deref()
            .and_then(InterviewMode::parse)
            .unwrap_or(InterviewMode::Video),
        duration_minutes: row.duration_minutes.unwrap_or(45).max(1) as u32,
        interviewer: row.interviewer.clone().unwrap_or_default(),
    })
}

/// Queues the interview mail, with its calendar file, to every reachable contact.
async fn notify(
    txn: &impl ConnectionTrait,
    row: &interview::Model,
    notice: InterviewNotice,
    organizer: &str,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let d = details(txn, row).await?;
    let (ctx, starts_at, duration_minutes, interviewer) =
        (&d.ctx, d.starts_at, d.duration_minutes, &d.interviewer);
    let contacts = reachable_contacts(txn, ctx.pledge.organization_id).await?;
    let attendees: Vec<(String, String)> = contacts
        .iter()
        .map(|c| (c.name.clone(), c.email.clone()))
        .collect();
    let summary = format!(
        "Pledge update interview — {} ({})",
        ctx.pledge.title, ctx.pledge.reference
    );
    let description = format!(
        "Interview with the Local Coalition secretariat about the update of the pledge “{}” ({}). Interviewer: {interviewer}.{}",
        ctx.pledge.title,
        ctx.pledge.reference,
        row.meeting_link
            .as_deref()
            .map(|l| format!(" Meeting link: {l}"))
            .unwrap_or_default()
    );
    let method = match notice {
        InterviewNotice::Cancelled => CalendarMethod::Cancel,
        _ => CalendarMethod::Request,
    };
    let ics = calendar(&CalendarInvite {
        method,
        uid: &row.ics_uid,
        sequence: row.ics_sequence,
        stamp: now,
        starts_at,
        duration_minutes,
        summary: &summary,
        description: &description,
        location: row.meeting_link.as_deref(),
        organizer,
        attendees: &attendees,
    });
    let method_name = match method {
        CalendarMethod::Request => "REQUEST",
        CalendarMethod::Cancel => "CANCEL",
    };
    for c in &contacts {
        let locale = Locale::parse(&c.locale).unwrap_or_default();
        let rendered = messages::interview(locale, &d.mail(notice, &c.name, row));
        outbox::enqueue(
            txn,
            NewMail {
                dedup_key: format!("interview:{}:{}:{}", row.id, row.ics_sequence, c.id),
                kind: if notice == InterviewNotice::Cancelled {
                    MailKind::InterviewCancelled
                } else {
                    MailKind::InterviewInvitation
                },
                update_request_id: Some(row.update_request_id),
                contact_id: Some(c.id),
                recipient: &c.email,
                recipient_name: Some(&c.name),
                locale: locale.as_str(),
                rendered,
                not_before: now,
                attachments: vec![MailAttachment {
                    filename: "interview.ics".into(),
                    content_type: format!("text/calendar; charset=utf-8; method={method_name}"),
                    content: ics.clone(),
                }],
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Queues the day-before reminder of every interview that starts within 24 hours: to the
/// officers in their language and to the interviewer. Once per scheduled time (the dedup
/// key carries the calendar SEQUENCE, so a rescheduled interview is reminded again).
pub async fn queue_reminders(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, ActionError> {
    let soon = interview::Entity::find()
        .filter(interview::Column::State.eq(interview::StoredInterviewState::Scheduled))
        .filter(interview::Column::ScheduledAt.gt(now))
        .filter(interview::Column::ScheduledAt.lte(now + chrono::Duration::hours(24)))
        .all(db)
        .await?;
    let mut queued = 0;
    for row in soon {
        let txn = super::write_txn(db).await?;
        let d = details(&txn, &row).await?;
        let mut recipients: Vec<(String, Option<i32>, String, Locale)> =
            reachable_contacts(&txn, d.ctx.pledge.organization_id)
                .await?
                .into_iter()
                .map(|c| {
                    let locale = Locale::parse(&c.locale).unwrap_or_default();
                    (c.email, Some(c.id), c.name, locale)
                })
                .collect();
        if let Some(email) = &row.interviewer_email {
            recipients.push((email.clone(), None, d.interviewer.clone(), Locale::En));
        }
        for (email, contact_id, name, locale) in recipients {
            let who = contact_id
                .map(|id| id.to_string())
                .unwrap_or_else(|| "interviewer".into());
            let rendered = messages::interview(locale, &d.mail(InterviewNotice::Reminder, &name, &row));
            queued += usize::from(
                outbox::enqueue(
                    &txn,
                    NewMail {
                        dedup_key: format!("interview-reminder:{}:{}:{who}", row.id, row.ics_sequence),
                        kind: MailKind::InterviewReminder,
                        update_request_id: Some(row.update_request_id),
                        contact_id,
                        recipient: &email,
                        recipient_name: Some(&name),
                        locale: locale.as_str(),
                        rendered,
                        not_before: now,
                        attachments: vec![],
                    },
                    now,
                )
                .await?,
            );
        }
        txn.commit().await?;
    }
    Ok(queued)
}

/// The requests of a campaign whose interview was asked for and is not scheduled yet.
pub async fn to_schedule(db: &impl ConnectionTrait, campaign_id: i32) -> Result<Vec<i32>, sea_orm::DbErr> {
    use sea_orm::{QuerySelect, sea_query::Query};
    let in_campaign = Query::select()
        .column(update_request::Column::Id)
        .from(update_request::Entity)
        .and_where(update_request::Column::CampaignId.eq(campaign_id))
        .to_owned();
    interview::Entity::find()
        .select_only()
        .column(interview::Column::UpdateRequestId)
        .filter(interview::Column::State.eq(interview::StoredInterviewState::from(InterviewState::Requested)))
        .filter(interview::Column::UpdateRequestId.in_subquery(in_campaign))
        .into_tuple()
        .all(db)
        .await
}

/// One line of the interviews page.
#[derive(Debug, Clone)]
pub struct InterviewLine {
    pub interview: interview::Model,
    pub request_id: i32,
    pub reference: String,
    pub organization: String,
    pub title: String,
}

/// Interviews not finished yet, soonest first (unscheduled ones last).
pub async fn unfinished(db: &impl ConnectionTrait) -> Result<Vec<InterviewLine>, sea_orm::DbErr> {
    use crate::entities::{organization, pledge};
    use std::collections::HashMap;
    let unfinished = InterviewState::ALL
        .into_iter()
        .filter(|s| !s.is_finished())
        .map(InterviewState::as_str);
    let rows = interview::Entity::find()
        .filter(interview::Column::State.is_in(unfinished))
        .all(db)
        .await?;
    // Three reads for the whole page, not three per interview.
    let requests: HashMap<i32, update_request::Model> = update_request::Entity::find()
        .filter(update_request::Column::Id.is_in(rows.iter().map(|r| r.update_request_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let pledges: HashMap<i32, pledge::Model> = pledge::Entity::find()
        .filter(pledge::Column::Id.is_in(requests.values().map(|r| r.pledge_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let orgs: HashMap<i32, organization::Model> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(pledges.values().map(|p| p.organization_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut lines: Vec<InterviewLine> = rows
        .into_iter()
        .filter_map(|row| {
            let request = requests.get(&row.update_request_id)?;
            let p = pledges.get(&request.pledge_id)?;
            Some(InterviewLine {
                request_id: request.id,
                reference: p.reference.clone(),
                organization: orgs
                    .get(&p.organization_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                title: p.title.clone(),
                interview: row,
            })
        })
        .collect();
    lines.sort_by_key(|l| {
        (
            l.interview.scheduled_at.is_none(),
            l.interview.scheduled_at,
            l.interview.id,
        )
    });
    Ok(lines)
}
