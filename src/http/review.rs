//! The secretariat's review: the queue, one update with its findings and diffs, and the
//! actions on it. Every action checks the role, the CSRF token and the state machine.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use sea_orm::EntityTrait;
use serde::Deserialize;

use super::AppState;
use super::staff::{SignedIn, StaffForm, need};
use crate::domain::access::{Permission, allows};
use crate::domain::answers::find_field;
use crate::domain::diff::diff;
use crate::domain::request::{RequestEvent, RequestState};
use crate::domain::requirements::Finding;
use crate::entities::update_request;
use crate::error::AppError;
use crate::store::drafts;
use crate::store::requests::request_context;
use crate::store::review::{self, ChangeItem};
use crate::views::staff::{self as views, QueueLine, Refused, RequestView};

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    /// `1`: only the updates assigned to me.
    mine: Option<String>,
}

/// `GET /review`: submitted updates first, oldest first, with who reviews each.
pub async fn queue(
    State(state): State<AppState>,
    SignedIn { access, .. }: SignedIn<need::View>,
    Query(query): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let mine = query.mine.as_deref() == Some("1");
    let reviewers: std::collections::HashMap<i32, String> = crate::store::manage::reviewers(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let rows = review::queue(&state.db, mine.then_some(access.user.id))
        .await?
        .into_iter()
        .map(|r| QueueLine {
            id: r.request_id,
            reference: r.reference,
            title: r.title,
            organization: r.organization,
            scope: r.compact_scope,
            out_of_un_scope: r.out_of_un_scope,
            campaign: r.campaign,
            state: r.state,
            reviewer: r
                .assigned_reviewer_id
                .and_then(|id| reviewers.get(&id).cloned())
                .unwrap_or_default(),
            submitted: r
                .submitted_at
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
        })
        .collect();
    Ok(Html(views::queue_page(
        &access.user.email,
        &access.csrf_token,
        rows,
        mine,
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct RequestQuery {
    done: Option<String>,
}

pub async fn request_page(
    State(state): State<AppState>,
    SignedIn { access, .. }: SignedIn<need::View>,
    Path(id): Path<i32>,
    Query(query): Query<RequestQuery>,
) -> Result<Response, AppError> {
    render_request_page(&state, &access, id, query.done.as_deref(), None).await
}

/// The request page; with `refused`, answered 422 with that form's reason and typed values.
pub async fn render_request_page(
    state: &AppState,
    access: &crate::store::staff::StaffAccess,
    id: i32,
    done: Option<&str>,
    refused: Option<Refused>,
) -> Result<Response, AppError> {
    let request = update_request::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("there is no update request {id}")))?;
    let ctx = request_context(&state.db, request).await?;
    let revisions = review::revisions(&state.db, id).await?;
    let latest = revisions.last();
    let answers = latest.map(drafts::revision_answers).transpose()?;
    let findings: Vec<Finding> = match latest {
        Some(r) => serde_json::from_str(&r.findings).map_err(AppError::internal)?,
        None => vec![],
    };
    // Compare with the previous revision and with the pledge's last approved update.
    let mut changes = Vec::new();
    if let Some(now) = answers.as_ref() {
        if revisions.len() >= 2 {
            let before = drafts::revision_answers(&revisions[revisions.len() - 2])?;
            changes.push(("previous revision", diff(&before, now)));
        }
        if let Some(before) = drafts::last_approved_answers(&state.db, &ctx.request).await? {
            changes.push(("last approved update", diff(&before, now)));
        }
    }
    let now = state.clock.now();
    let timeline = review::timeline(&state.db, id)
        .await?
        .into_iter()
        .map(|e| views::TimelineEntry {
            at: e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            text: serde_json::from_str::<serde_json::Value>(&e.detail)
                .ok()
                .and_then(|d| d.get("text").and_then(|t| t.as_str()).map(String::from))
                .unwrap_or_default(),
            action: e.action,
            actor: e.actor_kind,
        })
        .collect();
    let role = access.user.staff_role();
    let notice = done.map(|d| match d {
        "changes" => "The update was sent back to the officers with your comments.",
        "approval" => "The update is approved.",
        "publication" => "The update is published.",
        "withdrawal" => "The request is withdrawn.",
        "interview_requested" => "An interview is requested: schedule it below.",
        "interview_scheduled" => "The interview is scheduled; the officers are sent a calendar invitation.",
        "interview_cancelled" => "The interview is cancelled.",
        "assigned" => "The reviewer is set.",
        "commented" => "Your comment is on the timeline.",
        "deadline" => "The deadline is extended; the officers' links last until then.",
        "resent" => "A new link is on its way; the old one no longer works.",
        "revoked" => "The links are revoked.",
        "contact_added" => "The officer is added.",
        "contact_deactivated" => "The officer is deactivated and their links are revoked.",
        _ => "Done.",
    });
    let interviews = crate::store::interviews::for_request(&state.db, id)
        .await?
        .iter()
        .map(|i| views::interview_card(i, now))
        .collect();
    let officers = crate::store::manage::officers(&state.db, &ctx, now)
        .await?
        .into_iter()
        .map(|o| views::OfficerRow {
            id: o.contact.id,
            active: o.contact.active,
            can_resend: o.contact.is_reachable() && ctx.request.request_state().awaits_officer(),
            status: match (o.contact.active, o.contact.bounced_at.is_some()) {
                (false, _) => "deactivated",
                (true, true) => "bouncing",
                (true, false) => "active",
            },
            name: o.contact.name,
            email: o.contact.email,
            locale: o.contact.locale,
            role: o.contact.role.into(),
            open_links: o.open_links,
            last_used: o
                .last_used
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "never".into()),
            last_mail: o
                .last_mail
                .map(|(kind, at)| format!("{kind}, {}", at.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_else(|| "none".into()),
        })
        .collect();
    let reviewers = crate::store::manage::reviewers(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, format!("{} ({})", u.name, u.email)))
        .collect();
    let register_changes = answers
        .as_ref()
        .map(|a| review::register_changes(&ctx.pledge, a))
        .unwrap_or_default();
    let html = views::request_page(RequestView {
        user: &access.user.email,
        csrf: &access.csrf_token,
        ctx: &ctx,
        today: crate::domain::request::local_date(now, ctx.organization.zone()),
        reviewers,
        revision: latest.map(|r| (r.number, r.submitted_at.format("%Y-%m-%d").to_string())),
        answers: answers.as_ref(),
        findings: &findings,
        changes,
        register_changes,
        role,
        interviews,
        officers,
        timeline,
        notice,
        refused: refused.as_ref(),
        attachments: crate::store::attachments::list(&state.db, id)
            .await?
            .iter()
            .map(|a| {
                crate::views::officer::AttachmentView::of(a, &format!("/review/requests/{id}/attachments"))
            })
            .collect(),
    });
    let status = if refused.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok(super::html_page(status, html))
}

/// The request state the page showed when the form was sent (`_seen`), if the form says.
fn seen_state<N: need::Need>(form: &StaffForm<N>) -> Option<RequestState> {
    RequestState::parse(form.get("_seen"))
}

/// `POST /review/requests/{id}/changes`: `field.N` (a form field, or empty for a general
/// comment) and `message.N`, N = 1, 2, 3…
pub async fn request_changes(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    let value = |k: String| form.get(&k).to_string();
    let mut items = Vec::new();
    for n in 1..=20 {
        let message = value(format!("message.{n}"));
        let field = value(format!("field.{n}"));
        if message.is_empty() {
            continue;
        }
        if !field.is_empty() && find_field(&field).is_none() {
            let message = format!("`{field}` is not a field of the update form");
            return refuse(&state, &form, id, "changes", message).await;
        }
        if message.chars().count() > 2_000 {
            let message = format!("comment {n} is longer than 2,000 characters");
            return refuse(&state, &form, id, "changes", message).await;
        }
        items.push(ChangeItem {
            field: Some(field).filter(|f| !f.is_empty()),
            message,
        });
    }
    if items.is_empty() {
        let message = "write at least one comment saying what should change";
        return refuse(&state, &form, id, "changes", message).await;
    }
    let settings = &state.settings;
    review::request_changes(
        &state.db,
        id,
        form.staff_id(),
        seen_state(&form),
        &items,
        &settings.server.base_url,
        settings.links.grace_days,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/review/requests/{id}?done=changes")).into_response())
}

/// Answers a refused request-page form: the page again, the reason beside the form, what was
/// typed still in it.
pub async fn refuse<N: need::Need>(
    state: &AppState,
    form: &StaffForm<N>,
    request_id: i32,
    which: &str,
    message: impl Into<String>,
) -> Result<Response, AppError> {
    let refused = Refused::new(which, message, &form.fields);
    render_request_page(state, &form.access, request_id, None, Some(refused)).await
}

/// Answers a request-page action: `done` when it worked; a form the store found invalid comes
/// back with the reason beside it (422); any other error as it is.
pub async fn answer<N: need::Need>(
    state: &AppState,
    form: &StaffForm<N>,
    request_id: i32,
    which: &str,
    result: Result<(), crate::store::ActionError>,
    done: Response,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(done),
        Err(crate::store::ActionError::Invalid(message)) => {
            refuse(state, form, request_id, which, message).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The state changes a button makes; each route's form type says the role it needs.
#[derive(Clone, Copy)]
enum Action {
    Approve,
    Publish,
    Withdraw,
}

async fn act<N: need::Need>(
    state: AppState,
    id: i32,
    form: StaffForm<N>,
    action: Action,
) -> Result<Response, AppError> {
    let (staff_id, now, seen) = (form.staff_id(), state.clock.now(), seen_state(&form));
    let done = match action {
        Action::Approve => review::approve(&state.db, id, staff_id, seen, now)
            .await
            .map(|_| "approval"),
        Action::Publish => review::staff_transition(
            &state.db,
            id,
            seen,
            RequestEvent::Publish,
            "request.published",
            staff_id,
            now,
        )
        .await
        .map(|_| "publication"),
        Action::Withdraw => review::staff_transition(
            &state.db,
            id,
            seen,
            RequestEvent::Withdraw,
            "request.withdrawn",
            staff_id,
            now,
        )
        .await
        .map(|_| "withdrawal"),
    }?;
    Ok(Redirect::to(&format!("/review/requests/{id}?done={done}")).into_response())
}

pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Review>,
) -> Result<Response, AppError> {
    act(state, id, form, Action::Approve).await
}

pub async fn publish(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Publish>,
) -> Result<Response, AppError> {
    act(state, id, form, Action::Publish).await
}

pub async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    // Withdrawing ends the officer's links: it needs the box ticked, not one stray click.
    if form.get("confirm") != "yes" {
        let message = "tick the box to confirm the withdrawal; nothing was changed";
        return refuse(&state, &form, id, "withdraw", message).await;
    }
    act(state, id, form, Action::Withdraw).await
}

/// `GET /review/outbox`: failed, pending and recently sent mail, with the error and a retry.
pub async fn outbox_page(
    State(state): State<AppState>,
    SignedIn { access, .. }: SignedIn<need::View>,
) -> Result<Response, AppError> {
    use crate::domain::delivery::MailState;
    use crate::entities::outbox_mail;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let role = access.user.staff_role();
    let can_retry = allows(role, Permission::Administer);
    let mut groups = Vec::new();
    for (title, mail_state) in [
        ("Failed", MailState::Failed),
        ("Waiting to be sent", MailState::Pending),
        ("Sent recently", MailState::Sent),
    ] {
        let rows = outbox_mail::Entity::find()
            .filter(outbox_mail::Column::State.eq(outbox_mail::StoredMailState::from(mail_state)))
            .order_by_desc(outbox_mail::Column::Id)
            .limit(100)
            .all(&state.db)
            .await?;
        let lines = rows
            .into_iter()
            .map(|m| views::OutboxLine {
                id: m.id,
                recipient: m.recipient,
                kind: m.kind.into(),
                subject: m.subject,
                attempts: m.attempts,
                when: m
                    .sent_at
                    .unwrap_or(m.next_attempt_at)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string(),
                error: m.last_error.unwrap_or_default(),
                retry: can_retry && mail_state == MailState::Failed,
            })
            .collect();
        groups.push((title, lines));
    }
    let counts = crate::store::outbox::counts(&state.db).await?;
    let now = state.clock.now();
    let stuck_minutes = crate::store::outbox::oldest_due(&state.db, now)
        .await?
        .and_then(|due| crate::domain::delivery::stuck_minutes(now - due));
    Ok(Html(views::outbox_page(
        &access.user.email,
        &access.csrf_token,
        counts,
        stuck_minutes,
        groups,
    ))
    .into_response())
}

/// `POST /review/outbox/{id}/retry` (admin): a failed mail goes back into the queue.
pub async fn retry_mail(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    crate::store::outbox::retry_failed(
        &state.db,
        id,
        form.access.user.id,
        &state.settings.links,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/review/outbox").into_response())
}

/// `GET /review/requests/{id}/attachments/{attachment}`: a file the officer attached.
pub async fn attachment(
    State(state): State<AppState>,
    _staff: SignedIn<need::View>,
    Path((id, attachment_id)): Path<(i32, i32)>,
) -> Result<Response, AppError> {
    let row = crate::store::attachments::find(&state.db, id, attachment_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("update {id} has no file {attachment_id}")))?;
    super::officer::file_download(&state, &row).await
}
