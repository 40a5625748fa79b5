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

/// Uploads one officer session may have in flight at once: a second tab is fine, a script
/// sending eight 24 MB files at once is not.
pub const UPLOADS_PER_SESSION: usize = 2;

/// Longest caption or credit field read (the limits are far lower; this bounds the reading).
const MAX_TEXT_FIELD_BYTES: usize = 16 * 1024;

/// What a multipart upload carried. The file is on disk already, under a temporary name.
#[derive(Default)]
struct Upload {
    filename: String,
    file: Option<(crate::domain::attachments::Received, crate::files::FinishedFile)>,
    caption: String,
    credit: String,
}

/// Why an upload was not read to its end.
enum UploadError {
    /// No CSRF token, or a wrong one, before the file.
    Csrf,
    /// The translated reason and its status.
    Refused(StatusCode, String),
}

/// Reads the upload form as it arrives: the CSRF token must come before the file (it does in
/// our form, and in every browser's encoding of it), so a forged post never gets a byte of its
/// file read; the file streams into a temporary file, never whole into memory.
async fn read_upload(
    state: &AppState,
    multipart: &mut axum::extract::Multipart,
    locale: Locale,
    csrf: &str,
) -> Result<Upload, UploadError> {
    use axum::extract::multipart::MultipartError;
    let t = messages(locale);
    let failed = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let mb = (UPLOAD_BODY_LIMIT / 1024 / 1024).to_string();
            UploadError::Refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                t.fill("attach.error.body_too_large", &[("detail", &mb)]),
            )
        } else {
            UploadError::Refused(StatusCode::BAD_REQUEST, e.body_text())
        }
    };
    let storage = |e: std::io::Error| {
        tracing::error!(error = %e, "the attachment store refused a file");
        UploadError::Refused(
            StatusCode::SERVICE_UNAVAILABLE,
            t.get("attach.error.storage").to_string(),
        )
    };
    let mut upload = Upload::default();
    let mut csrf_checked = false;
    while let Some(mut field) = multipart.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if !csrf_checked {
                return Err(UploadError::Csrf);
            }
            upload.filename = field.file_name().unwrap_or_default().to_string();
            let mut incoming = state.files.begin().await.map_err(storage)?;
            while let Some(chunk) = field.chunk().await.map_err(failed)? {
                incoming.write(&chunk).await.map_err(storage)?;
                if incoming.size() > crate::domain::attachments::MAX_TOTAL_BYTES {
                    let mb = (crate::domain::attachments::MAX_TOTAL_BYTES / 1024 / 1024).to_string();
                    return Err(UploadError::Refused(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        t.fill("attach.error.too_large", &[("detail", &mb)]),
                    ));
                }
            }
            upload.file = Some(incoming.finish().await.map_err(storage)?);
            continue;
        }
        if !matches!(name.as_str(), "_csrf" | "caption" | "credit") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(failed)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_TEXT_FIELD_BYTES {
                break;
            }
        }
        let label = if name == "credit" {
            "attach.credit"
        } else {
            "attach.caption"
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            UploadError::Refused(
                StatusCode::BAD_REQUEST,
                t.fill("attach.error.not_utf8", &[("detail", &t.get(label))]),
            )
        })?;
        match name.as_str() {
            "_csrf" if crate::tokens::same(&text, csrf) => csrf_checked = true,
            "_csrf" => return Err(UploadError::Csrf),
            "caption" => upload.caption = text,
            _ => upload.credit = text,
        }
    }
    if csrf_checked {
        Ok(upload)
    } else {
        Err(UploadError::Csrf)
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
    let t = messages(locale);
    let Some(_slot) = state.uploads_in_flight.take(access.session_id) else {
        let message = t.get("attach.error.busy").to_string();
        return form_with_upload_error(
            &state,
            &ctx,
            &access,
            locale,
            StatusCode::TOO_MANY_REQUESTS,
            message,
        )
        .await;
    };
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
    let upload = match read_upload(&state, &mut multipart, locale, &access.csrf_token).await {
        Ok(u) => u,
        Err(UploadError::Csrf) => return Ok(problem(&state, locale, StatusCode::FORBIDDEN, "csrf")),
        Err(UploadError::Refused(status, message)) => {
            return form_with_upload_error(&state, &ctx, &access, locale, status, message).await;
        }
    };
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
    let empty = crate::domain::attachments::Received::of(b"");
    let received = upload.file.as_ref().map_or(&empty, |(r, _)| r);
    // Checked before the file gets its name, so a refused file never stays on the disk.
    let existing = crate::store::attachments::list(&state.db, id).await?;
    let total: u64 = existing.iter().map(|a| a.size_bytes.max(0) as u64).sum();
    if let Err(r) = crate::domain::attachments::check_upload(
        &upload.filename,
        received,
        &upload.caption,
        &upload.credit,
        existing.len(),
        total,
    ) {
        let (status, message) = refusal(r);
        return form_with_upload_error(&state, &ctx, &access, locale, status, message).await;
    }
    let Some((received, file)) = upload.file else {
        unreachable!("check_upload refuses an upload without a file");
    };
    let key = match file.keep().await {
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
        file: &received,
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
