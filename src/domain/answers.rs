//! The update form's answers. A draft is a map from field key to what the officer typed,
//! kept as text: a half-finished answer is saved as typed, and the rules (requirements.rs)
//! say what is missing. Only structural problems — an unknown field, a value that cannot be
//! of its field's type, text over its length — refuse a save, and then nothing is written.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::numbers::{self, NumberError};
use super::pledge::{CompactScope, Locale, TimelinePoint};
use super::reference::Scheme;

/// One answer: a single text, or the chosen codes of a multi-choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    One(String),
    Many(Vec<String>),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        match self {
            Value::One(s) => s.trim().is_empty(),
            Value::Many(v) => v.is_empty(),
        }
    }
}

/// Field key → value. Absent and empty mean the same: not answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(pub BTreeMap<String, Value>);

/// The repeating groups (key figures, partners, funding…) show the rows in use and one more
/// blank row ("add another"), up to this many. Generous: real updates name a fourth partner
/// and a sixth key figure.
pub const MAX_ROWS: usize = 20;

pub const STAGES: &[&str] = &["planning", "in_progress", "fulfilled", "discontinued", "adapted"];
pub const REPORTING_CYCLES: &[&str] = &["2025_progress_review", "2026_imrf", "2027_grf", "rolling"];
pub const QUALIFIERS: &[&str] = &["exact", "approx", "at_least", "estimate"];
pub const BREAKDOWN_GROUPS: &[&str] = &[
    "migrants",
    "refugees",
    "idps",
    "host_communities",
    "stateless",
    "asylum_seekers",
    "returnees",
    "women",
    "children",
    "other",
];
pub const FUNDING_SOURCES: &[&str] = &["municipal", "national", "donor", "co_funding", "private"];
pub const PARTNER_KINDS: &[&str] = &[
    "civil_society",
    "un_agency",
    "private_sector",
    "academia",
    "national_government",
    "subnational_government",
    "rlo_mlo",
    "city_network",
    "development_bank",
    "donor",
    "other",
];
/// GCM pledge forms [S:14].
pub const GCM_PLEDGE_FORMS: &[&str] = &[
    "financial",
    "human_resource",
    "process_oriented",
    "policy_oriented",
];
/// GCR contribution types [S:5, S:6].
pub const GCR_CONTRIBUTION_TYPES: &[&str] = &[
    "financial",
    "material",
    "technical",
    "policy",
    "resettlement_pathways",
    "other",
];
pub const PRIORITY_CODES: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8"];
pub const CHALLENGES: &[&str] = &[
    "funding_gaps",
    "coordination",
    "policy_constraints_national",
    "political_ownership_leadership_change",
    "staffing_capacity",
    "digital_access",
    "documentation_status_barriers",
    "awareness",
    "housing_costs",
    "donor_cutbacks",
    "other",
];
pub const NATIONAL_ENGAGEMENT: &[&str] = &["none", "ad_hoc", "institutionalized"];
pub const YES_NO: &[&str] = &["yes", "no"];
pub const YES_NO_UNKNOWN: &[&str] = &["yes", "no", "unknown"];
pub const SCOPES: &[&str] = &["GCM", "GCR", "MIRROR", "IDP_ONLY"];
pub const STRUCTURES: &[&str] = &[
    "individual",
    "common",
    "in_partnership",
    "matching",
    "joint_city_to_city",
    "joint_local_national",
];

/// Active ISO 4217 currency codes.
pub const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line, at most `max` characters.
    Text(usize),
    /// Several paragraphs, at most `max` characters.
    LongText(usize),
    /// A whole number ≥ 0, typed in the officer's language (numbers.rs); stored canonical.
    Count,
    /// A number ≥ 0, decimals allowed (money, metric values); stored canonical.
    Amount,
    /// Values of a key figure for several years: "2022: 44; 2025: 94".
    Series,
    /// A year between 1990 and 2100.
    Year,
    /// One code of a closed list.
    Choice(&'static [&'static str]),
    /// Several codes of a closed list.
    Multi(&'static [&'static str]),
    /// Several codes of a reference set.
    MultiRef(Scheme),
    /// A checkbox: "true" or nothing.
    Check,
    /// A year or a date (YYYY-MM-DD).
    Point,
    /// A year, a date, or `ongoing`.
    EndPoint,
    /// An ISO 4217 code.
    Currency,
    /// Uploaded files: shown in their own part of the page, never typed into the form. It is a
    /// field so that rules about attachments have a place to report.
    Files,
}

/// The sections of the form, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Status,
    Pledge,
    Results,
    Beneficiaries,
    Funding,
    Alignment,
    Challenges,
    National,
    Publication,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Status,
        Section::Pledge,
        Section::Results,
        Section::Beneficiaries,
        Section::Funding,
        Section::Alignment,
        Section::Challenges,
        Section::National,
        Section::Publication,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Section::Status => "status",
            Section::Pledge => "pledge",
            Section::Results => "results",
            Section::Beneficiaries => "beneficiaries",
            Section::Funding => "funding",
            Section::Alignment => "alignment",
            Section::Challenges => "challenges",
            Section::National => "national",
            Section::Publication => "publication",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: String,
    pub section: Section,
    pub kind: Kind,
}

impl Field {
    /// Is this question asked of a pledge with `scope`? The GCM's own questions only when
    /// the update reports to the GCM, the GCR's (and refugee participation) only when it
    /// reports to the GCR; before a scope is chosen, every question is.
    pub fn applies_to(&self, scope: Option<CompactScope>) -> bool {
        match (scope, self.compact()) {
            (Some(scope), Some("gcm")) => scope.counts_for_gcm(),
            (Some(scope), Some(_)) => scope.counts_for_gcr(),
            _ => true,
        }
    }

    /// `gcm` or `gcr` for a question only that compact asks.
    pub fn compact(&self) -> Option<&'static str> {
        if self.key.starts_with("gcm_") {
            Some("gcm")
        } else if self.key.starts_with("gcr_") || self.key == "refugee_participation" {
            Some("gcr")
        } else {
            None
        }
    }
}

/// The section a field (or a finding's field, which may name a group's row) belongs to.
pub fn section_of(key: &str) -> Option<Section> {
    find_field(key)
        .or_else(|| {
            let prefix = format!("{key}.");
            fields().iter().find(|f| f.key.starts_with(&prefix))
        })
        .map(|f| f.section)
}

fn field(key: impl Into<String>, section: Section, kind: Kind) -> Field {
    Field {
        key: key.into(),
        section,
        kind,
    }
}

/// A repeating group of the form: numbered rows `group.N.column` (or `group.N` for a group of
/// one column, like the key achievements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub name: &'static str,
    pub section: Section,
    /// (column, kind); an empty column name means the row is the value itself.
    pub columns: &'static [(&'static str, Kind)],
    /// Rows an untouched form shows, so the common case needs no "add another".
    pub default_rows: usize,
}

impl Group {
    pub fn key(&self, row: usize, column: &str) -> String {
        if column.is_empty() {
            format!("{}.{row}", self.name)
        } else {
            format!("{}.{row}.{column}", self.name)
        }
    }
}

pub const GROUPS: &[Group] = &[
    Group {
        name: "achievement",
        default_rows: 3,
        section: Section::Results,
        columns: &[("", Kind::Text(500))],
    },
    Group {
        name: "metric",
        default_rows: 2,
        section: Section::Results,
        columns: &[
            ("label", Kind::Text(200)),
            ("qualifier", Kind::Choice(QUALIFIERS)),
            ("value", Kind::Amount),
            ("unit", Kind::Text(40)),
            ("year", Kind::Year),
            ("baseline", Kind::Amount),
            ("series", Kind::Series),
        ],
    },
    Group {
        name: "breakdown",
        default_rows: 3,
        section: Section::Beneficiaries,
        columns: &[("group", Kind::Choice(BREAKDOWN_GROUPS)), ("count", Kind::Count)],
    },
    Group {
        name: "funding",
        default_rows: 2,
        section: Section::Funding,
        columns: &[
            ("funder", Kind::Text(200)),
            ("qualifier", Kind::Choice(QUALIFIERS)),
            ("amount", Kind::Amount),
            ("currency", Kind::Currency),
            ("source", Kind::Choice(FUNDING_SOURCES)),
        ],
    },
    Group {
        name: "partner",
        default_rows: 3,
        section: Section::Funding,
        columns: &[("name", Kind::Text(200)), ("kind", Kind::Choice(PARTNER_KINDS))],
    },
];

pub fn group(name: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.name == name)
}

/// The group and row number of a numbered key: `metric.3.value` → (metric, 3).
pub fn row_of(key: &str) -> Option<(&'static Group, usize)> {
    let mut parts = key.split('.');
    let g = group(parts.next()?)?;
    let row = parts.next()?.parse().ok()?;
    Some((g, row))
}

/// Every field of the form (requirements.md §b.1–b.2), in display order. Repeating groups
/// have all `MAX_ROWS` rows here; the page shows the rows in use and one blank row.
pub fn fields() -> &'static [Field] {
    static FIELDS: std::sync::OnceLock<Vec<Field>> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        use Kind::*;
        use Section as S;
        let mut f = Vec::new();
        let push_group = |f: &mut Vec<Field>, name: &str| {
            let g = group(name).expect("a declared group");
            for i in 1..=MAX_ROWS {
                for (column, kind) in g.columns {
                    f.push(field(g.key(i, column), g.section, *kind));
                }
            }
        };
        f.extend([
            field("implementation_stage", S::Status, Choice(STAGES)),
            field("stage_narrative", S::Status, LongText(2_000)),
            field("no_significant_change", S::Status, Check),
            field("reporting_cycle", S::Status, Choice(REPORTING_CYCLES)),
            field("title", S::Pledge, Text(300)),
            field("compact_scope", S::Pledge, Choice(SCOPES)),
            field(
                "beneficiary_groups",
                S::Pledge,
                MultiRef(Scheme::BeneficiaryGroup),
            ),
            field("timeline_start", S::Pledge, Point),
            field("timeline_end", S::Pledge, EndPoint),
            field("description", S::Pledge, LongText(10_000)),
            field("gcr_pledge_id", S::Pledge, Text(16)),
            field("gcr_contribution_type", S::Pledge, Multi(GCR_CONTRIBUTION_TYPES)),
            field("gcm_pledge_ref", S::Pledge, Text(300)),
            field("gcm_pledge_form", S::Pledge, Multi(GCM_PLEDGE_FORMS)),
            field("pledge_structure", S::Pledge, Choice(STRUCTURES)),
            field("joint_partners", S::Pledge, Text(500)),
            field("matched_pledge_ref", S::Pledge, Text(300)),
            field("results_summary", S::Results, LongText(10_000)),
        ]);
        push_group(&mut f, "achievement");
        push_group(&mut f, "metric");
        f.extend([
            field("beneficiaries_total", S::Beneficiaries, Count),
            field("beneficiaries_qualifier", S::Beneficiaries, Choice(QUALIFIERS)),
            field("beneficiaries_not_counted", S::Beneficiaries, Check),
        ]);
        push_group(&mut f, "breakdown");
        f.push(field("beneficiaries_targeted", S::Beneficiaries, Count));
        f.push(field("refugee_participation", S::Beneficiaries, LongText(2_000)));
        push_group(&mut f, "funding");
        push_group(&mut f, "partner");
        f.push(field("primary_priority", S::Alignment, Choice(PRIORITY_CODES)));
        for (key, scheme) in [
            ("priorities", Scheme::Priority),
            ("gcm_objectives", Scheme::GcmObjective),
            ("gcm_principles", Scheme::GcmPrinciple),
            ("gcr_objectives", Scheme::GcrObjective),
            ("gcr_focus_areas", Scheme::GcrFocusArea),
            ("sdgs", Scheme::Sdg),
        ] {
            f.push(field(key, S::Alignment, MultiRef(scheme)));
        }
        f.extend([
            field("challenges", S::Challenges, Multi(CHALLENGES)),
            field("challenges_text", S::Challenges, LongText(5_000)),
            field("challenge_responses", S::Challenges, LongText(5_000)),
            field("lessons_learned", S::Challenges, LongText(5_000)),
            field("national_engagement", S::National, Choice(NATIONAL_ENGAGEMENT)),
            field("invited_to_national_process", S::National, Choice(YES_NO)),
            field("national_reporting_known", S::National, Choice(YES_NO_UNKNOWN)),
            field("consent_to_publish", S::Publication, Check),
            field("interview_availability", S::Publication, LongText(1_000)),
            field("attachments", S::Publication, Files),
        ]);
        f
    })
}

pub fn find_field(key: &str) -> Option<&'static Field> {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        fields()
            .iter()
            .enumerate()
            .map(|(i, f)| (f.key.as_str(), i))
            .collect()
    });
    index.get(key).map(|i| &fields()[*i])
}

/// Prefix of the keys that hold an officer's justification of a warning: `justification.RULE_ID`.
pub const JUSTIFICATION_PREFIX: &str = "justification.";
pub const JUSTIFICATION_MAX: usize = 1_000;

/// Why a value cannot be saved. `code` selects the translated message; `detail` is the
/// offending value or limit, shown inside it; `other` is the second reading of an ambiguous
/// number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub other: String,
}

impl FieldError {
    pub fn new(field: &str, code: &'static str, detail: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            detail: detail.into(),
            other: String::new(),
        }
    }

    /// English text, for logs and the API.
    pub fn english(&self) -> String {
        let d = &self.detail;
        match self.code {
            "unknown_field" => "is not a field of the update form".into(),
            "more_unknown_fields" => format!("and {d} more names that are not fields of the update form"),
            "saving_too_often" => format!("saving too often: wait {d} seconds, then save again"),
            "too_long" => format!("is longer than {d} characters"),
            "not_a_count" => format!("`{d}` is not a whole number of 0 or more"),
            "not_an_amount" => format!("`{d}` is not a number of 0 or more"),
            "ambiguous_number" => format!(
                "could be read as {d} or as {}: write it again without doubt",
                self.other
            ),
            "not_a_series" => format!("`{d}` is not a list of year: value pairs such as 2022: 44; 2025: 94"),
            "not_a_year" => format!("`{d}` is not a year between 1990 and 2100"),
            "not_a_choice" => format!("`{d}` is not one of the choices"),
            "not_a_date" => format!("`{d}` is not a year (2023) or a date (2023-09-01)"),
            "not_a_currency" => format!("`{d}` is not an ISO 4217 currency code such as USD, EUR or CAD"),
            "not_a_checkbox" => format!("`{d}` is not true or false"),
            "wrong_type" => "must be a text, not a list".into(),
            "not_a_list" => "must be a list of choices".into(),
            _ => d.clone(),
        }
    }
}

fn chars_over(value: &str, max: usize) -> bool {
    value.chars().count() > max
}

/// A stored whole number (canonical, or typed in English before numbers were normalised).
pub fn parse_count(value: &str) -> Option<i64> {
    numbers::value(value)
        .filter(|n| n.fract() == 0.0 && *n <= i64::MAX as f64)
        .map(|n| n as i64)
}

/// A stored number of 0 or more.
pub fn parse_amount(value: &str) -> Option<f64> {
    numbers::value(value)
}

pub fn is_currency(code: &str) -> bool {
    code.len() == 3 && CURRENCIES.split(' ').any(|c| c == code)
}

/// One year's value of a key figure's series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub year: i32,
    pub value: f64,
}

/// Reads "2022: 44; 2025: 94" (values in the officer's language; `;` or new lines between
/// years) into canonical "2022: 44; 2025: 94". Years between 1990 and 2100, each once.
fn parse_series(text: &str, locale: Locale) -> Result<String, ()> {
    let mut points: Vec<(i32, String)> = Vec::new();
    for part in text.split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let (year, value) = part.split_once(':').ok_or(())?;
        let year: i32 = year.trim().parse().map_err(|_| ())?;
        if !(1990..=2100).contains(&year) || points.iter().any(|(y, _)| *y == year) {
            return Err(());
        }
        points.push((year, numbers::parse(value, locale).map_err(|_| ())?));
    }
    points.sort_by_key(|(y, _)| *y);
    Ok(points
        .iter()
        .map(|(y, v)| format!("{y}: {v}"))
        .collect::<Vec<_>>()
        .join("; "))
}

/// Checks one value against its field's type and normalises it (trimmed; numbers canonical;
/// codes and currencies in their canonical case; a checkbox as "true"). Numbers are read in
/// `locale`, the language of the form they were typed in. Empty values are always acceptable.
pub fn check_value(
    key: &str,
    value: Value,
    locale: Locale,
    justification_rules: &dyn Fn(&str) -> bool,
) -> Result<Value, FieldError> {
    if let Some(rule) = key.strip_prefix(JUSTIFICATION_PREFIX) {
        if !justification_rules(rule) {
            return Err(FieldError::new(key, "unknown_field", key));
        }
        let Value::One(text) = value else {
            return Err(FieldError::new(key, "wrong_type", ""));
        };
        if chars_over(&text, JUSTIFICATION_MAX) {
            return Err(FieldError::new(key, "too_long", JUSTIFICATION_MAX.to_string()));
        }
        return Ok(Value::One(text));
    }
    let Some(field) = find_field(key).filter(|f| f.kind != Kind::Files) else {
        return Err(FieldError::new(key, "unknown_field", key));
    };
    match (field.kind, value) {
        (Kind::Multi(list), Value::Many(codes)) => check_codes(key, codes, |c| list.contains(&c)),
        (Kind::MultiRef(scheme), Value::Many(codes)) => check_codes(key, codes, |c| scheme.contains(c)),
        // A single selected checkbox arrives from a browser form as one value.
        (Kind::Multi(_) | Kind::MultiRef(_), Value::One(one)) if one.trim().is_empty() => {
            Ok(Value::Many(vec![]))
        }
        (Kind::Multi(_) | Kind::MultiRef(_), Value::One(one)) => {
            check_value(key, Value::Many(vec![one]), locale, justification_rules)
        }
        (_, Value::Many(_)) => Err(FieldError::new(key, "wrong_type", "")),
        (kind, Value::One(text)) => check_text(key, kind, text, locale).map(Value::One),
    }
}

fn check_codes(key: &str, codes: Vec<String>, valid: impl Fn(&str) -> bool) -> Result<Value, FieldError> {
    let mut clean: Vec<String> = Vec::new();
    for code in codes {
        let code = code.trim().to_string();
        if code.is_empty() || clean.contains(&code) {
            continue;
        }
        if !valid(&code) {
            return Err(FieldError::new(key, "not_a_choice", code));
        }
        clean.push(code);
    }
    Ok(Value::Many(clean))
}

fn number_error(key: &str, code: &'static str, shown: String, e: NumberError) -> FieldError {
    match e {
        NumberError::Invalid => FieldError::new(key, code, shown),
        NumberError::Ambiguous { first, second } => FieldError {
            other: second,
            ..FieldError::new(key, "ambiguous_number", first)
        },
    }
}

/// "Ongoing" as an end date, in any of the form's languages (stored as `ongoing`).
pub const ONGOING: [(Locale, &str); 4] = [
    (Locale::En, "ongoing"),
    (Locale::Fr, "en cours"),
    (Locale::Es, "en curso"),
    (Locale::Pt, "em andamento"),
];

fn is_ongoing(text: &str) -> bool {
    let text = text.to_lowercase();
    ONGOING.iter().any(|(_, word)| text == *word)
}

/// How `ongoing` is written in `locale`.
pub fn ongoing_in(locale: Locale) -> &'static str {
    ONGOING
        .iter()
        .find(|(l, _)| *l == locale)
        .map_or("ongoing", |(_, word)| word)
}

fn check_text(key: &str, kind: Kind, text: String, locale: Locale) -> Result<String, FieldError> {
    // No database keeps a NUL character in text (PostgreSQL refuses it): it is not text.
    if text.contains('\0') {
        return Err(FieldError::new(key, "not_utf8", ""));
    }
    let trimmed = text.trim();
    let max = match kind {
        Kind::Text(max) | Kind::LongText(max) => max,
        Kind::Series => 500,
        _ => 100,
    };
    if chars_over(&text, max) {
        return Err(FieldError::new(key, "too_long", max.to_string()));
    }
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let shown: String = trimmed.chars().take(40).collect();
    match kind {
        Kind::Text(_) | Kind::LongText(_) => Ok(text),
        Kind::Count => {
            numbers::parse_whole(trimmed, locale).map_err(|e| number_error(key, "not_a_count", shown, e))
        }
        Kind::Amount => {
            numbers::parse(trimmed, locale).map_err(|e| number_error(key, "not_an_amount", shown, e))
        }
        Kind::Series => {
            parse_series(trimmed, locale).map_err(|_| FieldError::new(key, "not_a_series", shown))
        }
        Kind::Year => match trimmed.parse::<i32>() {
            Ok(y) if (1990..=2100).contains(&y) => Ok(trimmed.into()),
            _ => Err(FieldError::new(key, "not_a_year", shown)),
        },
        Kind::Choice(list) => list
            .iter()
            .find(|c| **c == trimmed)
            .map(|c| c.to_string())
            .ok_or_else(|| FieldError::new(key, "not_a_choice", shown)),
        Kind::Check => match trimmed {
            "true" | "on" | "1" | "yes" => Ok("true".into()),
            "false" | "off" | "0" | "no" => Ok(String::new()),
            _ => Err(FieldError::new(key, "not_a_checkbox", shown)),
        },
        Kind::Point => TimelinePoint::parse(trimmed)
            .map(|_| trimmed.into())
            .map_err(|_| FieldError::new(key, "not_a_date", shown)),
        Kind::EndPoint if is_ongoing(trimmed) => Ok("ongoing".into()),
        Kind::EndPoint => TimelinePoint::parse(trimmed)
            .map(|_| trimmed.into())
            .map_err(|_| FieldError::new(key, "not_a_date", shown)),
        Kind::Currency => {
            let upper = trimmed.to_ascii_uppercase();
            if is_currency(&upper) {
                Ok(upper)
            } else {
                Err(FieldError::new(key, "not_a_currency", shown))
            }
        }
        Kind::Multi(_) | Kind::MultiRef(_) => Err(FieldError::new(key, "not_a_list", "")),
        Kind::Files => Err(FieldError::new(key, "unknown_field", key)),
    }
}

/// Checks every posted value; either all are acceptable (normalised) or every error is returned.
/// How many unknown field names an answer lists before it only counts the others.
pub const NAMED_UNKNOWN_FIELDS: usize = 10;

pub fn check_posted(
    posted: BTreeMap<String, Value>,
    locale: Locale,
    justification_rules: &dyn Fn(&str) -> bool,
) -> Result<Answers, Vec<FieldError>> {
    let mut clean = BTreeMap::new();
    let mut errors = Vec::new();
    let mut unknown = 0;
    for (key, value) in posted {
        match check_value(&key, value, locale, justification_rules) {
            Ok(v) => {
                clean.insert(key, v);
            }
            // A few unknown names help whoever built the request; thousands would make an
            // answer of megabytes. The rest are counted, and each name is cut short.
            Err(e) if e.code == "unknown_field" => {
                unknown += 1;
                if unknown <= NAMED_UNKNOWN_FIELDS {
                    let name: String = key.chars().take(64).collect();
                    errors.push(FieldError::new(&name, "unknown_field", name.clone()));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if unknown > NAMED_UNKNOWN_FIELDS {
        errors.push(FieldError::new(
            "",
            "more_unknown_fields",
            (unknown - NAMED_UNKNOWN_FIELDS).to_string(),
        ));
    }
    if errors.is_empty() {
        Ok(Answers(clean))
    } else {
        Err(errors)
    }
}

impl Answers {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_empty())
    }

    pub fn text(&self, key: &str) -> &str {
        match self.0.get(key) {
            Some(Value::One(s)) => s.trim(),
            _ => "",
        }
    }

    pub fn list(&self, key: &str) -> &[String] {
        match self.0.get(key) {
            Some(Value::Many(v)) => v,
            _ => &[],
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn count(&self, key: &str) -> Option<i64> {
        parse_count(self.text(key))
    }

    pub fn amount(&self, key: &str) -> Option<f64> {
        parse_amount(self.text(key))
    }

    pub fn checked(&self, key: &str) -> bool {
        self.text(key) == "true"
    }

    pub fn scope(&self) -> Option<CompactScope> {
        CompactScope::parse(self.text("compact_scope")).ok()
    }

    /// Has the officer answered anything in `section`?
    pub fn touched(&self, section: Section) -> bool {
        fields().iter().any(|f| f.section == section && self.has(&f.key))
    }

    /// How many rows of a numbered group have `column` filled (`None` for one-column groups
    /// such as `achievement`).
    pub fn filled_rows(&self, group: &str, column: Option<&str>) -> usize {
        (1..=MAX_ROWS)
            .filter(|i| {
                let key = match column {
                    Some(c) => format!("{group}.{i}.{c}"),
                    None => format!("{group}.{i}"),
                };
                self.has(&key)
            })
            .count()
    }

    /// The numbers of the rows of `group` with anything in them, in order.
    pub fn rows_in_use(&self, group: &Group) -> Vec<usize> {
        (1..=MAX_ROWS)
            .filter(|i| group.columns.iter().any(|(c, _)| self.has(&group.key(*i, c))))
            .collect()
    }

    /// A key figure's yearly values (`metric.N.series`), oldest first.
    pub fn series(&self, key: &str) -> Vec<SeriesPoint> {
        self.text(key)
            .split(';')
            .filter_map(|p| {
                let (year, value) = p.split_once(':')?;
                Some(SeriesPoint {
                    year: year.trim().parse().ok()?,
                    value: parse_amount(value.trim())?,
                })
            })
            .collect()
    }

    /// Overlays `other`'s keys onto these answers.
    pub fn apply(&mut self, other: &Answers) {
        for (k, v) in &other.0 {
            self.0.insert(k.clone(), v.clone());
        }
    }

    /// Drops empty values, so two drafts that differ only by blank fields compare equal.
    pub fn compact(mut self) -> Answers {
        self.0.retain(|_, v| !v.is_empty());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_rules(_: &str) -> bool {
        false
    }

    fn check_value_en(k: &str, v: Value, rules: &dyn Fn(&str) -> bool) -> Result<Value, FieldError> {
        check_value(k, v, Locale::En, rules)
    }

    fn one(s: &str) -> Value {
        Value::One(s.into())
    }

    #[test]
    fn field_keys_are_unique() {
        let mut keys: Vec<&str> = fields().iter().map(|f| f.key.as_str()).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }

    #[test]
    fn values_are_normalised_to_their_type() {
        assert_eq!(
            check_value_en("beneficiaries_total", one(" 41,000 "), &no_rules),
            Ok(one("41000"))
        );
        assert_eq!(
            check_value_en("funding.1.currency", one("usd"), &no_rules),
            Ok(one("USD"))
        );
        assert_eq!(
            check_value_en("consent_to_publish", one("on"), &no_rules),
            Ok(one("true"))
        );
        assert_eq!(
            check_value_en("timeline_end", one("Ongoing"), &no_rules),
            Ok(one("ongoing"))
        );
        assert_eq!(
            check_value("timeline_end", one("En cours"), Locale::Fr, &no_rules),
            Ok(one("ongoing"))
        );
        assert_eq!(
            check_value("timeline_end", one("em andamento"), Locale::Pt, &no_rules),
            Ok(one("ongoing"))
        );
        assert_eq!(
            check_value_en("priorities", one("3"), &no_rules),
            Ok(Value::Many(vec!["3".into()]))
        );
        assert_eq!(
            check_value_en("beneficiaries_total", one(""), &no_rules),
            Ok(one(""))
        );
    }

    #[test]
    fn wrong_values_are_refused_with_a_reason() {
        let err = |k: &str, v: Value| check_value(k, v, Locale::En, &no_rules).unwrap_err();
        assert_eq!(err("beneficiaries_total", one("-3")).code, "not_a_count");
        assert_eq!(
            err("beneficiaries_total", one("many")).english(),
            "`many` is not a whole number of 0 or more"
        );
        assert_eq!(err("funding.1.currency", one("XYZ")).code, "not_a_currency");
        assert_eq!(err("funding.1.amount", one("NaN")).code, "not_an_amount");
        assert_eq!(err("funding.1.amount", one("inf")).code, "not_an_amount");
        assert_eq!(err("metric.1.year", one("1850")).code, "not_a_year");
        assert_eq!(err("implementation_stage", one("done")).code, "not_a_choice");
        assert_eq!(err("priorities", Value::Many(vec!["9".into()])).detail, "9");
        assert_eq!(err("timeline_start", one("2023-02-30")).code, "not_a_date");
        assert_eq!(err("results_summary", one(&"x".repeat(10_001))).code, "too_long");
        assert_eq!(err("nickname", one("x")).code, "unknown_field");
        assert_eq!(err("results_summary", Value::Many(vec![])).code, "wrong_type");
        assert_eq!(err("justification.nope", one("x")).code, "unknown_field");
    }

    #[test]
    fn thousands_of_unknown_names_get_ten_named_and_a_count() {
        let mut posted: BTreeMap<String, Value> = (0..5000)
            .map(|i| (format!("{}{i}", "x".repeat(500)), one("v")))
            .collect();
        posted.insert("beneficiaries_total".into(), one("many"));
        let errors = check_posted(posted, Locale::En, &no_rules).unwrap_err();
        assert_eq!(
            errors.len(),
            NAMED_UNKNOWN_FIELDS + 2,
            "ten names, the count, the bad number"
        );
        assert!(errors.iter().all(|e| e.field.len() <= 64 && e.detail.len() <= 64));
        let more = errors.iter().find(|e| e.code == "more_unknown_fields").unwrap();
        assert_eq!(
            more.english(),
            "and 4990 more names that are not fields of the update form"
        );
        assert!(
            errors.iter().any(|e| e.code == "not_a_count"),
            "real errors are all kept"
        );
    }

    #[test]
    fn numbers_are_read_in_the_forms_language_and_stored_canonical() {
        let fr = |k: &str, v: &str| check_value(k, one(v), Locale::Fr, &no_rules);
        assert_eq!(fr("metric.1.value", "99,5"), Ok(one("99.5")));
        assert_eq!(fr("funding.1.amount", "1,5"), Ok(one("1.5")));
        assert_eq!(fr("beneficiaries_total", "1 250"), Ok(one("1250")));
        assert_eq!(
            check_value("funding.1.amount", one("500.000"), Locale::Es, &no_rules),
            Ok(one("500000"))
        );
        let asked = fr("beneficiaries_total", "1,250").unwrap_err();
        assert_eq!(
            (asked.code, asked.detail.as_str(), asked.other.as_str()),
            ("ambiguous_number", "1 250", "1,25")
        );
        assert_eq!(
            fr("metric.1.series", "2025: 94; 2022: 44,5"),
            Ok(one("2022: 44.5; 2025: 94"))
        );
        assert_eq!(
            fr("metric.1.series", "last year: 4").unwrap_err().code,
            "not_a_series"
        );
        let mut a = Answers::default();
        a.0.insert("metric.1.series".into(), one("2022: 44.5; 2025: 94"));
        assert_eq!(a.series("metric.1.series").len(), 2);
        assert_eq!(
            a.series("metric.1.series")[0],
            SeriesPoint {
                year: 2022,
                value: 44.5
            }
        );
    }

    #[test]
    fn every_repeating_group_holds_twenty_rows() {
        for g in GROUPS {
            for (column, _) in g.columns {
                assert!(find_field(&g.key(MAX_ROWS, column)).is_some(), "{}", g.name);
                assert!(find_field(&g.key(MAX_ROWS + 1, column)).is_none(), "{}", g.name);
            }
        }
        assert_eq!(
            row_of("partner.4.name").map(|(g, n)| (g.name, n)),
            Some(("partner", 4))
        );
    }

    #[test]
    fn justifications_are_accepted_for_known_rules() {
        let known = |rule: &str| rule == "base.breakdown.sum";
        assert!(
            check_value(
                "justification.base.breakdown.sum",
                one("children counted twice"),
                Locale::En,
                &known
            )
            .is_ok()
        );
    }

    #[test]
    fn a_posted_set_is_all_or_nothing() {
        let mut posted = BTreeMap::new();
        posted.insert("results_summary".to_string(), one("Good year"));
        posted.insert("beneficiaries_total".to_string(), one("lots"));
        posted.insert("sdgs".to_string(), Value::Many(vec!["18".into()]));
        let errors = check_posted(posted, Locale::En, &no_rules).unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn accessors_read_typed_values() {
        let mut a = Answers::default();
        a.0.insert("beneficiaries_total".into(), one("41 000"));
        a.0.insert("achievement.2".into(), one("Market built"));
        a.0.insert("achievement.3".into(), one("  "));
        assert_eq!(a.count("beneficiaries_total"), Some(41_000));
        assert_eq!(a.filled_rows("achievement", None), 1);
        assert_eq!(a.rows_in_use(group("achievement").unwrap()), vec![2]);
        assert!(!a.has("achievement.3"));
    }

    proptest::proptest! {
        /// Any posted field name and value is accepted or refused with a field error; never a panic.
        #[test]
        fn arbitrary_posted_answers_never_panic(
            fields in proptest::collection::btree_map("[a-z_.0-9]{1,30}", proptest::collection::vec(".{0,80}", 1..3), 0..12)
        ) {
            let posted: BTreeMap<String, Value> = fields
                .into_iter()
                .map(|(k, mut v)| (k, if v.len() == 1 { Value::One(v.remove(0)) } else { Value::Many(v) }))
                .collect();
            match check_posted(posted, Locale::Fr, &|_| true) {
                Ok(_) => {}
                Err(errors) => proptest::prop_assert!(errors.iter().all(|e| !e.english().is_empty())),
            }
        }
    }
}
