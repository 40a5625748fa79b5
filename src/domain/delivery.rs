//! Mail delivery decisions: when to try again.
use std::time::Duration;

vocabulary!(
    /// Where a queued mail is (design.md §3: pending | sent | failed | cancelled).
    MailState, "a mail state" {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

vocabulary!(
    /// Why a mail was queued; the outbox page and the metrics name it.
    MailKind, "a mail kind" {
        Invitation => "invitation",
        Reminder => "reminder",
        Digest => "digest",
        Escalation => "escalation",
        EscalationCopy => "escalation_copy",
        Confirmation => "confirmation",
        ChangesRequested => "changes_requested",
        Approved => "approved",
        InterviewInvitation => "interview_invitation",
        InterviewCancelled => "interview_cancelled",
        InterviewReminder => "interview_reminder",
    }
);

/// How long due mail has waited, in minutes, if that is long enough to call the worker stuck:
/// due mail normally leaves within seconds, so ten minutes late is not a slow pass.
pub fn stuck_minutes(waited: chrono::Duration) -> Option<i64> {
    Some(waited.num_minutes()).filter(|m| *m >= 10)
}

/// Delay before retry number `attempt` (1-based): 30 s doubling up to one hour, stretched by
/// `jitter` (0.0–1.0, random per message) of up to 20% so retries after an outage spread out.
pub fn retry_delay(attempt: i32, jitter: f64) -> Duration {
    let base = 30u64
        .saturating_mul(1u64 << attempt.clamp(1, 20).saturating_sub(1) as u32)
        .min(3_600);
    Duration::from_secs_f64(base as f64 * (1.0 + 0.2 * jitter.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mail_ten_minutes_late_is_stuck() {
        assert_eq!(stuck_minutes(chrono::Duration::seconds(30)), None);
        assert_eq!(stuck_minutes(chrono::Duration::minutes(9)), None);
        assert_eq!(stuck_minutes(chrono::Duration::minutes(12)), Some(12));
    }

    use super::*;

    #[test]
    fn delays_double_then_cap_with_bounded_jitter() {
        assert_eq!(retry_delay(1, 0.0), Duration::from_secs(30));
        assert_eq!(retry_delay(2, 0.0), Duration::from_secs(60));
        assert_eq!(retry_delay(4, 0.0), Duration::from_secs(240));
        assert_eq!(retry_delay(30, 0.0), Duration::from_secs(3_600));
        assert_eq!(retry_delay(1, 1.0), Duration::from_secs(36));
        assert_eq!(retry_delay(0, 5.0), Duration::from_secs(36));
    }
}
