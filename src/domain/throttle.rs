//! The sliding-window rule every throttle follows (sign-in and link guesses in the database,
//! draft saves in memory): at most `max` attempts per key within `window`.
use chrono::{DateTime, Duration, Utc};

/// Seconds until a key may try again, when its `attempts` within the window (the oldest at
/// `oldest`) have used them all; at least one second. `None` while it may go on.
pub fn seconds_blocked(
    max: u32,
    window: Duration,
    attempts: usize,
    oldest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<i64> {
    (attempts >= max as usize).then(|| {
        let oldest = oldest.unwrap_or(now);
        (oldest + window - now).num_seconds().max(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_blocked_until_its_oldest_attempt_leaves_the_window() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let window = Duration::minutes(10);
        assert_eq!(seconds_blocked(3, window, 2, Some(t0), t0), None);
        assert_eq!(
            seconds_blocked(3, window, 3, Some(t0), t0 + Duration::seconds(5)),
            Some(595)
        );
        // Never "0 s": a client told to wait is told at least a second.
        assert_eq!(
            seconds_blocked(3, window, 3, Some(t0), t0 + Duration::minutes(10)),
            Some(1)
        );
    }
}
