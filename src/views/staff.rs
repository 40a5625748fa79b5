//! The secretariat's pages (in English: the secretariat works in one language).
use crate::error::AppError;
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
    next: &'a str,
}

pub fn login_page(
    login_csrf: &str,
    error: Option<&str>,
    email: &str,
    next: &str,
) -> Result<String, AppError> {
    render(&LoginPage {
        title: "Sign in",
        user: None,
        csrf: String::new(),
        login_csrf,
        error,
        email,
        next,
    })
}

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
    default_timezone: String,
    officers: Vec<OfficerRow>,
    timeline: Vec<TimelineEntry>,
    /// (form, reason) of a refused form, shown beside it.
    refused_form: String,
    refused_message: String,
    typed: std::collections::BTreeMap<String, String>,
}

impl RequestPage {
    /// What was typed into `form`'s field `key` if that form was refused, else `default`.
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
        interviews: v.interviews,
        default_timezone: ctx.organization.timezone.clone(),
        officers: v.officers,
        timeline: v.timeline,
        refused_form: v.refused.map(|r| r.form.clone()).unwrap_or_default(),
        refused_message: v.refused.map(|r| r.message.clone()).unwrap_or_default(),
        typed: v.refused.map(|r| r.typed.clone()).unwrap_or_default(),
    })
}

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

/// One interview as the review page and the interviews page show it.
pub struct InterviewCard {
    pub id: i32,
    pub state: crate::domain::interview::InterviewState,
    /// Has been given a time once: the form says "Reschedule".
    pub scheduled: bool,
    /// "2026-12-08 10:00 America/Bogota (15:00 UTC)"
    pub when: String,
    pub mode: String,
    pub interviewer: String,
    pub meeting_link: String,
    pub notes: String,
    pub outcome: String,
    pub overdue: bool,
    /// Requested, scheduled or held: the update cannot be approved yet.
    pub blocks_approval: bool,
    pub can_schedule: bool,
    pub can_hold: bool,
    pub can_validate: bool,
    pub can_no_show: bool,
    pub can_cancel: bool,
}

pub fn interview_card(
    row: &crate::entities::interview::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> InterviewCard {
    use crate::domain::interview::{InterviewEvent as E, InterviewState, transition};
    let state = row.interview_state();
    let can = |e| transition(state, e).is_ok();
    let zone: Option<chrono_tz::Tz> = row.timezone.as_deref().and_then(|z| z.parse().ok());
    let when = match (row.scheduled_at, zone) {
        (Some(at), Some(zone)) => format!(
            "{} {} ({} UTC)",
            at.with_timezone(&zone).format("%Y-%m-%d %H:%M"),
            zone,
            at.format("%H:%M")
        ),
        _ => "not scheduled yet".into(),
    };
    InterviewCard {
        id: row.id,
        state,
        scheduled: state != InterviewState::Requested,
        when,
        mode: row.mode.clone().unwrap_or_default().replace('_', " "),
        interviewer: row.interviewer.clone().unwrap_or_default(),
        meeting_link: row.meeting_link.clone().unwrap_or_default(),
        notes: row.notes.clone().unwrap_or_default(),
        outcome: row.outcome.clone().unwrap_or_default(),
        overdue: state == InterviewState::Scheduled && row.scheduled_at.is_some_and(|at| at < now),
        blocks_approval: state.blocks_approval(),
        can_schedule: can(E::Schedule),
        can_hold: can(E::Hold),
        can_validate: can(E::Validate),
        can_no_show: can(E::NoShow),
        can_cancel: can(E::Cancel),
    }
}

pub struct InterviewListLine {
    pub card: InterviewCard,
    pub request_id: i32,
    pub reference: String,
    pub organization: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "staff/interviews.html")]
struct InterviewsPage {
    title: &'static str,
    user: Option<String>,
    csrf: String,
    groups: Vec<(&'static str, Vec<InterviewListLine>)>,
}

pub fn interviews_page(
    user: &str,
    csrf: &str,
    lines: Vec<crate::store::interviews::InterviewLine>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, AppError> {
    use crate::domain::interview::InterviewState;
    let mut groups: Vec<(&'static str, Vec<InterviewListLine>)> = vec![
        ("Overdue: the time has passed, nothing recorded", vec![]),
        ("Upcoming", vec![]),
        ("To schedule", vec![]),
        ("Held, waiting for validation", vec![]),
        ("No-show: reschedule or cancel", vec![]),
    ];
    for l in lines {
        let card = interview_card(&l.interview, now);
        let group = match card.state {
            InterviewState::Scheduled if card.overdue => 0,
            InterviewState::Scheduled => 1,
            InterviewState::Requested => 2,
            InterviewState::Held => 3,
            _ => 4,
        };
        groups[group].1.push(InterviewListLine {
            card,
            request_id: l.request_id,
            reference: l.reference,
            organization: l.organization,
            title: l.title,
        });
    }
    render(&InterviewsPage {
        title: "Interviews",
        user: Some(user.into()),
        csrf: csrf.into(),
        groups,
    })
}

/// A horizontal stacked bar chart drawn on the server (no script).
pub struct Chart {
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub bars: Vec<ChartBar>,
    /// (colour, name) of each kind of segment.
    pub legend: Vec<(&'static str, &'static str)>,
}

pub struct ChartBar {
    pub y: u32,
    /// Baseline of the label line above the bar, and of the total beside the bar.
    pub label_y: u32,
    pub text_y: u32,
    pub label: String,
    pub total: u32,
    pub total_x: u32,
    /// (x, width, colour, tooltip)
    pub segments: Vec<(u32, u32, &'static str, String)>,
}

/// The chart's segments of a tally: (colour, name, count).
fn chart_segments(tally: &crate::domain::dashboard::Tally) -> [(&'static str, &'static str, u32); 5] {
    use crate::domain::request::RequestState;
    [
        ("#1a7f37", "approved or published", tally.done()),
        ("#bf8700", "submitted", tally.of(RequestState::Submitted)),
        ("#0b5cad", "owed, on time", tally.owed_on_time()),
        ("#cf222e", "overdue", tally.overdue()),
        ("#8c959f", "withdrawn", tally.of(RequestState::Withdrawn)),
    ]
}

pub fn chart(title: &str, groups: &[(String, crate::domain::dashboard::Tally)]) -> Chart {
    // Each label sits on its own line above its bar, so the chart stays narrow enough for a
    // phone (it scales down with its viewBox) and no label is cut short.
    const BAR: u32 = 260;
    const ROW: u32 = 38;
    let most = groups.iter().map(|(_, t)| t.total).max().unwrap_or(1).max(1);
    let bars = groups
        .iter()
        .enumerate()
        .map(|(i, (label, tally))| {
            let y = i as u32 * ROW;
            let mut x = 0;
            let mut segments = Vec::new();
            for (colour, name, n) in chart_segments(tally) {
                if n == 0 {
                    continue;
                }
                let width = (n * BAR / most).max(2);
                segments.push((x, width, colour, format!("{label}: {n} {name}")));
                x += width;
            }
            ChartBar {
                y: y + 17,
                label_y: y + 12,
                text_y: y + 30,
                label: label.clone(),
                total: tally.total,
                total_x: x + 6,
                segments,
            }
        })
        .collect();
    Chart {
        title: title.into(),
        width: BAR + 50,
        height: (groups.len() as u32 * ROW).max(ROW),
        bars,
        legend: chart_segments(&Default::default())
            .iter()
            .map(|(c, n, _)| (*c, *n))
            .collect(),
    }
}

pub struct CampaignLine {
    pub id: i32,
    pub name: String,
    pub state: crate::domain::request::CampaignState,
    pub deadline: String,
    pub requests: u32,
    pub submitted: u32,
    pub done: u32,
    pub overdue: u32,
}

pub struct PledgeChoice {
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub checked: bool,
}

/// What the admin typed into the "open a campaign" form, kept when it is refused.
pub struct CampaignForm {
    pub name: String,
    pub deadline: String,
    pub all_pledges: bool,
    pub policy: crate::domain::reminders::PolicySettings,
}

#[derive(Template)]
#[template(path = "staff/campaigns.html")]
struct CampaignsPage {
    title: &'static str,
    user: Option<String>,
    csrf: String,
    campaigns: Vec<CampaignLine>,
    can_administer: bool,
    pledges: Vec<PledgeChoice>,
    form: CampaignForm,
    error: Option<String>,
}

pub fn campaigns_page(
    user: &str,
    csrf: &str,
    campaigns: Vec<CampaignLine>,
    can_administer: bool,
    pledges: Vec<PledgeChoice>,
    form: CampaignForm,
    error: Option<String>,
) -> Result<String, AppError> {
    render(&CampaignsPage {
        title: "Campaigns",
        user: Some(user.into()),
        csrf: csrf.into(),
        campaigns,
        can_administer,
        pledges,
        form,
        error,
    })
}

/// One thing to act on in the "needs you" panel.
pub struct NeedLine {
    pub id: i32,
    pub reference: String,
    pub organization: String,
    pub detail: String,
}

/// A group of the "needs you" panel: its count links to the filtered list.
pub struct NeedGroup {
    pub title: String,
    pub href: String,
    pub count: usize,
    /// The first few, most pressing first.
    pub lines: Vec<NeedLine>,
}

pub struct DashboardLine {
    pub id: i32,
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub region: String,
    pub scope: String,
    pub state: String,
    pub overdue: bool,
    pub deadline: String,
    pub reviewer: String,
    pub last_activity: String,
    pub last_mail: String,
    pub last_reminder: String,
    pub next_reminder: String,
    pub unreachable: bool,
}

pub struct Pager {
    pub page: usize,
    pub pages: usize,
    pub previous: Option<String>,
    pub next: Option<String>,
}

pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    pub current: Option<&'static str>,
}

/// One dimension of the dashboard: its title, a row per value, and its chart.
pub struct Breakdown {
    pub title: String,
    /// (value, requests, counts per column)
    pub rows: Vec<(String, u32, Vec<u32>)>,
    pub chart: Chart,
}

#[derive(Template)]
#[template(path = "staff/dashboard.html")]
pub struct DashboardPage {
    pub title: String,
    pub user: Option<String>,
    pub csrf: String,
    pub id: i32,
    pub name: String,
    pub state: crate::domain::request::CampaignState,
    pub deadline: String,
    pub notice: Option<String>,
    pub columns: Vec<&'static str>,
    pub totals: Vec<u32>,
    pub total: u32,
    pub breakdowns: Vec<Breakdown>,
    pub people_reached: String,
    pub pledges_updated: u32,
    pub mirror_share: u32,
    pub money: Vec<(String, String)>,
    pub challenges: Vec<(String, u32)>,
    pub lines: Vec<DashboardLine>,
    /// Requests that match the filters (on every page).
    pub shown: usize,
    pub pager: Pager,
    pub sort_links: Vec<SortLink>,
    pub filter_state: String,
    pub filter_region: String,
    pub filter_scope: String,
    pub search: String,
    pub states: Vec<&'static str>,
    /// (code, name)
    pub regions: Vec<(String, String)>,
    pub scopes: Vec<String>,
    pub can_administer: bool,
    pub addable: Vec<PledgeChoice>,
    /// The campaign's reminder policy, in words.
    pub policy: String,
    pub unreachable: usize,
    pub needs: Vec<NeedGroup>,
}

impl DashboardPage {
    fn nothing_needed(&self) -> bool {
        self.needs.iter().all(|g| g.count == 0)
    }
}

pub fn dashboard_page(page: DashboardPage) -> Result<String, AppError> {
    render(&page)
}

/// 1234567.5 → "1,234,568"
pub fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0.0 { format!("-{out}") } else { out }
}
