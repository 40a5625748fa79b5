//! Interview cards and the interviews page.
use crate::error::AppError;
use askama::Template;

use crate::views::render;

/// One interview as the review page and the interviews page show it.
pub struct InterviewCard {
    pub id: i32,
    pub state: crate::domain::interview::InterviewState,
    /// Has been given a time once: the form says "Reschedule".
    pub scheduled: bool,
    /// "2026-12-08 10:00 America/Bogota (15:00 UTC)"
    pub when: String,
    pub mode: String,
    pub interviewer: String,
    pub meeting_link: String,
    pub notes: String,
    pub outcome: String,
    pub overdue: bool,
    /// Requested, scheduled or held: the update cannot be approved yet.
    pub blocks_approval: bool,
    pub can_schedule: bool,
    pub can_hold: bool,
    pub can_validate: bool,
    pub can_no_show: bool,
    pub can_cancel: bool,
}

pub fn interview_card(
    row: &crate::entities::interview::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> InterviewCard {
    use crate::domain::interview::{InterviewEvent as E, InterviewState, transition};
    let state = row.interview_state();
    let can = |e| transition(state, e).is_ok();
    let zone: Option<chrono_tz::Tz> = row.timezone.as_deref().and_then(|z| z.parse().ok());
    let when = match (row.scheduled_at, zone) {
        (Some(at), Some(zone)) => format!(
            "{} {} ({} UTC)",
            at.with_timezone(&zone).format("%Y-%m-%d %H:%M"),
            zone,
            at.format("%H:%M")
        ),
        _ => "not scheduled yet".into(),
    };
    InterviewCard {
        id: row.id,
        state,
        scheduled: state != InterviewState::Requested,
        when,
        mode: row.mode.clone().unwrap_or_default().replace('_', " "),
        interviewer: row.interviewer.clone().unwrap_or_default(),
        meeting_link: row.meeting_link.clone().unwrap_or_default(),
        notes: row.notes.clone().unwrap_or_default(),
        outcome: row.outcome.clone().unwrap_or_default(),
        overdue: state == InterviewState::Scheduled && row.scheduled_at.is_some_and(|at| at < now),
        blocks_approval: state.blocks_approval(),
        can_schedule: can(E::Schedule),
        can_hold: can(E::Hold),
        can_validate: can(E::Validate),
        can_no_show: can(E::NoShow),
        can_cancel: can(E::Cancel),
    }
}

pub struct InterviewListLine {
    pub card: InterviewCard,
    pub request_id: i32,
    pub reference: String,
    pub organization: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "staff/interviews.html")]
struct InterviewsPage {
    title: &'static str,
    user: Option<String>,
    csrf: String,
    groups: Vec<(&'static str, Vec<InterviewListLine>)>,
}

pub fn interviews_page(
    user: &str,
    csrf: &str,
    lines: Vec<crate::store::interviews::InterviewLine>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, AppError> {
    use crate::domain::interview::InterviewState;
    let mut groups: Vec<(&'static str, Vec<InterviewListLine>)> = vec![
        ("Overdue: the time has passed, nothing recorded", vec![]),
        ("Upcoming", vec![]),
        ("To schedule", vec![]),
        ("Held, waiting for validation", vec![]),
        ("No-show: reschedule or cancel", vec![]),
    ];
    for l in lines {
        let card = interview_card(&l.interview, now);
        let group = match card.state {
            InterviewState::Scheduled if card.overdue => 0,
            InterviewState::Scheduled => 1,
            InterviewState::Requested => 2,
            InterviewState::Held => 3,
            _ => 4,
        };
        groups[group].1.push(InterviewListLine {
            card,
            request_id: l.request_id,
            reference: l.reference,
            organization: l.organization,
            title: l.title,
        });
    }
    render(&InterviewsPage {
        title: "Interviews",
        user: Some(user.into()),
        csrf: csrf.into(),
        groups,
    })
}
