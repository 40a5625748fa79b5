//! Published updates, for everyone, with only the fields meant for publication; and the
//! secretariat's export download.
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use futures_util::{StreamExt, stream};
use serde::Deserialize;

use super::staff::{SignedIn, need};
use super::{AppState, PageLocale};
use crate::domain::export::Target;
use crate::domain::request::RequestState;
use crate::error::AppError;
use crate::exports::{Format, produce};
use crate::store::exports::page;
use crate::views::public as views;

pub async fn list(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
) -> Result<Html<String>, AppError> {
    let mut items = Vec::new();
    let mut after = 0;
    // Published updates are few (a report's worth); read them all, page by page.
    loop {
        let (page_items, next) = page(
            &state.db,
            Target::All,
            &[RequestState::Published],
            true,
            after,
            200,
        )
        .await
        .map_err(|e| AppError::from(e).in_locale(locale))?;
        items.extend(page_items);
        match next {
            Some(id) => after = id,
            None => break,
        }
    }
    items.sort_by(|a, b| {
        b.submitted_at
            .cmp(&a.submitted_at)
            .then(a.reference.cmp(&b.reference))
    });
    Ok(Html(views::list_page(locale, &items)?))
}

pub async fn show(
    State(state): State<AppState>,
    PageLocale(locale): PageLocale,
    Path(id): Path<i32>,
) -> Result<Html<String>, AppError> {
    let (items, _) = page(
        &state.db,
        Target::All,
        &[RequestState::Published],
        true,
        id - 1,
        1,
    )
    .await
    .map_err(|e| AppError::from(e).in_locale(locale))?;
    let item = items
        .into_iter()
        .find(|i| i.request_id == id)
        .ok_or_else(|| AppError::not_found("This update is not published.").in_locale(locale))?;
    Ok(Html(views::update_page(locale, &item)?))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub target: Option<String>,
    pub all_cycles: Option<bool>,
    /// A CSV that starts with a byte-order mark, so Excel reads it as UTF-8.
    pub bom: Option<bool>,
}

/// `GET /review/exports/updates.csv|updates.xlsx|updates.json?target=all|gcr|gcm`, streamed.
pub async fn export(
    State(state): State<AppState>,
    SignedIn { access, .. }: SignedIn<need::View>,
    Path(file): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    export_response(
        &state,
        &file,
        query.target.as_deref(),
        query.all_cycles.unwrap_or(false),
        query.bom.unwrap_or(false),
        (access.user.id, "web"),
    )
    .await
}

/// The export files, by name.
pub const EXPORT_FILES: [(&str, Format); 3] = [
    ("updates.csv", Format::Csv),
    ("updates.xlsx", Format::Xlsx),
    ("updates.json", Format::Json),
];

/// Streams an export: `file` is `updates.csv`, `updates.xlsx` or `updates.json`. Data leaving
/// for the UN dashboards leaves a trace of who took it: `taker` is (staff id, "web" or "api").
pub async fn export_response(
    state: &AppState,
    file: &str,
    target: Option<&str>,
    all_cycles: bool,
    bom: bool,
    taker: (i32, &str),
) -> Result<Response, AppError> {
    let Some(&(_, format)) = EXPORT_FILES.iter().find(|(name, _)| *name == file) else {
        return Err(AppError::not_found(format!(
            "no export {file}; try updates.csv, updates.xlsx or updates.json"
        )));
    };
    let target_name = target.unwrap_or("all");
    let target = Target::parse(target_name).map_err(AppError::bad_request)?;
    crate::store::audit::record(
        &state.db,
        state.clock.now(),
        crate::store::audit::Actor::Staff(taker.0),
        "export.downloaded",
        "export",
        Some(file.to_string()),
        serde_json::json!({ "target": target_name, "all_cycles": all_cycles, "via": taker.1 }),
    )
    .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    if bom && format == Format::Csv {
        tx.try_send(crate::exports::UTF8_BOM.to_vec())
            .map_err(AppError::internal)?;
    }
    let db = state.db.clone();
    let producer = tokio::spawn(async move { produce(&db, format, target, all_cycles, tx).await });
    // When the chunks end, the producer says whether the export is whole. If it failed part-way
    // the body ends with an error, so the client sees an aborted download, never a short file
    // that looks complete.
    let body = Body::from_stream(
        stream::unfold((rx, Some(producer)), |(mut rx, producer)| async move {
            if let Some(chunk) = rx.recv().await {
                return Some((Ok(chunk), (rx, producer)));
            }
            let outcome = producer?.await;
            let failure = match outcome {
                Ok(Ok(_)) => return None,
                Ok(Err(e)) => e.to_string(),
                Err(e) => e.to_string(),
            };
            tracing::error!(error = %failure, "export failed part-way; the download is aborted");
            Some((Err(std::io::Error::other(failure)), (rx, None)))
        })
        // The compression layer may poll once more after the end; a fused stream answers "ended"
        // again instead of panicking.
        .fuse(),
    );
    let mut response = body.into_response();
    let name = format!("pledge-updates-{target_name}.{}", format.extension());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).map_err(AppError::internal)?,
    );
    Ok(response)
}
