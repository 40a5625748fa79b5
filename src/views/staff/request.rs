//! The request page: the update, its findings and changes, interviews, officers, the decision.
use crate::error::AppError;
use askama::Template;

use super::interviews::InterviewCard;
use crate::domain::answers::{Answers, fields};
use crate::domain::diff::FieldChange;
use crate::domain::pledge::Locale;
use crate::domain::requirements::Finding;
use crate::i18n::messages;
use crate::views::officer::{AnswerSection, answer_sections, display_value};
use crate::views::render;

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

/// A form of the request page that was refused: which one, why, and what was typed, so the
/// page comes back (422) with the reason beside the form and nothing lost.
pub struct Refused {
    /// `changes`, `comment`, `contact`, `deadline` or `schedule-{interview id}`.
    pub form: String,
    pub message: String,
    pub typed: std::collections::BTreeMap<String, String>,
}

impl Refused {
    pub fn new(
        form: impl Into<String>,
        message: impl Into<String>,
        fields: &std::collections::BTreeMap<String, Vec<String>>,
    ) -> Refused {
        Refused {
            form: form.into(),
            message: message.into(),
            typed: fields
                .iter()
                .filter(|(k, _)| k.as_str() != "_csrf")
                .filter_map(|(k, v)| Some((k.clone(), v.last()?.clone())))
                .collect(),
        }
    }
}

pub struct OfficerRow {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub locale: String,
    pub role: crate::domain::pledge::ContactRole,
    /// "active", "deactivated" or "bouncing"
    pub status: &'static str,
    /// Still receives mail: may be deactivated.
    pub active: bool,
    /// Active and not bouncing: a new link can be sent.
    pub can_resend: bool,
    pub open_links: usize,
    pub last_used: String,
    pub last_mail: String,
}

pub struct TimelineEntry {
    pub at: String,
    pub action: String,
    pub actor: String,
    /// A comment's text, or a short detail.
    pub text: String,
}

pub struct DiffBlock {
    pub title: String,
    pub changes: Vec<ChangeLine>,
}

#[derive(Template)]
#[template(path = "staff/request.html")]
struct RequestPage {
    title: String,
    user: Option<String>,
    user_email: String,
    csrf: String,
    id: i32,
    reference: String,
    organization: String,
    campaign: String,
    campaign_id: i32,
    pledge_title: String,
    state: crate::domain::request::RequestState,
    deadline: String,
    overdue: bool,
    /// (staff id, name, assigned to this request)
    reviewers: Vec<(i32, String, bool)>,
    revision_label: Option<String>,
    notice: Option<String>,
    findings: Vec<FindingLine>,
    diffs: Vec<DiffBlock>,
    register_changes: Vec<ChangeLine>,
    sections: Vec<AnswerSection>,
    can_review: bool,
    can_administer: bool,
    /// The actions this role may take on this state, as the domain's `transition()` decides.
    can_request_changes: bool,
    can_approve: bool,
    can_publish: bool,
    can_withdraw: bool,
    change_rows: Vec<usize>,
    field_options: Vec<(String, String)>,
    interviews: Vec<InterviewCard>,
    can_request_interview: bool,
    approval_waits: bool,
    /// The update being reviewed does not consent to publication: approval needs it.
    consent_missing: bool,
    default_timezone: String,
    officers: Vec<OfficerRow>,
    timeline: Vec<TimelineEntry>,
    attachments: Vec<crate::views::officer::AttachmentView>,
    /// (form, reason) of a refused form, shown beside it.
    refused_form: String,
    refused_message: String,
    typed: std::collections::BTreeMap<String, String>,
}

impl RequestPage {
    fn consent_label(&self) -> String {
        messages(Locale::En).field_label("consent_to_publish")
    }

    /// Every IANA time zone, for the interview's zone list.
    fn zones(&self) -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
    }

    /// The zone the form shows chosen: what was typed if it is a zone, else the LRG's.
    fn zone_typed(&self, form: &str) -> String {
        let typed = self.typed(form, "timezone", &self.default_timezone);
        if typed.parse::<chrono_tz::Tz>().is_ok() {
            typed
        } else {
            self.default_timezone.clone()
        }
    }

    /// What was typed into `form`'s field `key` if that form was refused, else `default`.
    fn typed(&self, form: &str, key: &str, default: &str) -> String {
        if self.refused_form == form {
            self.typed.get(key).cloned().unwrap_or_default()
        } else {
            default.to_string()
        }
    }

    fn schedule_form(&self, interview: &i32) -> String {
        format!("schedule-{interview}")
    }
}

pub struct RequestView<'a> {
    pub user: &'a str,
    pub csrf: &'a str,
    pub ctx: &'a crate::store::requests::RequestContext,
    pub today: chrono::NaiveDate,
    pub reviewers: Vec<(i32, String)>,
    /// (number, submitted on) of the newest revision.
    pub revision: Option<(i32, String)>,
    pub answers: Option<&'a Answers>,
    pub findings: &'a [Finding],
    /// What changed, and against what ("previous revision" / "last approved update").
    pub changes: Vec<(&'a str, Vec<FieldChange>)>,
    /// What approving would write back to the register.
    pub register_changes: Vec<crate::domain::confirmation::RegisterChange>,
    pub role: crate::domain::pledge::StaffRole,
    pub interviews: Vec<InterviewCard>,
    pub officers: Vec<OfficerRow>,
    pub timeline: Vec<TimelineEntry>,
    pub notice: Option<&'a str>,
    pub refused: Option<&'a Refused>,
    pub attachments: Vec<crate::views::officer::AttachmentView>,
}

pub fn request_page(v: RequestView) -> Result<String, AppError> {
    use crate::domain::access::{Permission, allows};
    use crate::domain::request::{RequestEvent, RequestState, transition};
    let t = messages(Locale::En);
    let answers = v.answers.cloned().unwrap_or_default();
    let show = |key: &str, value: &Option<crate::domain::answers::Value>| {
        value
            .as_ref()
            .map(|x| display_value(t, key, x))
            .unwrap_or_else(|| "—".into())
    };
    let ctx = v.ctx;
    let state = ctx.request.request_state();
    let allowed = |event| transition(state, event).is_ok();
    let can_review = allows(v.role, Permission::Review);
    render(&RequestPage {
        title: ctx.pledge.title.clone(),
        user: Some(v.user.into()),
        user_email: v.user.into(),
        csrf: v.csrf.into(),
        id: ctx.request.id,
        reference: ctx.pledge.reference.clone(),
        organization: ctx.organization.name.clone(),
        campaign: ctx.campaign.name.clone(),
        campaign_id: ctx.campaign.id,
        pledge_title: ctx.pledge.title.clone(),
        state,
        deadline: ctx.deadline().to_string(),
        overdue: state.is_overdue(ctx.deadline(), v.today),
        reviewers: v
            .reviewers
            .into_iter()
            .map(|(id, name)| (id, name, ctx.request.assigned_reviewer_id == Some(id)))
            .collect(),
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
        diffs: v
            .changes
            .into_iter()
            .map(|(against, list)| DiffBlock {
                title: format!("Changes since the {against}"),
                changes: list
                    .into_iter()
                    .filter(|c| !c.field.starts_with("justification."))
                    .map(|c| ChangeLine {
                        label: t.field_label(&c.field),
                        before: show(&c.field, &c.before),
                        after: show(&c.field, &c.after),
                    })
                    .collect(),
            })
            .collect(),
        register_changes: v
            .register_changes
            .iter()
            .map(|c| ChangeLine {
                label: t.field_label(c.field),
                before: c.before.clone().unwrap_or_else(|| "ongoing / none".into()),
                after: c.after.clone().unwrap_or_else(|| "ongoing / none".into()),
            })
            .collect(),
        sections: answer_sections(t, &answers),
        can_review,
        can_administer: allows(v.role, Permission::Administer),
        can_request_changes: can_review && allowed(RequestEvent::RequestChanges),
        can_approve: can_review
            && allowed(RequestEvent::Approve {
                open_interview: false,
                consent_given: true,
            }),
        can_publish: allows(v.role, Permission::Publish) && allowed(RequestEvent::Publish),
        can_withdraw: allows(v.role, Permission::Administer) && allowed(RequestEvent::Withdraw),
        change_rows: (1..=3).collect(),
        field_options: fields()
            .iter()
            .map(|f| (f.key.clone(), t.field_label(&f.key)))
            .collect(),
        can_request_interview: can_review
            && matches!(state, RequestState::Submitted | RequestState::ChangesRequested)
            && v.interviews.iter().all(|i| i.state.is_finished()),
        approval_waits: v.interviews.iter().any(|i| i.blocks_approval),
        consent_missing: !answers.checked("consent_to_publish"),
        interviews: v.interviews,
        default_timezone: ctx.organization.timezone.clone(),
        officers: v.officers,
        timeline: v.timeline,
        attachments: v.attachments,
        refused_form: v.refused.map(|r| r.form.clone()).unwrap_or_default(),
        refused_message: v.refused.map(|r| r.message.clone()).unwrap_or_default(),
        typed: v.refused.map(|r| r.typed.clone()).unwrap_or_default(),
    })
}
