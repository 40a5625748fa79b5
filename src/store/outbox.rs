//! The mail outbox: rows written in the transaction that causes the mail, claimed by workers
//! with a lease, marked sent or failed after the send.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, DbErr, EntityTrait, NotSet, Statement, Value};

use crate::domain::delivery::{MailKind, MailState};
use crate::entities::outbox_mail::{self, StoredMailState};
use crate::mail::messages::Rendered;

pub struct NewMail<'a> {
    /// Unique reason for this mail, e.g. `invitation:12:7`; a second enqueue is a no-op.
    pub dedup_key: String,
    pub kind: MailKind,
    pub update_request_id: Option<i32>,
    pub contact_id: Option<i32>,
    pub recipient: &'a str,
    pub recipient_name: Option<&'a str>,
    pub locale: &'a str,
    pub rendered: Rendered,
    pub not_before: DateTime<Utc>,
    pub attachments: Vec<crate::mail::MailAttachment>,
}

/// Queues a mail; returns false when a mail with the same dedup key already exists.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    mail: NewMail<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(enqueue_many(db, vec![row(mail, now)]).await? > 0)
}

/// Queues many mails in one statement per few hundred (a campaign's invitations); a mail whose
/// dedup key exists is left out. Returns how many were queued.
pub async fn enqueue_many(
    db: &impl ConnectionTrait,
    rows: Vec<outbox_mail::ActiveModel>,
) -> Result<u64, DbErr> {
    let mut queued = 0;
    for batch in super::insert_batches::<outbox_mail::Entity, _>(rows) {
        queued += outbox_mail::Entity::insert_many(batch)
            .on_conflict(
                OnConflict::column(outbox_mail::Column::DedupKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(queued)
}

/// The outbox row of a new mail.
pub fn row(mail: NewMail<'_>, now: DateTime<Utc>) -> outbox_mail::ActiveModel {
    outbox_mail::ActiveModel {
        id: NotSet,
        dedup_key: Set(mail.dedup_key),
        kind: Set(mail.kind.into()),
        update_request_id: Set(mail.update_request_id),
        contact_id: Set(mail.contact_id),
        recipient: Set(mail.recipient.into()),
        recipient_name: Set(mail.recipient_name.map(String::from)),
        locale: Set(mail.locale.into()),
        subject: Set(mail.rendered.subject),
        text_body: Set(mail.rendered.text),
        html_body: Set(Some(mail.rendered.html)),
        message_id: Set(crate::mail::new_message_id()),
        state: Set(MailState::Pending.into()),
        attempts: Set(0),
        next_attempt_at: Set(mail.not_before),
        lease_until: Set(None),
        lease_owner: Set(None),
        last_error: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
        attachments: Set(Some(mail.attachments)
            .filter(|a| !a.is_empty())
            .map(|a| serde_json::to_string(&a).expect("attachments serialise"))),
    }
}

/// Leases up to `limit` due mails to `owner` until `lease_until`, the longest due first (in the
/// order of the `ix_outbox_mail_claim` index, so a claim reads a few rows, not every pending
/// mail). On PostgreSQL rows locked by another worker are skipped (`FOR UPDATE SKIP LOCKED`);
/// SQLite has a single writer.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<outbox_mail::Model>, DbErr> {
    let backend = db.get_database_backend();
    let pending = MailState::Pending.as_str();
    let (sql, values): (&str, Vec<Value>) = match backend {
        DbBackend::Postgres => (
            "UPDATE outbox_mail SET lease_owner = $1, lease_until = $2 WHERE id IN (\
               SELECT id FROM outbox_mail WHERE state = $5 AND next_attempt_at <= $3 \
               AND (lease_until IS NULL OR lease_until < $3) ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING *",
            vec![
                owner.into(),
                lease_until.into(),
                now.into(),
                (limit as i64).into(),
                pending.into(),
            ],
        ),
        _ => (
            "UPDATE outbox_mail SET lease_owner = ?, lease_until = ? WHERE id IN (\
               SELECT id FROM outbox_mail WHERE state = ? AND next_attempt_at <= ? \
               AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?) \
             RETURNING *",
            vec![
                owner.into(),
                lease_until.into(),
                pending.into(),
                now.into(),
                now.into(),
                (limit as i64).into(),
            ],
        ),
    };
    let mut rows = outbox_mail::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Runs an UPDATE that only applies while `owner` still holds the lease.
async fn update_leased(
    db: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    set_sql: &str,
    mut values: Vec<Value>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let n = values.len();
    let mut sql = format!(
        "UPDATE outbox_mail SET {set_sql}, lease_owner = NULL, lease_until = NULL WHERE id = {{{}}} AND lease_owner = {{{}}}",
        n + 1,
        n + 2
    );
    values.push(id.into());
    values.push(owner.into());
    for i in 1..=values.len() {
        let placeholder = if backend == DbBackend::Postgres {
            format!("${i}")
        } else {
            "?".to_string()
        };
        sql = sql.replacen(&format!("{{{i}}}"), &placeholder, 1);
    }
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map(|_| ())
}

pub async fn mark_sent(
    db: &impl ConnectionTrait,
    mail: &outbox_mail::Model,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let text = crate::tokens::redact_links(&mail.text_body);
    let html = mail.html_body.as_deref().map(crate::tokens::redact_links);
    update_leased(
        db,
        mail.id,
        owner,
        "state = {1}, sent_at = {2}, attempts = attempts + 1, last_error = NULL, text_body = {3}, html_body = {4}",
        vec![MailState::Sent.as_str().into(), now.into(), text.into(), html.into()],
    )
    .await
}

pub async fn mark_retry(
    db: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    next_attempt_at: DateTime<Utc>,
    error: &str,
) -> Result<(), DbErr> {
    update_leased(
        db,
        id,
        owner,
        "attempts = attempts + 1, next_attempt_at = {1}, last_error = {2}",
        vec![next_attempt_at.into(), error.into()],
    )
    .await
}

/// A mail that will not be sent: its personal links are removed like a sent one's (a retry
/// issues a fresh link, `retry_failed`).
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    mail: &outbox_mail::Model,
    owner: &str,
    error: &str,
) -> Result<(), DbErr> {
    let text = crate::tokens::redact_links(&mail.text_body);
    let html = mail.html_body.as_deref().map(crate::tokens::redact_links);
    update_leased(
        db,
        mail.id,
        owner,
        "state = {1}, attempts = attempts + 1, last_error = {2}, text_body = {3}, html_body = {4}",
        vec![
            MailState::Failed.as_str().into(),
            error.into(),
            text.into(),
            html.into(),
        ],
    )
    .await
}

/// Records that a contact's address refuses mail.
pub async fn mark_contact_bounced(
    db: &impl ConnectionTrait,
    contact_id: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    crate::entities::contact::Entity::update_many()
        .col_expr(
            crate::entities::contact::Column::BouncedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(crate::entities::contact::Column::Id.eq(contact_id))
        .filter(crate::entities::contact::Column::BouncedAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// Mail by state, for the outbox page and the metrics.
pub async fn counts(db: &impl ConnectionTrait) -> Result<Vec<(MailState, i64)>, DbErr> {
    use sea_orm::{ColumnTrait, QuerySelect};
    let rows = outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::State)
        .column_as(outbox_mail::Column::Id.count(), "n")
        .group_by(outbox_mail::Column::State)
        .into_tuple::<(StoredMailState, i64)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(s, n)| (s.into(), n)).collect())
}

/// When the longest-waiting pending mail fell due (None when nothing is due): mail that
/// waits far past its time means the worker is stuck.
pub async fn oldest_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::NextAttemptAt)
        .filter(outbox_mail::Column::State.eq(StoredMailState::Pending))
        .filter(outbox_mail::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox_mail::Column::NextAttemptAt)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await
}

/// Puts a failed mail back in the queue, due now (the secretariat's retry button).
pub async fn retry_failed(
    db: &sea_orm::DatabaseConnection,
    id: i32,
    staff_id: i32,
    links: &crate::config::LinkSettings,
    now: DateTime<Utc>,
) -> Result<(), super::ActionError> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, QuerySelect};
    let txn = super::write_txn(db).await?;
    let row = outbox_mail::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| super::ActionError::NotFound(format!("there is no mail {id}")))?;
    let mail_state = MailState::from(row.state);
    if mail_state != MailState::Failed {
        return Err(super::ActionError::Refused(format!(
            "only a failed mail can be retried; this one is {mail_state}"
        )));
    }
    // Its link was removed when it failed: a fresh one goes in its place (the old one is
    // revoked), for an update that still waits on the officer.
    let redacted = format!("/u/{}", crate::tokens::REDACTED_TOKEN);
    let (text_body, html_body) = if row.text_body.contains(&redacted) {
        let (Some(request_id), Some(contact_id)) = (row.update_request_id, row.contact_id) else {
            return Err(super::ActionError::Refused(
                "this mail's personal link was removed and it names no request to issue a new one for".into(),
            ));
        };
        let ctx =
            super::requests::request_context(&txn, super::lock_request(&txn, request_id).await?).await?;
        let request_state = ctx.request.request_state();
        if !request_state.awaits_officer() {
            return Err(super::ActionError::Refused(format!(
                "this update is {}: it no longer waits on the officer, so no new link is sent",
                request_state.as_str().replace('_', " ")
            )));
        }
        let expires_at = super::campaign::link_expiry(ctx.deadline(), links.grace_days);
        let token = super::links::rotate_link(&txn, request_id, contact_id, expires_at, now).await?;
        let fresh = format!("/u/{token}");
        (
            row.text_body.replace(&redacted, &fresh),
            row.html_body.as_ref().map(|h| h.replace(&redacted, &fresh)),
        )
    } else {
        (row.text_body.clone(), row.html_body.clone())
    };
    let mut again: outbox_mail::ActiveModel = row.into();
    again.text_body = Set(text_body);
    again.html_body = Set(html_body);
    again.state = Set(MailState::Pending.into());
    again.next_attempt_at = Set(now);
    again.attempts = Set(0);
    again.update(&txn).await?;
    // The retry and its audit row are one change.
    super::audit::record(
        &txn,
        now,
        super::audit::Actor::Staff(staff_id),
        "mail.retried",
        "outbox_mail",
        Some(id.to_string()),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
