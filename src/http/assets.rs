//! Static files, compiled into the binary so it runs from any directory.
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::AppError;

const FILES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    ),
    (
        "form.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/form.js"),
    ),
];

/// The first 12 hex digits of each file's SHA-256: its version in the page's links. Hashed
/// once, not on every page render and every request.
fn version(file: &str) -> Option<&'static str> {
    static VERSIONS: std::sync::OnceLock<Vec<(&'static str, String)>> = std::sync::OnceLock::new();
    let versions = VERSIONS.get_or_init(|| {
        use sha2::Digest;
        FILES
            .iter()
            .map(|(name, _, body)| {
                let hash = sha2::Sha256::digest(body.as_bytes());
                (*name, hash.iter().take(6).map(|b| format!("{b:02x}")).collect())
            })
            .collect()
    });
    versions
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, hash)| hash.as_str())
}

/// The address a page links a static file by: `/static/app.css?v=<content hash>`. A new build
/// with a changed file has a new address, so browsers may keep each version for a year.
pub fn url(file: &str) -> String {
    match version(file) {
        Some(hash) => format!("/static/{file}?v={hash}"),
        None => format!("/static/{file}"),
    }
}

#[derive(serde::Deserialize)]
pub struct Version {
    v: Option<String>,
}

pub async fn static_file(
    Path(file): Path<String>,
    Query(version): Query<Version>,
) -> Result<impl IntoResponse, AppError> {
    let (_, content_type, body) = FILES
        .iter()
        .find(|(name, _, _)| *name == file)
        .ok_or_else(|| AppError::not_found(format!("no static file {file}")))?;
    // Only the address of this very content may be kept for good; any other is revalidated soon.
    let cache = if version.v.is_some() && version.v.as_deref() == self::version(&file) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    Ok((
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, cache),
        ],
        *body,
    ))
}
