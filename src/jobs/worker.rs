//! The mail worker: claims due outbox rows with a lease, sends each outside any transaction,
//! then records the outcome. A crash between send and record leaves the lease to expire, and
//! the one mail is sent again with the same Message-ID.
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use std::collections::VecDeque;

use futures_util::FutureExt;
use sea_orm::{DatabaseConnection, DbErr};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::domain::delivery::{MailKind, retry_delay};
use crate::entities::outbox_mail;
use crate::mail::{MailError, Mailer, OutgoingMail};
use crate::store::outbox;

const LEASE: Duration = Duration::from_secs(120);

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

fn outgoing(row: &outbox_mail::Model) -> OutgoingMail {
    OutgoingMail {
        to: row.recipient.clone(),
        to_name: row.recipient_name.clone(),
        subject: row.subject.clone(),
        text: row.text_body.clone(),
        html: row.html_body.clone(),
        message_id: row.message_id.clone(),
        attachments: row
            .attachments
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default(),
    }
}

fn jitter() -> f64 {
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    f64::from(byte[0]) / 255.0
}

enum Outcome {
    Sent,
    Retry,
    Failed,
}

/// Sends one leased message and records what happened.
async fn deliver_one(
    db: DatabaseConnection,
    mailer: Mailer,
    clock: Clock,
    owner: String,
    max_attempts: i32,
    row: outbox_mail::Model,
) -> Result<Outcome, DbErr> {
    let (db, owner) = (&db, owner.as_str());
    // Each message is built and sent in its own guarded step: one that makes the mail library
    // panic is marked failed with the reason, and the others go on.
    let sent = AssertUnwindSafe(mailer.send(&outgoing(&row)))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(MailError::Broken(why.to_string()))
        });
    match sent {
        Ok(_) => {
            outbox::mark_sent(db, &row, owner, clock.now()).await?;
            metrics::counter!("mail_sent_total", "kind" => MailKind::from(row.kind).as_str()).increment(1);
            Ok(Outcome::Sent)
        }
        Err(MailError::Transient(e)) if row.attempts + 1 < max_attempts => {
            let delay = retry_delay(row.attempts + 1, jitter());
            let next = clock.now() + chrono::Duration::from_std(delay).expect("a bounded delay");
            tracing::warn!(mail = row.id, attempt = row.attempts + 1, error = %e, "mail delivery failed; will retry");
            outbox::mark_retry(db, row.id, owner, next, &e).await?;
            Ok(Outcome::Retry)
        }
        Err(e) => {
            tracing::error!(mail = row.id, error = %e, "mail delivery failed for good");
            // The failure and the bounce it means are one change.
            let txn = crate::store::write_txn(db).await?;
            outbox::mark_failed(&txn, &row, owner, &e.to_string()).await?;
            if let (MailError::Permanent(_), Some(contact)) = (&e, row.contact_id) {
                // The address refuses mail: later reminders go to the alternate contact.
                outbox::mark_contact_bounced(&txn, contact, clock.now()).await?;
            }
            txn.commit().await?;
            metrics::counter!("mail_failed_total", "kind" => MailKind::from(row.kind).as_str()).increment(1);
            Ok(Outcome::Failed)
        }
    }
}

/// Sends everything due now and reports what happened.
///
/// Sending never waits for a whole batch: mails are claimed a few at a time as sending slots
/// free up (`Mailer::parallel_sends` at once), so a slow message holds one slot, not the rest.
/// Claiming stops when nothing is due, or once a send had to be retried (the SMTP server is
/// in trouble: the retries are due later, and the rest waits for the next pass).
pub async fn deliver_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    clock: &Clock,
    owner: &str,
    max_attempts: i32,
) -> Result<DeliveryReport, DbErr> {
    let parallel = mailer.parallel_sends();
    let mut report = DeliveryReport::default();
    let mut claimed = VecDeque::new();
    let mut claiming = true;
    // Each send is its own task, so sends go on while the loop waits for a claim (futures
    // parked in one task would hold their database connections and starve the claim).
    let mut sending = JoinSet::new();
    loop {
        while sending.len() < parallel {
            if claimed.is_empty() && claiming {
                let now = clock.now();
                let lease_until = now + chrono::Duration::from_std(LEASE).expect("a small duration");
                let batch = outbox::claim_due(db, owner, now, lease_until, parallel as u64).await?;
                claiming = !batch.is_empty();
                claimed.extend(batch);
            }
            let Some(row) = claimed.pop_front() else { break };
            sending.spawn(deliver_one(
                db.clone(),
                mailer.clone(),
                clock.clone(),
                owner.to_string(),
                max_attempts,
                row,
            ));
        }
        let Some(finished) = sending.join_next().await else {
            return Ok(report);
        };
        let outcome = finished.unwrap_or_else(|e| match e.try_into_panic() {
            // A panic outside the guarded send: the supervisor restarts the worker.
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => Err(DbErr::Custom(format!("a send was cancelled: {e}"))),
        });
        match outcome? {
            Outcome::Sent => report.sent += 1,
            Outcome::Retry => {
                report.retried += 1;
                claiming = false;
            }
            Outcome::Failed => report.failed += 1,
        }
    }
}

/// Runs the worker under supervision: if it ever panics, the panic is logged and the worker
/// starts again (mail must never stop while the service says it is ready).
pub async fn supervise(
    db: DatabaseConnection,
    mailer: Mailer,
    clock: Clock,
    interval: Duration,
    max_attempts: i32,
    stop: watch::Receiver<bool>,
) {
    loop {
        let worker = tokio::spawn(run(
            db.clone(),
            mailer.clone(),
            clock.clone(),
            interval,
            max_attempts,
            stop.clone(),
        ));
        match worker.await {
            Ok(()) => return,
            Err(e) if e.is_panic() => {
                metrics::counter!("mail_worker_restarts_total").increment(1);
                tracing::error!(error = %e, "the mail worker panicked; starting it again");
                tokio::time::sleep(interval).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "the mail worker was cancelled");
                return;
            }
        }
    }
}

/// Runs `deliver_due` every `interval` until `stop` turns true.
pub async fn run(
    db: DatabaseConnection,
    mailer: Mailer,
    clock: Clock,
    interval: Duration,
    max_attempts: i32,
    mut stop: watch::Receiver<bool>,
) {
    let owner = format!("worker-{}", uuid::Uuid::new_v4().simple());
    loop {
        if let Err(e) = deliver_due(&db, &mailer, &clock, &owner, max_attempts).await {
            tracing::warn!(error = %e, "mail worker pass failed; will try again");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            tracing::info!("mail worker stopped");
            return;
        }
    }
}
