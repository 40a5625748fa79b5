//! What leaves the service: the public fields of an update, and the rows of the exports for
//! the UN dashboards. IDP-only pledges never go to a UN target.
use super::answers::Answers;
use super::pledge::CompactScope;

/// Fields that appear on public pages and in exports. Everything else (consent, interview
/// availability, justifications, internal national-reporting notes) stays inside.
pub fn is_public(key: &str) -> bool {
    !matches!(
        key,
        "consent_to_publish"
            | "interview_availability"
            | "national_reporting_known"
            | "invited_to_national_process"
            | "no_significant_change"
    ) && !key.starts_with(super::answers::JUSTIFICATION_PREFIX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every approved or published update (the Coalition's own database).
    All,
    /// GCR and Mirror pledges, shaped like a UNHCR pledge update.
    Gcr,
    /// GCM and Mirror pledges, for the Migration Network Hub.
    Gcm,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::All, Target::Gcr, Target::Gcm];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::All => "all",
            Target::Gcr => "gcr",
            Target::Gcm => "gcm",
        }
    }

    pub fn parse(s: &str) -> Result<Target, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(Target::All),
            "gcr" => Ok(Target::Gcr),
            "gcm" => Ok(Target::Gcm),
            _ => Err(format!("`{s}` is not an export target (all, gcr or gcm)")),
        }
    }

    pub fn includes(self, scope: CompactScope) -> bool {
        match self {
            Target::All => true,
            Target::Gcr => scope.counts_for_gcr(),
            Target::Gcm => scope.counts_for_gcm(),
        }
    }
}

/// What a column holds. JSON carries it typed; CSV and XLSX write it as text (lists joined
/// with "; ", records as "key: value" pairs). The JSON Schemas in `schemas/` are made from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    /// Text that may be absent (JSON null).
    OptionalText,
    Integer,
    OptionalInteger,
    OptionalNumber,
    Bool,
    TextList,
    IntegerList,
    /// A list of records with these fields.
    Records(&'static [(&'static str, ColumnType)]),
}

pub type Column = (&'static str, ColumnType);

use ColumnType as C;

const FUNDING: ColumnType = C::Records(&[
    ("funder", C::OptionalText),
    ("qualifier", C::OptionalText),
    ("amount", C::OptionalNumber),
    ("currency", C::OptionalText),
    ("source", C::OptionalText),
]);
const PARTNERS: ColumnType = C::Records(&[("name", C::OptionalText), ("kind", C::OptionalText)]);
const SERIES: ColumnType = C::Records(&[("year", C::Integer), ("value", C::OptionalNumber)]);
const KEY_FIGURES: ColumnType = C::Records(&[
    ("label", C::OptionalText),
    ("qualifier", C::OptionalText),
    ("value", C::OptionalNumber),
    ("unit", C::OptionalText),
    ("year", C::OptionalInteger),
    ("baseline", C::OptionalNumber),
    ("series", SERIES),
]);
const BREAKDOWN: ColumnType = C::Records(&[("group", C::OptionalText), ("count", C::OptionalInteger)]);

/// The columns every target starts with: which pledge, which update.
const IDENTITY: &[Column] = &[
    ("coalition_reference", C::Text),
    ("cycle", C::OptionalText),
    ("revision", C::Integer),
    ("title", C::Text),
    ("submitting_entity", C::Text),
    ("country", C::Text),
    ("country_code", C::OptionalText),
];

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::All => "all",
            Target::Gcr => "gcr",
            Target::Gcm => "gcm",
        }
    }

    pub fn columns(self) -> Vec<Column> {
        let mut columns: Vec<Column> = match self {
            Target::Gcr => vec![("pledge_id", C::OptionalText)],
            Target::Gcm => vec![("pledge_ref", C::OptionalText)],
            Target::All => vec![],
        };
        columns.extend_from_slice(IDENTITY);
        columns.extend_from_slice(match self {
            // UNHCR's pledge update: its three stages only; a discontinued pledge is flagged
            // apart, with its reason, and has no stage.
            Target::Gcr => &[
                ("stage", C::OptionalText),
                ("discontinued", C::Bool),
                ("discontinued_reason", C::OptionalText),
                ("narrative", C::OptionalText),
                ("gcr_objectives", C::IntegerList),
                ("focus_areas", C::TextList),
                ("contribution_type", C::TextList),
                ("timeline_start", C::OptionalText),
                ("timeline_end", C::OptionalText),
                ("beneficiaries_reached", C::OptionalInteger),
                ("beneficiaries_qualifier", C::OptionalText),
                ("funding", FUNDING),
                ("update_date", C::Text),
            ],
            // The Migration Network Hub's pledge: description, form, structure, partners.
            Target::Gcm => &[
                ("description", C::OptionalText),
                ("stage", C::OptionalText),
                ("discontinued", C::Bool),
                ("discontinued_reason", C::OptionalText),
                ("narrative", C::OptionalText),
                ("timeline_start", C::OptionalText),
                ("timeline_end", C::OptionalText),
                ("pledge_form", C::TextList),
                ("structure", C::OptionalText),
                ("joint_partners", C::OptionalText),
                ("gcm_objectives", C::IntegerList),
                ("gcm_principles", C::TextList),
                ("beneficiaries_reached", C::OptionalInteger),
                ("qualifier", C::OptionalText),
                ("partners", PARTNERS),
                ("funding", FUNDING),
                ("update_date", C::Text),
            ],
            // The Coalition's own database: everything public.
            Target::All => &[
                ("campaign", C::Text),
                ("state", C::Text),
                ("register_scope", C::Text),
                ("compact_scope", C::Text),
                ("out_of_un_scope", C::Bool),
                ("submitted_at", C::Text),
                ("implementation_stage", C::OptionalText),
                ("no_significant_change", C::Bool),
                ("stage_narrative", C::OptionalText),
                ("timeline_start", C::OptionalText),
                ("timeline_end", C::OptionalText),
                ("description", C::OptionalText),
                ("gcr_pledge_id", C::OptionalText),
                ("gcm_pledge_ref", C::OptionalText),
                ("pledge_structure", C::OptionalText),
                ("joint_partners", C::OptionalText),
                ("results_summary", C::OptionalText),
                ("key_achievements", C::TextList),
                ("key_figures", KEY_FIGURES),
                ("beneficiaries_reached", C::OptionalInteger),
                ("beneficiaries_not_counted", C::Bool),
                ("beneficiaries_qualifier", C::OptionalText),
                ("beneficiaries_breakdown", BREAKDOWN),
                ("beneficiaries_targeted", C::OptionalInteger),
                ("funding", FUNDING),
                ("partners", PARTNERS),
                ("primary_priority", C::OptionalInteger),
                ("priorities", C::IntegerList),
                ("gcm_objectives", C::IntegerList),
                ("gcm_principles", C::TextList),
                ("gcm_pledge_form", C::TextList),
                ("gcr_objectives", C::IntegerList),
                ("gcr_focus_areas", C::TextList),
                ("gcr_contribution_type", C::TextList),
                ("sdgs", C::IntegerList),
                ("challenges", C::TextList),
                ("challenges_text", C::OptionalText),
                ("challenge_responses", C::OptionalText),
                ("lessons_learned", C::OptionalText),
                ("national_engagement", C::OptionalText),
            ],
        });
        columns
    }

    pub fn column_names(self) -> Vec<&'static str> {
        self.columns().iter().map(|(name, _)| *name).collect()
    }
}

/// The register facts an export row needs besides the answers.
pub struct RowFacts<'a> {
    pub reference: &'a str,
    pub title: &'a str,
    pub organization: &'a str,
    pub country: &'a str,
    pub country_code: &'a str,
    pub register_scope: CompactScope,
    pub campaign: &'a str,
    pub state: &'a str,
    pub revision: i32,
    pub submitted_at: &'a str,
    pub gcr_pledge_id: Option<&'a str>,
    pub gcm_pledge_ref: Option<&'a str>,
}

/// The scope an approved update confirmed; the register's when it says none.
pub fn confirmed_scope(register: CompactScope, answers: &Answers) -> CompactScope {
    answers.scope().unwrap_or(register)
}

/// UNHCR's three stages; adapted pledges are still in progress; discontinued has none.
fn un_stage(stage: &str) -> Option<&'static str> {
    match stage {
        "planning" => Some("PLANNING"),
        "in_progress" | "adapted" => Some("IN_PROGRESS"),
        "fulfilled" => Some("FULFILLED"),
        _ => None,
    }
}

use serde_json::{Value as Json, json};

fn text(a: &Answers, key: &str) -> Json {
    match a.text(key) {
        "" => Json::Null,
        t => Json::String(t.to_string()),
    }
}

fn text_or(value: &str) -> Json {
    if value.is_empty() {
        Json::Null
    } else {
        Json::String(value.to_string())
    }
}

fn number(a: &Answers, key: &str) -> Json {
    a.amount(key).map_or(Json::Null, |n| json!(n))
}

fn integer(a: &Answers, key: &str) -> Json {
    a.count(key).map_or(Json::Null, |n| json!(n))
}

fn texts(a: &Answers, key: &str) -> Json {
    json!(a.list(key))
}

fn integers(a: &Answers, key: &str) -> Json {
    json!(
        a.list(key)
            .iter()
            .filter_map(|c| c.parse::<i64>().ok())
            .collect::<Vec<_>>()
    )
}

/// People reached as a figure: never a typed 0, never when the pledge does not count people.
fn people(a: &Answers) -> Json {
    match a.count("beneficiaries_total") {
        Some(n) if n > 0 && !a.checked("beneficiaries_not_counted") => json!(n),
        _ => Json::Null,
    }
}

/// The rows of a repeating group as records, typed by `record`'s columns.
fn records(a: &Answers, group_name: &str, record: ColumnType) -> Json {
    let (Some(group), C::Records(columns)) = (super::answers::group(group_name), record) else {
        return json!([]);
    };
    let rows: Vec<Json> = a
        .rows_in_use(group)
        .into_iter()
        .map(|i| {
            let key = |c: &str| group.key(i, c);
            let object: serde_json::Map<String, Json> = columns
                .iter()
                .map(|(c, kind)| {
                    let value = match kind {
                        C::OptionalNumber => number(a, &key(c)),
                        C::OptionalInteger => integer(a, &key(c)),
                        C::Records(_) => json!(
                            a.series(&key(c))
                                .iter()
                                .map(|p| json!({"year": p.year, "value": p.value}))
                                .collect::<Vec<_>>()
                        ),
                        _ => text(a, &key(c)),
                    };
                    (c.to_string(), value)
                })
                .collect();
            Json::Object(object)
        })
        .collect();
    Json::Array(rows)
}

fn achievements(a: &Answers) -> Json {
    let Some(group) = super::answers::group("achievement") else {
        return json!([]);
    };
    json!(
        a.rows_in_use(group)
            .into_iter()
            .map(|i| a.text(&group.key(i, "")).to_string())
            .collect::<Vec<_>>()
    )
}

/// One export row: (column, typed value), in the order of `target.columns()`.
pub fn row(target: Target, f: &RowFacts, a: &Answers) -> Vec<(&'static str, Json)> {
    let stage = a.text("implementation_stage");
    let discontinued = stage == "discontinued";
    let narrative = [a.text("stage_narrative"), a.text("results_summary")]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n");
    let title = match a.text("title") {
        "" => f.title,
        confirmed => confirmed,
    };
    let gcr_id = match a.text("gcr_pledge_id") {
        "" => f.gcr_pledge_id.unwrap_or_default(),
        typed => typed,
    };
    let gcm_ref = match a.text("gcm_pledge_ref") {
        "" => f.gcm_pledge_ref.unwrap_or_default(),
        typed => typed,
    };
    let scope = confirmed_scope(f.register_scope, a);
    let value = |column: &str| -> Json {
        match column {
            "pledge_id" | "gcr_pledge_id" => text_or(gcr_id),
            "pledge_ref" | "gcm_pledge_ref" => text_or(gcm_ref),
            "coalition_reference" => json!(f.reference),
            "cycle" => text(a, "reporting_cycle"),
            "revision" => json!(f.revision),
            "title" => json!(title),
            "submitting_entity" => json!(f.organization),
            "country" => json!(f.country),
            "country_code" => text_or(f.country_code),
            "campaign" => json!(f.campaign),
            "state" => json!(f.state),
            "register_scope" => json!(f.register_scope.as_str()),
            "compact_scope" => json!(scope.as_str()),
            "out_of_un_scope" => json!(scope == CompactScope::IdpOnly),
            "submitted_at" | "update_date" => json!(f.submitted_at),
            "stage" => un_stage(stage).map_or(Json::Null, |s| json!(s)),
            "discontinued" => json!(discontinued),
            "discontinued_reason" if discontinued => text(a, "stage_narrative"),
            "discontinued_reason" => Json::Null,
            "narrative" => text_or(&narrative),
            "focus_areas" => texts(a, "gcr_focus_areas"),
            "contribution_type" => texts(a, "gcr_contribution_type"),
            "pledge_form" => texts(a, "gcm_pledge_form"),
            "structure" => text(a, "pledge_structure"),
            "qualifier" => text(a, "beneficiaries_qualifier"),
            "no_significant_change" | "beneficiaries_not_counted" => json!(a.checked(column)),
            "beneficiaries_reached" => people(a),
            "beneficiaries_targeted" | "primary_priority" => integer(a, column),
            "key_achievements" => achievements(a),
            "key_figures" => records(a, "metric", KEY_FIGURES),
            "beneficiaries_breakdown" => records(a, "breakdown", BREAKDOWN),
            "funding" => records(a, "funding", FUNDING),
            "partners" => records(a, "partner", PARTNERS),
            "priorities" | "gcm_objectives" | "gcr_objectives" | "sdgs" => integers(a, column),
            "gcm_principles"
            | "gcm_pledge_form"
            | "gcr_focus_areas"
            | "gcr_contribution_type"
            | "challenges" => texts(a, column),
            other => text(a, other),
        }
    };
    target
        .columns()
        .into_iter()
        .map(|(name, _)| (name, value(name)))
        .collect()
}

/// A typed value as one spreadsheet cell.
pub fn cell(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Array(items) => items.iter().map(cell_part).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

fn cell_part(value: &Json) -> String {
    match value {
        Json::Object(fields) => fields
            .iter()
            .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
            .map(|(k, v)| match v {
                Json::Array(items) => format!(
                    "{k}: {}",
                    items.iter().map(cell_inner).collect::<Vec<_>>().join(", ")
                ),
                _ => format!("{k}: {}", cell(v)),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => cell(other),
    }
}

fn cell_inner(value: &Json) -> String {
    match value {
        Json::Object(fields) => fields.values().map(cell).collect::<Vec<_>>().join(" "),
        other => cell(other),
    }
}

/// The JSON Schema (2020-12) of a target's JSON export, made from its columns.
pub fn schema(target: Target) -> Json {
    fn of(kind: ColumnType) -> Json {
        match kind {
            C::Text => json!({"type": "string"}),
            C::OptionalText => json!({"type": ["string", "null"]}),
            C::Integer => json!({"type": "integer"}),
            C::OptionalInteger => json!({"type": ["integer", "null"], "minimum": 0}),
            C::OptionalNumber => json!({"type": ["number", "null"], "minimum": 0}),
            C::Bool => json!({"type": "boolean"}),
            C::TextList => json!({"type": "array", "items": {"type": "string"}}),
            C::IntegerList => json!({"type": "array", "items": {"type": "integer"}}),
            C::Records(fields) => json!({
                "type": "array",
                "items": object(fields),
            }),
        }
    }
    fn object(fields: &[Column]) -> Json {
        let properties: serde_json::Map<String, Json> = fields
            .iter()
            .map(|(name, kind)| (name.to_string(), of(*kind)))
            .collect();
        json!({
            "type": "object",
            "properties": properties,
            "required": fields.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
            "additionalProperties": false,
        })
    }
    let columns = target.columns();
    let mut item = object(&columns);
    if let Some(stage) = item.pointer_mut("/properties/stage") {
        *stage = json!({"enum": ["PLANNING", "IN_PROGRESS", "FULFILLED", null]});
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://pledgeflow.example.org/schemas/export-{}.schema.json", target.name()),
        "title": format!("pledgeflow export, target {}", target.name()),
        "type": "object",
        "properties": {
            "target": {"const": target.name()},
            "columns": {"const": columns.iter().map(|(n, _)| *n).collect::<Vec<_>>()},
            "items": {"type": "array", "items": item},
        },
        "required": ["target", "columns", "items"],
        "additionalProperties": false,
    })
}

/// A spreadsheet reads a cell starting with = + - @ (or a tab or carriage return) as a
/// formula; a leading apostrophe makes it plain text.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn targets_follow_the_compacts_and_never_take_idp_only() {
        assert!(Target::Gcr.includes(CompactScope::Mirror) && Target::Gcr.includes(CompactScope::Gcr));
        assert!(!Target::Gcr.includes(CompactScope::Gcm) && !Target::Gcr.includes(CompactScope::IdpOnly));
        assert!(Target::Gcm.includes(CompactScope::Gcm) && !Target::Gcm.includes(CompactScope::IdpOnly));
        assert!(Target::All.includes(CompactScope::IdpOnly));
        assert!(Target::parse("UNHCR").is_err());
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-5"), "'-5");
        assert_eq!(neutralise("@SUM"), "'@SUM");
        assert_eq!(neutralise("5,000 people"), "5,000 people");
    }

    fn facts(scope: CompactScope) -> RowFacts<'static> {
        RowFacts {
            reference: "CLA-2025-0001",
            title: "T",
            organization: "Arua",
            country: "Uganda",
            country_code: "UG",
            register_scope: scope,
            campaign: "C",
            state: "published",
            revision: 1,
            submitted_at: "2026-11-29",
            gcr_pledge_id: Some("GRF-01547"),
            gcm_pledge_ref: None,
        }
    }

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        let mut a = Answers::default();
        for (k, v) in pairs {
            a.0.insert(k.to_string(), super::super::answers::Value::One(v.to_string()));
        }
        a
    }

    #[test]
    fn rows_have_one_typed_value_per_column() {
        let a = answers(&[
            ("implementation_stage", "adapted"),
            ("beneficiaries_total", "5000"),
            ("funding.1.funder", "SDC"),
            ("funding.2.amount", "1.5"),
            ("funding.2.currency", "USD"),
            ("metric.1.label", "perception"),
            ("metric.1.series", "2022: 44; 2025: 94"),
        ]);
        for target in [Target::All, Target::Gcr, Target::Gcm] {
            let row = row(target, &facts(CompactScope::Mirror), &a);
            assert_eq!(
                row.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                target.column_names()
            );
        }
        let gcr: BTreeMap<_, _> = row(Target::Gcr, &facts(CompactScope::Mirror), &a)
            .into_iter()
            .collect();
        assert_eq!(gcr["stage"], json!("IN_PROGRESS"));
        assert_eq!(gcr["beneficiaries_reached"], json!(5000));
        assert_eq!(gcr["pledge_id"], json!("GRF-01547"));
        assert_eq!(gcr["funding"][0]["funder"], json!("SDC"));
        assert_eq!(gcr["funding"][0]["amount"], Json::Null);
        assert_eq!(gcr["funding"][1]["amount"], json!(1.5));
        let all: BTreeMap<_, _> = row(Target::All, &facts(CompactScope::Mirror), &a)
            .into_iter()
            .collect();
        assert_eq!(
            all["key_figures"][0]["series"][1],
            json!({"year": 2025, "value": 94.0})
        );
        assert_eq!(cell(&all["funding"]), "funder: SDC; amount: 1.5, currency: USD");
        assert!(
            !is_public("consent_to_publish")
                && !is_public("justification.base.x")
                && is_public("results_summary")
        );
    }

    #[test]
    fn discontinued_is_never_a_stage_and_zero_is_never_a_figure() {
        let a = answers(&[
            ("implementation_stage", "discontinued"),
            ("stage_narrative", "Funding ended."),
            ("beneficiaries_total", "0"),
        ]);
        let gcr: BTreeMap<_, _> = row(Target::Gcr, &facts(CompactScope::Gcr), &a)
            .into_iter()
            .collect();
        assert_eq!(gcr["stage"], Json::Null);
        assert_eq!(gcr["discontinued"], json!(true));
        assert_eq!(gcr["discontinued_reason"], json!("Funding ended."));
        assert_eq!(gcr["beneficiaries_reached"], Json::Null);
    }

    #[test]
    fn the_confirmed_scope_decides_the_target() {
        let confirmed_gcm = answers(&[("compact_scope", "GCM")]);
        assert_eq!(
            confirmed_scope(CompactScope::Mirror, &confirmed_gcm),
            CompactScope::Gcm
        );
        assert_eq!(
            confirmed_scope(CompactScope::Gcr, &Answers::default()),
            CompactScope::Gcr
        );
    }

    /// The schemas shipped in `schemas/` are the ones the code makes.
    #[test]
    fn the_shipped_schemas_match_the_columns() {
        for (target, shipped) in [
            (Target::All, include_str!("../../schemas/export-all.schema.json")),
            (Target::Gcr, include_str!("../../schemas/export-gcr.schema.json")),
            (Target::Gcm, include_str!("../../schemas/export-gcm.schema.json")),
        ] {
            let shipped: Json = serde_json::from_str(shipped).unwrap();
            assert_eq!(
                shipped,
                schema(target),
                "schemas/export-{}.schema.json is stale: run `pledgeflow export --schema {} > schemas/export-{}.schema.json`",
                target.name(),
                target.name(),
                target.name()
            );
        }
    }
}
