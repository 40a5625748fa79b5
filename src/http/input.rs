//! Staff form inputs as typed structs, checked with the `validator` derive at the edge: each
//! field's rule is declared beside it, and a refusal names every field that is wrong and how.
//! The rules are the domain's own parsers, so the register import, the forms and the CLI
//! accept exactly the same values.
use chrono::NaiveDate;
use serde::Deserialize;
use validator::{Validate, ValidationError, ValidationErrors};

use crate::domain::interview::{Schedule, ScheduleForm, parse_schedule};
use crate::domain::pledge::{ContactRole, Locale, parse_email};
use crate::domain::text::one_line;

/// A domain parser's verdict as a `validator` check.
fn verdict<T>(result: Result<T, String>) -> Result<(), ValidationError> {
    result
        .map(|_| ())
        .map_err(|message| ValidationError::new("invalid").with_message(message.into()))
}

fn parse_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{}` is not a date like 2027-02-15", value.trim()))
}

fn date(value: &str) -> Result<(), ValidationError> {
    verdict(parse_date(value))
}

/// A name on one line (a line break from a spreadsheet becomes a space), 1 to 200 characters.
fn name(value: &str) -> Result<(), ValidationError> {
    let name = one_line(value);
    verdict(if name.is_empty() || name.chars().count() > 200 {
        Err("give 1 to 200 characters".to_string())
    } else {
        Ok(name)
    })
}

fn email(value: &str) -> Result<(), ValidationError> {
    verdict(parse_email(value))
}

fn language(value: &str) -> Result<(), ValidationError> {
    verdict(Locale::parse(value).map_err(|_| format!("`{value}` must be en, fr, es or pt")))
}

fn contact_role(value: &str) -> Result<(), ValidationError> {
    verdict(ContactRole::parse(value).map_err(|_| format!("`{value}` must be primary or alternate")))
}

/// `POST /review/requests/{id}/deadline`.
#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct DeadlineInput {
    #[validate(custom(function = "date"))]
    pub deadline: String,
}

impl DeadlineInput {
    pub fn deadline(&self) -> Result<NaiveDate, String> {
        parse_date(&self.deadline)
    }
}

/// `POST /review/requests/{id}/contacts`.
#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct ContactInput {
    #[validate(custom(function = "name"))]
    pub name: String,
    #[validate(custom(function = "email"))]
    pub email: String,
    #[validate(custom(function = "language"))]
    pub locale: String,
    #[validate(custom(function = "contact_role"))]
    pub role: String,
}

/// The name and deadline of `POST /review/campaigns` (the reminder policy is the domain's
/// `PolicySettings`, checked as a whole).
#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct CampaignInput {
    #[validate(custom(function = "name"))]
    pub name: String,
    #[validate(custom(function = "date"))]
    pub deadline: String,
}

impl CampaignInput {
    pub fn deadline(&self) -> Result<NaiveDate, String> {
        parse_date(&self.deadline)
    }
}

/// `POST /review/interviews/{id}/schedule`: the fields depend on one another (a video call
/// needs a link, a time must exist in its zone), so the domain checks them as one schedule.
#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
#[validate(schema(function = "schedule"))]
pub struct ScheduleInput {
    pub date: String,
    pub time: String,
    pub timezone: String,
    pub duration_minutes: String,
    pub mode: String,
    pub interviewer: String,
    pub interviewer_email: String,
    pub meeting_link: String,
}

impl ScheduleInput {
    pub fn schedule(&self) -> Result<Schedule, String> {
        parse_schedule(&ScheduleForm {
            date: &self.date,
            time: &self.time,
            timezone: &self.timezone,
            duration_minutes: &self.duration_minutes,
            mode: &self.mode,
            interviewer: &self.interviewer,
            interviewer_email: &self.interviewer_email,
            meeting_link: &self.meeting_link,
        })
    }
}

fn schedule(input: &ScheduleInput) -> Result<(), ValidationError> {
    verdict(input.schedule())
}

/// Every refusal, one per field in the order the fields are named: "Deadline: `x` is not a
/// date like 2027-02-15."
pub fn refusal(errors: &ValidationErrors, order: &[&str]) -> String {
    let fields = errors.field_errors();
    let mut parts = Vec::new();
    for field in order.iter().chain(&[WHOLE_FORM]) {
        for e in fields.get(*field).into_iter().flat_map(|list| list.iter()) {
            let message = e.message.as_deref().unwrap_or("is not valid");
            // A check of the whole form names its fields in its own message.
            parts.push(if *field == WHOLE_FORM {
                sentence(message)
            } else {
                sentence(&format!("{}: {message}", field.replace('_', " ")))
            });
        }
    }
    parts.join(" ")
}

/// Where `validator` files the errors of a `schema` (whole-struct) check.
const WHOLE_FORM: &str = "__all__";

/// A message as a sentence for the page: "date: x is wrong" → "Date: x is wrong."
pub fn sentence(message: &str) -> String {
    let mut chars = message.trim().trim_end_matches('.').chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The form's field names, in order, for `refusal`.
pub trait FieldOrder {
    const FIELDS: &'static [&'static str];
}

impl FieldOrder for DeadlineInput {
    const FIELDS: &'static [&'static str] = &["deadline"];
}

impl FieldOrder for ContactInput {
    const FIELDS: &'static [&'static str] = &["name", "email", "locale", "role"];
}

impl FieldOrder for ScheduleInput {
    const FIELDS: &'static [&'static str] = &[];
}

impl FieldOrder for CampaignInput {
    const FIELDS: &'static [&'static str] = &["name", "deadline"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wrong_field_is_named_with_what_to_fix() {
        let input = ContactInput {
            name: "  \n ".into(),
            email: "ana<x>@example.org".into(),
            locale: "de".into(),
            role: "primary".into(),
        };
        let errors = input.validate().unwrap_err();
        assert_eq!(
            refusal(&errors, ContactInput::FIELDS),
            "Name: give 1 to 200 characters. Email: `ana<x>@example.org` is not an e-mail address. \
             Locale: `de` must be en, fr, es or pt."
        );
        let fine = ContactInput {
            name: "Ana\r\nRuiz".into(),
            email: "ana@arua.example.org".into(),
            locale: "es".into(),
            role: "alternate".into(),
        };
        assert!(fine.validate().is_ok());
        let deadline = DeadlineInput {
            deadline: "15/02/2027".into(),
        };
        assert_eq!(
            refusal(&deadline.validate().unwrap_err(), DeadlineInput::FIELDS),
            "Deadline: `15/02/2027` is not a date like 2027-02-15."
        );
        let video_without_link = ScheduleInput {
            date: "2027-03-02".into(),
            time: "10:00".into(),
            timezone: "America/Bogota".into(),
            mode: "video".into(),
            interviewer: "Sam".into(),
            ..Default::default()
        };
        assert_eq!(
            refusal(&video_without_link.validate().unwrap_err(), ScheduleInput::FIELDS),
            "Meeting link: a video interview needs one."
        );
    }
}
