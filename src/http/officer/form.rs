//! The update form: shown, saved and submitted without JavaScript.
use super::*;

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
        shown: if query.saved.is_some() {
            Shown::Findings
        } else {
            Shown::Calm
        },
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
            shown: Shown::FindingsFocused,
            saved,
        };
        no_store(crate::http::html_page(
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
    if let Err(wait) = state.save_limiter.count(&access.session_id.to_string(), now) {
        let error = FieldError::new("", "saving_too_often", wait.to_string());
        let mut answer = render(
            StatusCode::TOO_MANY_REQUESTS,
            &shown,
            &[],
            &[error],
            &[],
            base_version,
            false,
        );
        answer
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, wait.into());
        return Ok(answer);
    }
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
