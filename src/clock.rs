//! The only place that reads the system clock. Tests and `reminders run --now` use a fixed
//! clock that they can move.
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Fixed(Arc<Mutex<DateTime<Utc>>>),
    /// The system clock moved by an offset that can change: time flows as usual (no two
    /// events share an instant) and a test jumps days ahead with `set` or `advance`.
    Shifted(Arc<Mutex<chrono::Duration>>),
}

impl Clock {
    pub fn system() -> Clock {
        Clock::System
    }

    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock::Fixed(Arc::new(Mutex::new(at)))
    }

    pub fn shifted() -> Clock {
        Clock::Shifted(Arc::new(Mutex::new(chrono::Duration::zero())))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
            Clock::Shifted(offset) => {
                Utc::now() + *offset.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
            }
        }
    }

    /// Moves a fixed or shifted clock to `to`; a system clock cannot be moved.
    pub fn set(&self, to: DateTime<Utc>) {
        match self {
            Clock::System => {}
            Clock::Fixed(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = to,
            Clock::Shifted(offset) => {
                *offset.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = to - Utc::now()
            }
        }
    }

    /// Moves a fixed or shifted clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.set(self.now() + by);
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn a_shifted_clock_flows_and_jumps() {
        let clock = Clock::shifted();
        let start = clock.now();
        clock.advance(chrono::Duration::days(3));
        let later = clock.now();
        assert!(later - start >= chrono::Duration::days(3));
        assert!(later - start < chrono::Duration::days(3) + chrono::Duration::minutes(1));
        assert!(clock.now() > later, "time keeps flowing after the jump");
        let fixed = Clock::fixed(start);
        fixed.advance(chrono::Duration::hours(1));
        assert_eq!(fixed.now(), start + chrono::Duration::hours(1));
    }
}
