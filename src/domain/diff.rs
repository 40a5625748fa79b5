//! Field-level comparison of answers: the diff a reviewer reads, and the three-way merge that
//! lets two people save the same draft without overwriting each other.
use std::collections::BTreeSet;

use serde::Serialize;

use super::answers::{Answers, Value};

/// One field whose value differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The fields whose (non-empty) value differs between `before` and `after`, in key order.
pub fn diff(before: &Answers, after: &Answers) -> Vec<FieldChange> {
    let keys: BTreeSet<&String> = before.0.keys().chain(after.0.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (b, a) = (before.get(key), after.get(key));
            (b != a).then(|| FieldChange {
                field: key.clone(),
                before: b.cloned(),
                after: a.cloned(),
            })
        })
        .collect()
}

/// Someone else changed a field that this save changes too, to a different value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub field: String,
    /// What the draft holds now (saved by the other person).
    pub theirs: Option<Value>,
    /// What this save wanted.
    pub yours: Option<Value>,
}

/// Three-way merge. `base` is the version the saver started from, `current` the newest saved
/// version, `posted` the fields this save sends (a subset is fine: absent keys are untouched).
/// Fields changed on one side only are merged; the same field changed on both sides to
/// different values is a conflict, and then nothing is merged.
pub fn merge(base: &Answers, current: &Answers, posted: &Answers) -> Result<Answers, Vec<Conflict>> {
    let mut merged = current.clone();
    let mut conflicts = Vec::new();
    for (key, value) in &posted.0 {
        let yours = Some(value).filter(|v| !v.is_empty());
        let (base_value, theirs) = (base.get(key), current.get(key));
        if yours == base_value {
            continue; // this save did not change the field; keep whatever is current
        }
        if theirs != base_value && theirs != yours {
            conflicts.push(Conflict {
                field: key.clone(),
                theirs: theirs.cloned(),
                yours: yours.cloned(),
            });
            continue;
        }
        merged.0.insert(key.clone(), value.clone());
    }
    if conflicts.is_empty() {
        Ok(merged.compact())
    } else {
        Err(conflicts)
    }
}

/// Saves by one officer within this window are kept as two versions: the window's first and
/// the newest. Autosave writes a version every few seconds of typing; without this, an
/// afternoon's work (or a script) stores hundreds of copies of the whole draft.
pub const COMPACTION_WINDOW: chrono::Duration = chrono::Duration::minutes(5);

/// Whether the version saved just before a new save by `saver` at `now` can go: it and the
/// one before it (`previous`, newest first, as (saved by, saved at)) were both saved by the
/// same officer within the window, so the window's first version stays. (A version a revision
/// was made from always stays; the caller knows that.) A client still holding a version that
/// went merges from the kept version before it: more conflicts at worst, never an overwrite.
pub fn superseded_in_burst(
    previous: &[(Option<i32>, chrono::DateTime<chrono::Utc>)],
    saver: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    previous.len() == 2
        && previous
            .iter()
            .all(|(by, at)| *by == Some(saver) && now - *at < COMPACTION_WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        Answers(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::One(v.to_string())))
                .collect(),
        )
    }

    #[test]
    fn edits_to_different_fields_merge() {
        let base = answers(&[("results_summary", "A")]);
        let current = answers(&[("results_summary", "A"), ("lessons_learned", "L")]);
        let posted = answers(&[("results_summary", "B"), ("lessons_learned", "")]);
        // The saver blanked nothing new: lessons_learned was empty in its base, so it is untouched.
        let merged = merge(&base, &current, &posted).unwrap();
        assert_eq!(
            merged,
            answers(&[("results_summary", "B"), ("lessons_learned", "L")])
        );
    }

    #[test]
    fn the_same_field_changed_twice_is_a_conflict_with_both_values() {
        let base = answers(&[("results_summary", "A")]);
        let current = answers(&[("results_summary", "Theirs")]);
        let posted = answers(&[("results_summary", "Yours"), ("lessons_learned", "L")]);
        let conflicts = merge(&base, &current, &posted).unwrap_err();
        assert_eq!(
            conflicts,
            vec![Conflict {
                field: "results_summary".into(),
                theirs: Some(Value::One("Theirs".into())),
                yours: Some(Value::One("Yours".into())),
            }]
        );
    }

    #[test]
    fn the_same_change_on_both_sides_is_not_a_conflict() {
        let base = answers(&[]);
        let current = answers(&[("stage_narrative", "Same")]);
        let posted = answers(&[("stage_narrative", "Same")]);
        assert_eq!(merge(&base, &current, &posted).unwrap(), current);
    }

    #[test]
    fn clearing_a_field_is_a_change() {
        let base = answers(&[("results_summary", "A")]);
        let posted = answers(&[("results_summary", "")]);
        assert_eq!(merge(&base, &base, &posted).unwrap(), answers(&[]));
    }

    #[test]
    fn diff_lists_changed_fields_only() {
        let before = answers(&[("a", "1"), ("b", "2")]);
        let after = answers(&[("a", "1"), ("b", "3"), ("c", "4"), ("d", " ")]);
        let fields: Vec<String> = diff(&before, &after).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["b", "c"]);
    }

    #[test]
    fn a_burst_of_one_officers_saves_keeps_the_windows_first_and_the_newest() {
        let now: chrono::DateTime<chrono::Utc> = "2026-11-30T10:00:00Z".parse().unwrap();
        let ago = |s: i64| now - chrono::Duration::seconds(s);
        assert!(superseded_in_burst(
            &[(Some(7), ago(2)), (Some(7), ago(60))],
            7,
            now
        ));
        // The window's first stays: the one before it is too old, or there is none.
        assert!(!superseded_in_burst(
            &[(Some(7), ago(2)), (Some(7), ago(301))],
            7,
            now
        ));
        assert!(!superseded_in_burst(&[(Some(7), ago(2))], 7, now));
        // Someone else's version is never compacted into mine.
        assert!(!superseded_in_burst(
            &[(Some(8), ago(2)), (Some(7), ago(60))],
            7,
            now
        ));
        assert!(!superseded_in_burst(
            &[(Some(7), ago(2)), (None, ago(60))],
            7,
            now
        ));
    }
}
