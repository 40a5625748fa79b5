//! Looking after one request from its review page: assignment, comments, deadline, links
//! and officer contacts.
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::input::{ContactInput, DeadlineInput};
use super::review::answer;
use super::staff::{StaffForm, need};
use crate::domain::register::ContactRecord;
use crate::error::AppError;
use crate::store::campaign::IssueSpec;
use crate::store::manage;

fn back_to(request_id: i32, done: &str, anchor: &str) -> Response {
    Redirect::to(&format!("/review/requests/{request_id}?done={done}#{anchor}")).into_response()
}

fn issue_spec(state: &AppState, staff_id: Option<i32>) -> IssueSpec<'_> {
    IssueSpec {
        base_url: &state.settings.server.base_url,
        grace_days: state.settings.links.grace_days,
        staff_id,
        move_open: false,
    }
}

/// `POST /review/requests/{id}/assign` with `reviewer` (a staff id, or empty to unassign).
pub async fn assign(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    let reviewer = match form.get("reviewer") {
        "" => None,
        v => Some(
            v.parse::<i32>()
                .map_err(|_| AppError::unprocessable(format!("reviewer `{v}` is not a staff member")))?,
        ),
    };
    manage::assign(&state.db, id, reviewer, form.staff_id(), state.clock.now()).await?;
    Ok(back_to(id, "assigned", "top"))
}

/// `POST /review/requests/{id}/comment` with `text`.
pub async fn comment(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    let result = manage::comment(
        &state.db,
        id,
        form.get("text"),
        form.staff_id(),
        state.clock.now(),
    )
    .await;
    answer(
        &state,
        &form,
        id,
        "comment",
        result,
        back_to(id, "commented", "timeline"),
    )
    .await
}

/// `POST /review/requests/{id}/deadline` with `deadline` (YYYY-MM-DD), admin only.
pub async fn extend_deadline(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    let deadline = match form.input::<DeadlineInput>().and_then(|input| input.deadline()) {
        Ok(deadline) => deadline,
        Err(message) => return super::review::refuse(&state, &form, id, "deadline", message).await,
    };
    let extended = manage::extend_deadline(
        &state.db,
        id,
        deadline,
        state.settings.links.grace_days,
        form.staff_id(),
        state.clock.now(),
    )
    .await;
    answer(
        &state,
        &form,
        id,
        "deadline",
        extended,
        back_to(id, "deadline", "top"),
    )
    .await
}

/// `POST /review/requests/{id}/contacts/{contact}/resend`: a fresh link, the old one revoked.
pub async fn resend_link(
    State(state): State<AppState>,
    Path((id, contact)): Path<(i32, i32)>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    let spec = issue_spec(&state, form.staff_id());
    manage::resend_link(&state.db, id, contact, &spec, state.clock.now()).await?;
    Ok(back_to(id, "resent", "officers"))
}

/// `POST /review/requests/{id}/contacts/{contact}/revoke`: the contact's links stop working.
pub async fn revoke_links(
    State(state): State<AppState>,
    Path((id, contact)): Path<(i32, i32)>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    manage::revoke_links(&state.db, id, contact, form.staff_id(), state.clock.now()).await?;
    Ok(back_to(id, "revoked", "officers"))
}

/// `POST /review/requests/{id}/contacts` with `name`, `email`, `locale`, `role` (admin).
pub async fn add_contact(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    let spec = issue_spec(&state, form.staff_id());
    let new = match form
        .input::<ContactInput>()
        .and_then(|c| ContactRecord::parse(&c.name, &c.email, &c.locale, &c.role))
    {
        Ok(record) => record,
        Err(message) => return super::review::refuse(&state, &form, id, "contact", message).await,
    };
    let added = manage::add_contact(&state.db, id, &new, &spec, state.clock.now()).await;
    answer(
        &state,
        &form,
        id,
        "contact",
        added,
        back_to(id, "contact_added", "officers"),
    )
    .await
}

/// `POST /review/requests/{id}/contacts/{contact}/deactivate` (admin).
pub async fn deactivate_contact(
    State(state): State<AppState>,
    Path((id, contact)): Path<(i32, i32)>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    manage::deactivate_contact(&state.db, id, contact, form.staff_id(), state.clock.now()).await?;
    Ok(back_to(id, "contact_deactivated", "officers"))
}
