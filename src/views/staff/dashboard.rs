//! A campaign's dashboard: what needs the secretariat, progress, the request list.
use crate::error::AppError;
use askama::Template;

use super::campaigns::PledgeChoice;
use super::chart::Chart;
use crate::views::render;

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
