//! The one error type at the HTTP edge. What the user reads (`message`) is separate from what
//! is logged (`cause`): a 500 never shows internals, a 4xx always says precisely what to fix.
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sea_orm::{DbErr, RuntimeErr};

use crate::domain::pledge::Locale;
use crate::views;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    /// No valid credentials (API tokens).
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    Unprocessable,
    TooManyRequests,
    Unavailable,
    Internal,
}

#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    /// Safe to show; empty means "use the generic text for the kind".
    pub message: String,
    /// Language of the page that shows the error.
    pub locale: Locale,
    cause: Option<String>,
}

impl AppError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> AppError {
        AppError {
            kind,
            message: message.into(),
            locale: Locale::En,
            cause: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::BadRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::NotFound, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::Unauthorized, message)
    }

    pub fn too_many(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::TooManyRequests, message)
    }

    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::Forbidden, message)
    }

    pub fn conflict(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::Conflict, message)
    }

    pub fn too_large(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::PayloadTooLarge, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::Unprocessable, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        AppError {
            cause: Some(cause.to_string()),
            ..AppError::new(ErrorKind::Internal, "")
        }
    }

    pub fn in_locale(mut self, locale: Locale) -> AppError {
        self.locale = locale;
        self
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn log(&self) {
        match self.kind {
            ErrorKind::Internal => tracing::error!(cause = ?self.cause, "request failed"),
            ErrorKind::Unavailable => tracing::warn!(cause = ?self.cause, "database unavailable"),
            _ => {}
        }
    }
}

/// A lost or unreachable database is "try again shortly" (503), not a bug (500).
impl From<crate::store::ActionError> for AppError {
    fn from(err: crate::store::ActionError) -> AppError {
        use crate::store::ActionError as E;
        match err {
            E::Refused(m) | E::Conflict(m) => AppError::conflict(m),
            E::Invalid(m) => AppError::unprocessable(m),
            E::NotFound(m) => AppError::not_found(m),
            E::Db(e) => e.into(),
        }
    }
}

impl From<crate::store::drafts::SaveError> for AppError {
    fn from(err: crate::store::drafts::SaveError) -> AppError {
        crate::store::ActionError::from(err).into()
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> AppError {
        // A record an action names by id and that is not there: the id is wrong, not the server.
        if let DbErr::RecordNotFound(what) = &err {
            return AppError::not_found(format!("there is no {what}"));
        }
        let unreachable = match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                match e.as_ref() {
                    sea_orm::sqlx::Error::Io(_)
                    | sea_orm::sqlx::Error::PoolClosed
                    | sea_orm::sqlx::Error::PoolTimedOut
                    | sea_orm::sqlx::Error::WorkerCrashed => true,
                    // SQLite held by another writer past the busy timeout (SQLITE_BUSY, SQLITE_LOCKED),
                    // PostgreSQL shutting down or refusing connections (class 57P, 08).
                    sea_orm::sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                        let code = code.as_ref();
                        code == "5" || code == "6" || code.starts_with("57P") || code.starts_with("08")
                    }),
                    _ => false,
                }
            }
            _ => false,
        };
        let kind = if unreachable {
            ErrorKind::Unavailable
        } else {
            ErrorKind::Internal
        };
        AppError {
            cause: Some(err.to_string()),
            ..AppError::new(kind, "")
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (self.status(), Html(views::error_page(&self))).into_response();
        if self.kind == ErrorKind::Unavailable {
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("30"));
        }
        response
    }
}

/// The same error, answered as JSON for `/api/v1`: `{"error": {"status": 400, "message": "…"}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> ApiError {
        ApiError(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        err.log();
        let message = if err.message.is_empty() {
            generic_message(err.kind).to_string()
        } else {
            err.message.clone()
        };
        let status = err.status();
        (
            status,
            Json(serde_json::json!({ "error": { "status": status.as_u16(), "message": message } })),
        )
            .into_response()
    }
}

pub fn generic_message(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::BadRequest => "The request could not be understood.",
        ErrorKind::Unauthorized => "Sign in or send valid credentials.",
        ErrorKind::TooManyRequests => "Too many attempts; wait a moment and try again.",
        ErrorKind::Forbidden => "You are not allowed to do this.",
        ErrorKind::NotFound => "Nothing was found at this address.",
        ErrorKind::Conflict => "This conflicts with the current state; reload and try again.",
        ErrorKind::PayloadTooLarge => "The request is larger than the service accepts.",
        ErrorKind::Unprocessable => "Some values could not be accepted.",
        ErrorKind::Unavailable => "The database is unreachable right now; please try again in a minute.",
        ErrorKind::Internal => "Something went wrong on our side; it has been logged.",
    }
}
