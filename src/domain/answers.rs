//! The update form's answers. A draft is a map from field key to what the officer typed,
//! kept as text: a half-finished answer is saved as typed, and the rules (requirements.rs)
//! say what is missing. Only structural problems — an unknown field, a value that cannot be
//! of its field's type, text over its length — refuse a save, and then nothing is written.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::pledge::{CompactScope, TimelinePoint};
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

/// Numbered rows of the repeating groups (fixed slots keep the form usable without JavaScript).
pub const ACHIEVEMENT_ROWS: usize = 5;
pub const METRIC_ROWS: usize = 3;
pub const BREAKDOWN_ROWS: usize = 4;
pub const FUNDING_ROWS: usize = 3;
pub const PARTNER_ROWS: usize = 3;

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
    "rlo_mlo",
    "city_network",
    "donor",
];
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
    /// A whole number ≥ 0; thousands separators (spaces, commas) are accepted.
    Count,
    /// A number ≥ 0, decimals allowed (money, metric values).
    Amount,
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

fn field(key: impl Into<String>, section: Section, kind: Kind) -> Field {
    Field {
        key: key.into(),
        section,
        kind,
    }
}

/// Every field of the form (requirements.md §b.2), in display order.
pub fn fields() -> &'static [Field] {
    static FIELDS: std::sync::OnceLock<Vec<Field>> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        use Kind::*;
        use Section as S;
        let mut f = vec![
            field("implementation_stage", S::Status, Choice(STAGES)),
            field("stage_narrative", S::Status, LongText(2_000)),
            field("no_significant_change", S::Status, Check),
            field("reporting_cycle", S::Status, Choice(REPORTING_CYCLES)),
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
            field("pledge_structure", S::Pledge, Choice(STRUCTURES)),
            field("matched_pledge_ref", S::Pledge, Text(300)),
            field("results_summary", S::Results, LongText(10_000)),
        ];
        for i in 1..=ACHIEVEMENT_ROWS {
            f.push(field(format!("achievement.{i}"), S::Results, Text(500)));
        }
        for i in 1..=METRIC_ROWS {
            f.push(field(format!("metric.{i}.label"), S::Results, Text(200)));
            f.push(field(format!("metric.{i}.value"), S::Results, Amount));
            f.push(field(format!("metric.{i}.unit"), S::Results, Text(40)));
            f.push(field(format!("metric.{i}.baseline"), S::Results, Amount));
            f.push(field(format!("metric.{i}.year"), S::Results, Year));
        }
        f.push(field("beneficiaries_total", S::Beneficiaries, Count));
        f.push(field(
            "beneficiaries_qualifier",
            S::Beneficiaries,
            Choice(QUALIFIERS),
        ));
        for i in 1..=BREAKDOWN_ROWS {
            f.push(field(
                format!("breakdown.{i}.group"),
                S::Beneficiaries,
                Choice(BREAKDOWN_GROUPS),
            ));
            f.push(field(format!("breakdown.{i}.count"), S::Beneficiaries, Count));
        }
        f.push(field("beneficiaries_targeted", S::Beneficiaries, Count));
        f.push(field("refugee_participation", S::Beneficiaries, LongText(2_000)));
        for i in 1..=FUNDING_ROWS {
            f.push(field(format!("funding.{i}.amount"), S::Funding, Amount));
            f.push(field(format!("funding.{i}.currency"), S::Funding, Currency));
            f.push(field(
                format!("funding.{i}.source"),
                S::Funding,
                Choice(FUNDING_SOURCES),
            ));
        }
        for i in 1..=PARTNER_ROWS {
            f.push(field(format!("partner.{i}.name"), S::Funding, Text(200)));
            f.push(field(
                format!("partner.{i}.kind"),
                S::Funding,
                Choice(PARTNER_KINDS),
            ));
        }
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
    fields().iter().find(|f| f.key == key)
}

/// Prefix of the keys that hold an officer's justification of a warning: `justification.RULE_ID`.
pub const JUSTIFICATION_PREFIX: &str = "justification.";
pub const JUSTIFICATION_MAX: usize = 1_000;

/// Why a value cannot be saved. `code` selects the translated message; `detail` is the
/// offending value or limit, shown inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub detail: String,
}

impl FieldError {
    fn new(field: &str, code: &'static str, detail: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            detail: detail.into(),
        }
    }

    /// English text, for logs and the API.
    pub fn english(&self) -> String {
        let d = &self.detail;
        match self.code {
            "unknown_field" => "is not a field of the update form".into(),
            "too_long" => format!("is longer than {d} characters"),
            "not_a_count" => format!("`{d}` is not a whole number of 0 or more"),
            "not_an_amount" => format!("`{d}` is not a number of 0 or more"),
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

/// Removes thousands separators people type ("41 000", "41,000", narrow no-break spaces).
fn digits_only(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, ' ' | ',' | '_' | '\u{a0}' | '\u{202f}'))
        .collect()
}

pub fn parse_count(value: &str) -> Option<i64> {
    digits_only(value.trim()).parse::<i64>().ok().filter(|n| *n >= 0)
}

pub fn parse_amount(value: &str) -> Option<f64> {
    digits_only(value.trim())
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

pub fn is_currency(code: &str) -> bool {
    code.len() == 3 && CURRENCIES.split(' ').any(|c| c == code)
}

/// Checks one value against its field's type and normalises it (trimmed; codes and currencies
/// in their canonical case; a checkbox as "true"). Empty values are always acceptable.
pub fn check_value(
    key: &str,
    value: Value,
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
            check_value(key, Value::Many(vec![one]), justification_rules)
        }
        (_, Value::Many(_)) => Err(FieldError::new(key, "wrong_type", "")),
        (kind, Value::One(text)) => check_text(key, kind, text).map(Value::One),
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

fn check_text(key: &str, kind: Kind, text: String) -> Result<String, FieldError> {
    let trimmed = text.trim();
    let max = match kind {
        Kind::Text(max) | Kind::LongText(max) => max,
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
        Kind::Count if parse_count(trimmed).is_some() => Ok(trimmed.into()),
        Kind::Count => Err(FieldError::new(key, "not_a_count", shown)),
        Kind::Amount if parse_amount(trimmed).is_some() => Ok(trimmed.into()),
        Kind::Amount => Err(FieldError::new(key, "not_an_amount", shown)),
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
        Kind::EndPoint if trimmed.eq_ignore_ascii_case("ongoing") => Ok("ongoing".into()),
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
pub fn check_posted(
    posted: BTreeMap<String, Value>,
    justification_rules: &dyn Fn(&str) -> bool,
) -> Result<Answers, Vec<FieldError>> {
    let mut clean = BTreeMap::new();
    let mut errors = Vec::new();
    for (key, value) in posted {
        match check_value(&key, value, justification_rules) {
            Ok(v) => {
                clean.insert(key, v);
            }
            Err(e) => errors.push(e),
        }
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

    /// Non-empty values of a numbered group, e.g. `achievement` → achievement.1…5.
    pub fn filled_rows(&self, group: &str, rows: usize, column: Option<&str>) -> usize {
        (1..=rows)
            .filter(|i| {
                let key = match column {
                    Some(c) => format!("{group}.{i}.{c}"),
                    None => format!("{group}.{i}"),
                };
                self.has(&key)
            })
            .count()
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
            check_value("beneficiaries_total", one(" 41,000 "), &no_rules),
            Ok(one("41,000"))
        );
        assert_eq!(
            check_value("funding.1.currency", one("usd"), &no_rules),
            Ok(one("USD"))
        );
        assert_eq!(
            check_value("consent_to_publish", one("on"), &no_rules),
            Ok(one("true"))
        );
        assert_eq!(
            check_value("timeline_end", one("Ongoing"), &no_rules),
            Ok(one("ongoing"))
        );
        assert_eq!(
            check_value("priorities", one("3"), &no_rules),
            Ok(Value::Many(vec!["3".into()]))
        );
        assert_eq!(
            check_value("beneficiaries_total", one(""), &no_rules),
            Ok(one(""))
        );
    }

    #[test]
    fn wrong_values_are_refused_with_a_reason() {
        let err = |k: &str, v: Value| check_value(k, v, &no_rules).unwrap_err();
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
    fn justifications_are_accepted_for_known_rules() {
        let known = |rule: &str| rule == "base.breakdown.sum";
        assert!(
            check_value(
                "justification.base.breakdown.sum",
                one("children counted twice"),
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
        let errors = check_posted(posted, &no_rules).unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn accessors_read_typed_values() {
        let mut a = Answers::default();
        a.0.insert("beneficiaries_total".into(), one("41 000"));
        a.0.insert("achievement.2".into(), one("Market built"));
        a.0.insert("achievement.3".into(), one("  "));
        assert_eq!(a.count("beneficiaries_total"), Some(41_000));
        assert_eq!(a.filled_rows("achievement", ACHIEVEMENT_ROWS, None), 1);
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
            match check_posted(posted, &|_| true) {
                Ok(_) => {}
                Err(errors) => proptest::prop_assert!(errors.iter().all(|e| !e.english().is_empty())),
            }
        }
    }
}
