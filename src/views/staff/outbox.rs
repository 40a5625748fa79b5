//! The outbox page: mail that failed, waits or went out.
use crate::error::AppError;
use askama::Template;

use crate::views::render;

pub struct OutboxLine {
    pub id: i32,
    pub recipient: String,
    pub kind: crate::domain::delivery::MailKind,
    pub subject: String,
    pub attempts: i32,
    pub when: String,
    pub error: String,
    pub retry: bool,
}

#[derive(Template)]
#[template(path = "staff/outbox.html")]
struct OutboxPage {
    title: &'static str,
    user: Option<String>,
    csrf: String,
    counts: Vec<(crate::domain::delivery::MailState, i64)>,
    /// Minutes the longest-waiting due mail has waited, when that is far too long.
    stuck_minutes: Option<i64>,
    groups: Vec<(&'static str, Vec<OutboxLine>)>,
}

pub fn outbox_page(
    user: &str,
    csrf: &str,
    counts: Vec<(crate::domain::delivery::MailState, i64)>,
    stuck_minutes: Option<i64>,
    groups: Vec<(&'static str, Vec<OutboxLine>)>,
) -> Result<String, AppError> {
    render(&OutboxPage {
        title: "Mail outbox",
        user: Some(user.into()),
        csrf: csrf.into(),
        counts,
        stuck_minutes,
        groups,
    })
}
