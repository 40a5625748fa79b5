//! `cargo bench --bench planner`: plans reminders over 100,000 open requests in 40 time zones.
use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use pledgeflow::domain::reminders::{OpenRequest, Policy, Recipient, plan};
use pledgeflow::domain::request::RequestState;

fn main() {
    let zones: Vec<chrono_tz::Tz> = chrono_tz::TZ_VARIANTS
        .iter()
        .step_by(chrono_tz::TZ_VARIANTS.len() / 40)
        .take(40)
        .copied()
        .collect();
    let deadline = NaiveDate::from_ymd_opt(2027, 3, 15).unwrap();
    let requests: Vec<OpenRequest> = (0..100_000)
        .map(|i| OpenRequest {
            request_id: i,
            state: if i % 7 == 0 {
                RequestState::ChangesRequested
            } else {
                RequestState::Draft
            },
            deadline,
            changes_requested_on: (i % 7 == 0).then(|| deadline - Duration::days(20)),
            timezone: zones[i as usize % zones.len()],
            policy: None,
            recipients: vec![
                Recipient {
                    contact_id: i / 3,
                    alternate: false,
                    bounced: false,
                },
                Recipient {
                    contact_id: 1_000_000 + i / 3,
                    alternate: true,
                    bounced: false,
                },
            ],
        })
        .collect();
    let policy = Policy::default();
    // Half of the -14d step already sent.
    let sent: HashSet<(i32, String, i32)> = (0..50_000).map(|i| (i, "-14d".to_string(), i / 3)).collect();
    let mut timings = Vec::new();
    let mut mails = 0;
    for hour in 0..24 {
        let now = Utc.with_ymd_and_hms(2027, 3, 3, hour, 0, 0).unwrap();
        let started = Instant::now();
        let p = plan(&policy, &requests, &sent, &HashMap::new(), now);
        timings.push(started.elapsed().as_secs_f64() * 1000.0);
        mails += p.mails.len();
    }
    timings.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "planner, 100,000 open requests in 40 time zones, 24 hourly passes: median {:.1} ms, max {:.1} ms per pass ({} mails planned in all)",
        timings[12], timings[23], mails
    );
}
