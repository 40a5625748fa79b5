//! Register pages: pledge list, organizations, one pledge.
use crate::error::AppError;
use askama::Template;

use super::{LanguageLink, language_links, render};
use crate::domain::pledge::{CompactScope, Locale};
use crate::domain::reference::{REGIONS, Scheme};
use crate::i18n::{Messages, messages};
use crate::store::register_query::{OrganizationView, Page, PledgeFilter, PledgeView};

pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

pub struct PledgeRow {
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub country: String,
    pub scope: &'static str,
    pub priorities: String,
    pub year: i32,
}

#[derive(Template)]
#[template(path = "public/register.html")]
struct PledgesPage {
    t: &'static Messages,
    languages: Vec<LanguageLink>,
    title: String,
    summary: String,
    results: String,
    q: String,
    scopes: Vec<Choice>,
    priorities: Vec<Choice>,
    regions: Vec<Choice>,
    rows: Vec<PledgeRow>,
    page_label: String,
    previous_href: Option<String>,
    next_href: Option<String>,
}

fn scope_label(code: &str) -> &'static str {
    CompactScope::parse(code).map(CompactScope::label).unwrap_or("—")
}

fn choices(items: impl Iterator<Item = (&'static str, String)>, selected: Option<&str>) -> Vec<Choice> {
    items
        .map(|(value, label)| Choice {
            value,
            label,
            selected: selected == Some(value),
        })
        .collect()
}

fn region_choices(t: &Messages, selected: Option<&str>) -> Vec<Choice> {
    choices(
        REGIONS.iter().map(|(c, _)| (*c, t.region(c).to_string())),
        selected,
    )
}

/// The query string for a filter and page, for pager links.
fn filter_query(filter: &PledgeFilter, page: u64) -> String {
    let mut parts = vec![format!("page={page}")];
    if let Some(scope) = filter.scope {
        parts.push(format!("scope={}", scope.as_str()));
    }
    if let Some(p) = &filter.priority {
        parts.push(format!("priority={p}"));
    }
    if let Some(r) = &filter.region {
        parts.push(format!("region={r}"));
    }
    if let Some(q) = &filter.q {
        let encoded: String = q
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        parts.push(format!("q={encoded}"));
    }
    format!("?{}", parts.join("&"))
}

pub fn pledges_page(
    locale: Locale,
    filter: &PledgeFilter,
    page: Page,
    total: u64,
    pledges: &[PledgeView],
    organization_count: u64,
    pledge_count: u64,
) -> Result<String, AppError> {
    let t = messages(locale);
    let pages = total.div_ceil(page.size).max(1);
    render(&PledgesPage {
        t,
        languages: language_links(locale),
        title: t.get("register.title").into(),
        summary: t.fill(
            "register.summary",
            &[
                ("pledges", &t.count("register.pledges", pledge_count, &[])),
                (
                    "organizations",
                    &t.count("register.organizations", organization_count, &[]),
                ),
            ],
        ),
        results: t.count("register.results", total, &[]),
        q: filter.q.clone().unwrap_or_default(),
        scopes: choices(
            CompactScope::ALL
                .iter()
                .map(|s| (s.as_str(), s.label().to_string())),
            filter.scope.map(CompactScope::as_str),
        ),
        priorities: choices(
            Scheme::Priority
                .items()
                .iter()
                .map(|(c, _)| (*c, t.reference(Scheme::Priority, c))),
            filter.priority.as_deref(),
        ),
        regions: region_choices(t, filter.region.as_deref()),
        rows: pledges
            .iter()
            .map(|p| PledgeRow {
                reference: p.reference.clone(),
                title: p.title.clone(),
                organization: p.organization.clone(),
                country: p.country.clone(),
                scope: scope_label(&p.compact_scope),
                priorities: p.priorities.join(", "),
                year: p.pledge_year,
            })
            .collect(),
        page_label: t.fill("register.page", &[("page", &page.number), ("pages", &pages)]),
        previous_href: (page.number > 1).then(|| filter_query(filter, page.number - 1)),
        next_href: (page.number < pages).then(|| filter_query(filter, page.number + 1)),
    })
}

#[derive(Template)]
#[template(path = "public/organizations.html")]
struct OrganizationsPage<'a> {
    t: &'static Messages,
    languages: Vec<LanguageLink>,
    title: String,
    q: String,
    regions: Vec<Choice>,
    organizations: &'a [OrganizationView],
}

impl OrganizationsPage<'_> {
    fn region(&self, code: &str) -> &str {
        self.t.region(code)
    }
}

pub fn organizations_page(
    locale: Locale,
    filter: &PledgeFilter,
    organizations: &[OrganizationView],
) -> Result<String, AppError> {
    let t = messages(locale);
    render(&OrganizationsPage {
        t,
        languages: language_links(locale),
        title: t.get("organizations.title").into(),
        q: filter.q.clone().unwrap_or_default(),
        regions: region_choices(t, filter.region.as_deref()),
        organizations,
    })
}

pub struct LabelledSet {
    pub heading: String,
    pub items: Vec<String>,
}

#[derive(Template)]
#[template(path = "public/pledge.html")]
struct PledgePage<'a> {
    t: &'static Messages,
    languages: Vec<LanguageLink>,
    title: String,
    pledge: &'a PledgeView,
    scope: &'static str,
    region: String,
    timeline: String,
    sets: Vec<LabelledSet>,
}

pub fn pledge_page(locale: Locale, pledge: &PledgeView) -> Result<String, AppError> {
    let t = messages(locale);
    let sets = [
        (Scheme::BeneficiaryGroup, "pledge.beneficiaries"),
        (Scheme::Priority, "pledge.priorities"),
        (Scheme::GcmObjective, "pledge.gcm_objectives"),
        (Scheme::GcmPrinciple, "pledge.gcm_principles"),
        (Scheme::GcrObjective, "pledge.gcr_objectives"),
        (Scheme::GcrFocusArea, "pledge.gcr_focus_areas"),
        (Scheme::Sdg, "pledge.sdgs"),
    ]
    .into_iter()
    .filter(|(scheme, _)| !pledge.codes(*scheme).is_empty())
    .map(|(scheme, key)| LabelledSet {
        heading: t.get(key).into(),
        items: pledge
            .codes(scheme)
            .iter()
            .map(|code| t.reference(scheme, code))
            .collect(),
    })
    .collect();
    let start = pledge.timeline_start.as_deref().unwrap_or("—");
    let end = pledge.timeline_end.as_deref().unwrap_or(t.get("pledge.ongoing"));
    render(&PledgePage {
        t,
        languages: language_links(locale),
        title: pledge.title.clone(),
        pledge,
        scope: scope_label(&pledge.compact_scope),
        region: t.region(&pledge.region).to_string(),
        timeline: format!("{start} – {end}"),
        sets,
    })
}
