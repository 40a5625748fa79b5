//! Every route in one place, and the middleware around them.
mod accounts;
mod api;
pub mod assets;
mod campaigns;
mod extract;
mod form_body;
mod health;
pub mod input;
mod interviews;
pub mod limits;
mod manage;
pub mod officer;
pub mod password_check;
pub(crate) mod public;
mod register;
mod review;
pub mod staff;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::clock::Clock;
use crate::config::Settings;
use crate::error::{ApiError, AppError};
use crate::mail::Mailer;

pub use extract::PageLocale;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub mailer: Mailer,
    pub metrics: PrometheusHandle,
    pub files: crate::files::FileStore,
    /// Where passwords are checked: two at a time, on threads of their own.
    pub password_checks: Arc<password_check::PasswordChecker>,
    /// `server.trusted_proxies`, parsed at start.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// The configured reminder policy, parsed once: campaigns without their own follow it.
    pub reminder_policy: Arc<crate::domain::reminders::Policy>,
    /// Draft saves per officer session (autosave and the form's Save), counted per instance:
    /// a limit on load, not on guessing (guesses are throttled in the database,
    /// `store::throttle`, across instances).
    pub save_limiter: Arc<limits::RateLimiter>,
    /// Uploads being received per officer session (at most two at once).
    pub uploads_in_flight: Arc<limits::InFlight>,
    /// The dashboards' counts, kept per campaign while its data's version stays the same.
    pub dashboards: Arc<crate::store::dashboard::SummaryCache>,
}

impl AppState {
    /// The client's address for throttling: the peer, or the client a trusted proxy names.
    pub fn client(&self, peer: std::net::SocketAddr, headers: &axum::http::HeaderMap) -> std::net::IpAddr {
        limits::client_address(peer.ip(), headers, &self.trusted_proxies)
    }
}

/// The longest a request may take, reading its body included: a 25 MB upload over a slow
/// 2 Mbit/s link fits.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// A rendered page with its status; a page that failed to render is the 500 page instead
/// (a 422 status must not dress up an internal error).
pub fn html_page(status: axum::http::StatusCode, page: Result<String, AppError>) -> Response {
    match page {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(error) => error.into_response(),
    }
}

pub fn router(state: AppState) -> Router {
    let max_body = state.settings.server.max_body_bytes;
    let pages_and_api = Router::new()
        .route("/", get(|| async { Redirect::to("/register") }))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/static/{file}", get(assets::static_file))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .route("/register", get(register::pledges_page))
        .route("/register/organizations", get(register::organizations_page))
        .route("/register/pledges/{reference}", get(register::pledge_page))
        .route("/u/{token}", get(officer::open_link))
        .route(
            "/updates/{id}",
            get(officer::show_update).post(officer::post_update),
        )
        .route("/updates/{id}/draft", post(officer::autosave))
        .route(
            "/updates/{id}/attachments/{attachment}",
            get(officer::download_attachment),
        )
        .route(
            "/updates/{id}/attachments/{attachment}/delete",
            post(officer::delete_attachment),
        )
        .route("/login", get(staff::show_login).post(staff::login))
        .route("/logout", post(staff::logout))
        .route("/review", get(review::queue))
        .route("/review/requests/{id}", get(review::request_page))
        .route("/review/requests/{id}/changes", post(review::request_changes))
        .route("/review/requests/{id}/approve", post(review::approve))
        .route("/review/requests/{id}/publish", post(review::publish))
        .route("/review/requests/{id}/withdraw", post(review::withdraw))
        .route(
            "/review/requests/{id}/attachments/{attachment}",
            get(review::attachment),
        )
        .route("/review/campaigns", get(campaigns::list).post(campaigns::open))
        .route("/review/campaigns/{id}", get(campaigns::dashboard_page))
        .route("/review/campaigns/{id}/pledges", post(campaigns::add))
        .route("/review/requests/{id}/assign", post(manage::assign))
        .route("/review/requests/{id}/comment", post(manage::comment))
        .route("/review/requests/{id}/deadline", post(manage::extend_deadline))
        .route("/review/requests/{id}/contacts", post(manage::add_contact))
        .route(
            "/review/requests/{id}/contacts/{contact}/resend",
            post(manage::resend_link),
        )
        .route(
            "/review/requests/{id}/contacts/{contact}/revoke",
            post(manage::revoke_links),
        )
        .route(
            "/review/requests/{id}/contacts/{contact}/deactivate",
            post(manage::deactivate_contact),
        )
        .route("/review/requests/{id}/interviews", post(interviews::request))
        .route("/review/interviews", get(interviews::page))
        .route("/review/interviews/{id}/schedule", post(interviews::schedule))
        .route("/review/interviews/{id}/held", post(interviews::held))
        .route("/review/interviews/{id}/validated", post(interviews::validated))
        .route("/review/interviews/{id}/no-show", post(interviews::no_show))
        .route("/review/interviews/{id}/cancel", post(interviews::cancel))
        .route("/review/exports/{file}", get(public::export))
        .route("/review/staff", get(accounts::list).post(accounts::save))
        .route("/review/staff/{id}/deactivate", post(accounts::deactivate))
        .route("/review/staff/{id}/tokens", post(accounts::new_token))
        .route(
            "/review/staff/{id}/tokens/{token}/revoke",
            post(accounts::revoke_token),
        )
        .route("/review/outbox", get(review::outbox_page))
        .route("/review/outbox/{id}/retry", post(review::retry_mail))
        .route("/public/updates", get(public::list))
        .route("/public/updates/{id}", get(public::show))
        .route("/api/v1/openapi.json", get(api::openapi))
        .merge(api::routes().0)
        // One limit, the configured one: axum's own 2 MiB default would otherwise win.
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body));
    // Uploads get a larger limit of their own.
    let uploads = Router::new()
        .route("/updates/{id}/attachments", post(officer::upload_attachment))
        .layer(DefaultBodyLimit::max(officer::UPLOAD_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(officer::UPLOAD_BODY_LIMIT));
    pages_and_api
        .merge(uploads)
        .fallback(not_found)
        .layer(middleware::from_fn(explain_too_large))
        // A request that takes longer than this (a stalled upload, a client that stopped
        // sending) is answered 408 and its connection freed.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // gzip or brotli, as the client accepts: the form page is a fifth of its size on the wire.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(middleware::from_fn(extract::remember_language))
        .layer(middleware::from_fn_with_state(state.clone(), private_by_default))
        .layer(middleware::from_fn(refuse_nul_in_address))
        .layer(middleware::from_fn(record_metrics))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let request_id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            let path = crate::tokens::loggable_path(request.uri().path());
            tracing::info_span!("http", method = %request.method(), %path, request_id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// A NUL character in the address (`%00`) is refused before any handler: no text column
/// stores it (PostgreSQL answers an error), so it can only be a mistake or a probe.
async fn refuse_nul_in_address(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let raw = format!("{}?{}", uri.path(), uri.query().unwrap_or_default()).to_ascii_lowercase();
    if raw.contains("%00") {
        let error = AppError::bad_request("the address holds a NUL character (%00), which no field accepts");
        return if uri.path().starts_with("/api/") {
            crate::error::ApiError(error).into_response()
        } else {
            error.into_response()
        };
    }
    next.run(request).await
}

/// What the secretariat sees (its pages, exports, the API, sign-in) is never kept by a
/// browser or a proxy cache: `Cache-Control: no-store` unless a handler said otherwise.
/// Behind https, every cookie is `Secure` and HSTS tells browsers to stay on https.
async fn private_by_default(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let private = ["/review", "/api/", "/login", "/logout"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if private && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.settings.server.base_url.starts_with("https://") {
        let cookies: Vec<HeaderValue> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|value| {
                let text = value.to_str().unwrap_or_default();
                if text.to_ascii_lowercase().contains("; secure") {
                    value.clone()
                } else {
                    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or_else(|_| value.clone())
                }
            })
            .collect();
        headers.remove(header::SET_COOKIE);
        for cookie in cookies {
            headers.append(header::SET_COOKIE, cookie);
        }
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// The body-limit layer answers a bare 413; say in the user's language what the limit is.
async fn explain_too_large(locale: PageLocale, request: Request, next: Next) -> Response {
    // The API and the autosave speak JSON: their 413 does too.
    let path = request.uri().path();
    let is_api = path.starts_with("/api/") || (path.starts_with("/updates/") && path.ends_with("/draft"));
    let response = next.run(request).await;
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.to_str().unwrap_or_default().starts_with("text/plain"));
    if response.status() != axum::http::StatusCode::PAYLOAD_TOO_LARGE || !plain {
        return response;
    }
    let t = crate::i18n::messages(locale.0);
    let mb = (officer::UPLOAD_BODY_LIMIT / 1024 / 1024).to_string();
    let message = t.fill("attach.error.body_too_large", &[("detail", &mb)]);
    let error = AppError::too_large(message).in_locale(locale.0);
    if is_api {
        ApiError(error).into_response()
    } else {
        error.into_response()
    }
}

/// Counts requests and their latency by route template (never by raw path: ids would
/// explode the label set).
async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn not_found(State(_): State<AppState>, locale: PageLocale, request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        ApiError(AppError::not_found(format!(
            "no API route {}",
            request.uri().path()
        )))
        .into_response()
    } else {
        AppError::not_found("").in_locale(locale.0).into_response()
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
