//! The officer's side: the personal link, the update form (works without JavaScript), the
//! JSON autosave behind it, and submission.
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
use crate::views::officer::{self as views, FormState, PageContext, field_error_text, field_label};

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

/// `GET /u/{token}`: trades the token for a session cookie and sends the browser on, so the
/// token never stays in the address bar, the history or a Referer header.
pub async fn open_link(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    request_headers: HeaderMap,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let client = peer.ip().to_string();
    if let Some(wait) = state.link_limiter.blocked_for(&client, now) {
        let mut response = problem(&state, locale, StatusCode::TOO_MANY_REQUESTS, "link.too_many");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return Ok(response);
    }
    let well_formed = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let opened = if well_formed {
        links::open_session(&state.db, &token, state.settings.links.session_hours, now).await?
    } else {
        Err(LinkProblem::Unknown)
    };
    match opened {
        Ok((session_token, access)) => {
            let secure = if state.settings.server.base_url.starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{SESSION_COOKIE}={session_token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                state.settings.links.session_hours * 3600
            );
            let mut response = Redirect::to(&format!("/updates/{}", access.request.id)).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
            );
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            // The form opens in the contact's language, unless this browser already chose one.
            let chose_language = super::extract::cookie(&request_headers, "lang").is_some();
            if !chose_language && let Ok(contact_locale) = Locale::parse(&access.contact.locale) {
                let lang = format!(
                    "lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
                    contact_locale.as_str()
                );
                headers.append(
                    header::SET_COOKIE,
                    HeaderValue::from_str(&lang).map_err(AppError::internal)?,
                );
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(p) => {
            state.link_limiter.record_failure(&client, now);
            Ok(link_problem(&state, locale, p))
        }
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

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
    submitted: Option<String>,
    uploaded: Option<String>,
}

pub async fn show_update(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    officer: Officer,
    Path(id): Path<i32>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let access = match access_for(&state, locale, officer, id) {
        Ok(a) => a,
        Err(page) => return Ok(*page),
    };
    let ctx = request_context(&state.db, access.request.clone()).await?;
    let page = page_context(&ctx, locale, &access);
    let request_state = ctx.request.request_state();
    if !request_state.awaits_officer() {
        let revision = drafts::latest_revision(&state.db, id)
            .await?
            .ok_or_else(|| AppError::internal("a submitted update without revision"))?;
        let answers = drafts::revision_answers(&revision)?;
        let html = views::submitted_page(
            &page,
            revision.number,
            revision.submitted_at.date_naive(),
            &answers,
            query.submitted.is_some(),
        );
        return Ok(no_store(Html(html).into_response()));
    }
    let draft = drafts::current_draft(&state.db, &ctx.request).await?;
    let extras = form_extras(&state, id).await?;
    let found = findings(&state, &ctx, &draft.answers, extras.attachments.len(), locale).await?;
    let notice = if query.uploaded.is_some() {
        Some(messages(locale).get("attach.uploaded"))
    } else {
        query.saved.is_some().then(|| messages(locale).get("form.saved"))
    };
    let state_view = FormState {
        findings: &found,
        field_errors: &[],
        conflicts: &[],
        change_requests: &extras.change_requests,
        attachments: &extras.attachments,
        upload_error: None,
        reveal: query.saved.is_some(),
        saved: false,
    };
    Ok(no_store(
        Html(views::form_page(
            &page,
            draft.version,
            &draft.answers,
            &state_view,
            notice,
        ))
        .into_response(),
    ))
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

/// Turns posted form pairs into answers: checkbox groups become lists, other fields keep
/// their last value. Keys starting with `_` are the form's own (CSRF, version, action).
fn answers_from_form(grouped: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, Value> {
    grouped
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .map(|(k, values)| {
            let multi = find_field(k).is_some_and(|f| matches!(f.kind, Kind::Multi(_) | Kind::MultiRef(_)));
            let value = if multi {
                Value::Many(values.iter().filter(|v| !v.is_empty()).cloned().collect())
            } else {
                Value::One(values.last().cloned().unwrap_or_default())
            };
            (k.clone(), value)
        })
        .collect()
}

/// `POST /updates/{id}`: the whole form, to save (`_action=save`) or submit (`_action=submit`).
pub async fn post_update(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    officer: Officer,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let access = match access_for(&state, locale, officer, id) {
        Ok(a) => a,
        Err(page) => return Ok(*page),
    };
    let ctx = request_context(&state.db, access.request.clone()).await?;
    let page = page_context(&ctx, locale, &access);
    let current = drafts::current_draft(&state.db, &ctx.request).await?;
    let extras = form_extras(&state, id).await?;
    let render = |status: StatusCode,
                  answers: &Answers,
                  findings: &[Finding],
                  errors: &[FieldError],
                  conflicts,
                  version: i32,
                  saved: bool| {
        let view = FormState {
            findings,
            field_errors: errors,
            conflicts,
            change_requests: &extras.change_requests,
            attachments: &extras.attachments,
            upload_error: None,
            reveal: true,
            saved,
        };
        no_store(super::html_page(
            status,
            views::form_page(&page, version, answers, &view, None),
        ))
    };

    let pairs = match form_body::parse(&body) {
        Ok(p) => p,
        Err(field) => {
            let error = FieldError::new(&field, "not_utf8", "");
            return Ok(render(
                StatusCode::BAD_REQUEST,
                &current.answers,
                &[],
                &[error],
                &[],
                current.version,
                false,
            ));
        }
    };
    let grouped = form_body::group(pairs);
    let last = |k: &str| {
        grouped
            .get(k)
            .and_then(|v| v.last())
            .map(String::as_str)
            .unwrap_or_default()
    };
    if !crate::tokens::same(last("_csrf"), &access.csrf_token) {
        return Ok(problem(&state, locale, StatusCode::FORBIDDEN, "csrf"));
    }
    let base_version: i32 = last("_version").parse().map_err(|_| {
        AppError::bad_request("the form lacks its version; reload the page").in_locale(locale)
    })?;
    let submitting = last("_action") == "submit";
    let raw = answers_from_form(&grouped);
    // What the officer sees if we must show the form again: their own input, every word.
    let mut shown = current.answers.clone();
    shown.apply(&Answers(raw.clone()));

    let posted = match check_posted(raw, locale, &requirements::is_rule) {
        Ok(p) => p,
        Err(errors) => {
            return Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &shown,
                &[],
                &errors,
                &[],
                base_version,
                false,
            ));
        }
    };
    let now = state.clock.now();
    let draft = match drafts::save_draft(&state.db, id, base_version, &posted, access.contact.id, now).await {
        Ok(d) => d,
        Err(SaveError::Conflict { conflicts, current }) => {
            // Keep the officer's values in the form, show the other person's beside them, and
            // base the next save on the newest version.
            let mut mine = current.answers.clone();
            mine.apply(&posted);
            return Ok(render(
                StatusCode::CONFLICT,
                &mine,
                &[],
                &[],
                &conflicts,
                current.version,
                false,
            ));
        }
        Err(other) => return Err(AppError::from(other).in_locale(locale)),
    };
    if !submitting {
        // "Add another" saves, then opens the group's new blank row.
        let anchor = last("_action")
            .strip_prefix("add.")
            .and_then(crate::domain::answers::group)
            .map(|g| {
                let row = views::shown_rows(&draft.answers, g);
                let first = g.columns.first().map(|(c, _)| *c).unwrap_or_default();
                format!("#{}", views::field_id(&g.key(row, first)))
            })
            .unwrap_or_default();
        return Ok(Redirect::to(&format!("/updates/{id}?saved=1{anchor}")).into_response());
    }
    let found = findings(&state, &ctx, &draft.answers, extras.attachments.len(), locale).await?;
    if !submittable(&found, &draft.answers) {
        return Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &draft.answers,
            &found,
            &[],
            &[],
            draft.version,
            true,
        ));
    }
    submit(&state, &ctx, &access, &draft, &found, locale).await?;
    Ok(Redirect::to(&format!("/updates/{id}?submitted=1")).into_response())
}

async fn submit(
    state: &AppState,
    ctx: &RequestContext,
    access: &OfficerAccess,
    draft: &Draft,
    found: &[Finding],
    locale: Locale,
) -> Result<drafts::Submitted, AppError> {
    let scope = draft.answers.scope().unwrap_or(CompactScope::Mirror);
    let versions = requirements::profile_versions(&profiles_for(scope));
    let t = messages(locale);
    let summary: Vec<(String, String)> = views::answer_sections(t, &draft.answers)
        .into_iter()
        .flat_map(|s| s.lines.into_iter().map(|l| (l.label, l.value)))
        .collect();
    let today = crate::domain::request::local_date(state.clock.now(), ctx.organization.zone());
    let contact = &access.contact;
    let make_mail = |number: i32| {
        let rendered = confirmation(
            locale,
            &Confirmation {
                recipient_name: &contact.name,
                pledge_title: &ctx.pledge.title,
                reference: &ctx.pledge.reference,
                submitted_on: today,
                revision: number,
                summary: summary.clone(),
            },
        );
        (
            contact.email.clone(),
            contact.name.clone(),
            locale.as_str().to_string(),
            rendered,
        )
    };
    let submission = Submission {
        request_id: ctx.request.id,
        draft_version: draft.version,
        findings: found,
        profile_versions: &versions,
        contact_id: contact.id,
        confirmation: &make_mail,
    };
    drafts::submit(&state.db, &submission, state.clock.now())
        .await
        .map_err(|e| AppError::from(e).in_locale(locale))
}

/// The autosave body: `{"version": 3, "answers": {"results_summary": "…", "sdgs": ["1","4"]}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutosaveBody {
    version: i32,
    answers: serde_json::Map<String, serde_json::Value>,
}

/// An autosave error in the API's shape, `{"error": {"status", "message"}}`, with `extra` keys
/// beside it (the field errors, the conflicts, the newest version).
fn json_error(status: StatusCode, message: impl Into<String>, extra: serde_json::Value) -> Response {
    let mut body = serde_json::json!({ "error": { "status": status.as_u16(), "message": message.into() } });
    if let (Some(body), serde_json::Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    (status, Json(body)).into_response()
}

/// `POST /updates/{id}/draft` (JSON): saves what the form holds and answers with the new
/// version and the findings, or the conflicts, or the values that cannot be saved.
pub async fn autosave(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    officer: Officer,
    Path(id): Path<i32>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let access = match officer.0 {
        Ok(a) if a.request.id == id => a,
        _ => {
            return Ok(json_error(
                StatusCode::NOT_FOUND,
                "no update here for this session; open your personal link again",
                serde_json::json!({}),
            ));
        }
    };
    let csrf = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !crate::tokens::same(csrf, &access.csrf_token) {
        return Ok(json_error(
            StatusCode::FORBIDDEN,
            "missing or wrong x-csrf-token header; reload the page",
            serde_json::json!({}),
        ));
    }
    let parsed: AutosaveBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Ok(json_error(
                StatusCode::BAD_REQUEST,
                format!("the body is not a valid autosave document: {e}"),
                serde_json::json!({}),
            ));
        }
    };
    let t = messages(locale);
    let mut raw = BTreeMap::new();
    let mut type_errors = Vec::new();
    for (key, value) in parsed.answers {
        match value {
            serde_json::Value::String(s) => {
                raw.insert(key, Value::One(s));
            }
            serde_json::Value::Array(items) if items.iter().all(|i| i.is_string()) => {
                raw.insert(
                    key,
                    Value::Many(
                        items
                            .into_iter()
                            .filter_map(|i| i.as_str().map(String::from))
                            .collect(),
                    ),
                );
            }
            _ => type_errors.push(FieldError::new(&key, "wrong_type", "")),
        }
    }
    let checked = if type_errors.is_empty() {
        check_posted(raw, locale, &requirements::is_rule)
    } else {
        Err(type_errors)
    };
    let posted = match checked {
        Ok(p) => p,
        Err(errors) => {
            let list: Vec<_> = errors
                .iter()
                .map(|e| serde_json::json!({ "field": e.field, "code": e.code, "label": field_label(t, &e.field), "message": field_error_text(t, e) }))
                .collect();
            return Ok(json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "some values cannot be saved",
                serde_json::json!({ "errors": list }),
            ));
        }
    };
    let ctx = request_context(&state.db, access.request.clone()).await?;
    match drafts::save_draft(
        &state.db,
        id,
        parsed.version,
        &posted,
        access.contact.id,
        state.clock.now(),
    )
    .await
    {
        Ok(draft) => {
            let attachments = crate::store::attachments::list(&state.db, id).await?.len();
            let found = findings(&state, &ctx, &draft.answers, attachments, locale).await?;
            Ok(Json(serde_json::json!({
                "version": draft.version,
                "saved_at": draft.saved_at,
                "submittable": submittable(&found, &draft.answers),
                "findings": found,
            }))
            .into_response())
        }
        Err(SaveError::Conflict { conflicts, current }) => {
            let list: Vec<_> = conflicts
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "field": c.field,
                        "label": field_label(t, &c.field),
                        "theirs": c.theirs.as_ref().map(|v| views::display_value(t, &c.field, v)),
                        "yours": c.yours.as_ref().map(|v| views::display_value(t, &c.field, v)),
                    })
                })
                .collect();
            Ok(json_error(
                StatusCode::CONFLICT,
                "someone else changed the same fields",
                serde_json::json!({ "version": current.version, "conflicts": list }),
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// Largest upload request: the 25 MB an update may hold, plus room for the form around it.
pub const UPLOAD_BODY_LIMIT: usize = crate::domain::attachments::MAX_TOTAL_BYTES as usize + 1024 * 1024;

/// The form again, with a message about the upload next to the attachments.
async fn form_with_upload_error(
    state: &AppState,
    ctx: &RequestContext,
    access: &OfficerAccess,
    locale: Locale,
    status: StatusCode,
    message: String,
) -> Result<Response, AppError> {
    let page = page_context(ctx, locale, access);
    let draft = drafts::current_draft(&state.db, &ctx.request).await?;
    let extras = form_extras(state, ctx.request.id).await?;
    let found = findings(state, ctx, &draft.answers, extras.attachments.len(), locale).await?;
    let view = FormState {
        findings: &found,
        field_errors: &[],
        conflicts: &[],
        change_requests: &extras.change_requests,
        attachments: &extras.attachments,
        upload_error: Some(message),
        reveal: false,
        saved: false,
    };
    let html = views::form_page(&page, draft.version, &draft.answers, &view, None);
    Ok(no_store(super::html_page(status, html)))
}

/// What a multipart upload carried.
#[derive(Default)]
struct Upload {
    csrf: String,
    filename: String,
    bytes: Vec<u8>,
    caption: String,
    credit: String,
}

/// Reads the upload form; Err is the translated reason and its status.
async fn read_upload(
    multipart: &mut axum::extract::Multipart,
    locale: Locale,
) -> Result<Upload, (StatusCode, String)> {
    let t = messages(locale);
    let too_large = || {
        let mb = (UPLOAD_BODY_LIMIT / 1024 / 1024).to_string();
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            t.fill("attach.error.body_too_large", &[("detail", &mb)]),
        )
    };
    let mut upload = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(upload),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err((StatusCode::BAD_REQUEST, e.body_text())),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            upload.filename = field.file_name().unwrap_or_default().to_string();
        }
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err((StatusCode::BAD_REQUEST, e.body_text())),
        };
        let text = |label: &str| {
            String::from_utf8(bytes.to_vec()).map_err(|_| {
                (
                    StatusCode::BAD_REQUEST,
                    t.fill("attach.error.not_utf8", &[("detail", &t.get(label))]),
                )
            })
        };
        match name.as_str() {
            "_csrf" => upload.csrf = text("attach.caption")?,
            "caption" => upload.caption = text("attach.caption")?,
            "credit" => upload.credit = text("attach.credit")?,
            "file" => upload.bytes = bytes.to_vec(),
            _ => {}
        }
    }
}

/// `POST /updates/{id}/attachments` (multipart: `_csrf`, `file`, `caption`, `credit`).
pub async fn upload_attachment(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    officer: Officer,
    Path(id): Path<i32>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    let access = match access_for(&state, locale, officer, id) {
        Ok(a) => a,
        Err(page) => return Ok(*page),
    };
    let ctx = request_context(&state.db, access.request.clone()).await?;
    let request_state = ctx.request.request_state();
    if !request_state.awaits_officer() {
        return Err(AppError::conflict(format!(
            "this update is {request_state}; files cannot be added now"
        ))
        .in_locale(locale));
    }
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => {
            return form_with_upload_error(
                &state,
                &ctx,
                &access,
                locale,
                StatusCode::BAD_REQUEST,
                e.body_text(),
            )
            .await;
        }
    };
    let upload = match read_upload(&mut multipart, locale).await {
        Ok(u) => u,
        Err((status, message)) => {
            return form_with_upload_error(&state, &ctx, &access, locale, status, message).await;
        }
    };
    if !crate::tokens::same(&upload.csrf, &access.csrf_token) {
        return Ok(problem(&state, locale, StatusCode::FORBIDDEN, "csrf"));
    }
    let t = messages(locale);
    let refusal = |r: crate::domain::attachments::Refused| {
        let status = if r.code == "too_large" {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        (
            status,
            t.fill(&format!("attach.error.{}", r.code), &[("detail", &r.detail)]),
        )
    };
    // Check before writing anything, so a refused file never touches the disk.
    let existing = crate::store::attachments::list(&state.db, id).await?;
    let total: u64 = existing.iter().map(|a| a.size_bytes.max(0) as u64).sum();
    if let Err(r) = crate::domain::attachments::check_upload(
        &upload.filename,
        &upload.bytes,
        &upload.caption,
        &upload.credit,
        existing.len(),
        total,
    ) {
        let (status, message) = refusal(r);
        return form_with_upload_error(&state, &ctx, &access, locale, status, message).await;
    }
    let key = match state.files.put(&upload.bytes).await {
        Ok(k) => k,
        Err(e) => {
            tracing::error!(error = %e, "the attachment store refused a file");
            let message = t.get("attach.error.storage").to_string();
            return form_with_upload_error(
                &state,
                &ctx,
                &access,
                locale,
                StatusCode::SERVICE_UNAVAILABLE,
                message,
            )
            .await;
        }
    };
    let new = crate::store::attachments::NewAttachment {
        request_id: id,
        raw_filename: &upload.filename,
        bytes: &upload.bytes,
        caption: &upload.caption,
        credit: &upload.credit,
        storage_key: &key,
        contact_id: access.contact.id,
    };
    match crate::store::attachments::add(&state.db, &new, state.clock.now()).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/updates/{id}?uploaded=1#f-attachments")).into_response()),
        Ok(Err(r)) => {
            let _ = state.files.remove(&key).await;
            let (status, message) = refusal(r);
            form_with_upload_error(&state, &ctx, &access, locale, status, message).await
        }
        Err(e) => {
            let _ = state.files.remove(&key).await;
            Err(AppError::from(e).in_locale(locale))
        }
    }
}

/// `GET /updates/{id}/attachments/{attachment}`: always a download, never rendered inline.
pub async fn download_attachment(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    officer: Officer,
    Path((id, attachment_id)): Path<(i32, i32)>,
) -> Result<Response, AppError> {
    if let Err(page) = access_for(&state, locale, officer, id) {
        return Ok(*page);
    }
    let row = crate::store::attachments::find(&state.db, id, attachment_id)
        .await?
        .ok_or_else(|| AppError::not_found("there is no such file").in_locale(locale))?;
    let bytes = state
        .files
        .get(&row.storage_key)
        .await
        .map_err(|e| AppError::internal(format!("attachment {}: {e}", row.id)))?;
    let ascii: String = row
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = row
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&row.content_type).map_err(AppError::internal)?,
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(AppError::internal)?,
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(no_store(response))
}

/// `POST /updates/{id}/attachments/{attachment}/delete` (form with `_csrf`).
pub async fn delete_attachment(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    officer: Officer,
    Path((id, attachment_id)): Path<(i32, i32)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let access = match access_for(&state, locale, officer, id) {
        Ok(a) => a,
        Err(page) => return Ok(*page),
    };
    let csrf = form_body::parse(&body)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v))
        .unwrap_or_default();
    if !crate::tokens::same(&csrf, &access.csrf_token) {
        return Ok(problem(&state, locale, StatusCode::FORBIDDEN, "csrf"));
    }
    let request_state = access.request.request_state();
    if !request_state.awaits_officer() {
        return Err(AppError::conflict(format!(
            "this update is {request_state}; files cannot be removed now"
        ))
        .in_locale(locale));
    }
    if let Some(key) =
        crate::store::attachments::remove(&state.db, id, attachment_id, access.contact.id, state.clock.now())
            .await?
        && let Err(e) = state.files.remove(&key).await
    {
        tracing::warn!(error = %e, key, "an attachment's file could not be deleted; it is orphaned");
    }
    Ok(Redirect::to(&format!("/updates/{id}#f-attachments")).into_response())
}
