//! The typed messages the service sends, rendered in the recipient's language.
//! Texts live in locales/*.toml (`email.*`); layouts in templates/emails/.
use askama::Template;
use chrono::NaiveDate;

use crate::domain::pledge::Locale;
use crate::domain::request::RequestState;
use crate::i18n::messages;

/// Subject and both bodies of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Invitation<'a> {
    pub recipient_name: &'a str,
    pub pledge_title: &'a str,
    pub reference: &'a str,
    pub link: &'a str,
    pub deadline: NaiveDate,
    pub out_of_un_scope: bool,
}

#[derive(Template)]
#[template(path = "emails/invitation.txt")]
struct InvitationText<'a> {
    greeting: String,
    intro: String,
    link_label: &'a str,
    link: &'a str,
    deadline: String,
    sittings: &'a str,
    out_of_scope: Option<&'a str>,
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "emails/invitation.html")]
struct InvitationHtml<'a> {
    lang: &'a str,
    greeting: String,
    intro: String,
    button: &'a str,
    link: &'a str,
    deadline: String,
    sittings: &'a str,
    out_of_scope: Option<&'a str>,
    signature: &'a str,
}

fn render(t: &impl Template) -> String {
    t.render()
        .expect("e-mail templates render: their fields are plain strings")
}

pub fn invitation(locale: Locale, m: &Invitation) -> Rendered {
    let t = messages(locale);
    let greeting = t.fill("email.greeting", &[("name", &m.recipient_name)]);
    let intro = t.fill(
        "email.invitation.intro",
        &[("title", &m.pledge_title), ("reference", &m.reference)],
    );
    let deadline = t.fill("email.invitation.deadline", &[("deadline", &t.date(m.deadline))]);
    let out_of_scope = m.out_of_un_scope.then(|| t.get("email.invitation.out_of_scope"));
    Rendered {
        subject: t.fill("email.invitation.subject", &[("title", &m.pledge_title)]),
        text: render(&InvitationText {
            greeting: greeting.clone(),
            intro: intro.clone(),
            link_label: t.get("email.invitation.link"),
            link: m.link,
            deadline: deadline.clone(),
            sittings: t.get("email.invitation.sittings"),
            out_of_scope,
            signature: t.get("email.signature"),
        }),
        html: render(&InvitationHtml {
            lang: t.lang(),
            greeting,
            intro,
            button: t.get("email.invitation.button"),
            link: m.link,
            deadline,
            sittings: t.get("email.invitation.sittings"),
            out_of_scope,
            signature: t.get("email.signature"),
        }),
    }
}

pub struct Confirmation<'a> {
    pub recipient_name: &'a str,
    pub pledge_title: &'a str,
    pub reference: &'a str,
    pub submitted_on: NaiveDate,
    pub revision: i32,
    /// (field label, answer) in form order.
    pub summary: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "emails/confirmation.txt")]
struct ConfirmationText<'a> {
    greeting: String,
    intro: String,
    summary_label: &'a str,
    summary: &'a [(String, String)],
    next: &'a str,
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "emails/confirmation.html")]
struct ConfirmationHtml<'a> {
    lang: &'a str,
    greeting: String,
    intro: String,
    summary_label: &'a str,
    summary: &'a [(String, String)],
    next: &'a str,
    signature: &'a str,
}

pub fn confirmation(locale: Locale, m: &Confirmation) -> Rendered {
    let t = messages(locale);
    let greeting = t.fill("email.greeting", &[("name", &m.recipient_name)]);
    let intro = t.fill(
        "email.confirmation.intro",
        &[
            ("title", &m.pledge_title),
            ("reference", &m.reference),
            ("date", &t.date(m.submitted_on)),
            ("number", &m.revision),
        ],
    );
    Rendered {
        subject: t.fill("email.confirmation.subject", &[("title", &m.pledge_title)]),
        text: render(&ConfirmationText {
            greeting: greeting.clone(),
            intro: intro.clone(),
            summary_label: t.get("email.confirmation.summary"),
            summary: &m.summary,
            next: t.get("email.confirmation.next"),
            signature: t.get("email.signature"),
        }),
        html: render(&ConfirmationHtml {
            lang: t.lang(),
            greeting,
            intro,
            summary_label: t.get("email.confirmation.summary"),
            summary: &m.summary,
            next: t.get("email.confirmation.next"),
            signature: t.get("email.signature"),
        }),
    }
}

pub struct ChangesRequested<'a> {
    pub recipient_name: &'a str,
    pub pledge_title: &'a str,
    pub reference: &'a str,
    pub link: &'a str,
    /// (field label or "General", the reviewer's comment).
    pub items: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "emails/changes.txt")]
struct ChangesText<'a> {
    greeting: String,
    intro: String,
    items: &'a [(String, String)],
    link_label: &'a str,
    link: &'a str,
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "emails/changes.html")]
struct ChangesHtml<'a> {
    lang: &'a str,
    greeting: String,
    intro: String,
    items: &'a [(String, String)],
    button: &'a str,
    link: &'a str,
    signature: &'a str,
}

pub fn changes_requested(locale: Locale, m: &ChangesRequested) -> Rendered {
    let t = messages(locale);
    let greeting = t.fill("email.greeting", &[("name", &m.recipient_name)]);
    let intro = t.fill(
        "email.changes.intro",
        &[("title", &m.pledge_title), ("reference", &m.reference)],
    );
    Rendered {
        subject: t.fill("email.changes.subject", &[("title", &m.pledge_title)]),
        text: render(&ChangesText {
            greeting: greeting.clone(),
            intro: intro.clone(),
            items: &m.items,
            link_label: t.get("email.changes.link"),
            link: m.link,
            signature: t.get("email.signature"),
        }),
        html: render(&ChangesHtml {
            lang: t.lang(),
            greeting,
            intro,
            items: &m.items,
            button: t.get("email.invitation.button"),
            link: m.link,
            signature: t.get("email.signature"),
        }),
    }
}

pub struct ReminderItem<'a> {
    pub pledge_title: &'a str,
    pub reference: &'a str,
    pub deadline: NaiveDate,
    /// Where the update stands (not started, draft, changes requested).
    pub state: RequestState,
    /// The deadline has passed by the organization's own date.
    pub overdue: bool,
    pub link: String,
}

/// One update in a reminder: what it is and its deadline, where it stands, its link.
struct ReminderLine {
    what: String,
    status: String,
    link: String,
}

#[derive(Template)]
#[template(path = "emails/reminder.txt")]
struct ReminderText<'a> {
    greeting: String,
    intro: &'a str,
    items: &'a [ReminderLine],
    link_label: &'a str,
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "emails/reminder.html")]
struct ReminderHtml<'a> {
    lang: &'a str,
    greeting: String,
    intro: &'a str,
    items: &'a [ReminderLine],
    button: &'a str,
    signature: &'a str,
}

fn reminder_lines(locale: Locale, items: &[ReminderItem]) -> Vec<ReminderLine> {
    let t = messages(locale);
    items
        .iter()
        .map(|i| ReminderLine {
            what: t.fill(
                "email.reminder.item",
                &[
                    ("title", &i.pledge_title),
                    ("reference", &i.reference),
                    ("deadline", &t.date(i.deadline)),
                ],
            ),
            status: t.fill(
                "email.reminder.status",
                &[("status", &t.get(&format!("state.{}", i.state.as_str())))],
            ),
            link: i.link.clone(),
        })
        .collect()
}

/// A reminder for one update, or a digest of several; `escalation` for the last step, which
/// copies the secretariat. It says the deadline has passed only when it has, for every update.
pub fn reminder(locale: Locale, recipient_name: &str, items: &[ReminderItem], escalation: bool) -> Rendered {
    let t = messages(locale);
    let lines = reminder_lines(locale, items);
    let overdue = !items.is_empty() && items.iter().all(|i| i.overdue);
    let subject = match (escalation, overdue, items) {
        (true, true, [one]) => t.fill("email.reminder.subject_overdue", &[("title", &one.pledge_title)]),
        (true, false, [one]) => t.fill(
            "email.reminder.subject_escalation",
            &[("title", &one.pledge_title)],
        ),
        (false, _, [one]) => t.fill(
            "email.reminder.subject_one",
            &[("deadline", &t.date(one.deadline))],
        ),
        (true, true, _) => t.count("email.reminder.subject_many_overdue", items.len() as u64, &[]),
        _ => t.count("email.reminder.subject_many", items.len() as u64, &[]),
    };
    let intro = match (escalation, overdue) {
        (true, true) => t.get("email.reminder.intro_overdue"),
        (true, false) => t.get("email.reminder.intro_escalation"),
        (false, _) => t.get("email.reminder.intro"),
    };
    let greeting = t.fill("email.greeting", &[("name", &recipient_name)]);
    Rendered {
        subject,
        text: render(&ReminderText {
            greeting: greeting.clone(),
            intro,
            items: &lines,
            link_label: t.get("email.reminder.link"),
            signature: t.get("email.signature"),
        }),
        html: render(&ReminderHtml {
            lang: t.lang(),
            greeting,
            intro,
            items: &lines,
            button: t.get("email.invitation.button"),
            signature: t.get("email.signature"),
        }),
    }
}

/// The secretariat's copy of an escalation, in English: who was written to, and for each
/// update the staff review page (the officer's personal links stay with the officer).
pub fn escalation_copy(
    officer: &str,
    officer_email: &str,
    officer_locale: Locale,
    items: &[ReminderItem],
    escalation: &Rendered,
) -> Rendered {
    let t = messages(Locale::En);
    let lines = reminder_lines(Locale::En, items);
    let intro = format!(
        "We sent {officer} <{officer_email}> the escalation below (in {}): these updates are still missing. Each link opens the update's review page.",
        officer_locale.as_str()
    );
    Rendered {
        subject: format!(
            "[copy to the secretariat] {} — {officer_email}",
            escalation.subject
        ),
        text: render(&ReminderText {
            greeting: "Hello,".into(),
            intro: &intro,
            items: &lines,
            link_label: "Review page:",
            signature: t.get("email.signature"),
        }),
        html: render(&ReminderHtml {
            lang: "en",
            greeting: "Hello,".into(),
            intro: &intro,
            items: &lines,
            button: "Open the review page",
            signature: t.get("email.signature"),
        }),
    }
}

/// What an interview mail says: an invitation, a new time, or a cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterviewNotice {
    Invitation,
    Rescheduled,
    Cancelled,
    /// The day before.
    Reminder,
}

pub struct InterviewMail<'a> {
    pub notice: InterviewNotice,
    pub recipient_name: &'a str,
    pub pledge_title: &'a str,
    pub reference: &'a str,
    pub starts_at: chrono::DateTime<chrono::Utc>,
    /// The LRG's zone: the time is written as the officer's clock shows it.
    pub timezone: chrono_tz::Tz,
    pub duration_minutes: u32,
    pub mode: crate::domain::interview::InterviewMode,
    pub interviewer: &'a str,
    pub meeting_link: Option<&'a str>,
}

/// A short notice: greeting, intro, a table of details, a closing note.
#[derive(Template)]
#[template(path = "emails/notice.txt")]
struct NoticeText<'a> {
    greeting: String,
    intro: String,
    details: &'a [(String, String)],
    note: Option<&'a str>,
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "emails/notice.html")]
struct NoticeHtml<'a> {
    lang: &'a str,
    greeting: String,
    intro: String,
    details: &'a [(String, String)],
    note: Option<&'a str>,
    signature: &'a str,
}

/// "8 December 2026, 10:00 (America/Bogota)" in the recipient's language.
pub fn local_time(locale: Locale, at: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) -> String {
    let local = at.with_timezone(&zone);
    format!(
        "{}, {} ({zone})",
        messages(locale).date(local.date_naive()),
        local.format("%H:%M")
    )
}

pub fn interview(locale: Locale, m: &InterviewMail) -> Rendered {
    let t = messages(locale);
    let when = local_time(locale, m.starts_at, m.timezone);
    let title_and_ref: [(&str, &dyn std::fmt::Display); 3] = [
        ("title", &m.pledge_title),
        ("reference", &m.reference),
        ("when", &when),
    ];
    let (subject, intro) = match m.notice {
        InterviewNotice::Invitation => ("email.interview.subject", "email.interview.intro"),
        InterviewNotice::Rescheduled => (
            "email.interview.subject_rescheduled",
            "email.interview.intro_rescheduled",
        ),
        InterviewNotice::Cancelled => (
            "email.interview.subject_cancelled",
            "email.interview.intro_cancelled",
        ),
        InterviewNotice::Reminder => (
            "email.interview.subject_reminder",
            "email.interview.intro_reminder",
        ),
    };
    let mut details = Vec::new();
    let mut note = None;
    if m.notice != InterviewNotice::Cancelled {
        details.push((t.get("email.interview.when").to_string(), when.clone()));
        details.push((
            t.get("email.interview.duration").to_string(),
            t.fill("email.interview.minutes", &[("minutes", &m.duration_minutes)]),
        ));
        details.push((
            t.get("email.interview.mode").to_string(),
            t.get(&format!("email.interview.mode.{}", m.mode.as_str()))
                .to_string(),
        ));
        details.push((
            t.get("email.interview.interviewer").to_string(),
            m.interviewer.to_string(),
        ));
        if let Some(link) = m.meeting_link {
            details.push((t.get("email.interview.link").to_string(), link.to_string()));
        }
        if m.notice != InterviewNotice::Reminder {
            note = Some(t.get("email.interview.calendar"));
        }
    }
    let greeting = t.fill("email.greeting", &[("name", &m.recipient_name)]);
    let intro = t.fill(intro, &title_and_ref);
    Rendered {
        subject: t.fill(subject, &title_and_ref),
        text: render(&NoticeText {
            greeting: greeting.clone(),
            intro: intro.clone(),
            details: &details,
            note,
            signature: t.get("email.signature"),
        }),
        html: render(&NoticeHtml {
            lang: t.lang(),
            greeting,
            intro,
            details: &details,
            note,
            signature: t.get("email.signature"),
        }),
    }
}

pub struct Approved<'a> {
    pub recipient_name: &'a str,
    pub pledge_title: &'a str,
    pub reference: &'a str,
    pub revision: i32,
}

/// The officer's update was approved.
pub fn approved(locale: Locale, m: &Approved) -> Rendered {
    let t = messages(locale);
    let values: [(&str, &dyn std::fmt::Display); 3] = [
        ("title", &m.pledge_title),
        ("reference", &m.reference),
        ("number", &m.revision),
    ];
    let greeting = t.fill("email.greeting", &[("name", &m.recipient_name)]);
    let intro = t.fill("email.approved.intro", &values);
    let note = Some(t.get("email.approved.next"));
    Rendered {
        subject: t.fill("email.approved.subject", &values),
        text: render(&NoticeText {
            greeting: greeting.clone(),
            intro: intro.clone(),
            details: &[],
            note,
            signature: t.get("email.signature"),
        }),
        html: render(&NoticeHtml {
            lang: t.lang(),
            greeting,
            intro,
            details: &[],
            note,
            signature: t.get("email.signature"),
        }),
    }
}

#[cfg(test)]
mod reminder_tests {
    use super::*;

    fn item(overdue: bool, state: RequestState) -> ReminderItem<'static> {
        ReminderItem {
            pledge_title: "Welcome centre",
            reference: "CLA-2025-0001",
            deadline: NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
            state,
            overdue,
            link: "https://pledges.example.org/u/abc".into(),
        }
    }

    #[test]
    fn an_escalation_says_the_deadline_passed_only_when_it_has() {
        // After a change request, the escalation may come a week before the deadline.
        let early = reminder(
            Locale::En,
            "Jane",
            &[item(false, RequestState::ChangesRequested)],
            true,
        );
        assert!(!early.text.contains("deadline has passed"), "{}", early.text);
        assert!(early.subject.starts_with("Still waiting"), "{}", early.subject);
        assert!(early.text.contains("Status: Changes requested"), "{}", early.text);
        let late = reminder(Locale::En, "Jane", &[item(true, RequestState::Draft)], true);
        assert!(late.text.contains("deadline has passed") && late.subject.starts_with("Overdue"));
        // A digest is overdue only if every update in it is.
        let mixed = reminder(
            Locale::Fr,
            "Marie",
            &[item(true, RequestState::Issued), item(false, RequestState::Draft)],
            true,
        );
        assert!(mixed.subject.starts_with("Rappel"), "{}", mixed.subject);
        assert!(mixed.text.contains("État : Pas commencée"), "{}", mixed.text);
        // The reminder's HTML carries a button per update and a link that wraps.
        assert!(late.html.contains("display: inline-block") && late.html.contains("word-break: break-all"));
    }
}
