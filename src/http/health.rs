//! Liveness, readiness and metrics.
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;
use crate::domain::delivery::MailState;
use crate::store;

/// The process is up; says nothing about its dependencies.
pub async fn healthz() -> &'static str {
    "ok"
}

/// 200 when the database answers, 503 otherwise (so a load balancer stops sending traffic).
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match store::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, "ready".to_string()),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable".to_string(),
            )
        }
    }
}

pub async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let token = state.settings.server.metrics_token.expose();
    if !token.is_empty() {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !crate::tokens::same(given.trim(), token) {
            return (
                axum::http::StatusCode::UNAUTHORIZED,
                [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need Authorization: Bearer <server.metrics_token>\n",
            )
                .into_response();
        }
    }
    // Mail by state, read when scraped.
    if let Ok(counts) = store::outbox::counts(&state.db).await {
        for mail_state in MailState::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| s == mail_state)
                .map_or(0, |(_, n)| *n);
            metrics::gauge!("outbox_mails", "state" => mail_state.as_str()).set(n as f64);
        }
    }
    // How long the longest-waiting due mail has waited: it grows when the worker is stuck.
    let now = state.clock.now();
    if let Ok(oldest) = store::outbox::oldest_due(&state.db, now).await {
        let waited = oldest.map_or(0, |due| (now - due).num_seconds().max(0));
        metrics::gauge!("outbox_oldest_due_seconds").set(waited as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
