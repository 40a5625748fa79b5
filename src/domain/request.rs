//! The update-request state machine (design.md §4). `transition` is the only place that
//! decides whether a change of state may happen.
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// "Today" for a request: the organization's own date at `now`. A deadline ends at midnight
/// where the officer works, so the overdue flags, the dashboard and the reminder planner all
/// count days this way, never by the server's (UTC) date.
pub fn local_date(now: DateTime<Utc>, zone: Tz) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

vocabulary!(
    /// A campaign (a round of update requests) is prepared, then open until it is closed;
    /// only an open campaign takes new requests and sends reminders.
    CampaignState, "a campaign state" {
        Draft => "draft",
        Open => "open",
        Closed => "closed",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestState {
    Issued,
    Draft,
    Submitted,
    ChangesRequested,
    Approved,
    Published,
    Withdrawn,
}

impl RequestState {
    pub const ALL: [RequestState; 7] = [
        RequestState::Issued,
        RequestState::Draft,
        RequestState::Submitted,
        RequestState::ChangesRequested,
        RequestState::Approved,
        RequestState::Published,
        RequestState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Issued => "issued",
            RequestState::Draft => "draft",
            RequestState::Submitted => "submitted",
            RequestState::ChangesRequested => "changes_requested",
            RequestState::Approved => "approved",
            RequestState::Published => "published",
            RequestState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Still in the cycle: not approved, published or withdrawn. A pledge has one at a time.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestState::Issued
                | RequestState::Draft
                | RequestState::Submitted
                | RequestState::ChangesRequested
        )
    }

    /// The officer may edit and submit in these states: the update is owed.
    pub fn awaits_officer(self) -> bool {
        matches!(
            self,
            RequestState::Issued | RequestState::Draft | RequestState::ChangesRequested
        )
    }

    /// Derived, never stored: the deadline has passed and the officer still owes the update.
    pub fn is_overdue(self, deadline: NaiveDate, today: NaiveDate) -> bool {
        self.awaits_officer() && today > deadline
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request's deadline cannot move to the date asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineRefusal {
    #[error("this update is {0}; a deadline only matters while the officer still owes it")]
    NotOwed(RequestState),
    #[error("deadline: {asked} is not later than the current deadline {current}")]
    NotLater { asked: NaiveDate, current: NaiveDate },
}

/// A deadline is extended, never shortened, and only while the officer owes the update.
pub fn extend_deadline(
    state: RequestState,
    current: NaiveDate,
    asked: NaiveDate,
) -> Result<(), DeadlineRefusal> {
    if !state.awaits_officer() {
        Err(DeadlineRefusal::NotOwed(state))
    } else if asked <= current {
        Err(DeadlineRefusal::NotLater { asked, current })
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestEvent {
    Save,
    Submit,
    RequestChanges,
    /// Approval needs every interview closed and consent to publish.
    Approve {
        open_interview: bool,
        consent_given: bool,
    },
    Publish,
    Withdraw,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("this update is {state}; it cannot be {action} now")]
    NotAllowed {
        state: RequestState,
        action: &'static str,
    },
    #[error(
        "this update was {seen} when the page was shown and is {state} now; look at it again before acting"
    )]
    Changed { seen: RequestState, state: RequestState },
    #[error("an interview is still open; validate or cancel it before approving")]
    InterviewOpen,
    #[error("the officer has not given consent to publish")]
    ConsentMissing,
}

fn action_name(event: RequestEvent) -> &'static str {
    match event {
        RequestEvent::Save => "edited",
        RequestEvent::Submit => "submitted",
        RequestEvent::RequestChanges => "sent back for changes",
        RequestEvent::Approve { .. } => "approved",
        RequestEvent::Publish => "published",
        RequestEvent::Withdraw => "withdrawn",
    }
}

/// A staff click acts on the state its page showed (`seen`): if the update moved on since,
/// the click is refused rather than applied to a state nobody looked at. Two clicks at once
/// on different buttons thus never both win.
pub fn transition_seen(
    state: RequestState,
    seen: Option<RequestState>,
    event: RequestEvent,
) -> Result<RequestState, TransitionError> {
    match seen {
        Some(seen) if seen != state => Err(TransitionError::Changed { seen, state }),
        _ => transition(state, event),
    }
}

pub fn transition(state: RequestState, event: RequestEvent) -> Result<RequestState, TransitionError> {
    use RequestEvent as E;
    use RequestState as S;
    let refused = || TransitionError::NotAllowed {
        state,
        action: action_name(event),
    };
    match (state, event) {
        (S::Issued | S::Draft, E::Save) => Ok(S::Draft),
        (S::ChangesRequested, E::Save) => Ok(S::ChangesRequested),
        (S::Issued | S::Draft | S::ChangesRequested, E::Submit) => Ok(S::Submitted),
        (S::Submitted, E::RequestChanges) => Ok(S::ChangesRequested),
        (
            S::Submitted,
            E::Approve {
                open_interview,
                consent_given,
            },
        ) => {
            if open_interview {
                Err(TransitionError::InterviewOpen)
            } else if !consent_given {
                Err(TransitionError::ConsentMissing)
            } else {
                Ok(S::Approved)
            }
        }
        (S::Approved, E::Publish) => Ok(S::Published),
        (S::Published | S::Withdrawn, E::Withdraw) => Err(refused()),
        (_, E::Withdraw) => Ok(S::Withdrawn),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_click_on_a_state_that_moved_on_is_refused() {
        use RequestState::*;
        assert_eq!(
            transition_seen(Approved, Some(Submitted), RequestEvent::Withdraw),
            Err(TransitionError::Changed {
                seen: Submitted,
                state: Approved
            }),
            "withdraw was clicked on a submitted update that got approved meanwhile"
        );
        assert_eq!(
            transition_seen(Submitted, Some(Submitted), RequestEvent::Withdraw),
            Ok(Withdrawn)
        );
        assert_eq!(
            transition_seen(Approved, None, RequestEvent::Withdraw),
            Ok(Withdrawn)
        );
    }

    use super::*;
    use RequestEvent as E;
    use RequestState as S;

    const APPROVE_OK: E = E::Approve {
        open_interview: false,
        consent_given: true,
    };

    #[test]
    fn the_happy_path_and_a_round_of_changes() {
        let mut state = S::Issued;
        for (event, expected) in [
            (E::Save, S::Draft),
            (E::Submit, S::Submitted),
            (E::RequestChanges, S::ChangesRequested),
            (E::Save, S::ChangesRequested),
            (E::Submit, S::Submitted),
            (APPROVE_OK, S::Approved),
            (E::Publish, S::Published),
        ] {
            state = transition(state, event).unwrap();
            assert_eq!(state, expected);
        }
    }

    #[test]
    fn approval_needs_closed_interviews_and_consent() {
        assert_eq!(
            transition(
                S::Submitted,
                E::Approve {
                    open_interview: true,
                    consent_given: true
                }
            ),
            Err(TransitionError::InterviewOpen)
        );
        assert_eq!(
            transition(
                S::Submitted,
                E::Approve {
                    open_interview: false,
                    consent_given: false
                }
            ),
            Err(TransitionError::ConsentMissing)
        );
    }

    #[test]
    fn illegal_transitions_are_refused_with_a_message() {
        let err = transition(S::Submitted, E::Save).unwrap_err();
        assert_eq!(
            err.to_string(),
            "this update is submitted; it cannot be edited now"
        );
        assert!(transition(S::Published, E::Withdraw).is_err());
        assert!(transition(S::Draft, E::Publish).is_err());
        assert!(transition(S::Approved, E::Submit).is_err());
        for state in [
            S::Issued,
            S::Draft,
            S::Submitted,
            S::ChangesRequested,
            S::Approved,
        ] {
            assert_eq!(transition(state, E::Withdraw), Ok(S::Withdrawn));
        }
    }

    #[test]
    fn overdue_is_derived_from_state_and_deadline() {
        let deadline = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let after = NaiveDate::from_ymd_opt(2026, 12, 16).unwrap();
        assert!(S::Draft.is_overdue(deadline, after));
        assert!(!S::Draft.is_overdue(deadline, deadline));
        assert!(!S::Submitted.is_overdue(deadline, after));
        for state in S::ALL {
            assert_eq!(S::parse(state.as_str()), Some(state));
        }
    }
}
