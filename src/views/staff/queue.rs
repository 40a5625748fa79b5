//! The review queue.
use crate::error::AppError;
use askama::Template;

use crate::views::render;

pub struct QueueLine {
    pub id: i32,
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub scope: crate::domain::pledge::CompactScope,
    pub out_of_un_scope: bool,
    pub campaign: String,
    pub state: crate::domain::request::RequestState,
    pub reviewer: String,
    pub submitted: String,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    title: &'static str,
    user: Option<String>,
    csrf: String,
    submitted: usize,
    total: usize,
    mine: bool,
    rows: Vec<QueueLine>,
}

pub fn queue_page(user: &str, csrf: &str, rows: Vec<QueueLine>, mine: bool) -> Result<String, AppError> {
    render(&QueuePage {
        title: "Review queue",
        user: Some(user.into()),
        csrf: csrf.into(),
        submitted: rows
            .iter()
            .filter(|r| r.state == crate::domain::request::RequestState::Submitted)
            .count(),
        total: rows.len(),
        mine,
        rows,
    })
}
