//! Drafts and submissions of an update request.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    NotSet, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::audit::{self, Actor};
use super::outbox::{self, NewMail};
use crate::domain::answers::{Answers, Value};
use crate::domain::delivery::MailKind;
use crate::domain::diff::{Conflict, merge};
use crate::domain::request::{RequestEvent, RequestState, TransitionError, transition};
use crate::domain::requirements::Finding;
use crate::entities::{
    change_request, draft_version, organization, pledge, pledge_classification, pledge_organization,
    revision, update_request,
};
use crate::mail::messages::Rendered;

/// The draft as the officer sees it: version 0 is the prefill, never stored.
#[derive(Debug, Clone)]
pub struct Draft {
    pub version: i32,
    pub answers: Answers,
    pub saved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("someone else changed the same fields")]
    Conflict {
        conflicts: Vec<Conflict>,
        current: Draft,
    },
    #[error("version {0} of this draft does not exist")]
    UnknownVersion(i32),
    #[error(transparent)]
    NotAllowed(#[from] TransitionError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<SaveError> for super::ActionError {
    fn from(err: SaveError) -> super::ActionError {
        use super::ActionError as A;
        match err {
            SaveError::Conflict { .. } => A::Conflict(err.to_string()),
            SaveError::UnknownVersion(_) => A::Conflict(format!("{err}; reload the page")),
            SaveError::NotAllowed(refusal) => refusal.into(),
            SaveError::Db(e) => A::Db(e),
        }
    }
}

fn parse_answers(json: &str) -> Result<Answers, DbErr> {
    serde_json::from_str(json).map_err(|e| DbErr::Json(format!("stored answers: {e}")))
}

/// What the form starts from: the pledge as registered, then the last approved update of
/// the same pledge carried forward (its consent and justifications are not).
pub async fn prefill(db: &impl ConnectionTrait, request: &update_request::Model) -> Result<Answers, DbErr> {
    let mut answers = Answers::default();
    let p = pledge::Entity::find_by_id(request.pledge_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("pledge {}", request.pledge_id)))?;
    let mut one = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            answers.0.insert(k.into(), Value::One(v.into()));
        }
    };
    one("title", Some(&p.title));
    one("compact_scope", Some(p.scope().as_str()));
    one("gcm_pledge_ref", p.gcm_pledge_ref.as_deref());
    one("description", Some(&p.description));
    one("timeline_start", p.timeline_start.as_deref());
    one(
        "timeline_end",
        Some(p.timeline_end.as_deref().unwrap_or("ongoing")),
    );
    one("gcr_pledge_id", p.gcr_pledge_id.as_deref());
    // The structure follows the co-pledgers in the register: a national government makes it a
    // local–national pledge, another local government a city-to-city one.
    let co_ids: Vec<i32> = pledge_organization::Entity::find()
        .filter(pledge_organization::Column::PledgeId.eq(p.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.organization_id)
        .filter(|id| *id != p.organization_id)
        .collect();
    let co_pledgers = organization::Entity::find()
        .filter(organization::Column::Id.is_in(co_ids))
        .all(db)
        .await?;
    let structure = if co_pledgers.is_empty() {
        "individual"
    } else if co_pledgers.iter().any(|o| o.kind == "national_government") {
        "joint_local_national"
    } else if co_pledgers.iter().all(|o| o.kind == "lrg") {
        "joint_city_to_city"
    } else {
        "in_partnership"
    };
    let names: Vec<&str> = co_pledgers.iter().map(|o| o.name.as_str()).collect();
    answers
        .0
        .insert("pledge_structure".into(), Value::One(structure.into()));
    if !names.is_empty() {
        answers
            .0
            .insert("joint_partners".into(), Value::One(names.join(", ")));
    }
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in pledge_classification::Entity::find()
        .filter(pledge_classification::Column::PledgeId.eq(p.id))
        .all(db)
        .await?
    {
        let key = match c.scheme.as_str() {
            "priority" => "priorities",
            "gcm_objective" => "gcm_objectives",
            "gcm_principle" => "gcm_principles",
            "gcr_objective" => "gcr_objectives",
            "gcr_focus_area" => "gcr_focus_areas",
            "sdg" => "sdgs",
            "beneficiary_group" => "beneficiary_groups",
            _ => continue,
        };
        lists.entry(key.into()).or_default().push(c.code);
    }
    for (k, mut v) in lists {
        v.sort_by_key(|c| c.parse::<u32>().unwrap_or(u32::MAX));
        answers.0.insert(k, Value::Many(v));
    }
    if let Some(previous) = last_approved_answers(db, request).await? {
        for (k, v) in previous.0 {
            if k != "consent_to_publish" && !k.starts_with(crate::domain::answers::JUSTIFICATION_PREFIX) {
                answers.0.insert(k, v);
            }
        }
    }
    Ok(answers.compact())
}

/// The newest revision of an approved or published update of the same pledge in an earlier
/// request: the "previous update" rules compare against.
pub async fn last_approved_answers(
    db: &impl ConnectionTrait,
    request: &update_request::Model,
) -> Result<Option<Answers>, DbErr> {
    let earlier = update_request::Entity::find()
        .filter(update_request::Column::PledgeId.eq(request.pledge_id))
        .filter(update_request::Column::Id.ne(request.id))
        .filter(
            update_request::Column::State
                .is_in([RequestState::Approved.as_str(), RequestState::Published.as_str()]),
        )
        .order_by_desc(update_request::Column::SubmittedAt)
        .one(db)
        .await?;
    let Some(earlier) = earlier else { return Ok(None) };
    let rev = revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.eq(earlier.id))
        .order_by_desc(revision::Column::Number)
        .one(db)
        .await?;
    rev.map(|r| parse_answers(&r.answers)).transpose()
}

pub async fn current_draft(
    db: &impl ConnectionTrait,
    request: &update_request::Model,
) -> Result<Draft, DbErr> {
    let newest = draft_version::Entity::find()
        .filter(draft_version::Column::UpdateRequestId.eq(request.id))
        .order_by_desc(draft_version::Column::Version)
        .one(db)
        .await?;
    match newest {
        Some(row) => Ok(Draft {
            version: row.version,
            answers: parse_answers(&row.answers)?,
            saved_at: Some(row.saved_at),
        }),
        None => Ok(Draft {
            version: 0,
            answers: prefill(db, request).await?,
            saved_at: None,
        }),
    }
}

async fn version_answers(
    db: &impl ConnectionTrait,
    request: &update_request::Model,
    version: i32,
) -> Result<Option<Answers>, DbErr> {
    if version == 0 {
        return prefill(db, request).await.map(Some);
    }
    draft_version::Entity::find_by_id((request.id, version))
        .one(db)
        .await?
        .map(|row| parse_answers(&row.answers))
        .transpose()
}

/// After `new_version` is written, drops the version before it when the domain says the
/// burst superseded it (`diff::superseded_in_burst`) and no revision was made of it.
async fn compact_burst(
    txn: &impl ConnectionTrait,
    request_id: i32,
    contact_id: i32,
    new_version: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::QuerySelect;
    let previous: Vec<(i32, Option<i32>, DateTime<Utc>)> = draft_version::Entity::find()
        .select_only()
        .columns([
            draft_version::Column::Version,
            draft_version::Column::SavedByContactId,
            draft_version::Column::SavedAt,
        ])
        .filter(draft_version::Column::UpdateRequestId.eq(request_id))
        .filter(draft_version::Column::Version.lt(new_version))
        .order_by_desc(draft_version::Column::Version)
        .limit(2)
        .into_tuple()
        .all(txn)
        .await?;
    let saved: Vec<_> = previous.iter().map(|(_, by, at)| (*by, *at)).collect();
    let Some((version, ..)) = previous.first() else {
        return Ok(());
    };
    if !crate::domain::diff::superseded_in_burst(&saved, contact_id, now) {
        return Ok(());
    }
    let submitted = revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.eq(request_id))
        .filter(revision::Column::DraftVersion.eq(*version))
        .count(txn)
        .await?
        > 0;
    if !submitted {
        draft_version::Entity::delete_by_id((request_id, *version))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// What a save based on `base_version` merges against. A version compacted away is replaced
/// by the newest kept version before it: an older base can only make the merge see more
/// conflicts, never let a save overwrite what someone else saved since.
async fn merge_base(
    db: &impl ConnectionTrait,
    request: &update_request::Model,
    base_version: i32,
    current_version: i32,
) -> Result<Answers, SaveError> {
    if base_version < 0 || base_version > current_version {
        return Err(SaveError::UnknownVersion(base_version));
    }
    if let Some(answers) = version_answers(db, request, base_version).await? {
        return Ok(answers);
    }
    let older = draft_version::Entity::find()
        .filter(draft_version::Column::UpdateRequestId.eq(request.id))
        .filter(draft_version::Column::Version.lt(base_version))
        .order_by_desc(draft_version::Column::Version)
        .one(db)
        .await?;
    match older {
        Some(row) => Ok(parse_answers(&row.answers)?),
        None => Ok(prefill(db, request).await?),
    }
}

/// Saves `posted` on top of `base_version`, merging with anything saved since. A state that
/// does not accept edits, or a conflicting concurrent edit, saves nothing.
pub async fn save_draft(
    db: &DatabaseConnection,
    request_id: i32,
    base_version: i32,
    posted: &Answers,
    contact_id: i32,
    now: DateTime<Utc>,
) -> Result<Draft, SaveError> {
    // Two saves racing for the same next version: the primary key refuses the second, which
    // then merges again on top of the first.
    for _ in 0..3 {
        match try_save(db, request_id, base_version, posted, contact_id, now).await {
            Err(SaveError::Db(e)) if is_unique_violation(&e) => continue,
            other => return other,
        }
    }
    Err(SaveError::Db(DbErr::Custom(
        "the draft is being saved by several people at once; try again".into(),
    )))
}

pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

async fn try_save(
    db: &DatabaseConnection,
    request_id: i32,
    base_version: i32,
    posted: &Answers,
    contact_id: i32,
    now: DateTime<Utc>,
) -> Result<Draft, SaveError> {
    let txn = super::write_txn(db).await?;
    let request = super::lock_request(&txn, request_id).await?;
    let current = current_draft(&txn, &request).await?;
    let base = if base_version == current.version {
        current.answers.clone()
    } else {
        merge_base(&txn, &request, base_version, current.version).await?
    };
    let merged = merge(&base, &current.answers, posted);
    if merged
        .as_ref()
        .is_ok_and(|m| *m == current.answers.clone().compact())
    {
        // Nothing changed (a repeated save, a double-clicked submit): no new version, and no
        // edit that the request's state would have to allow.
        return Ok(current);
    }
    let state = request.request_state();
    let next_state = transition(state, RequestEvent::Save)?;
    let merged = match merged {
        Ok(m) => m,
        Err(conflicts) => return Err(SaveError::Conflict { conflicts, current }),
    };
    let version = current.version + 1;
    draft_version::ActiveModel {
        update_request_id: Set(request.id),
        version: Set(version),
        answers: Set(serde_json::to_string(&merged).expect("answers serialise")),
        saved_by_contact_id: Set(Some(contact_id)),
        saved_at: Set(now),
    }
    .insert(&txn)
    .await?;
    compact_burst(&txn, request.id, contact_id, version, now).await?;
    if next_state != state {
        set_state(&txn, request.clone(), next_state, now).await?;
        audit::record(
            &txn,
            now,
            Actor::Contact(contact_id),
            "request.draft_started",
            "update_request",
            Some(request.id.to_string()),
            serde_json::json!({ "from": state.as_str(), "to": next_state.as_str() }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Draft {
        version,
        answers: merged,
        saved_at: Some(now),
    })
}

async fn set_state(
    db: &impl ConnectionTrait,
    request: update_request::Model,
    state: RequestState,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut active: update_request::ActiveModel = request.into();
    active.state = Set(state.into());
    active.updated_at = Set(now);
    if state == RequestState::Submitted {
        active.submitted_at = Set(Some(now));
    }
    active.update(db).await.map(|_| ())
}

pub struct Submission<'a> {
    pub request_id: i32,
    pub draft_version: i32,
    pub findings: &'a [Finding],
    pub profile_versions: &'a BTreeMap<String, String>,
    pub contact_id: i32,
    /// The confirmation e-mail: (recipient, name, locale, rendered for revision number n).
    pub confirmation: &'a (dyn Fn(i32) -> (String, String, String, Rendered) + Sync),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub revision_id: i32,
    pub number: i32,
    /// False when this draft version had already been submitted (a double click).
    pub created: bool,
}

/// Turns a draft version into an immutable revision, once. Submitting the same version again
/// returns the revision already made; no second confirmation is sent.
pub async fn submit(
    db: &DatabaseConnection,
    s: &Submission<'_>,
    now: DateTime<Utc>,
) -> Result<Submitted, SaveError> {
    let txn = super::write_txn(db).await?;
    // Locked first: a double-clicked submit waits here, then finds the first one's revision.
    let request = super::lock_request(&txn, s.request_id).await?;
    if let Some(existing) = revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.eq(s.request_id))
        .filter(revision::Column::DraftVersion.eq(s.draft_version))
        .one(&txn)
        .await?
    {
        return Ok(Submitted {
            revision_id: existing.id,
            number: existing.number,
            created: false,
        });
    }
    let state = request.request_state();
    let next = transition(state, RequestEvent::Submit)?;
    let answers = version_answers(&txn, &request, s.draft_version)
        .await?
        .ok_or(SaveError::UnknownVersion(s.draft_version))?;
    let number = revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.eq(request.id))
        .count(&txn)
        .await? as i32
        + 1;
    let created = revision::ActiveModel {
        id: NotSet,
        update_request_id: Set(request.id),
        number: Set(number),
        draft_version: Set(s.draft_version),
        answers: Set(serde_json::to_string(&answers).expect("answers serialise")),
        findings: Set(serde_json::to_string(s.findings).expect("findings serialise")),
        profile_versions: Set(serde_json::to_string(s.profile_versions).expect("a map serialises")),
        submitted_by_contact_id: Set(Some(s.contact_id)),
        submitted_at: Set(now),
    }
    .insert(&txn)
    .await?;
    set_state(&txn, request.clone(), next, now).await?;
    change_request::Entity::update_many()
        .col_expr(
            change_request::Column::ResolvedInRevisionId,
            sea_orm::sea_query::Expr::value(created.id),
        )
        .filter(change_request::Column::UpdateRequestId.eq(request.id))
        .filter(change_request::Column::ResolvedInRevisionId.is_null())
        .exec(&txn)
        .await?;
    audit::record(&txn, now, Actor::Contact(s.contact_id), "request.submitted", "update_request", Some(request.id.to_string()), serde_json::json!({ "revision": number, "draft_version": s.draft_version, "findings": s.findings.len() })).await?;
    let (recipient, name, locale, rendered) = (s.confirmation)(number);
    outbox::enqueue(
        &txn,
        NewMail {
            attachments: Vec::new(),
            dedup_key: format!("confirmation:{}", created.id),
            kind: MailKind::Confirmation,
            update_request_id: Some(request.id),
            contact_id: Some(s.contact_id),
            recipient: &recipient,
            recipient_name: Some(&name),
            locale: &locale,
            rendered,
            not_before: now,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Submitted {
        revision_id: created.id,
        number,
        created: true,
    })
}

pub async fn latest_revision(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> Result<Option<revision::Model>, DbErr> {
    revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.eq(request_id))
        .order_by_desc(revision::Column::Number)
        .one(db)
        .await
}

pub fn revision_answers(rev: &revision::Model) -> Result<Answers, DbErr> {
    parse_answers(&rev.answers)
}
