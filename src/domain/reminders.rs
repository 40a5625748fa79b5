//! The reminder planner: from the policy, the open requests, what was already sent and `now`,
//! which mails are due. Pure: the scheduler stores what it returns, the worker sends it.
//!
//! - Steps are days relative to the deadline (`-14d`, `+3d`, `+10d escalate`), or, for an update
//!   sent back for changes, relative to the day changes were requested.
//! - A step is due from its day on, but mail goes out only inside the recipient's send window
//!   (their organization's time zone, office hours, working days).
//! - Only the newest due step is sent; older unsent steps are skipped, so a scheduler that was
//!   down never sends a burst of stale reminders.
//! - One mail per recipient per pass: several due requests become one digest.
//! - A recipient who already got `daily_cap` reminders in the last day waits.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use super::request::RequestState;

vocabulary!(
    /// What became of a planned reminder step: sent, or skipped because a newer step was due.
    ReminderOutcome, "a reminder outcome" {
        Sent => "sent",
        Skipped => "skipped",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// As written in the policy, e.g. `-7d`; part of what makes a reminder unique.
    pub id: String,
    pub offset_days: i64,
    /// Also goes to alternate contacts and copies the secretariat.
    pub escalate: bool,
}

impl Step {
    pub fn parse(s: &str) -> Result<Step, String> {
        let s = s.trim();
        let (offset, rest) = s.split_once(' ').map(|(a, b)| (a, b.trim())).unwrap_or((s, ""));
        let escalate = match rest {
            "" => false,
            "escalate" => true,
            other => {
                return Err(format!(
                    "`{other}` in step `{s}`: only `escalate` may follow the offset"
                ));
            }
        };
        let days = offset
            .strip_suffix('d')
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| n.abs() <= 365)
            .ok_or_else(|| format!("`{s}` is not a step such as -14d, +3d or +10d escalate"))?;
        Ok(Step {
            id: offset.to_string(),
            offset_days: days,
            escalate,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    /// Relative to the deadline.
    pub deadline_steps: Vec<Step>,
    /// Relative to the day the secretariat asked for changes.
    pub changes_steps: Vec<Step>,
    pub window_start: NaiveTime,
    pub window_end: NaiveTime,
    pub weekdays: Vec<Weekday>,
    /// Reminders per recipient per 24 hours at most.
    pub daily_cap: usize,
}

impl Default for Policy {
    fn default() -> Policy {
        let steps = |list: &[&str]| {
            list.iter()
                .map(|s| Step::parse(s).expect("valid default steps"))
                .collect()
        };
        Policy {
            deadline_steps: steps(&["-14d", "-7d", "-2d", "+3d", "+10d escalate"]),
            changes_steps: steps(&["+3d", "+7d", "+14d escalate"]),
            window_start: NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
            window_end: NaiveTime::from_hms_opt(17, 0, 0).expect("valid time"),
            weekdays: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            daily_cap: 2,
        }
    }
}

/// A policy as people write it (config, the campaign form) and as a campaign stores it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicySettings {
    /// Comma-separated steps, e.g. `-14d, -7d, -2d, +3d, +10d escalate`.
    pub steps: String,
    /// Steps after changes were requested, e.g. `+3d, +7d`.
    pub changes_steps: String,
    /// Local send window, e.g. `09:00-17:00`.
    pub window: String,
    /// e.g. `mon,tue,wed,thu,fri`.
    pub weekdays: String,
    pub daily_cap: usize,
}

impl PolicySettings {
    pub fn policy(&self) -> Result<Policy, String> {
        Policy::parse(
            &self.steps,
            &self.changes_steps,
            &self.window,
            &self.weekdays,
            self.daily_cap,
        )
    }
}

impl Policy {
    /// Builds a policy from its settings: comma-separated steps, a window `HH:MM-HH:MM`,
    /// comma-separated weekdays (`mon`…`sun`) and the daily cap.
    pub fn parse(
        steps: &str,
        changes_steps: &str,
        window: &str,
        weekdays: &str,
        daily_cap: usize,
    ) -> Result<Policy, String> {
        let steps_of = |list: &str| {
            list.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(Step::parse)
                .collect::<Result<Vec<_>, _>>()
        };
        let (start, end) = window
            .split_once('-')
            .and_then(|(a, b)| {
                Some((
                    NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?,
                    NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?,
                ))
            })
            .filter(|(a, b)| a < b)
            .ok_or_else(|| format!("`{window}` is not a send window such as 09:00-17:00"))?;
        let days = weekdays
            .split(',')
            .map(|d| {
                d.trim()
                    .parse::<Weekday>()
                    .map_err(|_| format!("`{}` is not a weekday (mon … sun)", d.trim()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if daily_cap == 0 {
            return Err("the daily cap must be at least 1".into());
        }
        Ok(Policy {
            deadline_steps: steps_of(steps)?,
            changes_steps: steps_of(changes_steps)?,
            window_start: start,
            window_end: end,
            weekdays: days,
            daily_cap,
        })
    }

    /// Is `now` inside the send window of `tz`?
    pub fn in_window(&self, tz: Tz, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&tz);
        let time = local.time();
        self.weekdays.contains(&local.weekday()) && time >= self.window_start && time < self.window_end
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub contact_id: i32,
    /// Alternate contacts get only escalation steps.
    pub alternate: bool,
    pub bounced: bool,
}

#[derive(Debug, Clone)]
pub struct OpenRequest {
    pub request_id: i32,
    pub state: RequestState,
    pub deadline: NaiveDate,
    pub changes_requested_on: Option<NaiveDate>,
    /// The organization's time zone.
    pub timezone: Tz,
    pub recipients: Vec<Recipient>,
    /// The campaign's own policy; `None` follows the default one.
    pub policy: Option<std::sync::Arc<Policy>>,
}

/// (request, step id, contact): a reminder that exists, sent or skipped.
pub type SentKey = (i32, String, i32);

/// One mail to one recipient: one item is a reminder, several a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMail {
    pub contact_id: i32,
    /// (request, step id), in request order.
    pub items: Vec<(i32, String)>,
    pub escalation: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    pub mails: Vec<PlannedMail>,
    /// Older steps overtaken by a newer one: recorded so they are never sent late.
    pub skipped: Vec<SentKey>,
    /// Requests whose every contact bounced: nobody can be reminded.
    pub unreachable: Vec<i32>,
}

fn steps_for<'a>(policy: &'a Policy, request: &OpenRequest) -> (&'a [Step], NaiveDate) {
    match (request.state, request.changes_requested_on) {
        (RequestState::ChangesRequested, Some(day)) => (&policy.changes_steps, day),
        _ => (&policy.deadline_steps, request.deadline),
    }
}

pub fn plan(
    policy: &Policy,
    requests: &[OpenRequest],
    sent: &HashSet<SentKey>,
    sent_last_day: &HashMap<i32, usize>,
    now: DateTime<Utc>,
) -> Plan {
    let mut result = Plan::default();
    let mut by_contact: BTreeMap<i32, PlannedMail> = BTreeMap::new();
    for request in requests {
        let policy = request.policy.as_deref().unwrap_or(policy);
        if !request.state.awaits_officer() || !policy.in_window(request.timezone, now) {
            continue;
        }
        let today = super::request::local_date(now, request.timezone);
        let (steps, anchor) = steps_for(policy, request);
        let mut due: Vec<&Step> = steps
            .iter()
            .filter(|s| anchor + Duration::days(s.offset_days) <= today)
            .collect();
        due.sort_by_key(|s| s.offset_days);
        let Some(newest) = due.last() else { continue };
        let reachable: Vec<&Recipient> = request.recipients.iter().filter(|r| !r.bounced).collect();
        if reachable.is_empty() {
            result.unreachable.push(request.request_id);
            continue;
        }
        // Alternates hear of escalations, and of every step once no primary can be reached.
        let primaries_reachable = reachable.iter().any(|r| !r.alternate);
        for recipient in reachable
            .into_iter()
            .filter(|r| !r.alternate || newest.escalate || !primaries_reachable)
        {
            for older in &due[..due.len() - 1] {
                let key = (request.request_id, older.id.clone(), recipient.contact_id);
                if !sent.contains(&key) {
                    result.skipped.push(key);
                }
            }
            if sent.contains(&(request.request_id, newest.id.clone(), recipient.contact_id)) {
                continue;
            }
            let mail = by_contact
                .entry(recipient.contact_id)
                .or_insert_with(|| PlannedMail {
                    contact_id: recipient.contact_id,
                    items: vec![],
                    escalation: false,
                });
            mail.items.push((request.request_id, newest.id.clone()));
            mail.escalation |= newest.escalate;
        }
    }
    // The cap is per recipient across campaigns, so it comes from the default policy.
    result.mails = by_contact
        .into_values()
        .filter(|m| sent_last_day.get(&m.contact_id).copied().unwrap_or(0) < policy.daily_cap)
        .collect();
    result
}

/// The next step due for a request, for the dashboard: its day in the organization's zone
/// (sent within that day's window). Steps already sent or skipped (`done`) and days already
/// past do not count. `None` once the officer no longer owes the update or no step is left.
pub fn next_reminder<'a>(
    policy: &'a Policy,
    request: &OpenRequest,
    done: &HashSet<String>,
    today: NaiveDate,
) -> Option<(NaiveDate, &'a Step)> {
    if !request.state.awaits_officer() {
        return None;
    }
    let (steps, anchor) = steps_for(policy, request);
    steps
        .iter()
        .map(|s| (anchor + Duration::days(s.offset_days), s))
        .filter(|(day, s)| *day >= today && !done.contains(&s.id))
        .min_by_key(|(day, _)| *day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn request(id: i32, tz: Tz, deadline: NaiveDate, contacts: &[(i32, bool)]) -> OpenRequest {
        OpenRequest {
            request_id: id,
            state: RequestState::Draft,
            deadline,
            changes_requested_on: None,
            timezone: tz,
            policy: None,
            recipients: contacts
                .iter()
                .map(|(c, alt)| Recipient {
                    contact_id: *c,
                    alternate: *alt,
                    bounced: false,
                })
                .collect(),
        }
    }

    #[test]
    fn the_next_reminder_is_the_earliest_step_still_to_come() {
        let policy = Policy::default();
        let deadline = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        let r = request(1, chrono_tz::Africa::Kampala, deadline, &[(1, false)]);
        let today = NaiveDate::from_ymd_opt(2027, 1, 5).unwrap();
        let (day, step) = next_reminder(&policy, &r, &HashSet::new(), today).unwrap();
        assert_eq!(
            (day, step.offset_days),
            (NaiveDate::from_ymd_opt(2027, 1, 8).unwrap(), -7)
        );
        let done: HashSet<String> = [step.id.clone()].into();
        let (day, _) = next_reminder(&policy, &r, &done, today).unwrap();
        assert_eq!(day, NaiveDate::from_ymd_opt(2027, 1, 13).unwrap());
        let late = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        assert_eq!(next_reminder(&policy, &r, &HashSet::new(), late), None);
        let submitted = OpenRequest {
            state: RequestState::Submitted,
            ..r
        };
        assert_eq!(next_reminder(&policy, &submitted, &HashSet::new(), today), None);
    }

    #[test]
    fn a_campaign_policy_replaces_the_default_for_its_requests() {
        let deadline = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        let own = Policy::parse("-1d", "", "07:00-08:00", "mon,tue,wed,thu,fri,sat,sun", 2).unwrap();
        let mut r = request(1, chrono_tz::UTC, deadline, &[(1, false)]);
        r.policy = Some(std::sync::Arc::new(own));
        // 2027-01-14 07:30 UTC: the campaign's window and step, outside the default window.
        let plan = plan(
            &Policy::default(),
            &[r],
            &HashSet::new(),
            &HashMap::new(),
            at("2027-01-14T07:30:00Z"),
        );
        assert_eq!(plan.mails.len(), 1);
        assert_eq!(plan.mails[0].items[0].1, "-1d");
    }

    #[test]
    fn policies_parse_from_settings() {
        let p = Policy::parse(
            "-14d, -7d, +10d escalate",
            "+3d",
            "09:00-17:00",
            "mon,tue,wed,thu,fri",
            2,
        )
        .unwrap();
        assert_eq!(p.deadline_steps.len(), 3);
        assert_eq!(p.weekdays.len(), 5);
        assert!(
            Policy::parse("-14d", "", "17:00-09:00", "mon", 2)
                .unwrap_err()
                .contains("send window")
        );
        assert!(
            Policy::parse("-14d", "", "09:00-17:00", "funday", 2)
                .unwrap_err()
                .contains("funday")
        );
    }

    #[test]
    fn steps_parse_and_refuse_nonsense() {
        assert_eq!(Step::parse("-14d").unwrap().offset_days, -14);
        assert!(Step::parse("+10d escalate").unwrap().escalate);
        assert!(
            Step::parse("10").is_err() && Step::parse("+3d loudly").is_err() && Step::parse("+999d").is_err()
        );
    }

    #[test]
    fn the_newest_due_step_goes_inside_the_window_only() {
        let policy = Policy::default();
        let deadline = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let r = request(1, chrono_tz::Asia::Kathmandu, deadline, &[(7, false)]);
        // 2026-12-01 is a Tuesday; -14d is due. 03:00 UTC = 08:45 in Kathmandu: too early.
        assert!(
            plan(
                &policy,
                std::slice::from_ref(&r),
                &HashSet::new(),
                &HashMap::new(),
                at("2026-12-01T03:00:00Z")
            )
            .mails
            .is_empty()
        );
        // 03:15 UTC = 09:00 Kathmandu: the window opens.
        let p = plan(
            &policy,
            std::slice::from_ref(&r),
            &HashSet::new(),
            &HashMap::new(),
            at("2026-12-01T03:15:00Z"),
        );
        assert_eq!(
            p.mails,
            vec![PlannedMail {
                contact_id: 7,
                items: vec![(1, "-14d".into())],
                escalation: false
            }]
        );
        // A week later with nothing sent: only -7d goes, -14d is skipped.
        let p = plan(
            &policy,
            &[r],
            &HashSet::new(),
            &HashMap::new(),
            at("2026-12-08T04:00:00Z"),
        );
        assert_eq!(p.mails[0].items, vec![(1, "-7d".to_string())]);
        assert_eq!(p.skipped, vec![(1, "-14d".to_string(), 7)]);
    }

    #[test]
    fn several_requests_of_one_contact_make_one_digest_and_escalation_reaches_alternates() {
        let policy = Policy::default();
        let deadline = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let boston: Vec<OpenRequest> = (1..=5)
            .map(|i| {
                request(
                    i,
                    chrono_tz::America::New_York,
                    deadline,
                    &[(1, false), (2, true)],
                )
            })
            .collect();
        let p = plan(
            &policy,
            &boston,
            &HashSet::new(),
            &HashMap::new(),
            at("2026-12-01T15:00:00Z"),
        );
        assert_eq!(
            p.mails.len(),
            1,
            "one digest, and the alternate is not bothered yet"
        );
        assert_eq!(p.mails[0].items.len(), 5);
        let p = plan(
            &policy,
            &boston[..1],
            &HashSet::new(),
            &HashMap::new(),
            at("2026-12-28T15:00:00Z"),
        );
        let contacts: Vec<i32> = p.mails.iter().map(|m| m.contact_id).collect();
        assert_eq!(contacts, vec![1, 2]);
        assert!(p.mails.iter().all(|m| m.escalation));
    }

    #[test]
    fn nothing_after_submission_bounced_contacts_and_the_cap() {
        let policy = Policy::default();
        let deadline = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let mut r = request(1, chrono_tz::Europe::Paris, deadline, &[(3, false)]);
        let now = at("2026-12-01T10:00:00Z");
        r.state = RequestState::Submitted;
        assert!(
            plan(
                &policy,
                std::slice::from_ref(&r),
                &HashSet::new(),
                &HashMap::new(),
                now
            )
            .mails
            .is_empty()
        );
        r.state = RequestState::Draft;
        r.recipients[0].bounced = true;
        assert_eq!(
            plan(
                &policy,
                std::slice::from_ref(&r),
                &HashSet::new(),
                &HashMap::new(),
                now
            )
            .unreachable,
            vec![1]
        );
        r.recipients[0].bounced = false;
        let capped = HashMap::from([(3, 2)]);
        assert!(
            plan(&policy, &[r], &HashSet::new(), &capped, now)
                .mails
                .is_empty()
        );
    }

    #[test]
    fn a_bounced_primary_hands_over_to_the_alternate() {
        let policy = Policy::default();
        let mut r = request(
            1,
            chrono_tz::Africa::Kampala,
            NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            &[(1, false), (2, true)],
        );
        r.recipients[0].bounced = true;
        let p = plan(
            &policy,
            &[r],
            &HashSet::new(),
            &HashMap::new(),
            at("2026-12-01T08:00:00Z"),
        );
        assert_eq!(p.mails.iter().map(|m| m.contact_id).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn changes_requested_updates_follow_their_own_steps() {
        let policy = Policy::default();
        let mut r = request(
            1,
            chrono_tz::America::Bogota,
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            &[(4, false)],
        );
        r.state = RequestState::ChangesRequested;
        r.changes_requested_on = Some(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let p = plan(
            &policy,
            &[r],
            &HashSet::new(),
            &HashMap::new(),
            at("2026-12-04T15:00:00Z"),
        );
        assert_eq!(p.mails[0].items, vec![(1, "+3d".to_string())]);
    }

    const ZONES: [Tz; 8] = [
        chrono_tz::Asia::Kathmandu,
        chrono_tz::America::New_York,
        chrono_tz::Europe::London,
        chrono_tz::Australia::Adelaide,
        chrono_tz::Pacific::Auckland,
        chrono_tz::America::Santiago,
        chrono_tz::Africa::Kampala,
        chrono_tz::Asia::Kolkata,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Run the scheduler every 20 minutes through a 60-day campaign that crosses DST
        /// changes: no reminder twice, none outside the window, none after submission.
        #[test]
        fn a_simulated_campaign_keeps_the_promises(
            zones in proptest::collection::vec(0usize..ZONES.len(), 1..6),
            deadline_day in 20i64..50,
            submit_after in proptest::option::of(0i64..60 * 72),
        ) {
            let policy = Policy::default();
            let start = at("2027-02-20T00:00:00Z"); // DST changes in March and April fall inside
            let deadline = start.date_naive() + Duration::days(deadline_day);
            let mut requests: Vec<OpenRequest> = zones
                .iter()
                .enumerate()
                .map(|(i, z)| request(i as i32 + 1, ZONES[*z], deadline, &[(100 + i as i32, false), (200 + i as i32, true)]))
                .collect();
            let mut sent: HashSet<SentKey> = HashSet::new();
            let mut submitted_at = None;
            for tick in 0..(60 * 72) {
                let now = start + Duration::minutes(20 * tick);
                if Some(tick) == submit_after {
                    requests[0].state = RequestState::Submitted;
                    submitted_at = Some(now);
                }
                let p = plan(&policy, &requests, &sent, &HashMap::new(), now);
                for mail in &p.mails {
                    for (request_id, step) in &mail.items {
                        let r = requests.iter().find(|r| r.request_id == *request_id).unwrap();
                        prop_assert!(policy.in_window(r.timezone, now), "outside the window at {now} in {}", r.timezone);
                        prop_assert!(r.state.awaits_officer());
                        if *request_id == 1 {
                            prop_assert!(submitted_at.is_none(), "a reminder after submission");
                        }
                        prop_assert!(sent.insert((*request_id, step.clone(), mail.contact_id)), "twice: {request_id} {step}");
                    }
                }
                for key in p.skipped {
                    prop_assert!(sent.insert(key));
                }
            }
            // Every request still open heard of its last step, and its alternate was escalated to.
            for r in requests.iter().filter(|r| r.state.awaits_officer()) {
                prop_assert!(sent.contains(&(r.request_id, "+10d escalate".split(' ').next().unwrap().to_string(), r.recipients[1].contact_id)));
            }
        }
    }
}
