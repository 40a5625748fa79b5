//! Interviews from the review page, and the page that lists the ones still open.
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::AppState;
use super::staff::{SignedIn, StaffForm, need};
use crate::domain::interview::InterviewEvent;
use crate::error::AppError;
use crate::store::interviews;
use crate::views::staff as views;
use sea_orm::EntityTrait;

fn back_to(request_id: i32, done: &str) -> Response {
    Redirect::to(&format!("/review/requests/{request_id}?done={done}#interviews")).into_response()
}

/// `POST /review/requests/{id}/interviews`: ask for an interview about this update.
pub async fn request(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    interviews::request_interview(&state.db, id, form.staff_id(), state.clock.now()).await?;
    Ok(back_to(id, "interview_requested"))
}

/// `POST /review/interviews/{id}/schedule`: date, time, timezone, duration, mode,
/// interviewer, meeting_link. Emails the officers an invitation with an .ics file.
pub async fn schedule(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    let parsed = form
        .input::<super::input::ScheduleInput>()
        .and_then(|input| input.schedule())
        .and_then(|schedule| {
            schedule
                .still_to_come(state.clock.now())
                .map_err(|e| super::input::sentence(&e))
        });
    let schedule = match parsed {
        Ok(s) => s,
        Err(message) => {
            // The page again, the reason beside the form, every typed value kept.
            let request_id = crate::entities::interview::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::not_found(format!("there is no interview {id}")))?
                .update_request_id;
            return super::review::refuse(&state, &form, request_id, &format!("schedule-{id}"), message)
                .await;
        }
    };
    let request_id = interviews::schedule(
        &state.db,
        id,
        &schedule,
        form.staff_id(),
        state.settings.mail.from_address(),
        state.clock.now(),
    )
    .await?;
    Ok(back_to(request_id, "interview_scheduled"))
}

/// `POST /review/interviews/{id}/cancel`: a scheduled interview's officers get METHOD:CANCEL.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    let request_id = interviews::cancel(
        &state.db,
        id,
        form.staff_id(),
        state.settings.mail.from_address(),
        state.clock.now(),
    )
    .await?;
    Ok(back_to(request_id, "interview_cancelled"))
}

async fn outcome(
    state: AppState,
    id: i32,
    form: StaffForm<need::Review>,
    event: InterviewEvent,
) -> Result<Response, AppError> {
    let request_id = interviews::record_outcome(
        &state.db,
        id,
        event,
        form.get("notes"),
        form.staff_id(),
        state.clock.now(),
    )
    .await?;
    Ok(back_to(request_id, "interview_updated"))
}

/// `POST /review/interviews/{id}/held` with `notes`.
pub async fn held(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    outcome(state, id, form, InterviewEvent::Hold).await
}

/// `POST /review/interviews/{id}/validated`: the facts are confirmed.
pub async fn validated(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    outcome(state, id, form, InterviewEvent::Validate).await
}

/// `POST /review/interviews/{id}/no-show`.
pub async fn no_show(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    outcome(state, id, form, InterviewEvent::NoShow).await
}

/// `GET /review/interviews`: overdue, upcoming, to schedule, waiting for validation.
pub async fn page(
    State(state): State<AppState>,
    SignedIn { access, .. }: SignedIn<need::View>,
) -> Result<Response, AppError> {
    let lines = interviews::unfinished(&state.db).await?;
    Ok(Html(views::interviews_page(
        &access.user.email,
        &access.csrf_token,
        lines,
        state.clock.now(),
    ))
    .into_response())
}
