//! Public pages of published updates.
use crate::error::AppError;
use askama::Template;

use super::officer::{AnswerSection, answer_sections};
use super::{LanguageLink, language_links, render};
use crate::domain::answers::Answers;
use crate::domain::export::is_public;
use crate::domain::pledge::Locale;
use crate::i18n::{Messages, messages};
use crate::store::exports::ExportItem;

pub struct PublicLine {
    pub href: String,
    pub reference: String,
    pub title: String,
    pub organization: String,
    pub country: String,
    pub stage: String,
    pub reached: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "public/updates.html")]
struct ListPage {
    t: &'static Messages,
    languages: Vec<LanguageLink>,
    title: String,
    lines: Vec<PublicLine>,
}

pub fn list_page(locale: Locale, items: &[ExportItem]) -> Result<String, AppError> {
    let t = messages(locale);
    render(&ListPage {
        t,
        languages: language_links(locale),
        title: t.get("public.title").into(),
        lines: items
            .iter()
            .map(|i| PublicLine {
                href: format!("/public/updates/{}", i.request_id),
                reference: i.reference.clone(),
                title: i.title.clone(),
                organization: i.organization.clone(),
                country: i.country.clone(),
                stage: i
                    .answers
                    .get("implementation_stage")
                    .map(|v| super::officer::display_value(t, "implementation_stage", v))
                    .unwrap_or_default(),
                reached: i.answers.text("beneficiaries_total").to_string(),
                date: i.submitted_at.clone(),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "public/update.html")]
struct UpdatePage<'a> {
    t: &'static Messages,
    languages: Vec<LanguageLink>,
    title: String,
    item: &'a ExportItem,
    sections: Vec<AnswerSection>,
}

pub fn update_page(locale: Locale, item: &ExportItem) -> Result<String, AppError> {
    let t = messages(locale);
    let public = Answers(
        item.answers
            .0
            .iter()
            .filter(|(k, _)| is_public(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    render(&UpdatePage {
        t,
        languages: language_links(locale),
        title: item.title.clone(),
        item,
        sections: answer_sections(t, &public),
    })
}
