//! The scheduler: on an interval, plans the reminders that are due and queues them. It only
//! enqueues; the mail worker sends.
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Settings;
use crate::store::reminders::{PassReport, run_pass};

/// One pass at the clock's `now`.
pub async fn pass(db: &DatabaseConnection, settings: &Settings, clock: &Clock) -> anyhow::Result<PassReport> {
    let policy = settings.reminders.policy().map_err(anyhow::Error::msg)?;
    let secretariat = settings.mail.from_address();
    let mut report = run_pass(
        db,
        &policy,
        &settings.server.base_url,
        settings.links.grace_days,
        secretariat,
        clock.now(),
    )
    .await?;
    report.interview_reminders = crate::store::interviews::queue_reminders(db, clock.now())
        .await
        .map_err(|e| anyhow::anyhow!("interview reminders: {e}"))?;
    report.sessions_purged = crate::store::staff::purge_expired_sessions(db, clock.now())
        .await
        .map_err(|e| anyhow::anyhow!("purging expired sessions: {e}"))?;
    report.throttle_rows_purged = crate::store::throttle::purge(db, clock.now())
        .await
        .map_err(|e| anyhow::anyhow!("purging old throttle counts: {e}"))?;
    crate::store::optimize(db)
        .await
        .map_err(|e| anyhow::anyhow!("refreshing the planner's statistics: {e}"))?;
    Ok(report)
}

pub async fn run(
    db: DatabaseConnection,
    settings: std::sync::Arc<Settings>,
    clock: Clock,
    mut stop: watch::Receiver<bool>,
) {
    let interval = Duration::from_secs(settings.reminders.interval_seconds.max(1));
    loop {
        match pass(&db, &settings, &clock).await {
            Ok(report) if report.mails + report.interview_reminders > 0 || report.sessions_purged > 0 => {
                tracing::info!(?report, "reminders queued")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reminder pass failed; will try again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}
