//! Interviews that confirm the facts of an update (design.md §4), and the iCalendar
//! (RFC 5545) invitations that go with them. Pure: no clock, no IO.
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::request::RequestState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InterviewState {
    Requested,
    Scheduled,
    Held,
    Validated,
    NoShow,
    Cancelled,
}

impl InterviewState {
    pub const ALL: [InterviewState; 6] = [
        InterviewState::Requested,
        InterviewState::Scheduled,
        InterviewState::Held,
        InterviewState::Validated,
        InterviewState::NoShow,
        InterviewState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InterviewState::Requested => "requested",
            InterviewState::Scheduled => "scheduled",
            InterviewState::Held => "held",
            InterviewState::Validated => "validated",
            InterviewState::NoShow => "no_show",
            InterviewState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<InterviewState> {
        InterviewState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// While an interview is in one of these states its update cannot be approved.
    pub fn blocks_approval(self) -> bool {
        matches!(
            self,
            InterviewState::Requested | InterviewState::Scheduled | InterviewState::Held
        )
    }

    /// A request has at most one interview that is not finished (validated or cancelled).
    pub fn is_finished(self) -> bool {
        matches!(self, InterviewState::Validated | InterviewState::Cancelled)
    }
}

impl fmt::Display for InterviewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterviewEvent {
    Schedule,
    Hold,
    Validate,
    NoShow,
    Cancel,
}

impl InterviewEvent {
    fn verb(self) -> &'static str {
        match self {
            InterviewEvent::Schedule => "scheduled",
            InterviewEvent::Hold => "marked held",
            InterviewEvent::Validate => "validated",
            InterviewEvent::NoShow => "marked as a no-show",
            InterviewEvent::Cancel => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this interview is {state}; it cannot be {verb} now")]
pub struct InterviewTransitionError {
    pub state: InterviewState,
    pub verb: &'static str,
}

/// `requested → scheduled → held → validated`; `scheduled → scheduled` (reschedule);
/// `scheduled → no_show → scheduled | cancelled`; `requested | scheduled → cancelled`.
pub fn transition(
    state: InterviewState,
    event: InterviewEvent,
) -> Result<InterviewState, InterviewTransitionError> {
    use InterviewEvent as E;
    use InterviewState as S;
    match (state, event) {
        (S::Requested | S::Scheduled | S::NoShow, E::Schedule) => Ok(S::Scheduled),
        (S::Scheduled, E::Hold) => Ok(S::Held),
        (S::Held, E::Validate) => Ok(S::Validated),
        (S::Scheduled, E::NoShow) => Ok(S::NoShow),
        (S::Requested | S::Scheduled | S::NoShow, E::Cancel) => Ok(S::Cancelled),
        _ => Err(InterviewTransitionError {
            state,
            verb: event.verb(),
        }),
    }
}

/// An interview is asked for about an update the secretariat holds (submitted, or sent back
/// for changes), and only when the request has no other unfinished interview.
pub fn may_request(request: RequestState, interviews: &[InterviewState]) -> Result<(), String> {
    if !matches!(request, RequestState::Submitted | RequestState::ChangesRequested) {
        return Err(format!(
            "this update is {request}; an interview is asked for once it is submitted"
        ));
    }
    match interviews.iter().find(|i| !i.is_finished()) {
        Some(open) => Err(format!("this update already has an interview that is {open}")),
        None => Ok(()),
    }
}

/// The note a step records: required when the interview is marked held, at most 5,000
/// characters; `None` when nothing was written.
pub fn outcome_note(event: InterviewEvent, note: &str) -> Result<Option<String>, String> {
    let note = note.trim();
    if note.chars().count() > 5_000 {
        return Err("notes: at most 5,000 characters".into());
    }
    if event == InterviewEvent::Hold && note.is_empty() {
        return Err("notes: say briefly what the interview confirmed or left open".into());
    }
    Ok(Some(note.to_string()).filter(|n| !n.is_empty()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterviewMode {
    Video,
    Phone,
    InPerson,
}

impl InterviewMode {
    pub const ALL: [InterviewMode; 3] = [
        InterviewMode::Video,
        InterviewMode::Phone,
        InterviewMode::InPerson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InterviewMode::Video => "video",
            InterviewMode::Phone => "phone",
            InterviewMode::InPerson => "in_person",
        }
    }

    pub fn parse(s: &str) -> Option<InterviewMode> {
        InterviewMode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// What the reviewer typed to schedule an interview, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub starts_at: DateTime<Utc>,
    pub timezone: Tz,
    pub duration_minutes: u32,
    pub mode: InterviewMode,
    pub interviewer: String,
    pub interviewer_email: Option<String>,
    pub meeting_link: Option<String>,
}

impl Schedule {
    /// An interview is set for a time still to come: a date in the past is a slip of the
    /// keyboard (2026 for 2027), and its calendar invitation would arrive too late anyway.
    pub fn still_to_come(self, now: DateTime<Utc>) -> Result<Schedule, String> {
        if self.starts_at > now {
            Ok(self)
        } else {
            Err(format!(
                "date: {} {} has already passed",
                self.starts_at
                    .with_timezone(&self.timezone)
                    .format("%Y-%m-%d %H:%M"),
                self.timezone
            ))
        }
    }
}

/// The raw scheduling form.
#[derive(Debug, Clone, Default)]
pub struct ScheduleForm<'a> {
    pub date: &'a str,
    pub time: &'a str,
    pub timezone: &'a str,
    pub duration_minutes: &'a str,
    pub mode: &'a str,
    pub interviewer: &'a str,
    pub interviewer_email: &'a str,
    pub meeting_link: &'a str,
}

/// Checks the scheduling form; the error names the field and says what is wrong.
pub fn parse_schedule(form: &ScheduleForm) -> Result<Schedule, String> {
    let date = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d")
        .map_err(|_| format!("date `{}` is not a date like 2026-12-08", form.date.trim()))?;
    let time = NaiveTime::parse_from_str(form.time.trim(), "%H:%M")
        .map_err(|_| format!("time `{}` is not a time like 14:30", form.time.trim()))?;
    let timezone: Tz = form.timezone.trim().parse().map_err(|_| {
        format!(
            "time zone `{}` is not an IANA zone like America/Bogota",
            form.timezone.trim()
        )
    })?;
    let starts_at = local_to_utc(date, time, timezone)?;
    let duration_minutes = match form.duration_minutes.trim() {
        "" => 45,
        d => d
            .parse::<u32>()
            .ok()
            .filter(|m| (10..=240).contains(m))
            .ok_or_else(|| format!("duration `{d}` must be between 10 and 240 minutes"))?,
    };
    let mode = InterviewMode::parse(form.mode.trim())
        .ok_or_else(|| format!("mode `{}` must be video, phone or in_person", form.mode.trim()))?;
    let interviewer = super::text::one_line(form.interviewer);
    if interviewer.is_empty() || interviewer.chars().count() > 200 {
        return Err("interviewer: give a name of at most 200 characters".into());
    }
    let interviewer_email = match form.interviewer_email.trim() {
        "" => None,
        email => Some(super::pledge::parse_email(email).map_err(|e| format!("interviewer's e-mail: {e}"))?),
    };
    let meeting_link = match form.meeting_link.trim() {
        "" => None,
        link if (link.starts_with("https://") || link.starts_with("http://"))
            && link.len() <= 500
            && !link.chars().any(char::is_whitespace) =>
        {
            Some(link.to_string())
        }
        link => {
            return Err(format!(
                "meeting link `{link}` must be an http(s) address of at most 500 characters"
            ));
        }
    };
    if mode == InterviewMode::Video && meeting_link.is_none() {
        return Err("meeting link: a video interview needs one".into());
    }
    Ok(Schedule {
        starts_at,
        timezone,
        duration_minutes,
        mode,
        interviewer,
        interviewer_email,
        meeting_link,
    })
}

/// The instant a wall-clock time names in a zone. A time skipped by a clock change is an
/// error; a repeated one (clocks going back) takes the earlier instant.
pub fn local_to_utc(date: NaiveDate, time: NaiveTime, zone: Tz) -> Result<DateTime<Utc>, String> {
    zone.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            format!(
                "{date} {} does not exist in {zone} (the clocks change then)",
                time.format("%H:%M")
            )
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarMethod {
    Request,
    Cancel,
}

/// One calendar message about one interview. `uid` stays the same for the interview's
/// life; `sequence` grows with every change so calendars replace the earlier version.
#[derive(Debug, Clone)]
pub struct CalendarInvite<'a> {
    pub method: CalendarMethod,
    pub uid: &'a str,
    pub sequence: i32,
    pub stamp: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: Option<&'a str>,
    pub organizer: &'a str,
    pub attendees: &'a [(String, String)],
}

/// The `.ics` text: CRLF line ends, values escaped, lines folded at 75 octets.
pub fn calendar(invite: &CalendarInvite) -> String {
    let utc = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let (method, status) = match invite.method {
        CalendarMethod::Request => ("REQUEST", "CONFIRMED"),
        CalendarMethod::Cancel => ("CANCEL", "CANCELLED"),
    };
    let ends_at = invite.starts_at + chrono::Duration::minutes(invite.duration_minutes.into());
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Local Coalition//pledgeflow//EN".into(),
        format!("METHOD:{method}"),
        "BEGIN:VEVENT".into(),
        format!("UID:{}", escape(invite.uid)),
        format!("SEQUENCE:{}", invite.sequence),
        format!("DTSTAMP:{}", utc(invite.stamp)),
        format!("DTSTART:{}", utc(invite.starts_at)),
        format!("DTEND:{}", utc(ends_at)),
        format!("SUMMARY:{}", escape(invite.summary)),
        format!("DESCRIPTION:{}", escape(invite.description)),
        format!("STATUS:{status}"),
        format!("ORGANIZER:mailto:{}", invite.organizer),
    ];
    if let Some(location) = invite.location {
        lines.push(format!("LOCATION:{}", escape(location)));
    }
    for (name, email) in invite.attendees {
        lines.push(format!(
            "ATTENDEE;CN=\"{}\";ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{email}",
            name.replace(['"', '\r', '\n'], "")
        ));
    }
    lines.push("END:VEVENT".into());
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect::<Vec<_>>().join("")
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace(['\n', '\r'], "\\n")
}

/// Folds a content line at 75 octets without splitting a UTF-8 character, and ends it.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>() -> ScheduleForm<'a> {
        ScheduleForm {
            date: "2026-12-08",
            time: "10:00",
            timezone: "America/Bogota",
            duration_minutes: "",
            mode: "video",
            interviewer: "Ana Ruiz",
            interviewer_email: "ana.ruiz@secretariat.example.org",
            meeting_link: "https://meet.example.org/abc",
        }
    }

    #[test]
    fn the_interview_states_follow_the_design() {
        use InterviewEvent as E;
        use InterviewState as S;
        assert_eq!(transition(S::Requested, E::Schedule), Ok(S::Scheduled));
        assert_eq!(transition(S::Scheduled, E::Schedule), Ok(S::Scheduled));
        assert_eq!(transition(S::Scheduled, E::Hold), Ok(S::Held));
        assert_eq!(transition(S::Held, E::Validate), Ok(S::Validated));
        assert_eq!(transition(S::Scheduled, E::NoShow), Ok(S::NoShow));
        assert_eq!(transition(S::NoShow, E::Schedule), Ok(S::Scheduled));
        assert_eq!(transition(S::NoShow, E::Cancel), Ok(S::Cancelled));
        assert_eq!(transition(S::Requested, E::Cancel), Ok(S::Cancelled));
        let refused = transition(S::Requested, E::Validate).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "this interview is requested; it cannot be validated now"
        );
        assert!(transition(S::Held, E::Cancel).is_err());
        assert!(transition(S::Validated, E::Schedule).is_err());
        assert!(transition(S::Cancelled, E::Schedule).is_err());
        let blocking: Vec<_> = S::ALL.into_iter().filter(|s| s.blocks_approval()).collect();
        assert_eq!(blocking, [S::Requested, S::Scheduled, S::Held]);
    }

    #[test]
    fn interviews_are_asked_for_submitted_updates_one_at_a_time() {
        use InterviewState as S;
        assert!(may_request(RequestState::Submitted, &[S::Cancelled, S::Validated]).is_ok());
        assert!(may_request(RequestState::ChangesRequested, &[]).is_ok());
        assert_eq!(
            may_request(RequestState::Draft, &[]).unwrap_err(),
            "this update is draft; an interview is asked for once it is submitted"
        );
        assert_eq!(
            may_request(RequestState::Submitted, &[S::NoShow]).unwrap_err(),
            "this update already has an interview that is no_show"
        );
        assert!(outcome_note(InterviewEvent::Hold, "  ").is_err());
        assert_eq!(outcome_note(InterviewEvent::Validate, " "), Ok(None));
        assert_eq!(
            outcome_note(InterviewEvent::Hold, " Confirmed. "),
            Ok(Some("Confirmed.".into()))
        );
        assert!(outcome_note(InterviewEvent::NoShow, &"x".repeat(5_001)).is_err());
    }

    #[test]
    fn an_interview_cannot_be_set_in_the_past() {
        let s = parse_schedule(&form()).unwrap();
        let before: DateTime<Utc> = "2026-12-08T14:59:00Z".parse().unwrap();
        let after: DateTime<Utc> = "2026-12-08T15:00:00Z".parse().unwrap();
        assert!(s.clone().still_to_come(before).is_ok());
        assert_eq!(
            s.still_to_come(after).unwrap_err(),
            "date: 2026-12-08 10:00 America/Bogota has already passed"
        );
    }

    #[test]
    fn a_schedule_is_read_in_the_lrg_time_zone() {
        let s = parse_schedule(&form()).unwrap();
        // Bogotá is UTC-5 all year.
        assert_eq!(s.starts_at.to_rfc3339(), "2026-12-08T15:00:00+00:00");
        assert_eq!(s.duration_minutes, 45);
        assert_eq!(s.mode, InterviewMode::Video);
    }

    #[test]
    fn bad_schedules_name_the_field() {
        type Spoil = fn(&mut ScheduleForm);
        let cases: [(Spoil, &str); 8] = [
            (|f| f.date = "8/12/2026", "date `8/12/2026`"),
            (|f| f.time = "25:00", "time `25:00`"),
            (|f| f.timezone = "Mars/Olympus", "time zone `Mars/Olympus`"),
            (|f| f.duration_minutes = "5", "duration `5`"),
            (|f| f.mode = "fax", "mode `fax`"),
            (|f| f.interviewer = " ", "interviewer:"),
            (|f| f.interviewer_email = "ana at home", "interviewer's e-mail:"),
            (
                |f| f.meeting_link = "javascript:alert(1)",
                "meeting link `javascript:alert(1)`",
            ),
        ];
        for (spoil, expected) in cases {
            let mut f = form();
            spoil(&mut f);
            let error = parse_schedule(&f).unwrap_err();
            assert!(error.starts_with(expected), "{error}");
        }
        let mut f = form();
        f.meeting_link = "";
        assert_eq!(
            parse_schedule(&f).unwrap_err(),
            "meeting link: a video interview needs one"
        );
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused() {
        // Montréal springs forward at 02:00 on 2027-03-14.
        let mut f = form();
        f.timezone = "America/Toronto";
        f.date = "2027-03-14";
        f.time = "02:30";
        assert!(parse_schedule(&f).unwrap_err().contains("does not exist"));
    }

    #[test]
    fn the_calendar_is_valid_rfc5545() {
        let attendees = vec![(
            "Jane Okello, Arua".to_string(),
            "jane@arua.example.org".to_string(),
        )];
        let description =
            "Interview about “Inclusive city services”; please bring figures,\nthank you.".repeat(3);
        let invite = CalendarInvite {
            method: CalendarMethod::Request,
            uid: "interview-7@pledgeflow",
            sequence: 2,
            stamp: "2026-11-29T08:00:00Z".parse().unwrap(),
            starts_at: "2026-12-08T15:00:00Z".parse().unwrap(),
            duration_minutes: 45,
            summary: "Pledge update interview",
            description: &description,
            location: Some("https://meet.example.org/abc"),
            organizer: "secretariat@example.org",
            attendees: &attendees,
        };
        let ics = calendar(&invite);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
        for line in [
            "METHOD:REQUEST",
            "SEQUENCE:2",
            "DTSTART:20261208T150000Z",
            "DTEND:20261208T154500Z",
            "STATUS:CONFIRMED",
        ] {
            assert!(ics.contains(&format!("\r\n{line}\r\n")), "{line} in {ics}");
        }
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "line too long: {line}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("figures\\,\\nthank you."), "{unfolded}");
        assert!(unfolded.contains("services”\\; please"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
        let cancel = calendar(&CalendarInvite {
            method: CalendarMethod::Cancel,
            sequence: 3,
            ..invite
        });
        assert!(cancel.contains("\r\nMETHOD:CANCEL\r\n") && cancel.contains("\r\nSTATUS:CANCELLED\r\n"));
    }
}
