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

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Target::All => &[
                "reference",
                "title",
                "organization",
                "country",
                "compact_scope",
                "out_of_un_scope",
                "campaign",
                "state",
                "revision",
                "submitted_at",
                "implementation_stage",
                "stage_narrative",
                "timeline_start",
                "timeline_end",
                "results_summary",
                "key_achievements",
                "beneficiaries_total",
                "beneficiaries_qualifier",
                "funding",
                "partners",
                "priorities",
                "gcm_objectives",
                "gcr_objectives",
                "sdgs",
                "challenges",
                "challenge_responses",
                "lessons_learned",
            ],
            Target::Gcr => &[
                "pledge_id",
                "coalition_reference",
                "title",
                "submitting_entity",
                "country",
                "stage",
                "narrative",
                "beneficiaries_reached",
                "beneficiaries_qualifier",
                "funding",
                "gcr_objectives",
                "update_date",
            ],
            Target::Gcm => &[
                "pledge_ref",
                "coalition_reference",
                "title",
                "submitting_entity",
                "country",
                "stage",
                "narrative",
                "beneficiaries_reached",
                "gcm_objectives",
                "gcm_principles",
                "update_date",
            ],
        }
    }
}

/// The register facts an export row needs besides the answers.
pub struct RowFacts<'a> {
    pub reference: &'a str,
    pub title: &'a str,
    pub organization: &'a str,
    pub country: &'a str,
    pub scope: CompactScope,
    pub campaign: &'a str,
    pub state: &'a str,
    pub revision: i32,
    pub submitted_at: &'a str,
    pub gcr_pledge_id: Option<&'a str>,
    pub gcm_pledge_ref: Option<&'a str>,
}

/// UNHCR's stage words.
fn un_stage(stage: &str) -> &'static str {
    match stage {
        "planning" => "PLANNING",
        "in_progress" | "adapted" => "IN_PROGRESS",
        "fulfilled" => "FULFILLED",
        "discontinued" => "DISCONTINUED",
        _ => "",
    }
}

fn rows_joined(a: &Answers, group: &str, rows: usize, columns: &[&str], sep: &str) -> String {
    (1..=rows)
        .filter_map(|i| {
            let parts: Vec<&str> = columns
                .iter()
                .map(|c| a.text(&format!("{group}.{i}.{c}")))
                .filter(|v| !v.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join(sep))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One export row, in the order of `target.columns()`.
pub fn row(target: Target, f: &RowFacts, a: &Answers) -> Vec<String> {
    use super::answers::{ACHIEVEMENT_ROWS, FUNDING_ROWS, PARTNER_ROWS};
    let list = |k: &str| a.list(k).join(";");
    let achievements: Vec<&str> = (1..=ACHIEVEMENT_ROWS)
        .map(|i| a.text(&format!("achievement.{i}")))
        .filter(|v| !v.is_empty())
        .collect();
    let funding = rows_joined(a, "funding", FUNDING_ROWS, &["amount", "currency", "source"], " ");
    let narrative = [a.text("stage_narrative"), a.text("results_summary")]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n");
    match target {
        Target::All => vec![
            f.reference.into(),
            f.title.into(),
            f.organization.into(),
            f.country.into(),
            f.scope.to_string(),
            (f.scope == CompactScope::IdpOnly).to_string(),
            f.campaign.into(),
            f.state.into(),
            f.revision.to_string(),
            f.submitted_at.into(),
            a.text("implementation_stage").into(),
            a.text("stage_narrative").into(),
            a.text("timeline_start").into(),
            a.text("timeline_end").into(),
            a.text("results_summary").into(),
            achievements.join("; "),
            a.text("beneficiaries_total").into(),
            a.text("beneficiaries_qualifier").into(),
            funding,
            rows_joined(a, "partner", PARTNER_ROWS, &["name", "kind"], " / "),
            list("priorities"),
            list("gcm_objectives"),
            list("gcr_objectives"),
            list("sdgs"),
            list("challenges"),
            a.text("challenge_responses").into(),
            a.text("lessons_learned").into(),
        ],
        Target::Gcr => vec![
            f.gcr_pledge_id.unwrap_or_default().into(),
            f.reference.into(),
            f.title.into(),
            f.organization.into(),
            f.country.into(),
            un_stage(a.text("implementation_stage")).into(),
            narrative,
            a.text("beneficiaries_total").into(),
            a.text("beneficiaries_qualifier").into(),
            funding,
            list("gcr_objectives"),
            f.submitted_at.into(),
        ],
        Target::Gcm => vec![
            f.gcm_pledge_ref.unwrap_or_default().into(),
            f.reference.into(),
            f.title.into(),
            f.organization.into(),
            f.country.into(),
            un_stage(a.text("implementation_stage")).into(),
            narrative,
            a.text("beneficiaries_total").into(),
            list("gcm_objectives"),
            list("gcm_principles"),
            f.submitted_at.into(),
        ],
    }
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

    #[test]
    fn rows_have_one_value_per_column() {
        let facts = RowFacts {
            reference: "CLA-2025-0001",
            title: "T",
            organization: "Arua",
            country: "Uganda",
            scope: CompactScope::Mirror,
            campaign: "C",
            state: "published",
            revision: 1,
            submitted_at: "2026-11-29",
            gcr_pledge_id: Some("GRF-01547"),
            gcm_pledge_ref: None,
        };
        let mut a = Answers::default();
        a.0.insert(
            "implementation_stage".into(),
            super::super::answers::Value::One("in_progress".into()),
        );
        for target in [Target::All, Target::Gcr, Target::Gcm] {
            assert_eq!(row(target, &facts, &a).len(), target.columns().len());
        }
        assert_eq!(row(Target::Gcr, &facts, &a)[5], "IN_PROGRESS");
        assert!(
            !is_public("consent_to_publish")
                && !is_public("justification.base.x")
                && is_public("results_summary")
        );
    }
}
