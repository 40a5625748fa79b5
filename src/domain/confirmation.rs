//! What an approved update confirms about its pledge: the title, the compact scope, the
//! timeline and the UN ids the officer confirmed or corrected go back to the register when the
//! secretariat approves. The reviewer sees these changes before approving.
use super::answers::Answers;
use super::pledge::{CompactScope, TimelinePoint, parse_gcr_pledge_id};

/// The register's values an update can confirm. `timeline_end: None` means ongoing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterFacts {
    pub title: String,
    pub compact_scope: String,
    pub timeline_start: Option<String>,
    pub timeline_end: Option<String>,
    pub gcr_pledge_id: Option<String>,
    pub gcm_pledge_ref: Option<String>,
}

/// One register value the approval changes (the field is the form's key).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegisterChange {
    pub field: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// (field, the register's value, what the update confirms: `None` when it confirms nothing,
/// `Some(None)` when it confirms "no value", such as an ongoing end).
type Confirmed = (&'static str, Option<String>, Option<Option<String>>);

/// The register values the answers confirm differently. Empty answers change nothing, and a
/// value the register could not hold (a malformed GRF id, an unknown scope) is left out.
pub fn register_changes(register: &RegisterFacts, answers: &Answers) -> Vec<RegisterChange> {
    let typed = |key: &str| Some(answers.text(key).to_string()).filter(|t| !t.is_empty());
    let timeline = |key: &str| typed(key).filter(|t| TimelinePoint::parse(t).is_ok());
    let confirmed: [Confirmed; 6] = [
        ("title", Some(register.title.clone()), typed("title").map(Some)),
        (
            "compact_scope",
            Some(register.compact_scope.clone()),
            answers.scope().map(|s| Some(s.as_str().to_string())),
        ),
        (
            "timeline_start",
            register.timeline_start.clone(),
            timeline("timeline_start").map(Some),
        ),
        (
            "timeline_end",
            register.timeline_end.clone(),
            match answers.text("timeline_end") {
                "ongoing" => Some(None),
                _ => timeline("timeline_end").map(Some),
            },
        ),
        (
            "gcr_pledge_id",
            register.gcr_pledge_id.clone(),
            typed("gcr_pledge_id")
                .and_then(|id| parse_gcr_pledge_id(&id).ok())
                .map(Some),
        ),
        (
            "gcm_pledge_ref",
            register.gcm_pledge_ref.clone(),
            typed("gcm_pledge_ref").map(Some),
        ),
    ];
    confirmed
        .into_iter()
        .filter_map(|(field, before, after)| {
            let after = after?;
            (after != before).then_some(RegisterChange { field, before, after })
        })
        .collect()
}

/// The scope the register will hold after the changes.
pub fn scope_after(register_scope: CompactScope, changes: &[RegisterChange]) -> CompactScope {
    changes
        .iter()
        .find(|c| c.field == "compact_scope")
        .and_then(|c| c.after.as_deref())
        .and_then(|s| CompactScope::parse(s).ok())
        .unwrap_or(register_scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::answers::Value;

    fn register() -> RegisterFacts {
        RegisterFacts {
            title: "Quezon City pledge (2023)".into(),
            compact_scope: "GCR".into(),
            timeline_start: Some("2023".into()),
            timeline_end: Some("2025".into()),
            gcr_pledge_id: None,
            gcm_pledge_ref: None,
        }
    }

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        let mut a = Answers::default();
        for (k, v) in pairs {
            a.0.insert(k.to_string(), Value::One(v.to_string()));
        }
        a
    }

    #[test]
    fn confirmed_values_that_differ_become_changes() {
        let a = answers(&[
            ("title", "Quezon City Protection Centre"),
            ("compact_scope", "GCM"),
            ("timeline_start", "2023"),
            ("timeline_end", "ongoing"),
            ("gcr_pledge_id", "GRF-01547"),
            ("gcm_pledge_ref", "https://migrationnetwork.un.org/pledge/qc"),
        ]);
        let changes = register_changes(&register(), &a);
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                "title",
                "compact_scope",
                "timeline_end",
                "gcr_pledge_id",
                "gcm_pledge_ref"
            ]
        );
        assert_eq!(changes[2].after, None, "ongoing is no end date");
        assert_eq!(scope_after(CompactScope::Gcr, &changes), CompactScope::Gcm);
    }

    #[test]
    fn empty_or_unusable_answers_change_nothing() {
        let a = answers(&[
            ("title", ""),
            ("gcr_pledge_id", "GRF-1547"),
            ("timeline_end", "soon"),
        ]);
        assert!(register_changes(&register(), &a).is_empty());
    }
}
