//! Staff form inputs as typed structs, checked with the `validator` derive at the edge: each
//! field's rule is declared beside it, and a refusal names every field that is wrong and how.
//! The rules are the domain's own parsers, so the register import, the forms and the CLI
//! accept exactly the same values.
use chrono::NaiveDate;
use serde::Deserialize;
use validator::{Validate, ValidationError, ValidationErrors};

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

/// Every refusal, one per field in the order the fields are named: "Deadline: `x` is not a
/// date like 2027-02-15."
pub fn refusal(errors: &ValidationErrors, order: &[&str]) -> String {
    let fields = errors.field_errors();
    let mut parts = Vec::new();
    for field in order {
        for e in fields.get(*field).into_iter().flat_map(|list| list.iter()) {
            let message = e.message.as_deref().unwrap_or("is not valid");
            parts.push(format!("{}: {message}.", capitalised(field)));
        }
    }
    parts.join(" ")
}

fn capitalised(field: &str) -> String {
    let label = field.replace('_', " ");
    let mut chars = label.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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
    }
}
