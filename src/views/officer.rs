//! The officer's pages: the update form, the submitted view, and the link problem pages.
use crate::error::AppError;
use askama::Template;

use super::{LanguageLink, language_links, render};
use crate::domain::answers::{
    Answers, Field, FieldError, Group, Kind, MAX_ROWS, Section, Value, fields, ongoing_in, row_of,
};
use crate::domain::diff::Conflict;
use crate::domain::numbers;
use std::collections::BTreeSet;

use crate::domain::pledge::{CompactScope, Locale};
use crate::domain::reference::Scheme;
use crate::domain::requirements::{Finding, Severity, asked_fields, section_status};
use crate::i18n::{Messages, messages};

/// A field's label in the page's language (see `Messages::field_label`).
pub fn field_label(t: &Messages, key: &str) -> String {
    t.field_label(key)
}

/// The key without its row number: `metric.2.value` → `metric.value`.
fn base_key(key: &str) -> String {
    key.split('.')
        .filter(|p| p.parse::<u32>().is_err())
        .collect::<Vec<_>>()
        .join(".")
}

/// Which `choice.<list>.<code>` labels a field uses.
fn choice_list(key: &str) -> &'static str {
    match base_key(key).as_str() {
        "implementation_stage" => "stage",
        "metric.qualifier" | "funding.qualifier" => "qualifier",
        "gcm_pledge_form" => "gcmform",
        "gcr_contribution_type" => "gcrtype",
        "reporting_cycle" => "cycle",
        "beneficiaries_qualifier" => "qualifier",
        "breakdown.group" | "beneficiary_groups" => "group",
        "funding.source" => "source",
        "partner.kind" => "partner",
        "challenges" => "challenge",
        "national_engagement" => "national",
        "compact_scope" => "scope",
        "pledge_structure" => "structure",
        _ => "yesno",
    }
}

/// How an answer reads for people (choice labels instead of codes).
pub fn display_value(t: &Messages, key: &str, value: &Value) -> String {
    let Some(field) = crate::domain::answers::find_field(key) else {
        return match value {
            Value::One(s) => s.clone(),
            Value::Many(v) => v.join(", "),
        };
    };
    let label = |code: &str| option_label(t, key, field.kind, code);
    match value {
        Value::One(s) if field.kind == Kind::Check => {
            if s == "true" {
                "✓".into()
            } else {
                String::new()
            }
        }
        Value::One(s) => match field.kind {
            Kind::Choice(_) => label(s),
            Kind::Count | Kind::Amount => numbers::format(s, t.locale),
            Kind::EndPoint if s == "ongoing" => ongoing_in(t.locale).into(),
            _ => s.clone(),
        },
        Value::Many(codes) => codes.iter().map(|c| label(c)).collect::<Vec<_>>().join("; "),
    }
}

fn option_label(t: &Messages, key: &str, kind: Kind, code: &str) -> String {
    let kind = if key == "primary_priority" {
        Kind::MultiRef(Scheme::Priority)
    } else {
        kind
    };
    match kind {
        Kind::MultiRef(scheme) => t.reference(scheme, code),
        _ => t.get(&format!("choice.{}.{code}", choice_list(key))).into(),
    }
}

pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct MessageView {
    pub severity: &'static str,
    pub text: String,
}

pub struct FieldView {
    pub key: String,
    pub id: String,
    pub label: String,
    pub hint: Option<String>,
    /// text | textarea | select | checkboxes | checkbox
    pub control: &'static str,
    pub input_mode: &'static str,
    pub value: String,
    pub options: Vec<OptionView>,
    pub messages: Vec<MessageView>,
    pub invalid: bool,
    /// The reviewer asked for a change here.
    pub highlighted: bool,
    pub conflict_theirs: Option<String>,
    /// On the last shown row of a repeating group: (group name, button label) for "add another".
    pub add_another: Option<(String, String)>,
    /// No rule asks for it: the label says "optional".
    pub optional: bool,
    /// `gcm` or `gcr` for a question only that compact asks; the form hides it when the
    /// confirmed scope does not report to that compact.
    pub compact: &'static str,
    pub applies: bool,
}

impl FieldView {
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.id));
        }
        ids.push(format!("{}-msg", self.id));
        ids.join(" ")
    }
}

pub struct SectionView {
    pub key: &'static str,
    pub title: String,
    /// `not_started | in_progress | complete | needs_attention`, and its words.
    pub status: &'static str,
    pub status_label: String,
    pub fields: Vec<FieldView>,
}

pub struct SummaryItem {
    pub anchor: String,
    pub label: String,
    pub message: String,
}

pub struct WarningView {
    pub rule_id: String,
    pub anchor: String,
    pub label: String,
    pub message: String,
    pub requirement: String,
    pub justification: String,
}

pub fn field_id(key: &str) -> String {
    format!("f-{}", key.replace('.', "-"))
}

/// How much of what the rules found the form shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// First open: no finding, the officer has not saved anything yet.
    Calm,
    /// After a save: the findings, beside their fields and in the summaries.
    Findings,
    /// The answer to a refused post (a submit or a save): the findings, and the error (or
    /// warnings) summary takes the focus.
    FindingsFocused,
}

/// What the form shows besides the answers.
pub struct FormState<'a> {
    pub findings: &'a [Finding],
    pub field_errors: &'a [FieldError],
    pub conflicts: &'a [Conflict],
    /// The reviewer's open change requests: (field key or None for general, comment).
    pub change_requests: &'a [(Option<String>, String)],
    pub attachments: &'a [crate::entities::attachment::Model],
    /// Why the last upload was refused, in the page's language.
    pub upload_error: Option<String>,
    /// What the page shows of the rules' findings, and whether its summary takes the focus.
    pub shown: Shown,
    /// The draft was saved by this request although it was not submitted.
    pub saved: bool,
}

pub struct AttachmentView {
    pub filename: String,
    pub size: String,
    pub caption: String,
    pub credit: String,
    pub href: String,
    pub delete_url: String,
}

impl AttachmentView {
    /// The file's line, its download at `{base}/{id}` (officer and staff pages have their own).
    pub fn of(a: &crate::entities::attachment::Model, base: &str) -> AttachmentView {
        let href = format!("{base}/{}", a.id);
        AttachmentView {
            filename: a.filename.clone(),
            size: human_size(a.size_bytes),
            caption: a.caption.clone(),
            credit: a.credit.clone(),
            delete_url: format!("{href}/delete"),
            href,
        }
    }
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / 1024.0 / 1024.0),
        b if b >= 1024 => format!("{} KB", b / 1024),
        b => format!("{b} B"),
    }
}

pub fn field_error_text(t: &Messages, e: &FieldError) -> String {
    t.fill(
        &format!("fielderror.{}", e.code),
        &[("detail", &e.detail), ("other", &e.other)],
    )
}

fn field_view(
    t: &Messages,
    f: &Field,
    answers: &Answers,
    state: &FormState,
    asked: &BTreeSet<String>,
) -> FieldView {
    let key = f.key.as_str();
    let hint_key = format!("hint.{}", base_key(key));
    let hint = (t.get(&hint_key) != hint_key).then(|| t.get(&hint_key).to_string());
    let selected: Vec<String> = match answers.0.get(key) {
        Some(Value::Many(v)) => v.clone(),
        Some(Value::One(s)) if !s.is_empty() => vec![s.clone()],
        _ => vec![],
    };
    let options = |codes: Vec<&str>| -> Vec<OptionView> {
        codes
            .into_iter()
            .map(|code| OptionView {
                value: code.into(),
                label: option_label(t, key, f.kind, code),
                selected: selected.iter().any(|s| s == code),
            })
            .collect()
    };
    let (control, opts, input_mode) = match f.kind {
        Kind::Text(_) | Kind::Point | Kind::EndPoint | Kind::Currency | Kind::Series => {
            ("text", vec![], "text")
        }
        Kind::Count | Kind::Year => ("text", vec![], "numeric"),
        Kind::Amount => ("text", vec![], "decimal"),
        Kind::LongText(_) => ("textarea", vec![], "text"),
        Kind::Choice(list) => ("select", options(list.to_vec()), "text"),
        Kind::Multi(list) => ("checkboxes", options(list.to_vec()), "text"),
        Kind::MultiRef(scheme) => (
            "checkboxes",
            options(scheme.items().iter().map(|(c, _)| *c).collect()),
            "text",
        ),
        Kind::Check => ("checkbox", vec![], "text"),
        Kind::Files => ("none", vec![], "text"),
    };
    let mut messages: Vec<MessageView> = state
        .field_errors
        .iter()
        .filter(|e| e.field == key)
        .map(|e| MessageView {
            severity: "error",
            text: field_error_text(t, e),
        })
        .collect();
    let invalid = !messages.is_empty();
    let requested: Vec<MessageView> = state
        .change_requests
        .iter()
        .filter(|(field, _)| field.as_deref() == Some(key))
        .map(|(_, comment)| MessageView {
            severity: "request",
            text: format!("{} {comment}", t.get("form.reviewer_says")),
        })
        .collect();
    let highlighted = !requested.is_empty();
    messages.extend(requested);
    messages.extend(
        shown_findings(state)
            .filter(|x| x.field == key)
            .map(|x| MessageView {
                severity: x.severity.as_str(),
                text: x.message.clone(),
            }),
    );
    let conflict_theirs = state.conflicts.iter().find(|c| c.field == key).map(|c| {
        c.theirs
            .as_ref()
            .map(|v| display_value(t, key, v))
            .unwrap_or_default()
    });
    FieldView {
        key: key.into(),
        id: field_id(key),
        label: field_label(t, key),
        hint,
        control,
        input_mode,
        value: match (answers.0.get(key), f.kind) {
            (Some(Value::One(s)), Kind::Count | Kind::Amount) => numbers::format_input(s, t.locale),
            (Some(Value::One(s)), Kind::EndPoint) if s == "ongoing" => ongoing_in(t.locale).into(),
            (Some(Value::One(s)), _) => s.clone(),
            _ => String::new(),
        },
        options: opts,
        invalid: invalid || shown_findings(state).any(|x| x.field == key && x.severity == Severity::Error),
        highlighted,
        messages,
        conflict_theirs,
        add_another: None,
        optional: match row_of(key) {
            Some((group, _)) => {
                let prefix = format!("{}.", group.name);
                !asked.iter().any(|a| a.starts_with(&prefix))
            }
            None => !asked.contains(key) && f.kind != Kind::Check,
        },
        compact: f.compact().unwrap_or_default(),
        applies: f.applies_to(answers.scope()),
    }
}

/// The findings the page shows: none before the officer saves or tries to submit.
fn shown_findings<'a>(state: &'a FormState) -> impl Iterator<Item = &'a Finding> {
    state.findings.iter().filter(|_| state.shown != Shown::Calm)
}

/// How many rows of a repeating group the form shows: those up to the last one in use and
/// one blank row to add another, at least the group's default (within `MAX_ROWS`).
pub fn shown_rows(answers: &Answers, group: &Group) -> usize {
    let last = answers.rows_in_use(group).last().copied().unwrap_or(0);
    (last + 1).max(group.default_rows).min(MAX_ROWS)
}

fn section_fields(
    t: &Messages,
    section: Section,
    answers: &Answers,
    state: &FormState,
    asked: &BTreeSet<String>,
) -> Vec<FieldView> {
    let mut views: Vec<FieldView> = Vec::new();
    for f in fields()
        .iter()
        .filter(|f| f.section == section && f.kind != Kind::Files)
    {
        let Some((group, row)) = row_of(&f.key) else {
            views.push(field_view(t, f, answers, state, asked));
            continue;
        };
        let shown = shown_rows(answers, group);
        if row > shown {
            continue;
        }
        let mut view = field_view(t, f, answers, state, asked);
        let last_column = group.columns.last().map(|(c, _)| group.key(row, c));
        if row == shown && shown < MAX_ROWS && last_column.as_deref() == Some(f.key.as_str()) {
            view.add_another = Some((
                group.name.to_string(),
                t.get(&format!("form.add.{}", group.name)).to_string(),
            ));
        }
        views.push(view);
    }
    views
}

pub fn sections(t: &Messages, answers: &Answers, state: &FormState) -> Vec<SectionView> {
    // Mirror asks the most; before a scope is confirmed nothing is marked optional wrongly.
    let asked = asked_fields(answers.scope().unwrap_or(CompactScope::Mirror));
    Section::ALL
        .iter()
        .map(|section| {
            let fields = section_fields(t, *section, answers, state, &asked);
            let flagged = fields.iter().any(|f| f.applies && (f.invalid || f.highlighted));
            let status = section_status(*section, answers, state.findings, flagged);
            SectionView {
                key: section.key(),
                title: t.get(&format!("section.{}", section.key())).into(),
                status: status.as_str(),
                status_label: t.get(&format!("section_status.{}", status.as_str())).into(),
                fields,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "officer/form.html")]
pub struct FormPage {
    pub t: &'static Messages,
    pub languages: Vec<LanguageLink>,
    pub title: String,
    pub pledge_title: String,
    pub reference: String,
    pub organization: String,
    pub deadline: String,
    pub state_label: String,
    pub action: String,
    pub draft_url: String,
    pub csrf: String,
    pub version: i32,
    pub notice: Option<String>,
    pub sections: Vec<SectionView>,
    pub errors: Vec<SummaryItem>,
    pub warnings: Vec<WarningView>,
    pub requests: Vec<SummaryItem>,
    pub invalid: bool,
    pub conflict: bool,
    pub attachments: Vec<AttachmentView>,
    pub upload_url: String,
    pub upload_error: Option<String>,
    /// What the rules say about the attachments (e.g. the GCM's one-file limit).
    pub attachment_findings: Vec<MessageView>,
    pub attach_hint: String,
    pub accept: String,
    /// The scope codes that report to the GCM and to the GCR, for the script that hides the
    /// questions of a compact the confirmed scope does not report to.
    pub gcm_scopes: String,
    pub gcr_scopes: String,
    pub save_status: String,
    /// The summary at the top takes the focus (the answer to a refused post).
    pub focus_summary: bool,
}

pub struct PageContext {
    pub locale: Locale,
    pub pledge_title: String,
    pub reference: String,
    pub organization: String,
    pub deadline: chrono::NaiveDate,
    pub state: String,
    pub request_id: i32,
    pub csrf: String,
}

pub fn form_page(
    ctx: &PageContext,
    version: i32,
    answers: &Answers,
    state: &FormState,
    notice: Option<&str>,
) -> Result<String, AppError> {
    let t = messages(ctx.locale);
    let mut errors: Vec<SummaryItem> = state
        .field_errors
        .iter()
        .map(|e| SummaryItem {
            anchor: field_id(&e.field),
            // An error about the whole form (saving too often) names no field.
            label: if e.field.is_empty() {
                String::new()
            } else {
                field_label(t, &e.field)
            },
            message: field_error_text(t, e),
        })
        .collect();
    errors.extend(
        shown_findings(state)
            .filter(|f| f.severity == Severity::Error)
            .map(|f| SummaryItem {
                anchor: field_id(&f.field),
                label: field_label(t, &f.field),
                message: f.message.clone(),
            }),
    );
    let warnings = shown_findings(state)
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| WarningView {
            rule_id: f.rule_id.clone(),
            anchor: field_id(&f.field),
            label: field_label(t, &f.field),
            message: f.message.clone(),
            requirement: f.requirement.clone(),
            justification: answers.text(&format!("justification.{}", f.rule_id)).to_string(),
        })
        .collect();
    render(&FormPage {
        t,
        languages: language_links(ctx.locale),
        title: t.get("form.title").into(),
        pledge_title: ctx.pledge_title.clone(),
        reference: ctx.reference.clone(),
        organization: ctx.organization.clone(),
        deadline: t.fill("form.deadline", &[("deadline", &t.date(ctx.deadline))]),
        state_label: t.get(&format!("state.{}", ctx.state)).into(),
        action: format!("/updates/{}", ctx.request_id),
        draft_url: format!("/updates/{}/draft", ctx.request_id),
        csrf: ctx.csrf.clone(),
        version,
        notice: notice.map(String::from),
        sections: sections(t, answers, state),
        errors,
        warnings,
        requests: state
            .change_requests
            .iter()
            .map(|(field, comment)| SummaryItem {
                anchor: field.as_deref().map(field_id).unwrap_or_default(),
                label: field
                    .as_deref()
                    .map(|f| field_label(t, f))
                    .unwrap_or_else(|| t.get("form.general_comment").into()),
                message: comment.clone(),
            })
            .collect(),
        invalid: !state.field_errors.is_empty(),
        attachments: state
            .attachments
            .iter()
            .map(|a| AttachmentView::of(a, &format!("/updates/{}/attachments", ctx.request_id)))
            .collect(),
        upload_url: format!("/updates/{}/attachments", ctx.request_id),
        upload_error: state.upload_error.clone(),
        attachment_findings: shown_findings(state)
            .filter(|f| f.field == "attachments")
            .map(|f| MessageView {
                severity: f.severity.as_str(),
                text: f.message.clone(),
            })
            .collect(),
        attach_hint: t.fill(
            "attach.hint",
            &[(
                "types",
                &crate::domain::attachments::allowed_extensions().join(", "),
            )],
        ),
        accept: crate::domain::attachments::allowed_extensions()
            .iter()
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(","),
        conflict: !state.conflicts.is_empty(),
        focus_summary: state.shown == Shown::FindingsFocused,
        gcm_scopes: scope_codes(CompactScope::counts_for_gcm),
        gcr_scopes: scope_codes(CompactScope::counts_for_gcr),
        save_status: if state.saved {
            t.get("form.saved_not_submitted").into()
        } else {
            String::new()
        },
    })
}

fn scope_codes(reports: fn(CompactScope) -> bool) -> String {
    CompactScope::ALL
        .into_iter()
        .filter(|s| reports(*s))
        .map(CompactScope::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

pub struct AnswerLine {
    pub label: String,
    pub value: String,
    /// Words the officer typed (not a choice or a number): the page marks them
    /// `translate="no"`, as they stay in the language they were written in.
    pub typed: bool,
}

pub struct AnswerSection {
    pub title: String,
    pub lines: Vec<AnswerLine>,
}

/// The answered fields, by section, as people read them.
pub fn answer_sections(t: &Messages, answers: &Answers) -> Vec<AnswerSection> {
    Section::ALL
        .iter()
        .map(|section| AnswerSection {
            title: t.get(&format!("section.{}", section.key())).into(),
            lines: fields()
                .iter()
                .filter(|f| f.section == *section)
                .filter_map(|f| {
                    answers.get(&f.key).map(|v| AnswerLine {
                        label: field_label(t, &f.key),
                        value: display_value(t, &f.key, v),
                        typed: matches!(f.kind, Kind::Text(_) | Kind::LongText(_)),
                    })
                })
                .filter(|line| !line.value.is_empty())
                .collect(),
        })
        .filter(|s| !s.lines.is_empty())
        .collect()
}

#[derive(Template)]
#[template(path = "officer/submitted.html")]
struct SubmittedPage {
    t: &'static Messages,
    languages: Vec<LanguageLink>,
    title: String,
    pledge_title: String,
    reference: String,
    organization: String,
    state_label: String,
    revision: String,
    notice: bool,
    sections: Vec<AnswerSection>,
}

pub fn submitted_page(
    ctx: &PageContext,
    revision_number: i32,
    submitted_on: chrono::NaiveDate,
    answers: &Answers,
    notice: bool,
) -> Result<String, AppError> {
    let t = messages(ctx.locale);
    render(&SubmittedPage {
        t,
        languages: language_links(ctx.locale),
        title: t.get("form.submitted_title").into(),
        pledge_title: ctx.pledge_title.clone(),
        reference: ctx.reference.clone(),
        organization: ctx.organization.clone(),
        state_label: t.get(&format!("state.{}", ctx.state)).into(),
        revision: t.fill(
            "form.revision",
            &[("number", &revision_number), ("date", &t.date(submitted_on))],
        ),
        notice,
        sections: answer_sections(t, answers),
    })
}

#[derive(Template)]
#[template(path = "officer/problem.html")]
struct ProblemPage<'a> {
    t: &'static Messages,
    languages: Vec<LanguageLink>,
    title: String,
    text: String,
    help: String,
    status: &'a str,
}

/// A friendly page for a link or session problem: `key` is e.g. `link.expired`.
pub fn problem_page(locale: Locale, key: &str, contact_email: &str) -> Result<String, AppError> {
    let t = messages(locale);
    render(&ProblemPage {
        t,
        languages: language_links(locale),
        title: t.get(&format!("{key}.title")).into(),
        text: t.get(&format!("{key}.text")).into(),
        help: t.fill("link.help", &[("email", &contact_email)]),
        status: key,
    })
}
