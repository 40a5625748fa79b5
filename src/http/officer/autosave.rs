//! The JSON autosave behind the form.
use super::*;

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
    if let Err(wait) = state
        .save_limiter
        .count(&access.session_id.to_string(), state.clock.now())
    {
        let t = messages(locale);
        let mut answer = json_error(
            StatusCode::TOO_MANY_REQUESTS,
            t.fill("form.saving_too_often", &[("detail", &wait)]),
            serde_json::json!({ "retry_after": wait }),
        );
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return Ok(answer);
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
