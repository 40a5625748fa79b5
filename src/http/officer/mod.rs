//! The officer's side: the personal link (`link`), the update form and its submission
//! (`form`, works without JavaScript), the JSON autosave behind it (`autosave`) and the
//! attachments (`attachments`). What they share lives here.
mod attachments;
mod autosave;
mod form;
mod link;

pub use attachments::{
    UPLOAD_BODY_LIMIT, UPLOADS_PER_SESSION, delete_attachment, download_attachment, file_download,
    upload_attachment,
};
pub use autosave::autosave;
pub use form::{post_update, show_update};
pub use link::open_link;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{AppState, PageLocale, form_body};
use crate::domain::answers::{Answers, FieldError, Kind, Value, check_posted, find_field};
use crate::domain::pledge::{CompactScope, Locale};
use crate::domain::requirements::{self, Context, Finding, evaluate, profiles_for, submittable};
use crate::error::{ApiError, AppError};
use crate::i18n::messages;
use crate::mail::messages::{Confirmation, confirmation};
use crate::store::drafts::{self, Draft, SaveError, Submission};
use crate::store::links::{self, LinkProblem, OfficerAccess};
use crate::store::requests::{RequestContext, request_context};
use crate::views::officer::{self as views, FormState, PageContext, Shown, field_error_text, field_label};

pub const SESSION_COOKIE: &str = "pf_officer";

/// The officer behind the session cookie, or why there is none.
pub struct Officer(Result<OfficerAccess, LinkProblem>);

impl FromRequestParts<AppState> for Officer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = super::extract::cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(Officer(Err(LinkProblem::Unknown)));
        };
        Ok(Officer(
            links::find_session(&state.db, &token, state.clock.now()).await?,
        ))
    }
}

fn problem(state: &AppState, locale: Locale, status: StatusCode, key: &str) -> Response {
    let mut response = super::html_page(
        status,
        views::problem_page(locale, key, state.settings.mail.from_address()),
    );
    response
        .headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn link_problem(state: &AppState, locale: Locale, p: LinkProblem) -> Response {
    match p {
        LinkProblem::Unknown => problem(state, locale, StatusCode::NOT_FOUND, "link.unknown"),
        LinkProblem::Expired => problem(state, locale, StatusCode::GONE, "link.expired"),
        LinkProblem::Revoked => problem(state, locale, StatusCode::GONE, "link.revoked"),
        LinkProblem::Withdrawn => problem(state, locale, StatusCode::GONE, "link.withdrawn"),
    }
}

/// The access, if it is for request `id`; otherwise the page to show instead. A session for
/// another request gets the same answer as no session: nothing tells whether `id` exists.
fn access_for(
    state: &AppState,
    locale: Locale,
    officer: Officer,
    id: i32,
) -> Result<OfficerAccess, Box<Response>> {
    match officer.0 {
        Ok(access) if access.request.id == id => Ok(access),
        Ok(_) | Err(LinkProblem::Unknown) => Err(Box::new(problem(
            state,
            locale,
            StatusCode::NOT_FOUND,
            "session.ended",
        ))),
        Err(p) => Err(Box::new(link_problem(state, locale, p))),
    }
}

fn page_context(ctx: &RequestContext, locale: Locale, access: &OfficerAccess) -> PageContext {
    PageContext {
        locale,
        pledge_title: ctx.pledge.title.clone(),
        reference: ctx.pledge.reference.clone(),
        organization: ctx.organization.name.clone(),
        deadline: ctx.deadline(),
        state: ctx.request.request_state().as_str().to_string(),
        request_id: ctx.request.id,
        csrf: access.csrf_token.clone(),
    }
}

/// The findings of the answers, with the profiles that apply.
/// The findings of the answers; `attachments` is how many files the update has (the caller
/// usually holds the list already).
async fn findings(
    state: &AppState,
    ctx: &RequestContext,
    answers: &Answers,
    attachments: usize,
    locale: Locale,
) -> Result<Vec<Finding>, AppError> {
    let previous = drafts::last_approved_answers(&state.db, &ctx.request).await?;
    let register_scope = ctx.pledge.scope();
    let context = Context {
        register_scope,
        previous: previous.as_ref(),
        attachments,
        today: crate::domain::request::local_date(state.clock.now(), ctx.organization.zone()),
        locale,
    };
    Ok(evaluate(answers, &context))
}

/// What the form shows besides the draft: open change requests and the attachments.
struct FormExtras {
    change_requests: Vec<(Option<String>, String)>,
    attachments: Vec<crate::entities::attachment::Model>,
}

async fn form_extras(state: &AppState, request_id: i32) -> Result<FormExtras, AppError> {
    let change_requests = crate::store::review::open_change_requests(&state.db, request_id)
        .await?
        .into_iter()
        .map(|c| (c.field, c.message))
        .collect();
    let attachments = crate::store::attachments::list(&state.db, request_id).await?;
    Ok(FormExtras {
        change_requests,
        attachments,
    })
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
