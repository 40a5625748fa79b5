//! askama page structs, mirroring `http/`. Every value is escaped by askama's HTML escaper.
pub mod officer;
pub mod public;
pub mod register;
pub mod staff;

use askama::Template;

use crate::domain::pledge::Locale;
use crate::error::{AppError, ErrorKind, generic_message};
use crate::i18n::{Messages, messages};

/// A link in the language switcher.
pub struct LanguageLink {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

pub fn language_links(current: Locale) -> Vec<LanguageLink> {
    [
        (Locale::En, "English"),
        (Locale::Fr, "Français"),
        (Locale::Es, "Español"),
        (Locale::Pt, "Português"),
    ]
    .into_iter()
    .map(|(locale, name)| LanguageLink {
        code: locale.as_str(),
        name,
        current: locale == current,
    })
    .collect()
}

/// Renders a template; a failure here is a bug in a template, so it degrades to plain text.
pub fn render(template: &impl Template) -> String {
    template.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "template failed to render");
        "Internal error while rendering this page.".into()
    })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Messages,
    languages: Vec<LanguageLink>,
    title: &'a str,
    status: u16,
    heading: &'a str,
    message: String,
}

pub fn error_page(error: &AppError) -> String {
    let t = messages(error.locale);
    let heading = match error.kind {
        ErrorKind::BadRequest | ErrorKind::Unprocessable | ErrorKind::PayloadTooLarge => {
            t.get("error.bad_request")
        }
        ErrorKind::Forbidden | ErrorKind::Unauthorized => t.get("error.forbidden"),
        ErrorKind::TooManyRequests => t.get("link.too_many.text"),
        ErrorKind::NotFound => t.get("error.not_found"),
        ErrorKind::Conflict => t.get("error.conflict"),
        ErrorKind::Unavailable => t.get("error.unavailable"),
        ErrorKind::Internal => t.get("error.internal"),
    };
    let message = if error.message.is_empty() {
        generic_message(error.kind).to_string()
    } else {
        error.message.clone()
    };
    render(&ErrorPage {
        t,
        languages: language_links(error.locale),
        title: heading,
        status: error.status().as_u16(),
        heading,
        message,
    })
}
