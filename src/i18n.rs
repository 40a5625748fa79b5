//! Interface messages in the four languages, compiled in from `locales/*.toml` (flat
//! `"key" = "text"` files). A missing key falls back to English; a test keeps every
//! language complete.
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::domain::pledge::Locale;

const SOURCES: [(Locale, &str); 4] = [
    (Locale::En, include_str!("../locales/en.toml")),
    (Locale::Fr, include_str!("../locales/fr.toml")),
    (Locale::Es, include_str!("../locales/es.toml")),
    (Locale::Pt, include_str!("../locales/pt.toml")),
];

/// The messages of one language.
#[derive(Debug)]
pub struct Messages {
    pub locale: Locale,
    map: HashMap<String, String>,
}

impl Messages {
    /// The text for `key`; the key itself if even English lacks it (visible, never a crash).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.map
            .get(key)
            .or_else(|| messages(Locale::En).map.get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// `get` with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), &value.to_string());
        }
        text
    }

    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    /// A form field's label: "Key achievement 2", "Outcome metric 1: value".
    pub fn field_label(&self, key: &str) -> String {
        use crate::domain::answers::fields;
        let t = self;
        let parts: Vec<&str> = key.split('.').collect();
        match parts.as_slice() {
            [group, n] if n.parse::<u32>().is_ok() => t.fill(
                "form.row",
                &[("label", &t.get(&format!("field.{group}"))), ("n", n)],
            ),
            [group, n, column] if n.parse::<u32>().is_ok() => {
                let prefix = format!("{group}.{n}.");
                let first = fields()
                    .iter()
                    .find(|f| f.key.starts_with(&prefix))
                    .and_then(|f| f.key.rsplit('.').next())
                    .unwrap_or_default();
                let row = t.fill(
                    "form.row",
                    &[("label", &t.get(&format!("field.{group}.{first}"))), ("n", n)],
                );
                if *column == first {
                    row
                } else {
                    format!("{row}: {}", t.get(&format!("field.{group}.{column}")))
                }
            }
            _ => t.get(&format!("field.{key}")).to_string(),
        }
    }

    /// A date as people of this language write it: "15 January 2027", "15 de enero de 2027".
    pub fn date(&self, date: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let month = self.get(&format!("month.{}", date.month())).to_string();
        self.fill(
            "date.pattern",
            &[("day", &date.day()), ("month", &month), ("year", &date.year())],
        )
    }
}

pub fn messages(locale: Locale) -> &'static Messages {
    static ALL: OnceLock<Vec<Messages>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(locale, source)| {
                let table: toml::Table = source.parse().expect("locale files are valid TOML");
                let map = table
                    .into_iter()
                    .map(|(k, v)| (k, v.as_str().expect("locale values are strings").to_string()))
                    .collect();
                Messages { locale: *locale, map }
            })
            .collect()
    });
    all.iter()
        .find(|m| m.locale == locale)
        .expect("every locale has a file")
}

/// Picks the language: an explicit `?lang=` first, then the browser's Accept-Language, then English.
pub fn negotiate(explicit: Option<&str>, accept_language: Option<&str>) -> Locale {
    if let Some(locale) = explicit.and_then(|l| Locale::parse(l).ok()) {
        return locale;
    }
    let mut best: Option<(f32, Locale)> = None;
    for part in accept_language.unwrap_or_default().split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or_default();
        let quality = pieces
            .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or_default();
        if let Ok(locale) = Locale::parse(primary)
            && best.is_none_or(|(q, _)| quality > q)
        {
            best = Some((quality, locale));
        }
    }
    best.map(|(_, l)| l).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_english_key() {
        let english = messages(Locale::En);
        for locale in Locale::ALL {
            let other = messages(*locale);
            for key in english.map.keys() {
                assert!(other.map.contains_key(key), "{locale} lacks `{key}`");
            }
            assert_eq!(
                other.map.len(),
                english.map.len(),
                "{locale} has keys English lacks"
            );
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let text = messages(Locale::Fr).fill("register.page", &[("page", &2), ("pages", &5)]);
        assert_eq!(text, "Page 2 sur 5");
    }

    #[test]
    fn dates_follow_the_language() {
        let d = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        assert_eq!(messages(Locale::En).date(d), "15 January 2027");
        assert_eq!(messages(Locale::Es).date(d), "15 de enero de 2027");
        assert_eq!(messages(Locale::Fr).date(d), "15 janvier 2027");
    }

    #[test]
    fn language_is_negotiated() {
        assert_eq!(negotiate(Some("pt"), Some("fr")), Locale::Pt);
        assert_eq!(negotiate(Some("xx"), Some("es-CO,es;q=0.9,en;q=0.5")), Locale::Es);
        assert_eq!(negotiate(None, Some("de-DE,fr;q=0.8,en;q=0.9")), Locale::En);
        assert_eq!(negotiate(None, None), Locale::En);
    }
}
