//! The secretariat's pages (in English: the secretariat works in one language).
use askama::Template;

use super::officer::{AnswerSection, answer_sections, display_value};
use super::render;
use crate::domain::answers::{Answers, fields};
use crate::domain::diff::FieldChange;
use crate::domain::pledge::Locale;
use crate::domain::requirements::Finding;
use crate::i18n::messages;

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage<'a> {
    title: &'a str,
    user: Option<String>,
    csrf: String,
    login_csrf: &'a str,
    error: Option<&'a str>,
    email: &'a str,
}

pub fn login_page(login_csrf: &str, error: Option<&str>, email: &str) -> String {
    render(&LoginPage {
        title: "Sign in",
        user: None,
        csrf: String::new(),
        login_csrf,
        error,
        email,
    })
}

pub struct QueueLine {
    pub id: i32,
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub scope: String,
    pub out_of_un_scope: bool,
    pub campaign: String,
    pub state: String,
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
    rows: Vec<QueueLine>,
}

pub fn queue_page(user: &str, csrf: &str, rows: Vec<QueueLine>) -> String {
    render(&QueuePage {
        title: "Review queue",
        user: Some(user.into()),
        csrf: csrf.into(),
        submitted: rows.iter().filter(|r| r.state == "submitted").count(),
        total: rows.len(),
        rows,
    })
}

pub struct FindingLine {
    pub severity: &'static str,
    pub label: String,
    pub message: String,
    pub requirement: String,
    pub source: String,
    pub justification: Option<String>,
}

pub struct ChangeLine {
    pub label: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "staff/request.html")]
struct RequestPage {
    title: String,
    user: Option<String>,
    csrf: String,
    id: i32,
    reference: String,
    organization: String,
    campaign: String,
    pledge_title: String,
    state: String,
    revision_label: Option<String>,
    notice: Option<String>,
    findings: Vec<FindingLine>,
    diff_title: String,
    changes: Vec<ChangeLine>,
    sections: Vec<AnswerSection>,
    can_review: bool,
    can_administer: bool,
    change_rows: Vec<usize>,
    field_options: Vec<(String, String)>,
    timeline: Vec<(String, String, String)>,
}

pub struct RequestView<'a> {
    pub user: &'a str,
    pub csrf: &'a str,
    pub id: i32,
    pub reference: &'a str,
    pub organization: &'a str,
    pub campaign: &'a str,
    pub pledge_title: &'a str,
    pub state: &'a str,
    /// (number, submitted on) of the newest revision.
    pub revision: Option<(i32, String)>,
    pub answers: Option<&'a Answers>,
    pub findings: &'a [Finding],
    /// What changed, and against what ("previous revision" / "last approved update").
    pub changes: Option<(&'a str, Vec<FieldChange>)>,
    pub can_review: bool,
    pub can_administer: bool,
    pub timeline: Vec<(String, String, String)>,
    pub notice: Option<&'a str>,
}

pub fn request_page(v: RequestView) -> String {
    let t = messages(Locale::En);
    let answers = v.answers.cloned().unwrap_or_default();
    let show = |key: &str, value: &Option<crate::domain::answers::Value>| {
        value
            .as_ref()
            .map(|x| display_value(t, key, x))
            .unwrap_or_else(|| "—".into())
    };
    render(&RequestPage {
        title: v.pledge_title.into(),
        user: Some(v.user.into()),
        csrf: v.csrf.into(),
        id: v.id,
        reference: v.reference.into(),
        organization: v.organization.into(),
        campaign: v.campaign.into(),
        pledge_title: v.pledge_title.into(),
        state: v.state.into(),
        revision_label: v.revision.map(|(n, on)| format!("revision {n}, submitted {on}")),
        notice: v.notice.map(String::from),
        findings: v
            .findings
            .iter()
            .map(|f| FindingLine {
                severity: f.severity.as_str(),
                label: t.field_label(&f.field),
                message: f.message.clone(),
                requirement: f.requirement.clone(),
                source: f.source.clone(),
                justification: Some(answers.text(&format!("justification.{}", f.rule_id)).to_string())
                    .filter(|j| !j.is_empty()),
            })
            .collect(),
        diff_title: v
            .changes
            .as_ref()
            .map(|(against, _)| format!("Changes since the {against}"))
            .unwrap_or_default(),
        changes: v
            .changes
            .map(|(_, list)| {
                list.into_iter()
                    .filter(|c| !c.field.starts_with("justification."))
                    .map(|c| ChangeLine {
                        label: t.field_label(&c.field),
                        before: show(&c.field, &c.before),
                        after: show(&c.field, &c.after),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        sections: answer_sections(t, &answers),
        can_review: v.can_review,
        can_administer: v.can_administer,
        change_rows: (1..=3).collect(),
        field_options: fields()
            .iter()
            .map(|f| (f.key.clone(), t.field_label(&f.key)))
            .collect(),
        timeline: v.timeline,
    })
}

pub struct OutboxLine {
    pub id: i32,
    pub recipient: String,
    pub kind: String,
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
    counts: Vec<(String, i64)>,
    groups: Vec<(&'static str, Vec<OutboxLine>)>,
}

pub fn outbox_page(
    user: &str,
    csrf: &str,
    counts: Vec<(String, i64)>,
    groups: Vec<(&'static str, Vec<OutboxLine>)>,
) -> String {
    render(&OutboxPage {
        title: "Mail outbox",
        user: Some(user.into()),
        csrf: csrf.into(),
        counts,
        groups,
    })
}
