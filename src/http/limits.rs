//! Counting failures per key (a client address, an account) in a sliding window, to slow down
//! guessing. In memory: a restart forgets, which is acceptable for throttling.
use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration) -> FailureLimiter {
        FailureLimiter {
            max_failures,
            window,
            failures: Mutex::default(),
        }
    }

    /// Seconds until `key` may try again, if it is blocked now.
    pub fn blocked_for(&self, key: &str, now: DateTime<Utc>) -> Option<i64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let list = map.get_mut(key)?;
        list.retain(|t| *t > now - self.window);
        if list.len() as u32 >= self.max_failures {
            let oldest = list.first().copied().unwrap_or(now);
            Some((oldest + self.window - now).num_seconds().max(1))
        } else {
            None
        }
    }

    pub fn record_failure(&self, key: &str, now: DateTime<Utc>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.clear(); // bounded memory under a flood of distinct keys
        }
        map.entry(key.to_string()).or_default().push(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_forgets_after_the_window() {
        let limiter = FailureLimiter::new(3, Duration::minutes(10));
        let t0 = DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for i in 0..3 {
            assert_eq!(limiter.blocked_for("1.2.3.4", t0), None);
            limiter.record_failure("1.2.3.4", t0 + Duration::seconds(i));
        }
        assert_eq!(
            limiter.blocked_for("1.2.3.4", t0 + Duration::seconds(5)),
            Some(595)
        );
        assert_eq!(limiter.blocked_for("5.6.7.8", t0), None);
        assert_eq!(limiter.blocked_for("1.2.3.4", t0 + Duration::minutes(11)), None);
    }
}
