//! Requirement profiles (config/requirements/*.toml) and their evaluation. A profile is data:
//! rules of a few kinds, each with a severity, the requirement it enforces, its source and a
//! message in four languages. `evaluate` applies the profiles that fit the pledge's compact
//! scope and returns findings; it does no IO and reads no clock (`today` comes in).
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::answers::{Answers, JUSTIFICATION_PREFIX, Section, find_field, group, section_of};
use super::pledge::{CompactScope, Locale};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks submission.
    Error,
    /// Needs a short justification from the officer before submission.
    Warning,
    /// For the reviewer; never blocks.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// What a rule rests on (requirements.md's tags): a public UN source, the 2025 report, or our
/// own inference. Only a rule with a public source may block a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Basis {
    #[serde(rename = "S")]
    Source,
    #[serde(rename = "SEED")]
    Report,
    #[serde(rename = "INF")]
    Inference,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub en: String,
    pub fr: String,
    pub es: String,
    pub pt: String,
}

impl Localized {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::En => &self.en,
            Locale::Fr => &self.fr,
            Locale::Es => &self.es,
            Locale::Pt => &self.pt,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Required,
    RequiredIf,
    Length,
    Range,
    OneOf,
    MinItems,
    Pattern,
    DateOrder,
    SumLeTotal,
    ChangeVsPrevious,
    Named,
}

/// Applies a rule only when another field has (or lacks) certain values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    #[serde(rename = "in")]
    pub is_in: Option<Vec<String>>,
    pub not_in: Option<Vec<String>>,
    pub filled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub kind: RuleKind,
    /// The field the finding is shown next to.
    pub field: String,
    pub severity: Severity,
    pub basis: Basis,
    /// Also applies to a minimal update ("no significant change").
    #[serde(default)]
    pub minimal: bool,
    pub requirement: String,
    pub source: String,
    pub message: Localized,
    pub when: Option<Condition>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub values: Option<Vec<String>>,
    pub pattern: Option<String>,
    /// date_order: the end field (`field` is the start).
    pub end: Option<String>,
    /// sum_le_total: the numbered group and column summed, e.g. "breakdown" / "count".
    pub parts: Option<String>,
    pub column: Option<String>,
    /// sum_le_total: the sum must equal the total, not just stay under it.
    pub exact: Option<bool>,
    pub max_change_percent: Option<f64>,
    pub check: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub id: String,
    pub version: String,
    pub title: String,
    pub scopes: Vec<String>,
    pub rules: Vec<Rule>,
}

impl Profile {
    pub fn applies_to(&self, scope: CompactScope) -> bool {
        self.scopes.iter().any(|s| s == scope.as_str())
    }
}

const EMBEDDED: [(&str, &str); 3] = [
    (
        "coalition-base.toml",
        include_str!("../../config/requirements/coalition-base.toml"),
    ),
    (
        "un-gcm.toml",
        include_str!("../../config/requirements/un-gcm.toml"),
    ),
    (
        "unhcr-gcr.toml",
        include_str!("../../config/requirements/unhcr-gcr.toml"),
    ),
];

const NAMED_CHECKS: &[&str] = &[
    "gcm_objective_or_principle",
    "timeline_years",
    "funding_rows_complete",
    "metric_rows_complete",
    "stage_vs_timeline",
    "results_when_active",
    "scope_matches_groups",
    "priority_objective_consistency",
    "measurable_time_bound",
    "quantifiable",
    "stage_changed",
    "gcm_single_attachment",
    "people_reported",
    "people_zero",
    "people_cumulative",
    "figures_changed",
    "scope_changed",
    "gcr_fields_left",
    "gcm_fields_left",
];

/// Parses and checks a profile: every rule's field exists and its kind has its parameters.
pub fn parse_profile(name: &str, text: &str) -> Result<Profile, String> {
    let profile: Profile = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
    for rule in &profile.rules {
        let bad = |what: &str| Err(format!("{name}: rule {}: {what}", rule.id));
        if find_field(&rule.field).is_none() {
            return bad(&format!("unknown field `{}`", rule.field));
        }
        if rule.severity == Severity::Error && rule.basis != Basis::Source {
            return bad("only a rule with a public source (basis = \"S\") may be an error");
        }
        let missing = match rule.kind {
            RuleKind::RequiredIf => rule.when.is_none(),
            RuleKind::Length | RuleKind::Range | RuleKind::MinItems => {
                rule.min.is_none() && rule.max.is_none()
            }
            RuleKind::OneOf => rule.values.is_none(),
            RuleKind::Pattern => rule
                .pattern
                .as_deref()
                .is_none_or(|p| regex_lite::Regex::new(p).is_err()),
            RuleKind::DateOrder => rule.end.as_deref().and_then(find_field).is_none(),
            RuleKind::SumLeTotal => rule.parts.is_none() || rule.column.is_none(),
            RuleKind::ChangeVsPrevious => rule.max_change_percent.is_none(),
            RuleKind::Named => rule.check.as_deref().is_none_or(|c| !NAMED_CHECKS.contains(&c)),
            RuleKind::Required => false,
        };
        if missing {
            return bad(&format!(
                "the parameters of kind {:?} are missing or invalid",
                rule.kind
            ));
        }
    }
    Ok(profile)
}

/// The three profiles compiled into the binary.
pub fn embedded_profiles() -> &'static [Profile] {
    static PROFILES: std::sync::OnceLock<Vec<Profile>> = std::sync::OnceLock::new();
    PROFILES.get_or_init(|| {
        EMBEDDED
            .iter()
            .map(|(name, text)| parse_profile(name, text).unwrap_or_else(|e| panic!("embedded profile: {e}")))
            .collect()
    })
}

/// Profiles that apply to a scope: GCM → base+GCM, GCR → base+GCR, Mirror → all, IDP-only → base.
pub fn profiles_for(scope: CompactScope) -> Vec<&'static Profile> {
    embedded_profiles()
        .iter()
        .filter(|p| p.applies_to(scope))
        .collect()
}

/// Is `id` the id of a rule in any profile (for justification keys)?
pub fn is_rule(id: &str) -> bool {
    embedded_profiles()
        .iter()
        .any(|p| p.rules.iter().any(|r| r.id == id))
}

/// `{ "coalition-base": "2026.1", … }` for the profiles applied.
pub fn profile_versions(profiles: &[&Profile]) -> BTreeMap<String, String> {
    profiles
        .iter()
        .map(|p| (p.id.clone(), p.version.clone()))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub profile: String,
    pub field: String,
    pub severity: Severity,
    pub requirement: String,
    pub source: String,
    pub message: String,
}

/// What the rules may look at besides the answers.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The pledge's scope in the register (used when the form does not restate it).
    pub register_scope: CompactScope,
    /// The last approved update of this pledge, if any.
    pub previous: Option<&'a Answers>,
    pub today: NaiveDate,
    pub locale: Locale,
    /// Files attached to the update.
    pub attachments: usize,
}

impl Context<'_> {
    pub fn scope(&self, answers: &Answers) -> CompactScope {
        answers.scope().unwrap_or(self.register_scope)
    }
}

/// Every finding of every applicable rule, errors first.
pub fn evaluate(answers: &Answers, ctx: &Context) -> Vec<Finding> {
    let scope = ctx.scope(answers);
    let minimal = answers.checked("no_significant_change");
    let mut findings = Vec::new();
    for profile in profiles_for(scope) {
        for rule in &profile.rules {
            if (minimal && !rule.minimal) || !condition_holds(rule.when.as_ref(), answers) {
                continue;
            }
            if let Some(values) = check_rule(rule, answers, ctx) {
                let mut message = rule.message.get(ctx.locale).to_string();
                for (name, value) in values {
                    message = message.replace(&format!("{{{name}}}"), &value);
                }
                findings.push(Finding {
                    rule_id: rule.id.clone(),
                    profile: profile.id.clone(),
                    field: rule.field.clone(),
                    severity: rule.severity,
                    requirement: rule.requirement.clone(),
                    source: rule.source.clone(),
                    message,
                });
            }
        }
    }
    findings.sort_by_key(|f| f.severity);
    findings
}

/// Warnings the officer has not yet justified (a justification needs a few words).
pub fn unjustified<'a>(findings: &'a [Finding], answers: &Answers) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .filter(|f| {
            answers
                .text(&format!("{JUSTIFICATION_PREFIX}{}", f.rule_id))
                .chars()
                .count()
                < 5
        })
        .collect()
}

/// May this draft be submitted? No error, and every warning justified.
pub fn submittable(findings: &[Finding], answers: &Answers) -> bool {
    findings.iter().all(|f| f.severity != Severity::Error) && unjustified(findings, answers).is_empty()
}

/// Where an officer stands in one section of the form, for the form's task list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionStatus {
    NotStarted,
    InProgress,
    Complete,
    NeedsAttention,
}

impl SectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SectionStatus::NotStarted => "not_started",
            SectionStatus::InProgress => "in_progress",
            SectionStatus::Complete => "complete",
            SectionStatus::NeedsAttention => "needs_attention",
        }
    }
}

/// A section's status: it needs attention when something shown asks the officer to act there
/// (`flagged`: an answer that cannot be saved, a reviewer's request, an error shown after a
/// save or submit); otherwise it is not started until answered, and complete once the rules
/// find no error and no unjustified warning in it.
pub fn section_status(
    section: Section,
    answers: &Answers,
    findings: &[Finding],
    flagged: bool,
) -> SectionStatus {
    if flagged {
        return SectionStatus::NeedsAttention;
    }
    if !answers.touched(section) {
        return SectionStatus::NotStarted;
    }
    let in_section = |f: &&Finding| section_of(&f.field) == Some(section);
    let open_error = findings
        .iter()
        .filter(in_section)
        .any(|f| f.severity == Severity::Error);
    let open_warning = unjustified(findings, answers).iter().any(in_section);
    if open_error || open_warning {
        SectionStatus::InProgress
    } else {
        SectionStatus::Complete
    }
}

/// The fields some applicable rule asks for with an error or a warning; the form marks the
/// others optional. A group counts as asked when a rule names any of its rows.
pub fn asked_fields(scope: CompactScope) -> std::collections::BTreeSet<String> {
    profiles_for(scope)
        .iter()
        .flat_map(|p| &p.rules)
        .filter(|r| r.severity != Severity::Info)
        .flat_map(|r| std::iter::once(r.field.clone()).chain(r.end.clone()))
        .collect()
}

fn condition_holds(condition: Option<&Condition>, answers: &Answers) -> bool {
    let Some(c) = condition else { return true };
    let values: Vec<&str> = match answers.get(&c.field) {
        Some(super::answers::Value::One(s)) => vec![s.trim()],
        Some(super::answers::Value::Many(v)) => v.iter().map(String::as_str).collect(),
        None => vec![],
    };
    let filled = !values.is_empty();
    c.filled.is_none_or(|want| want == filled)
        && c.is_in
            .as_ref()
            .is_none_or(|set| values.iter().any(|v| set.iter().any(|s| s == v)))
        && c.not_in
            .as_ref()
            .is_none_or(|set| !values.iter().any(|v| set.iter().any(|s| s == v)))
}

type Values = Vec<(&'static str, String)>;

fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// `Some(placeholder values)` when the rule finds a problem.
fn check_rule(rule: &Rule, a: &Answers, ctx: &Context) -> Option<Values> {
    let key = rule.field.as_str();
    match rule.kind {
        RuleKind::Required | RuleKind::RequiredIf => (!a.has(key)).then(Vec::new),
        RuleKind::Length => {
            let n = a.text(key).chars().count() as f64;
            let out = a.has(key) && (rule.min.is_some_and(|m| n < m) || rule.max.is_some_and(|m| n > m));
            out.then(|| {
                vec![
                    ("count", fmt_number(n)),
                    ("min", rule.min.map(fmt_number).unwrap_or_default()),
                    ("max", rule.max.map(fmt_number).unwrap_or_default()),
                ]
            })
        }
        RuleKind::Range => {
            let n = a.amount(key)?;
            (rule.min.is_some_and(|m| n < m) || rule.max.is_some_and(|m| n > m))
                .then(|| vec![("value", fmt_number(n))])
        }
        RuleKind::OneOf => {
            // A text must be one of the values; a list must contain at least one of them.
            let values = rule.values.as_deref().unwrap_or_default();
            let chosen: Vec<&str> = match a.get(key) {
                Some(super::answers::Value::Many(v)) => v.iter().map(String::as_str).collect(),
                Some(super::answers::Value::One(s)) => vec![s.trim()],
                None => return None,
            };
            (!chosen.iter().any(|c| values.iter().any(|v| v == c)))
                .then(|| vec![("value", chosen.join(", "))])
        }
        RuleKind::MinItems => {
            let n = item_count(a, key) as f64;
            rule.min
                .is_some_and(|m| n < m)
                .then(|| vec![("count", fmt_number(n))])
        }
        RuleKind::Pattern => {
            let text = a.text(key);
            let re = compiled(rule.pattern.as_deref()?)?;
            (!text.is_empty() && !re.is_match(text)).then(|| vec![("value", text.to_string())])
        }
        RuleKind::DateOrder => {
            let end_key = rule.end.as_deref()?;
            let (start, end) = (a.text(key), a.text(end_key));
            let (Ok(s), Ok(e)) = (
                super::pledge::TimelinePoint::parse(start),
                super::pledge::TimelinePoint::parse(end),
            ) else {
                return None;
            };
            (!s.not_after(&e)).then(|| vec![("start", start.to_string()), ("end", end.to_string())])
        }
        RuleKind::SumLeTotal => {
            let total = a.count(key)?;
            let (group, column) = (rule.parts.as_deref()?, rule.column.as_deref()?);
            let parts: Vec<i64> = (1..=99)
                .map_while(|i| {
                    let k = format!("{group}.{i}.{column}");
                    find_field(&k).map(|_| a.count(&k))
                })
                .flatten()
                .collect();
            if parts.is_empty() {
                return None;
            }
            let sum: i64 = parts.iter().sum();
            let wrong = if rule.exact.unwrap_or(false) {
                sum != total
            } else {
                sum > total
            };
            wrong.then(|| vec![("sum", sum.to_string()), ("total", total.to_string())])
        }
        RuleKind::ChangeVsPrevious => {
            let before = ctx.previous?.amount(key)?;
            let now = a.amount(key)?;
            if before == 0.0 {
                return None;
            }
            let change = ((now - before) / before * 100.0).abs();
            (change > rule.max_change_percent?).then(|| {
                vec![
                    ("previous", fmt_number(before)),
                    ("current", fmt_number(now)),
                    ("percent", format!("{change:.0}")),
                ]
            })
        }
        RuleKind::Named => named_check(rule, a, ctx),
    }
}

/// Items in a multi-choice field, or filled rows of a numbered group (`achievement`).
fn item_count(a: &Answers, key: &str) -> usize {
    match key {
        "achievement.1" => a.filled_rows("achievement", None),
        _ => a.list(key).len(),
    }
}

/// Priority → the GCM objective and GCR focus areas the report's table (§c) maps it to.
fn priority_defaults(priority: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match priority {
        "1" | "8" => (&["23"], &["responsibility_sharing"]),
        "2" => (&["2"], &["solutions"]),
        "3" => (&["7"], &["protection_capacity"]),
        "6" => (&["17"], &["protection_capacity"]),
        "4" => (&["15"], &["education", "health", "energy_infrastructure"]),
        "5" => (&["16"], &["solutions", "jobs_livelihoods"]),
        "7" => (&["7", "15"], &["solutions"]),
        _ => (&[], &[]),
    }
}

fn year_of(point: &str) -> Option<i32> {
    point.get(..4)?.parse().ok()
}

/// Key figures by label (lower case), for comparing an update with the previous one.
fn metric_values(a: &Answers) -> BTreeMap<String, f64> {
    let Some(g) = group("metric") else {
        return BTreeMap::new();
    };
    a.rows_in_use(g)
        .into_iter()
        .filter_map(|i| {
            let label = a.text(&g.key(i, "label")).to_lowercase();
            let value = a.amount(&g.key(i, "value"))?;
            (!label.is_empty()).then_some((label, value))
        })
        .collect()
}

/// Money per currency, for comparing an update with the previous one.
fn funding_totals(a: &Answers) -> BTreeMap<String, f64> {
    let mut totals = BTreeMap::new();
    let Some(g) = group("funding") else { return totals };
    for i in a.rows_in_use(g) {
        if let Some(amount) = a.amount(&g.key(i, "amount")) {
            *totals
                .entry(a.text(&g.key(i, "currency")).to_string())
                .or_insert(0.0) += amount;
        }
    }
    totals
}

fn changed_by_more_than(before: f64, now: f64, percent: f64) -> Option<f64> {
    if before == 0.0 {
        return None;
    }
    let change = ((now - before) / before * 100.0).abs();
    (change > percent).then_some(change)
}

fn named_check(rule: &Rule, a: &Answers, ctx: &Context) -> Option<Values> {
    let stage = a.text("implementation_stage");
    let has_numbers = a.has("beneficiaries_total")
        || a.filled_rows("metric", Some("value")) > 0
        || a.filled_rows("metric", Some("series")) > 0
        || a.filled_rows("funding", Some("amount")) > 0;
    match rule.check.as_deref()? {
        "gcm_objective_or_principle" => {
            (a.list("gcm_objectives").is_empty() && a.list("gcm_principles").is_empty()).then(Vec::new)
        }
        "timeline_years" => {
            let bad: Vec<String> = ["timeline_start", "timeline_end"]
                .iter()
                .filter_map(|k| year_of(a.text(k)).filter(|y| !(1990..=2040).contains(y)))
                .map(|y| y.to_string())
                .collect();
            (!bad.is_empty()).then(|| vec![("value", bad.join(", "))])
        }
        "funding_rows_complete" => {
            let g = group("funding")?;
            let rows: Vec<String> = a
                .rows_in_use(g)
                .into_iter()
                .filter(|i| {
                    let has = |c: &str| a.has(&g.key(*i, c));
                    (has("amount") != has("currency")) || !(has("funder") || has("amount"))
                })
                .map(|i| i.to_string())
                .collect();
            (!rows.is_empty()).then(|| vec![("rows", rows.join(", "))])
        }
        "metric_rows_complete" => {
            let g = group("metric")?;
            let rows: Vec<String> = a
                .rows_in_use(g)
                .into_iter()
                .filter(|i| {
                    let value = a.amount(&g.key(*i, "value"));
                    let baseline = a.amount(&g.key(*i, "baseline"));
                    let series = a.series(&g.key(*i, "series"));
                    let percent = a.text(&g.key(*i, "unit")) == "%";
                    let unlabeled = !a.has(&g.key(*i, "label"));
                    let over = percent
                        && [value, baseline]
                            .into_iter()
                            .flatten()
                            .chain(series.iter().map(|p| p.value))
                            .any(|v| v > 100.0);
                    unlabeled || over
                })
                .map(|i| i.to_string())
                .collect();
            (!rows.is_empty()).then(|| vec![("rows", rows.join(", "))])
        }
        "stage_vs_timeline" => {
            let end = a.text("timeline_end");
            if stage == "fulfilled" && end == "ongoing" {
                return Some(vec![("end", end.to_string())]);
            }
            let end_year = year_of(end)?;
            let today = ctx.today.year();
            match stage {
                "fulfilled" if end_year > today => Some(vec![("end", end.to_string())]),
                "in_progress" => {
                    let end_date = if end.len() == 10 {
                        NaiveDate::parse_from_str(end, "%Y-%m-%d").ok()?
                    } else {
                        NaiveDate::from_ymd_opt(end_year, 12, 31)?
                    };
                    (ctx.today - end_date > chrono::Duration::days(365))
                        .then(|| vec![("end", end.to_string())])
                }
                _ => None,
            }
        }
        "results_when_active" => {
            let active = !stage.is_empty() && stage != "planning";
            let nothing = !a.has("results_summary")
                && a.filled_rows("achievement", None) == 0
                && a.filled_rows("metric", Some("label")) == 0
                && !a.has("beneficiaries_total");
            (active && nothing).then(Vec::new)
        }
        "people_reported" => {
            (!a.has("beneficiaries_total") && !a.checked("beneficiaries_not_counted")).then(Vec::new)
        }
        "people_zero" => (a.count("beneficiaries_total") == Some(0)).then(Vec::new),
        "people_cumulative" => {
            let before = ctx.previous?.count("beneficiaries_total")?;
            let now = a.count("beneficiaries_total")?;
            (now < before).then(|| vec![("previous", before.to_string()), ("current", now.to_string())])
        }
        "figures_changed" => {
            let previous = ctx.previous?;
            let percent = rule.max_change_percent.unwrap_or(50.0);
            let mut changed = Vec::new();
            if let (Some(before), Some(now)) = (
                previous.amount("beneficiaries_total"),
                a.amount("beneficiaries_total"),
            ) && let Some(change) = changed_by_more_than(before, now, percent)
            {
                changed.push(format!(
                    "{} → {} ({change:.0}%)",
                    fmt_number(before),
                    fmt_number(now)
                ));
            }
            let before_metrics = metric_values(previous);
            for (label, now) in metric_values(a) {
                if let Some(before) = before_metrics.get(&label)
                    && let Some(change) = changed_by_more_than(*before, now, percent)
                {
                    changed.push(format!(
                        "{label}: {} → {} ({change:.0}%)",
                        fmt_number(*before),
                        fmt_number(now)
                    ));
                }
            }
            let before_funding = funding_totals(previous);
            for (currency, now) in funding_totals(a) {
                if let Some(before) = before_funding.get(&currency)
                    && let Some(change) = changed_by_more_than(*before, now, percent)
                {
                    changed.push(format!(
                        "{currency} {} → {} ({change:.0}%)",
                        fmt_number(*before),
                        fmt_number(now)
                    ));
                }
            }
            (!changed.is_empty()).then(|| vec![("figures", changed.join("; "))])
        }
        "scope_changed" => {
            let confirmed = a.scope()?;
            (confirmed != ctx.register_scope).then(|| vec![("register", ctx.register_scope.to_string())])
        }
        "gcr_fields_left" => ["gcr_objectives", "gcr_focus_areas", "gcr_contribution_type"]
            .iter()
            .any(|k| a.has(k))
            .then(Vec::new),
        "gcm_fields_left" => ["gcm_objectives", "gcm_principles", "gcm_pledge_form"]
            .iter()
            .any(|k| a.has(k))
            .then(Vec::new),
        "scope_matches_groups" => {
            let suggested = CompactScope::suggested_by(a.list("beneficiary_groups"))?;
            let declared = ctx.scope(a);
            (suggested != declared).then(|| {
                vec![
                    ("declared", declared.to_string()),
                    ("suggested", suggested.to_string()),
                ]
            })
        }
        "priority_objective_consistency" => {
            let scope = ctx.scope(a);
            let mut missing = Vec::new();
            for p in a.list("priorities") {
                let (objectives, areas) = priority_defaults(p);
                let mut names = Vec::new();
                if scope.counts_for_gcm()
                    && !objectives
                        .iter()
                        .any(|o| a.list("gcm_objectives").iter().any(|x| x == o))
                {
                    names.push(format!("GCM {}", objectives.join("/")));
                }
                if scope.counts_for_gcr()
                    && !areas
                        .iter()
                        .any(|o| a.list("gcr_focus_areas").iter().any(|x| x == o))
                {
                    let labels: Vec<&str> = areas
                        .iter()
                        .map(|c| super::reference::Scheme::GcrFocusArea.label(c).unwrap_or(c))
                        .collect();
                    names.push(format!("GCR {}", labels.join("/")));
                }
                if !names.is_empty() {
                    missing.push(format!("{p} → {}", names.join(", ")));
                }
            }
            (!missing.is_empty()).then(|| vec![("missing", missing.join("; "))])
        }
        "measurable_time_bound" => {
            let open_ended = a.text("timeline_end") == "ongoing" || !a.has("timeline_end");
            (!has_numbers || open_ended).then(Vec::new)
        }
        "quantifiable" => (!has_numbers).then(Vec::new),
        "gcm_single_attachment" => {
            (ctx.attachments > 1).then(|| vec![("count", ctx.attachments.to_string())])
        }
        "stage_changed" => {
            let before = ctx.previous?.text("implementation_stage");
            (!before.is_empty() && !stage.is_empty() && before != stage)
                .then(|| vec![("previous", before.to_string()), ("current", stage.to_string())])
        }
        _ => None,
    }
}

/// A rule's pattern, compiled once per process (rules are checked on every view and save;
/// the profiles' patterns are checked valid when they load).
fn compiled(pattern: &str) -> Option<std::sync::Arc<regex_lite::Regex>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<regex_lite::Regex>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(re) = cache.get(pattern) {
        return Some(re.clone());
    }
    let re = Arc::new(regex_lite::Regex::new(pattern).ok()?);
    cache.insert(pattern.to_string(), re.clone());
    Some(re)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::answers::Value;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn set(a: &mut Answers, key: &str, value: &str) {
        a.0.insert(key.into(), Value::One(value.into()));
    }

    fn set_list(a: &mut Answers, key: &str, values: &[&str]) {
        a.0.insert(
            key.into(),
            Value::Many(values.iter().map(|s| s.to_string()).collect()),
        );
    }

    /// A complete Mirror update that every profile accepts.
    fn complete() -> Answers {
        let mut a = Answers::default();
        for (k, v) in [
            ("implementation_stage", "in_progress"),
            ("stage_narrative", "Running in three districts."),
            ("reporting_cycle", "2027_grf"),
            ("compact_scope", "MIRROR"),
            ("timeline_start", "2023"),
            ("timeline_end", "2027-06-30"),
            ("results_summary", "A welcome centre opened and serves newcomers."),
            ("achievement.1", "Welcome centre opened"),
            ("beneficiaries_total", "5,000"),
            ("beneficiaries_qualifier", "approx"),
            ("breakdown.1.group", "migrants"),
            ("breakdown.1.count", "3000"),
            ("breakdown.2.group", "refugees"),
            ("breakdown.2.count", "2000"),
            ("funding.1.funder", "Global Cities Fund"),
            ("funding.1.amount", "600000"),
            ("funding.1.currency", "USD"),
            ("funding.1.source", "donor"),
            ("metric.1.label", "Residents with a positive view of newcomers"),
            ("metric.1.value", "94"),
            ("metric.1.unit", "%"),
            ("metric.1.baseline", "44"),
            (
                "lessons_learned",
                "Work with refugee-led organizations from day one.",
            ),
            ("national_engagement", "ad_hoc"),
            ("consent_to_publish", "true"),
            (
                "refugee_participation",
                "Refugee-led organizations co-designed the services.",
            ),
            ("gcr_pledge_id", "GRF-01547"),
        ] {
            set(&mut a, k, v);
        }
        set(
            &mut a,
            "description",
            &"The city runs a one-stop welcome centre. ".repeat(10),
        );
        set_list(&mut a, "beneficiary_groups", &["migrants", "refugees"]);
        set_list(&mut a, "priorities", &["1"]);
        set_list(&mut a, "gcm_objectives", &["23"]);
        set_list(&mut a, "gcr_objectives", &["1"]);
        set_list(&mut a, "gcr_focus_areas", &["responsibility_sharing"]);
        set_list(&mut a, "challenges", &["funding_gaps"]);
        a
    }

    fn ctx(previous: Option<&Answers>) -> Context<'_> {
        Context {
            register_scope: CompactScope::Mirror,
            previous,
            today: today(),
            locale: Locale::En,
            attachments: 0,
        }
    }

    fn fired(a: &Answers, previous: Option<&Answers>) -> Vec<String> {
        evaluate(a, &ctx(previous))
            .into_iter()
            .map(|f| f.rule_id)
            .collect()
    }

    #[test]
    fn embedded_profiles_load_and_every_rule_has_four_languages() {
        let profiles = embedded_profiles();
        assert_eq!(profiles.len(), 3);
        for p in profiles {
            for r in &p.rules {
                for locale in Locale::ALL {
                    assert!(!r.message.get(*locale).is_empty(), "{} lacks {locale}", r.id);
                }
            }
        }
    }

    #[test]
    fn profiles_follow_the_compact_scope() {
        let ids = |s| profiles_for(s).iter().map(|p| p.id.as_str()).collect::<Vec<_>>();
        assert_eq!(ids(CompactScope::Gcm), vec!["coalition-base", "un-gcm"]);
        assert_eq!(ids(CompactScope::Gcr), vec!["coalition-base", "unhcr-gcr"]);
        assert_eq!(
            ids(CompactScope::Mirror),
            vec!["coalition-base", "un-gcm", "unhcr-gcr"]
        );
        assert_eq!(ids(CompactScope::IdpOnly), vec!["coalition-base"]);
    }

    #[test]
    fn a_complete_update_passes_every_rule() {
        assert_eq!(fired(&complete(), None), Vec::<String>::new());
    }

    /// Each rule: one change to the complete update that makes exactly that rule fire.
    #[test]
    fn each_rule_fires_on_its_failing_case() {
        type Mutation = fn(&mut Answers);
        let cases: Vec<(&str, Mutation)> = vec![
            ("base.stage.required", |a| set(a, "implementation_stage", "")),
            ("base.stage_narrative.required", |a| {
                set(a, "stage_narrative", " ")
            }),
            ("base.cycle.required", |a| set(a, "reporting_cycle", "")),
            ("base.timeline.start.required", |a| set(a, "timeline_start", "")),
            ("base.timeline.end.required", |a| set(a, "timeline_end", "")),
            ("base.people.reported", |a| {
                set(a, "beneficiaries_total", "");
                set(a, "breakdown.1.count", "");
                set(a, "breakdown.2.count", "");
            }),
            ("base.people.zero", |a| set(a, "beneficiaries_total", "0")),
            ("base.scope.changed.gcm", |a| {
                set(a, "compact_scope", "GCM");
                set_list(a, "gcr_objectives", &[]);
                set_list(a, "gcr_focus_areas", &[]);
            }),
            ("base.scope.gcr_left", |a| set(a, "compact_scope", "GCM")),
            ("base.scope.gcm_left", |a| set(a, "compact_scope", "GCR")),
            ("gcr.pledge_id.missing", |a| set(a, "gcr_pledge_id", "")),
            ("base.groups.required", |a| {
                set_list(a, "beneficiary_groups", &[]);
            }),
            ("base.priorities.required", |a| set_list(a, "priorities", &[])),
            ("base.timeline.order", |a| set(a, "timeline_end", "2022")),
            ("base.timeline.years", |a| set(a, "timeline_end", "2045")),
            ("base.results.required", |a| set(a, "results_summary", "")),
            ("base.achievements.required", |a| set(a, "achievement.1", "")),
            ("base.beneficiaries.qualifier", |a| {
                set(a, "beneficiaries_qualifier", "")
            }),
            ("base.breakdown.sum", |a| set(a, "breakdown.2.count", "1999")),
            ("base.funding.complete", |a| set(a, "funding.1.currency", "")),
            ("base.funding.complete", |a| {
                set(a, "funding.2.source", "donor");
            }),
            ("base.metrics.complete", |a| set(a, "metric.1.value", "140")),
            ("base.challenges.required", |a| set_list(a, "challenges", &[])),
            ("base.lessons.required", |a| set(a, "lessons_learned", "")),
            ("base.national.required", |a| set(a, "national_engagement", "")),
            ("base.stage.timeline", |a| {
                set(a, "implementation_stage", "fulfilled")
            }),
            ("base.priorities.objectives", |a| {
                set_list(a, "priorities", &["1", "4"])
            }),
            ("base.consent", |a| set(a, "consent_to_publish", "")),
            ("gcm.description.length", |a| set(a, "description", "Too short.")),
            ("gcm.description.required", |a| set(a, "description", "")),
            ("gcm.objectives", |a| set_list(a, "gcm_objectives", &[])),
            ("gcm.measurable", |a| set(a, "timeline_end", "ongoing")),
            ("gcr.objectives", |a| set_list(a, "gcr_objectives", &[])),
            ("gcr.pledge_id.format", |a| set(a, "gcr_pledge_id", "GRF-1547")),
            ("gcr.participation", |a| set(a, "refugee_participation", "")),
            ("base.matching.ref", |a| set(a, "pledge_structure", "matching")),
        ];
        for (rule, mutate) in cases {
            let mut a = complete();
            mutate(&mut a);
            let ids = fired(&a, None);
            assert!(ids.contains(&rule.to_string()), "{rule} did not fire: {ids:?}");
        }
    }

    #[test]
    fn conditional_rules_respect_their_conditions() {
        // Planning: no achievements or people reached are required.
        let mut a = complete();
        set(&mut a, "implementation_stage", "planning");
        set(&mut a, "achievement.1", "");
        set(&mut a, "beneficiaries_total", "");
        set(&mut a, "beneficiaries_qualifier", "");
        for i in 1..=2 {
            set(&mut a, &format!("breakdown.{i}.count"), "");
        }
        let ids = fired(&a, None);
        assert!(
            !ids.iter()
                .any(|r| r == "base.achievements.required" || r == "base.people.reported"),
            "{ids:?}"
        );
        // In progress without people reached: required.
        let mut b = complete();
        set(&mut b, "beneficiaries_total", "");
        assert!(fired(&b, None).contains(&"base.people.reported".to_string()));
        // A pledge that counts events or partners says so instead of typing 0.
        set(&mut b, "beneficiaries_not_counted", "true");
        assert!(!fired(&b, None).contains(&"base.people.reported".to_string()));
    }

    #[test]
    fn results_scope_and_quantity_warnings() {
        let mut a = complete();
        for k in [
            "results_summary",
            "achievement.1",
            "beneficiaries_total",
            "metric.1.label",
        ] {
            set(&mut a, k, "");
        }
        assert!(fired(&a, None).contains(&"base.results.active".to_string()));

        let mut gcm = complete();
        set(&mut gcm, "compact_scope", "GCM");
        set_list(&mut gcm, "beneficiary_groups", &["refugees"]);
        let ids = fired(&gcm, None);
        assert!(ids.contains(&"base.scope.groups".to_string()), "{ids:?}");
        assert!(ids.contains(&"gcm.groups.migrants".to_string()), "{ids:?}");
        assert!(
            !ids.iter().any(|r| r.starts_with("gcr.")),
            "GCM pledges skip the UNHCR profile"
        );

        let mut gcr = complete();
        set(&mut gcr, "compact_scope", "GCR");
        set_list(&mut gcr, "beneficiary_groups", &["refugees"]);
        for k in [
            "beneficiaries_total",
            "beneficiaries_qualifier",
            "funding.1.amount",
            "funding.1.currency",
            "funding.1.source",
            "metric.1.value",
            "breakdown.1.count",
            "breakdown.2.count",
        ] {
            set(&mut gcr, k, "");
        }
        assert!(fired(&gcr, None).contains(&"gcr.quantifiable".to_string()));
    }

    #[test]
    fn changes_against_the_previous_update_are_flagged() {
        let previous = complete();
        let mut now = complete();
        set(&mut now, "beneficiaries_total", "12000");
        set(&mut now, "breakdown.2.count", "9000");
        set(&mut now, "implementation_stage", "fulfilled");
        set(&mut now, "timeline_end", "2025");
        let findings = evaluate(&now, &ctx(Some(&previous)));
        let change = findings
            .iter()
            .find(|f| f.rule_id == "base.figures.change")
            .expect("a change warning");
        assert_eq!(
            change.message,
            "Changed by more than half since the last approved update: 5000 → 12000 (140%). Please explain."
        );
        assert!(
            findings
                .iter()
                .any(|f| f.rule_id == "base.stage.changed" && f.severity == Severity::Info)
        );
        assert!(!fired(&complete(), Some(&previous)).contains(&"base.figures.change".to_string()));
    }

    #[test]
    fn a_gcm_pledge_carries_one_attachment() {
        let two = Context {
            attachments: 2,
            ..ctx(None)
        };
        let findings = evaluate(&complete(), &two);
        let f = findings
            .iter()
            .find(|f| f.rule_id == "gcm.attachments")
            .expect("the GCM attachment rule");
        assert_eq!((f.severity, f.field.as_str()), (Severity::Error, "attachments"));
        let mut gcr = complete();
        set(&mut gcr, "compact_scope", "GCR");
        set_list(&mut gcr, "beneficiary_groups", &["refugees"]);
        assert!(
            !evaluate(&gcr, &two)
                .iter()
                .any(|f| f.rule_id == "gcm.attachments")
        );
        let mut matching = complete();
        set(&mut matching, "pledge_structure", "matching");
        set(
            &mut matching,
            "matched_pledge_ref",
            "GRF-01547 Inclusion of refugees in national systems",
        );
        assert!(!fired(&matching, None).contains(&"base.matching.ref".to_string()));
    }

    #[test]
    fn idp_only_pledges_use_the_base_profile_only() {
        let mut a = complete();
        set(&mut a, "compact_scope", "IDP_ONLY");
        set_list(&mut a, "beneficiary_groups", &["idps"]);
        set(&mut a, "description", "");
        let ids = fired(&a, None);
        assert!(ids.iter().all(|r| r.starts_with("base.")), "{ids:?}");
    }

    #[test]
    fn messages_are_in_the_officers_language_and_findings_say_their_source() {
        let mut a = complete();
        set(&mut a, "breakdown.2.count", "1999");
        let ctx = Context {
            locale: Locale::Fr,
            ..ctx(None)
        };
        let f = evaluate(&a, &ctx)
            .into_iter()
            .find(|f| f.rule_id == "base.breakdown.sum")
            .unwrap();
        assert_eq!(
            f.message,
            "La ventilation totalise 4999 mais le total est 5000. Ajoutez une ligne « autre » ou expliquez."
        );
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.source.contains("INF"));
        assert_eq!(f.field, "beneficiaries_total");
    }

    #[test]
    fn warnings_need_a_justification_and_errors_block() {
        let mut a = complete();
        set(&mut a, "breakdown.2.count", "1999");
        let findings = evaluate(&a, &ctx(None));
        assert!(!submittable(&findings, &a));
        set(
            &mut a,
            "justification.base.breakdown.sum",
            "Ten children were counted in both groups.",
        );
        assert!(submittable(&findings, &a));
        set(&mut a, "implementation_stage", "");
        let findings = evaluate(&a, &ctx(None));
        assert!(!submittable(&findings, &a));
    }

    /// Only requirements with a public UN source may block; the rest warn or inform.
    #[test]
    fn every_blocking_rule_rests_on_a_public_source() {
        for p in embedded_profiles() {
            for r in &p.rules {
                if r.severity == Severity::Error {
                    assert_eq!(r.basis, Basis::Source, "{} blocks without a source", r.id);
                    assert!(r.source.contains("[S:"), "{} names no source: {}", r.id, r.source);
                }
            }
        }
        for unsourced in ["base.lessons.required", "base.national.required"] {
            let rule = embedded_profiles()
                .iter()
                .flat_map(|p| &p.rules)
                .find(|r| r.id == unsourced)
                .unwrap();
            assert_eq!(rule.severity, Severity::Info, "{unsourced}");
        }
        let text = r#"
            id = "x"
            version = "1"
            title = "x"
            scopes = ["GCM"]
            [[rules]]
            id = "x.1"
            kind = "required"
            field = "lessons_learned"
            severity = "error"
            basis = "INF"
            requirement = "r"
            source = "s"
            message = { en = "e", fr = "f", es = "s", pt = "p" }
        "#;
        assert!(
            parse_profile("x.toml", text)
                .unwrap_err()
                .contains("public source")
        );
    }

    #[test]
    fn lessons_and_national_engagement_never_block() {
        let mut a = complete();
        set(&mut a, "lessons_learned", "");
        set(&mut a, "national_engagement", "");
        let findings = evaluate(&a, &ctx(None));
        assert!(submittable(&findings, &a), "{findings:?}");
        assert!(findings.iter().any(|f| f.rule_id == "base.lessons.required"));
    }

    #[test]
    fn no_significant_change_allows_a_minimal_update() {
        let mut a = Answers::default();
        for (k, v) in [
            ("no_significant_change", "true"),
            ("compact_scope", "MIRROR"),
            ("implementation_stage", "in_progress"),
            ("stage_narrative", "Nothing new since the last update."),
            ("reporting_cycle", "2027_grf"),
            ("timeline_start", "2023"),
            ("timeline_end", "2027"),
            ("gcr_pledge_id", "GRF-01547"),
        ] {
            set(&mut a, k, v);
        }
        let findings = evaluate(&a, &ctx(None));
        assert!(submittable(&findings, &a), "{findings:?}");
        set(&mut a, "implementation_stage", "");
        assert!(
            !submittable(&evaluate(&a, &ctx(None)), &a),
            "the stage is still needed"
        );
        set(&mut a, "no_significant_change", "");
        set(&mut a, "implementation_stage", "in_progress");
        assert!(
            !submittable(&evaluate(&a, &ctx(None)), &a),
            "a full update needs more"
        );
    }

    #[test]
    fn fulfilled_with_an_ongoing_end_is_questioned() {
        let mut a = complete();
        set(&mut a, "implementation_stage", "fulfilled");
        set(&mut a, "timeline_end", "ongoing");
        assert!(fired(&a, None).contains(&"base.stage.timeline".to_string()));
    }

    #[test]
    fn people_reached_is_cumulative_and_never_a_typed_zero() {
        let previous = complete();
        let mut a = complete();
        set(&mut a, "beneficiaries_total", "4000");
        set(&mut a, "breakdown.2.count", "1000");
        let findings = evaluate(&a, &ctx(Some(&previous)));
        let lower = findings
            .iter()
            .find(|f| f.rule_id == "base.people.cumulative")
            .unwrap();
        assert_eq!(
            lower.message,
            "People reached is lower than in the last approved update (5000 then, 4000 now). Please explain."
        );
        set(&mut a, "beneficiaries_total", "0");
        assert!(fired(&a, None).contains(&"base.people.zero".to_string()));
    }

    #[test]
    fn key_figures_and_funding_are_compared_with_the_last_approved_update() {
        let previous = complete();
        let mut a = complete();
        set(
            &mut a,
            "metric.1.label",
            "residents with a positive view of newcomers",
        );
        set(&mut a, "metric.1.value", "30");
        set(&mut a, "funding.1.amount", "2000000");
        let change = evaluate(&a, &ctx(Some(&previous)))
            .into_iter()
            .find(|f| f.rule_id == "base.figures.change")
            .expect("a change warning");
        assert!(
            change
                .message
                .contains("residents with a positive view of newcomers: 94 → 30 (68%)"),
            "{}",
            change.message
        );
        assert!(
            change.message.contains("USD 600000 → 2000000 (233%)"),
            "{}",
            change.message
        );
    }

    #[test]
    fn a_changed_scope_says_where_the_update_now_goes() {
        let mut a = complete();
        set(&mut a, "compact_scope", "IDP_ONLY");
        set_list(&mut a, "beneficiary_groups", &["idps"]);
        let findings = evaluate(&a, &ctx(None));
        let changed = findings
            .iter()
            .find(|f| f.rule_id == "base.scope.changed.idp")
            .unwrap();
        assert!(
            changed
                .message
                .contains("goes to neither UNHCR nor the UN Network"),
            "{}",
            changed.message
        );
        assert!(changed.message.contains("as MIRROR"), "{}", changed.message);
        assert!(findings.iter().any(|f| f.rule_id == "base.scope.gcm_left"));
        assert!(findings.iter().any(|f| f.rule_id == "base.scope.gcr_left"));
        assert!(
            !fired(&complete(), None)
                .iter()
                .any(|r| r.starts_with("base.scope.changed"))
        );
    }

    #[test]
    fn the_priority_hint_names_the_missing_codes() {
        let mut a = complete();
        set_list(&mut a, "priorities", &["1", "4"]);
        let hint = evaluate(&a, &ctx(None))
            .into_iter()
            .find(|f| f.rule_id == "base.priorities.objectives")
            .unwrap();
        assert_eq!(hint.severity, Severity::Info);
        assert!(
            hint.message
                .starts_with("Usually linked to these priorities and not ticked: 4 → GCM 15, GCR "),
            "{}",
            hint.message
        );
    }

    #[test]
    fn a_profile_with_a_bad_rule_is_refused_at_load() {
        let text = r#"
            id = "x"
            version = "1"
            title = "x"
            scopes = ["GCM"]
            [[rules]]
            id = "x.1"
            kind = "pattern"
            field = "nickname"
            severity = "error"
            basis = "S"
            requirement = "r"
            source = "s"
            message = { en = "e", fr = "f", es = "s", pt = "p" }
        "#;
        assert!(
            parse_profile("x.toml", text)
                .unwrap_err()
                .contains("unknown field `nickname`")
        );
    }

    #[test]
    fn a_pattern_is_compiled_once_and_a_bad_one_is_none() {
        let first = compiled("^GRF-[0-9]+$").unwrap();
        let again = compiled("^GRF-[0-9]+$").unwrap();
        assert!(
            std::sync::Arc::ptr_eq(&first, &again),
            "the same compiled pattern"
        );
        assert!(first.is_match("GRF-42") && !first.is_match("grf"));
        assert!(compiled("(unclosed").is_none());
    }
}
