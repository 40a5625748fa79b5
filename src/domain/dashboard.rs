//! A campaign's progress: counts by state, breakdowns, the request list's filters and
//! sorting, and the report's "at a glance" figures. Pure: the store hands rows in.
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::answers::{Answers, MAX_ROWS};
use super::pledge::CompactScope;
use super::request::{RequestState, local_date};

/// What the secretariat should act on next in a campaign, most pressing first.
#[derive(Debug, Default)]
pub struct NeedsYou<'a> {
    /// Submitted updates and the days they have waited for review, oldest first.
    pub to_review: Vec<(&'a DashboardRow, i64)>,
    /// Overdue requests and the days they are late (by the organization's date), latest first.
    pub overdue: Vec<(&'a DashboardRow, i64)>,
    /// Requests the officer owes whose every contact bounced or was deactivated.
    pub unreachable: Vec<&'a DashboardRow>,
}

impl NeedsYou<'_> {
    pub fn is_empty(&self) -> bool {
        self.to_review.is_empty() && self.overdue.is_empty() && self.unreachable.is_empty()
    }
}

pub fn needs_you(rows: &[DashboardRow], now: DateTime<Utc>) -> NeedsYou<'_> {
    let mut needs = NeedsYou::default();
    for r in rows {
        let today = local_date(now, r.timezone);
        if r.state == RequestState::Submitted {
            let since = r.last_activity.map_or(today, |at| local_date(at, r.timezone));
            needs.to_review.push((r, (today - since).num_days()));
        }
        if r.is_overdue(now) {
            needs.overdue.push((r, (today - r.deadline).num_days()));
        }
        if r.unreachable && r.state.awaits_officer() {
            needs.unreachable.push(r);
        }
    }
    needs
        .to_review
        .sort_by_key(|(r, days)| (std::cmp::Reverse(*days), r.last_activity, r.request_id));
    needs
        .overdue
        .sort_by_key(|(r, days)| (std::cmp::Reverse(*days), r.request_id));
    needs
}

/// The columns of the progress tables. `Overdue` overlaps the states the officer owes.
pub const COLUMNS: [&str; 8] = [
    "issued",
    "draft",
    "submitted",
    "changes_requested",
    "approved",
    "published",
    "withdrawn",
    "overdue",
];

/// One request as the dashboard sees it.
#[derive(Debug, Clone)]
pub struct DashboardRow {
    pub request_id: i32,
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub region: String,
    pub scope: String,
    pub priorities: Vec<String>,
    pub locale: String,
    pub state: RequestState,
    pub deadline: NaiveDate,
    /// The organization's time zone: its date decides whether the request is overdue.
    pub timezone: chrono_tz::Tz,
    pub reviewer: Option<String>,
    pub last_activity: Option<DateTime<Utc>>,
    /// (kind, sent at) of the last mail that went out about the request.
    pub last_mail: Option<(super::delivery::MailKind, DateTime<Utc>)>,
    pub last_reminder: Option<DateTime<Utc>>,
    /// The day of the next reminder step, and whether it escalates.
    pub next_reminder: Option<(NaiveDate, bool)>,
    /// Every contact bounced or was deactivated: no mail can reach the officer.
    pub unreachable: bool,
}

impl DashboardRow {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state
            .is_overdue(self.deadline, local_date(now, self.timezone))
    }
}

/// Counts per state for a group of requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub total: u32,
    pub counts: [u32; 8],
}

impl Tally {
    /// Counts `requests` requests alike: their state's column, and `overdue` when that applies.
    pub fn add_many(&mut self, state: RequestState, deadline: NaiveDate, today: NaiveDate, requests: u32) {
        self.total += requests;
        if let Some(i) = COLUMNS.iter().position(|c| *c == state.as_str()) {
            self.counts[i] += requests;
        }
        if state.is_overdue(deadline, today) {
            self.counts[7] += requests;
        }
    }

    pub fn of(&self, state: RequestState) -> u32 {
        self.get(state.as_str())
    }

    pub fn overdue(&self) -> u32 {
        self.counts[7]
    }

    /// Approved or published: nothing more is asked of the officer or the reviewer.
    pub fn done(&self) -> u32 {
        self.of(RequestState::Approved) + self.of(RequestState::Published)
    }

    /// The officer still owes an update, and its deadline has not passed.
    pub fn owed_on_time(&self) -> u32 {
        let owed = self.of(RequestState::Issued)
            + self.of(RequestState::Draft)
            + self.of(RequestState::ChangesRequested);
        owed.saturating_sub(self.overdue())
    }

    pub fn get(&self, column: &str) -> u32 {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .map(|i| self.counts[i])
            .unwrap_or(0)
    }
}

/// The dimensions a campaign is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Region,
    Scope,
    Priority,
    Locale,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [
        Dimension::Region,
        Dimension::Scope,
        Dimension::Priority,
        Dimension::Locale,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Dimension::Region => "Region",
            Dimension::Scope => "Compact scope",
            Dimension::Priority => "Priority",
            Dimension::Locale => "Language",
        }
    }

    /// The label of a group's value: a pledge without a priority counts under "none".
    fn label(self, value: Option<&str>) -> String {
        match (self, value) {
            (Dimension::Priority, None) => "none".into(),
            (Dimension::Priority, Some(code)) => format!("priority {code}"),
            (_, value) => value.unwrap_or_default().to_string(),
        }
    }
}

/// Requests that count alike: one state, deadline and time zone, and (when the counts are
/// broken down) one value of the dimension. The store counts them with GROUP BY; a pledge
/// with several priorities is in one group per priority.
#[derive(Debug, Clone)]
pub struct Group {
    pub value: Option<String>,
    pub state: RequestState,
    pub deadline: NaiveDate,
    pub timezone: chrono_tz::Tz,
    pub requests: u32,
}

/// Counts per state of all the groups together (`dimension` None), or per value of
/// `dimension` in the values' natural order. Overdue is decided by each group's own date.
pub fn tallies(
    dimension: Option<Dimension>,
    groups: impl IntoIterator<Item = Group>,
    now: DateTime<Utc>,
) -> Vec<(String, Tally)> {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut today: std::collections::HashMap<chrono_tz::Tz, NaiveDate> = Default::default();
    for group in groups {
        let key = dimension
            .map(|d| d.label(group.value.as_deref()))
            .unwrap_or_default();
        let today = *today
            .entry(group.timezone)
            .or_insert_with(|| local_date(now, group.timezone));
        tallies
            .entry(key)
            .or_default()
            .add_many(group.state, group.deadline, today, group.requests);
    }
    tallies.into_iter().collect()
}

/// The counts of all the groups together.
pub fn overall(groups: impl IntoIterator<Item = Group>, now: DateTime<Utc>) -> Tally {
    tallies(None, groups, now)
        .pop()
        .map(|(_, tally)| tally)
        .unwrap_or_default()
}

/// What the request list is asked to show.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// A state, or "overdue".
    pub state: Option<String>,
    pub region: Option<String>,
    pub scope: Option<String>,
    /// Words looked for in the reference, title and organization (case-insensitive).
    pub search: Option<String>,
    /// reference | organization | state | deadline | activity | mail
    pub sort: Option<String>,
    pub descending: bool,
}

impl ListQuery {
    /// The query with blank values dropped and every value checked, or what is wrong with it
    /// (a filter that matches nothing by a typo would show an empty list and say nothing).
    pub fn checked(self) -> Result<ListQuery, String> {
        let present = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let state = present(self.state);
        if let Some(s) = &state
            && RequestState::parse(s).is_none()
            && s != "overdue"
            && s != "unreachable"
        {
            let known: Vec<&str> = RequestState::ALL.iter().map(|s| s.as_str()).collect();
            return Err(format!(
                "state `{s}` is not one of {}, overdue, unreachable",
                known.join(", ")
            ));
        }
        let region = present(self.region);
        if let Some(r) = &region
            && !super::reference::REGIONS.iter().any(|(code, _)| code == r)
        {
            let codes: Vec<&str> = super::reference::REGIONS.iter().map(|(c, _)| *c).collect();
            return Err(format!("region `{r}` is not one of {}", codes.join(", ")));
        }
        let scope = present(self.scope)
            .map(|s| CompactScope::parse(&s).map(|s| s.as_str().to_string()))
            .transpose()?;
        let search = present(self.search);
        if search.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err("the search text is longer than 200 characters".into());
        }
        let sort = present(self.sort);
        if let Some(s) = &sort
            && !SORT_KEYS.contains(&s.as_str())
        {
            return Err(format!("sort `{s}` is not one of {}", SORT_KEYS.join(", ")));
        }
        Ok(ListQuery {
            state,
            region,
            scope,
            search,
            sort,
            descending: self.descending,
        })
    }
}

pub const SORT_KEYS: [&str; 6] = [
    "reference",
    "organization",
    "state",
    "deadline",
    "activity",
    "mail",
];

/// The request list's rule in plain terms: which rows a query shows, in which order. The store
/// runs it as SQL (`store::dashboard::list`, a page at a time), and a test holds that to this.
pub fn select(rows: &[DashboardRow], q: &ListQuery, now: DateTime<Utc>) -> Vec<DashboardRow> {
    let words: Vec<String> = q
        .search
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let mut picked: Vec<DashboardRow> = rows
        .iter()
        .filter(|r| match q.state.as_deref() {
            None | Some("") => true,
            Some("overdue") => r.is_overdue(now),
            Some("unreachable") => r.unreachable,
            Some(s) => r.state.as_str() == s,
        })
        .filter(|r| q.region.as_deref().is_none_or(|v| v.is_empty() || r.region == v))
        .filter(|r| q.scope.as_deref().is_none_or(|v| v.is_empty() || r.scope == v))
        .filter(|r| {
            let haystack = format!("{} {} {}", r.reference, r.title, r.organization).to_lowercase();
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
        .cloned()
        .collect();
    match q.sort.as_deref().unwrap_or("reference") {
        "organization" => picked.sort_by(|a, b| {
            a.organization
                .cmp(&b.organization)
                .then(a.reference.cmp(&b.reference))
        }),
        "state" => picked.sort_by(|a, b| {
            a.state
                .as_str()
                .cmp(b.state.as_str())
                .then(a.reference.cmp(&b.reference))
        }),
        "deadline" => picked.sort_by(|a, b| a.deadline.cmp(&b.deadline).then(a.reference.cmp(&b.reference))),
        "activity" => picked.sort_by(|a, b| {
            a.last_activity
                .cmp(&b.last_activity)
                .then(a.reference.cmp(&b.reference))
        }),
        "mail" => picked.sort_by(|a, b| {
            let at = |r: &DashboardRow| r.last_mail.as_ref().map(|m| m.1);
            at(a).cmp(&at(b)).then(a.reference.cmp(&b.reference))
        }),
        _ => picked.sort_by(|a, b| a.reference.cmp(&b.reference)),
    }
    if q.descending {
        picked.reverse();
    }
    picked
}

/// The report's "at a glance" figures, from approved and published updates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AtAGlance {
    pub pledges_updated: u32,
    pub people_reached: i64,
    /// Amount per ISO currency code, largest first.
    pub money: Vec<(String, f64)>,
    pub mirror_pledges: u32,
    /// Challenges named, most frequent first.
    pub challenges: Vec<(String, u32)>,
}

impl AtAGlance {
    /// Mirror pledges (GCM and GCR at once) as a share of the pledges updated, in percent.
    pub fn mirror_share(&self) -> u32 {
        if self.pledges_updated == 0 {
            0
        } else {
            (f64::from(self.mirror_pledges) * 100.0 / f64::from(self.pledges_updated)).round() as u32
        }
    }
}

/// Figures from the approved answers of each pledge and its register scope.
pub fn at_a_glance<'a>(approved: impl IntoIterator<Item = (CompactScope, &'a Answers)>) -> AtAGlance {
    let mut figures = AtAGlance::default();
    let mut money: BTreeMap<String, f64> = BTreeMap::new();
    let mut challenges: BTreeMap<String, u32> = BTreeMap::new();
    for (register_scope, answers) in approved {
        figures.pledges_updated += 1;
        if !answers.checked("beneficiaries_not_counted") {
            figures.people_reached += answers.count("beneficiaries_total").unwrap_or(0);
        }
        let scope = answers.scope().unwrap_or(register_scope);
        figures.mirror_pledges += u32::from(scope == CompactScope::Mirror);
        for i in 1..=MAX_ROWS {
            let amount = answers.amount(&format!("funding.{i}.amount"));
            let currency = answers
                .text(&format!("funding.{i}.currency"))
                .to_ascii_uppercase();
            if let (Some(amount), false) = (amount, currency.is_empty()) {
                *money.entry(currency).or_default() += amount;
            }
        }
        for c in answers.list("challenges") {
            *challenges.entry(c.clone()).or_default() += 1;
        }
    }
    figures.money = money.into_iter().collect();
    figures
        .money
        .sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    figures.challenges = challenges.into_iter().collect();
    figures
        .challenges
        .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    figures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::answers::Value;

    fn row(reference: &str, state: RequestState, region: &str, priorities: &[&str]) -> DashboardRow {
        DashboardRow {
            request_id: 1,
            reference: reference.into(),
            title: format!("Title of {reference}"),
            organization: if reference.ends_with('1') {
                "Arua".into()
            } else {
                "Bogotá".into()
            },
            region: region.into(),
            scope: "GCM".into(),
            priorities: priorities.iter().map(|p| p.to_string()).collect(),
            locale: "en".into(),
            state,
            deadline: NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
            timezone: if reference.ends_with('1') {
                chrono_tz::Africa::Kampala
            } else {
                chrono_tz::America::Bogota
            },
            reviewer: None,
            last_activity: None,
            last_mail: None,
            last_reminder: None,
            next_reminder: None,
            unreachable: false,
        }
    }

    #[test]
    fn needs_you_lists_the_oldest_review_and_the_latest_request_first() {
        let now = at("2027-01-20T12:00:00Z");
        let mut waiting_long = row("CLA-3", RequestState::Submitted, "americas", &[]);
        waiting_long.request_id = 3;
        waiting_long.last_activity = Some(at("2027-01-05T15:00:00Z"));
        let mut waiting_short = row("CLA-5", RequestState::Submitted, "americas", &[]);
        waiting_short.request_id = 5;
        waiting_short.last_activity = Some(at("2027-01-19T15:00:00Z"));
        let mut late = row("CLA-1", RequestState::Issued, "africa", &[]);
        late.request_id = 1;
        let mut later = row("CLA-2", RequestState::Draft, "africa", &[]);
        later.request_id = 2;
        later.deadline = NaiveDate::from_ymd_opt(2027, 1, 10).unwrap();
        later.unreachable = true;
        let published = row("CLA-4", RequestState::Published, "americas", &[]);
        let rows = vec![waiting_short, late, published, later, waiting_long];
        let needs = needs_you(&rows, now);
        let review: Vec<(&str, i64)> = needs
            .to_review
            .iter()
            .map(|(r, d)| (r.reference.as_str(), *d))
            .collect();
        assert_eq!(review, [("CLA-3", 15), ("CLA-5", 1)]);
        let overdue: Vec<(&str, i64)> = needs
            .overdue
            .iter()
            .map(|(r, d)| (r.reference.as_str(), *d))
            .collect();
        assert_eq!(overdue, [("CLA-2", 10), ("CLA-1", 5)]);
        assert_eq!(needs.unreachable.len(), 1);
        assert!(
            needs_you(&rows[2..3], now).is_empty(),
            "a published update needs nobody"
        );
    }

    /// The groups the store would count for `rows` (one per row and value).
    fn groups(rows: &[DashboardRow], dimension: Option<Dimension>) -> Vec<Group> {
        let mut groups = Vec::new();
        for r in rows {
            let values: Vec<Option<String>> = match dimension {
                Some(Dimension::Region) => vec![Some(r.region.clone())],
                Some(Dimension::Priority) if !r.priorities.is_empty() => {
                    r.priorities.iter().cloned().map(Some).collect()
                }
                _ => vec![None],
            };
            groups.extend(values.into_iter().map(|value| Group {
                value,
                state: r.state,
                deadline: r.deadline,
                timezone: r.timezone,
                requests: 1,
            }));
        }
        groups
    }

    #[test]
    fn counts_and_breakdowns_add_up() {
        let after_deadline = at("2027-01-20T12:00:00Z");
        let rows = vec![
            row("CLA-1", RequestState::Issued, "africa", &["1", "4"]),
            row("CLA-2", RequestState::Draft, "africa", &["4"]),
            row("CLA-3", RequestState::Submitted, "americas", &[]),
            row("CLA-4", RequestState::Published, "americas", &["1"]),
        ];
        let all = overall(groups(&rows, None), after_deadline);
        assert_eq!(
            (
                all.total,
                all.get("issued"),
                all.get("published"),
                all.get("overdue")
            ),
            (4, 1, 1, 2)
        );
        let by_region = tallies(
            Some(Dimension::Region),
            groups(&rows, Some(Dimension::Region)),
            after_deadline,
        );
        assert_eq!(by_region[0].0, "africa");
        assert_eq!((by_region[0].1.total, by_region[0].1.get("overdue")), (2, 2));
        let by_priority = tallies(
            Some(Dimension::Priority),
            groups(&rows, Some(Dimension::Priority)),
            after_deadline,
        );
        let names: Vec<&str> = by_priority.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["none", "priority 1", "priority 4"]);
        assert_eq!(by_priority[2].1.total, 2);
        let before = at("2027-01-10T12:00:00Z");
        assert_eq!(overall(groups(&rows, None), before).get("overdue"), 0);
        // Groups of many requests count as many.
        let mut two = groups(&rows[..1], None);
        two[0].requests = 2;
        assert_eq!(overall(two, after_deadline).get("overdue"), 2);
    }

    fn at(instant: &str) -> DateTime<Utc> {
        instant.parse().unwrap()
    }

    /// The deadline ends at midnight where the officer works: at 02:00 UTC on the 16th it is
    /// already the 16th in Kampala (05:00) but still the 15th in Bogotá (21:00).
    #[test]
    fn overdue_is_counted_by_the_organizations_own_date() {
        let rows = vec![
            row("CLA-1", RequestState::Draft, "africa", &[]),
            row("CLA-2", RequestState::Draft, "americas", &[]),
        ];
        let night = at("2027-01-16T02:00:00Z");
        assert!(rows[0].is_overdue(night), "Arua's day is over");
        assert!(!rows[1].is_overdue(night), "Bogotá still has three hours");
        assert_eq!(overall(groups(&rows, None), night).overdue(), 1);
        assert!(rows[1].is_overdue(at("2027-01-16T05:00:00Z")));
    }

    #[test]
    fn the_list_filters_searches_and_sorts() {
        let today = at("2027-01-20T12:00:00Z");
        let rows = vec![
            row("CLA-1", RequestState::Issued, "africa", &[]),
            row("CLA-2", RequestState::Draft, "africa", &[]),
            row("CLA-3", RequestState::Submitted, "americas", &[]),
        ];
        let refs = |q: &ListQuery| -> Vec<String> {
            select(&rows, q, today).into_iter().map(|r| r.reference).collect()
        };
        assert_eq!(
            refs(&ListQuery {
                state: Some("overdue".into()),
                ..Default::default()
            }),
            ["CLA-1", "CLA-2"]
        );
        assert_eq!(
            refs(&ListQuery {
                region: Some("americas".into()),
                ..Default::default()
            }),
            ["CLA-3"]
        );
        assert_eq!(
            refs(&ListQuery {
                search: Some("bogot title".into()),
                ..Default::default()
            }),
            ["CLA-2", "CLA-3"]
        );
        assert_eq!(
            refs(&ListQuery {
                sort: Some("organization".into()),
                descending: true,
                ..Default::default()
            }),
            ["CLA-3", "CLA-2", "CLA-1"]
        );
    }

    #[test]
    fn at_a_glance_sums_people_money_and_challenges() {
        let one = |v: &str| Value::One(v.into());
        let mut a = Answers::default();
        a.0.insert("beneficiaries_total".into(), one("5,000"));
        a.0.insert("funding.1.amount".into(), one("600000"));
        a.0.insert("funding.1.currency".into(), one("usd"));
        a.0.insert("funding.2.amount".into(), one("1000"));
        a.0.insert("funding.2.currency".into(), one("EUR"));
        a.0.insert(
            "challenges".into(),
            Value::Many(vec!["funding_gaps".into(), "data".into()]),
        );
        let mut b = Answers::default();
        b.0.insert("beneficiaries_total".into(), one("250"));
        b.0.insert("funding.1.amount".into(), one("400"));
        b.0.insert("funding.1.currency".into(), one("USD"));
        b.0.insert("challenges".into(), Value::Many(vec!["funding_gaps".into()]));
        let figures = at_a_glance([(CompactScope::Mirror, &a), (CompactScope::Gcm, &b)]);
        assert_eq!(figures.pledges_updated, 2);
        assert_eq!(figures.people_reached, 5_250);
        assert_eq!(
            figures.money,
            vec![("USD".into(), 600_400.0), ("EUR".into(), 1_000.0)]
        );
        assert_eq!(figures.mirror_share(), 50);
        assert_eq!(figures.challenges[0], ("funding_gaps".into(), 2));
    }
}
