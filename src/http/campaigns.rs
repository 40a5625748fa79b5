//! Campaign pages: the list, opening one, adding pledges, and the progress dashboard.
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use super::AppState;
use super::staff::{SignedIn, StaffForm, need};
use crate::domain::access::{Permission, allows};
use crate::domain::dashboard::{self, COLUMNS, Dimension, ListQuery};
use crate::domain::request::{CampaignState, RequestState};
use crate::entities::{campaign, organization, pledge};
use crate::error::AppError;
use crate::store::ActionError;
use crate::store::campaign::{IssueSpec, OpenCampaign, add_pledges, open_campaign};
use crate::views::staff::{self as views, CampaignForm, CampaignLine, PledgeChoice};

/// Active pledges, for the "which pledges" choices; with `not_in`, only those that campaign
/// does not have yet.
async fn pledge_choices(
    state: &AppState,
    checked: &[String],
    not_in: Option<i32>,
) -> Result<Vec<PledgeChoice>, AppError> {
    use sea_orm::sea_query::Query;
    let checked: std::collections::HashSet<&String> = checked.iter().collect();
    let orgs: BTreeMap<i32, String> = organization::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut query = pledge::Entity::find()
        .filter(pledge::Column::Status.eq("active"))
        .order_by_asc(pledge::Column::Reference);
    if let Some(campaign) = not_in {
        query = query.filter(
            pledge::Column::Id.not_in_subquery(
                Query::select()
                    .column(crate::entities::update_request::Column::PledgeId)
                    .from(crate::entities::update_request::Entity)
                    .and_where(crate::entities::update_request::Column::CampaignId.eq(campaign))
                    .to_owned(),
            ),
        );
    }
    Ok(query
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| PledgeChoice {
            checked: checked.contains(&p.reference),
            organization: orgs.get(&p.organization_id).cloned().unwrap_or_default(),
            reference: p.reference,
            title: p.title,
        })
        .collect())
}

async fn campaigns_response(
    state: &AppState,
    access: &crate::store::staff::StaffAccess,
    form: CampaignForm,
    checked: &[String],
    error: Option<String>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let mut lines = Vec::new();
    for c in crate::store::dashboard::campaigns(&state.db).await? {
        let tally = crate::store::dashboard::summary(&state.db, &state.dashboards, &c)
            .await?
            .tally(now);
        lines.push(CampaignLine {
            id: c.id,
            name: c.name,
            state: c.state.into(),
            deadline: c.deadline.to_string(),
            requests: tally.total,
            submitted: tally.of(RequestState::Submitted),
            done: tally.done(),
            overdue: tally.overdue(),
        });
    }
    let can_administer = allows(access.user.staff_role(), Permission::Administer);
    let pledges = if can_administer {
        pledge_choices(state, checked, None).await?
    } else {
        vec![]
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Html(views::campaigns_page(
            &access.user.email,
            &access.csrf_token,
            lines,
            can_administer,
            pledges,
            form,
            error,
        )),
    )
        .into_response())
}

/// `GET /review/campaigns`
pub async fn list(
    State(state): State<AppState>,
    SignedIn { access, .. }: SignedIn<need::View>,
) -> Result<Response, AppError> {
    let form = CampaignForm {
        name: String::new(),
        deadline: String::new(),
        all_pledges: true,
        policy: state.settings.reminders.policy_settings(),
    };
    campaigns_response(&state, &access, form, &[], None).await
}

/// `POST /review/campaigns` (admin): `name`, `deadline`, `scope` = all | chosen, `pledge`…
/// A refused form comes back with what was typed and the reason (422).
pub async fn open(
    State(state): State<AppState>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    let all_pledges = form.get("scope") != "chosen";
    let chosen = form.all("pledge");
    let defaults = state.settings.reminders.policy_settings();
    let typed = CampaignForm {
        name: form.get("name").to_string(),
        deadline: form.get("deadline").to_string(),
        all_pledges,
        policy: crate::domain::reminders::PolicySettings {
            steps: form.get_or("steps", &defaults.steps).to_string(),
            changes_steps: form.get_or("changes_steps", &defaults.changes_steps).to_string(),
            window: form.get_or("window", &defaults.window).to_string(),
            weekdays: form.get_or("weekdays", &defaults.weekdays).to_string(),
            // The cap is per officer across campaigns: it stays the configured one.
            daily_cap: state.settings.reminders.daily_cap,
        },
    };
    let policy = typed.policy.clone();
    let refuse = |message: String| async {
        campaigns_response(&state, &form.access, typed, &chosen, Some(message)).await
    };
    let deadline = match form
        .input::<super::input::CampaignInput>()
        .and_then(|input| input.deadline())
    {
        Ok(deadline) => deadline,
        Err(message) => return refuse(message).await,
    };
    if !all_pledges && chosen.is_empty() {
        return refuse("Which pledges: tick at least one, or choose every active pledge.".into()).await;
    }
    // Opening sends every invitation at once: it needs the box ticked, not one stray click.
    if form.get("confirm") != "yes" {
        return refuse("Tick the box to confirm: opening the campaign sends the invitations at once.".into())
            .await;
    }
    let refs = if all_pledges { vec![] } else { chosen.clone() };
    let spec = OpenCampaign {
        name: form.get("name"),
        deadline,
        pledge_refs: &refs,
        base_url: &state.settings.server.base_url,
        grace_days: state.settings.links.grace_days,
        staff_id: form.staff_id(),
        policy,
        move_open: form.get("move_open") == "on",
        dry_run: false,
        progress: &|_, _| {},
    };
    match open_campaign(&state.db, &spec, state.clock.now()).await {
        Ok(opened) => Ok(Redirect::to(&format!(
            "/review/campaigns/{}?done=opened&invited={}&left_out={}&moved={}",
            opened.campaign_id,
            opened.invitations,
            opened.already_open.len(),
            opened.moved.len()
        ))
        .into_response()),
        Err(ActionError::Invalid(message) | ActionError::NotFound(message)) => {
            refuse(super::input::sentence(&message)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /review/campaigns/{id}/pledges` (admin): `pledge`… join the open campaign.
pub async fn add(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    form: StaffForm<need::Administer>,
) -> Result<Response, AppError> {
    let spec = IssueSpec {
        base_url: &state.settings.server.base_url,
        grace_days: state.settings.links.grace_days,
        staff_id: form.staff_id(),
        move_open: form.get("move_open") == "on",
    };
    let added = add_pledges(&state.db, id, &form.all("pledge"), &spec, state.clock.now()).await?;
    Ok(Redirect::to(&format!(
        "/review/campaigns/{id}?done=added&requests={}&invited={}&left_out={}&moved={}",
        added.requests,
        added.invitations,
        added.already_open.len(),
        added.moved.len()
    ))
    .into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct DashboardQuery {
    state: Option<String>,
    region: Option<String>,
    scope: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    done: Option<String>,
    requests: Option<u32>,
    invited: Option<u32>,
    left_out: Option<u32>,
    moved: Option<u32>,
    page: Option<usize>,
}

const PAGE_SIZE: usize = 100;

/// `GET /review/campaigns/{id}`: the progress dashboard.
pub async fn dashboard_page(
    State(state): State<AppState>,
    SignedIn { access, .. }: SignedIn<need::View>,
    Path(id): Path<i32>,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, AppError> {
    let campaign = campaign::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("there is no campaign {id}")))?;
    let now = state.clock.now();
    let summary = crate::store::dashboard::summary(&state.db, &state.dashboards, &campaign).await?;
    let glance = &summary.glance;
    let (totals, breakdowns) = (summary.tally(now), summary.breakdowns(now));
    // The filters offer the values the campaign has.
    let values_of = |dimension: Dimension| -> Vec<String> {
        breakdowns
            .iter()
            .filter(|(d, _)| *d == dimension)
            .flat_map(|(_, groups)| groups.iter().map(|(value, _)| value.clone()))
            .collect()
    };
    let (regions, scopes) = (values_of(Dimension::Region), values_of(Dimension::Scope));
    let breakdowns = breakdowns
        .into_iter()
        .map(|(d, mut groups)| {
            if d == Dimension::Region {
                for (value, _) in &mut groups {
                    *value = region_name(value);
                }
            }
            let chart = views::chart(
                &format!("Requests by {} and state", d.title().to_lowercase()),
                &groups,
            );
            let rows = groups
                .into_iter()
                .map(|(value, t)| (value, t.total, t.counts.to_vec()))
                .collect();
            views::Breakdown {
                title: d.title().to_string(),
                rows,
                chart,
            }
        })
        .collect();
    let descending = match query.dir.as_deref().map(str::trim) {
        None | Some("" | "asc") => false,
        Some("desc") => true,
        Some(other) => return Err(AppError::bad_request(format!("dir `{other}` is not asc or desc"))),
    };
    let list_query = ListQuery {
        state: query.state.clone(),
        region: query.region.clone(),
        scope: query.scope.clone(),
        search: query.q.clone(),
        sort: query.sort.clone(),
        descending,
    }
    .checked()
    .map_err(AppError::bad_request)?;
    let sort = list_query.sort.clone().unwrap_or_else(|| "reference".into());
    // A page of the list at a time, filtered, sorted and cut by the database: a campaign can
    // hold 100,000 requests.
    let page_of = |page: usize| {
        crate::store::dashboard::list(
            &state.db,
            &campaign,
            &list_query,
            Some((((page - 1) * PAGE_SIZE) as u64, PAGE_SIZE as u64)),
            &summary.zones,
            &state.reminder_policy,
            now,
        )
    };
    let mut page = query.page.unwrap_or(1).max(1);
    let (matching, mut selected) = page_of(page).await?;
    let matching = usize::try_from(matching).unwrap_or(usize::MAX);
    let pages = matching.div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        // Past the end (the list shrank since the link was made): the last page.
        page = pages;
        selected = page_of(page).await?.1;
    }
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let lines: Vec<views::DashboardLine> = selected
        .iter()
        .map(|r| views::DashboardLine {
            id: r.request_id,
            reference: r.reference.clone(),
            title: r.title.clone(),
            organization: r.organization.clone(),
            region: region_name(&r.region),
            scope: r.scope.clone(),
            state: r.state.as_str().into(),
            overdue: r.is_overdue(now),
            deadline: r.deadline.to_string(),
            reviewer: r.reviewer.clone().unwrap_or_default(),
            last_activity: r.last_activity.map(when).unwrap_or_default(),
            last_mail: r
                .last_mail
                .as_ref()
                .map(|(kind, at)| format!("{kind}, {}", when(*at)))
                .unwrap_or_else(|| "none".into()),
            last_reminder: r.last_reminder.map(when).unwrap_or_else(|| "none".into()),
            next_reminder: match r.next_reminder {
                Some((day, true)) => format!("{day} (escalation)"),
                Some((day, false)) => day.to_string(),
                None => "none".into(),
            },
            unreachable: r.unreachable,
        })
        .collect();
    let filters = {
        let mut pairs = Vec::new();
        for (k, v) in [
            ("state", &query.state),
            ("region", &query.region),
            ("scope", &query.scope),
            ("q", &query.q),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                pairs.push(format!("{k}={}", super::encode(v)));
            }
        }
        pairs.join("&")
    };
    let page_link = |n: usize| {
        format!(
            "/review/campaigns/{id}?{filters}&sort={sort}&dir={}&page={n}#requests",
            if descending { "desc" } else { "asc" }
        )
    };
    let pager = views::Pager {
        page,
        pages,
        previous: (page > 1).then(|| page_link(page - 1)),
        next: (page < pages).then(|| page_link(page + 1)),
    };
    let sort_links = [
        ("reference", "reference"),
        ("organization", "organization"),
        ("state", "state"),
        ("deadline", "deadline"),
        ("last activity", "activity"),
        ("last mail", "mail"),
    ]
    .into_iter()
    .map(|(label, key)| {
        let current = sort == key;
        let dir = if current && !descending { "desc" } else { "asc" };
        views::SortLink {
            label,
            href: format!("/review/campaigns/{id}?{filters}&sort={key}&dir={dir}#requests"),
            current: current.then_some(if descending { "↓" } else { "↑" }),
        }
    })
    .collect();
    let can_administer = allows(access.user.staff_role(), Permission::Administer);
    let addable = if can_administer && CampaignState::from(campaign.state) == CampaignState::Open {
        pledge_choices(&state, &[], Some(id)).await?
    } else {
        vec![]
    };
    // Which pledges the last opening or addition left out, and where their requests are: read
    // from its audit row, written in the same transaction.
    let left_out: Vec<String> = if query.left_out.is_some_and(|n| n > 0) {
        crate::store::audit::latest(
            &state.db,
            "campaign",
            &id.to_string(),
            &["campaign.opened", "campaign.pledges_added"],
        )
        .await?
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.detail).ok())
        .and_then(|d| serde_json::from_value(d["left_out"].clone()).ok())
        .unwrap_or_default()
    } else {
        vec![]
    };
    let notice = match query.done.as_deref() {
        Some("opened") => Some(format!(
            "The campaign is open; {} invitation(s) are on their way.",
            query.invited.unwrap_or(0)
        )),
        Some("added") => Some(format!(
            "{} request(s) added; {} invitation(s) are on their way.",
            query.requests.unwrap_or(0),
            query.invited.unwrap_or(0)
        )),
        _ => None,
    }
    .map(|notice| {
        let mut notice = notice;
        if let Some(n) = query.moved.filter(|n| *n > 0) {
            notice.push_str(&format!(" {n} open request(s) moved here from another campaign."));
        }
        if query.left_out.is_some_and(|n| n > 0) {
            notice.push_str(&format!(" Left out, each with an open request elsewhere: {}. Add them again with \"move\" ticked to bring their requests here.", left_out.join("; ")));
        }
        notice
    });
    let to_schedule = crate::store::interviews::to_schedule(&state.db, id).await?;
    let unreachable = summary.unreachable_owed;
    let counts = NeedCounts {
        to_review: totals.of(RequestState::Submitted) as usize,
        overdue: totals.overdue() as usize,
        unreachable,
    };
    let needs_rows = needs_rows(&state, &campaign, &counts, &summary.zones, &to_schedule, now).await?;
    let needs = dashboard::needs_you(&needs_rows, now);
    let html = views::dashboard_page(views::DashboardPage {
        title: campaign.name.clone(),
        user: Some(access.user.email.clone()),
        csrf: access.csrf_token.clone(),
        id,
        name: campaign.name.clone(),
        state: campaign.state.into(),
        deadline: campaign.deadline.to_string(),
        notice,
        columns: COLUMNS.to_vec(),
        totals: totals.counts.to_vec(),
        total: totals.total,
        breakdowns,
        people_reached: views::thousands(glance.people_reached as f64),
        pledges_updated: glance.pledges_updated,
        mirror_share: glance.mirror_share(),
        money: glance
            .money
            .iter()
            .map(|(c, n)| (c.clone(), views::thousands(*n)))
            .collect(),
        challenges: glance.challenges.clone(),
        shown: matching,
        pager,
        lines,
        sort_links,
        filter_state: query.state.clone().unwrap_or_default(),
        filter_region: query.region.clone().unwrap_or_default(),
        filter_scope: query.scope.clone().unwrap_or_default(),
        search: query.q.clone().unwrap_or_default(),
        states: COLUMNS.iter().copied().chain(["unreachable"]).collect(),
        regions: regions
            .into_iter()
            .map(|code| {
                let name = region_name(&code);
                (code, name)
            })
            .collect(),
        scopes,
        can_administer,
        addable,
        policy: {
            let p: Option<crate::domain::reminders::PolicySettings> =
                serde_json::from_str(&campaign.reminder_policy).ok();
            let p = p.unwrap_or_else(|| state.settings.reminders.policy_settings());
            format!(
                "steps {} (after changes: {}), sent {} local time on {}, at most {} a day per officer",
                p.steps, p.changes_steps, p.window, p.weekdays, p.daily_cap
            )
        },
        unreachable,
        needs: need_groups(id, &needs, &counts, &needs_rows, &to_schedule),
    });
    Ok(Html(html).into_response())
}

/// How many of each kind the "needs you" panel counts.
struct NeedCounts {
    to_review: usize,
    overdue: usize,
    unreachable: usize,
}

/// Rows enough for the "needs you" panel: the longest-waiting reviews, the earliest overdue
/// and the unreachable requests (a margin of them: the panel orders them by local dates), and
/// the requests with an interview to schedule. Never the whole campaign.
async fn needs_rows(
    state: &AppState,
    campaign: &campaign::Model,
    counts: &NeedCounts,
    zones: &[String],
    to_schedule: &[i32],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<dashboard::DashboardRow>, AppError> {
    const MARGIN: u64 = 50;
    let mut ids = to_schedule.to_vec();
    for (filter, sort, count) in [
        ("submitted", "activity", counts.to_review),
        ("overdue", "deadline", counts.overdue),
        ("unreachable", "reference", counts.unreachable),
    ] {
        if count == 0 {
            continue; // the summary already counted none: no query
        }
        let query = ListQuery {
            state: Some(filter.into()),
            sort: Some(sort.into()),
            ..Default::default()
        };
        let (_, found) =
            crate::store::dashboard::list_ids(&state.db, campaign, &query, Some((0, MARGIN)), zones, now)
                .await?;
        ids.extend(found);
    }
    // One read of the rows for every list of the panel.
    ids.sort_unstable();
    ids.dedup();
    let mut rows =
        crate::store::dashboard::rows(&state.db, campaign, Some(&ids), &state.reminder_policy, now).await?;
    rows.sort_by_key(|r| r.request_id);
    Ok(rows)
}

/// The "needs you" panel: reviews waiting, overdue requests, unreachable officers, interviews
/// to schedule; five of each, most pressing first, each count linking to its full list.
fn need_groups(
    id: i32,
    needs: &dashboard::NeedsYou,
    counts: &NeedCounts,
    rows: &[dashboard::DashboardRow],
    to_schedule: &[i32],
) -> Vec<views::NeedGroup> {
    const SHOWN: usize = 5;
    let line = |r: &dashboard::DashboardRow, detail: String| views::NeedLine {
        id: r.request_id,
        reference: r.reference.clone(),
        organization: r.organization.clone(),
        detail,
    };
    let days = |n: i64| {
        if n == 1 {
            "1 day".to_string()
        } else {
            format!("{n} days")
        }
    };
    let list = format!("/review/campaigns/{id}");
    let interviews: Vec<&dashboard::DashboardRow> = rows
        .iter()
        .filter(|r| to_schedule.contains(&r.request_id))
        .collect();
    vec![
        views::NeedGroup {
            title: "to review".into(),
            href: format!("{list}?state=submitted&sort=activity&dir=asc#requests"),
            count: counts.to_review,
            lines: needs
                .to_review
                .iter()
                .take(SHOWN)
                .map(|(r, n)| line(r, format!("waiting {}", days(*n))))
                .collect(),
        },
        views::NeedGroup {
            title: "overdue".into(),
            href: format!("{list}?state=overdue&sort=deadline&dir=asc#requests"),
            count: counts.overdue,
            lines: needs
                .overdue
                .iter()
                .take(SHOWN)
                .map(|(r, n)| line(r, format!("{} late", days(*n))))
                .collect(),
        },
        views::NeedGroup {
            title: "unreachable: add a contact".into(),
            href: format!("{list}?state=unreachable#requests"),
            count: counts.unreachable,
            lines: needs
                .unreachable
                .iter()
                .take(SHOWN)
                .map(|r| line(r, "every contact bounced or left".into()))
                .collect(),
        },
        views::NeedGroup {
            title: "interviews to schedule".into(),
            href: "/review/interviews".into(),
            count: interviews.len(),
            lines: interviews
                .iter()
                .take(SHOWN)
                .map(|r| line(r, "asked for, no date yet".into()))
                .collect(),
        },
    ]
}

fn region_name(code: &str) -> String {
    crate::domain::reference::region_label(code)
        .unwrap_or(code)
        .to_string()
}
