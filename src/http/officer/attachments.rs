//! Photos and documents attached to an update.
use super::*;

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
        shown: Shown::Calm,
        saved: false,
    };
    let html = views::form_page(&page, draft.version, &draft.answers, &view, None);
    Ok(no_store(crate::http::html_page(status, html)))
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
    file_download(&state, &row).await
}

/// The stored file as a download (officer and secretariat alike): never rendered inline,
/// sandboxed if a browser tries, never cached.
pub async fn file_download(
    state: &AppState,
    row: &crate::entities::attachment::Model,
) -> Result<Response, AppError> {
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
