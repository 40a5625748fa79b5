//! Interface messages in the four languages, compiled in from `locales/*.toml` (flat
//! `"key" = "text"` files). A missing key falls back to English; a test keeps every
//! language complete. Counted phrases have one key per CLDR plural category
//! (`key.one`, `key.many`, `key.other`), chosen by `intl_pluralrules` for the language.
use std::collections::HashMap;
use std::sync::OnceLock;

use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};

use crate::domain::pledge::Locale;
use crate::domain::reference::Scheme;

const SOURCES: [(Locale, &str); 4] = [
    (Locale::En, include_str!("../locales/en.toml")),
    (Locale::Fr, include_str!("../locales/fr.toml")),
    (Locale::Es, include_str!("../locales/es.toml")),
    (Locale::Pt, include_str!("../locales/pt.toml")),
];

/// The messages of one language.
pub struct Messages {
    pub locale: Locale,
    map: HashMap<String, String>,
    plurals: PluralRules,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages")
            .field("locale", &self.locale)
            .field("keys", &self.map.len())
            .finish_non_exhaustive()
    }
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

    /// A counted phrase: the variant of `key` for `count`'s plural category in this language
    /// ("1 pledge matches.", "2 pledges match.", "1 engagement correspond."), with `{count}`
    /// written as this language writes numbers and the other placeholders filled in.
    pub fn count(&self, key: &str, count: u64, values: &[(&str, &dyn std::fmt::Display)]) -> String {
        let category = match self.plurals.select(count) {
            Ok(PluralCategory::ZERO) => "zero",
            Ok(PluralCategory::ONE) => "one",
            Ok(PluralCategory::TWO) => "two",
            Ok(PluralCategory::FEW) => "few",
            Ok(PluralCategory::MANY) => "many",
            Ok(PluralCategory::OTHER) | Err(_) => "other",
        };
        let variant = format!("{key}.{category}");
        let key = if self.map.contains_key(&variant) {
            variant
        } else {
            format!("{key}.other")
        };
        let number = crate::domain::numbers::format(&count.to_string(), self.locale);
        let mut all: Vec<(&str, &dyn std::fmt::Display)> = vec![("count", &number)];
        all.extend_from_slice(values);
        self.fill(&key, &all)
    }

    /// A reference item as people read it, in this language: "3. Protéger les personnes les
    /// plus vulnérables" for numbered sets, "Éducation" for the others; an unknown code as is.
    pub fn reference(&self, scheme: Scheme, code: &str) -> String {
        let key = match scheme {
            Scheme::BeneficiaryGroup => format!("choice.group.{code}"),
            _ => format!("ref.{}.{code}", scheme.as_str()),
        };
        let label = self.get(&key);
        if label == key {
            code.to_string()
        } else if code.chars().all(|c| c.is_ascii_digit()) {
            format!("{code}. {label}")
        } else {
            label.to_string()
        }
    }

    /// A register region in this language; "—" for a code the register does not know.
    pub fn region(&self, code: &str) -> &str {
        let key = format!("ref.region.{code}");
        match self.map.get(&key) {
            Some(label) => label,
            None if crate::domain::reference::region_label(code).is_some() => {
                messages(Locale::En).map.get(&key).map_or("—", String::as_str)
            }
            None => "—",
        }
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
                let language: unic_langid::LanguageIdentifier =
                    locale.as_str().parse().expect("locale codes are language tags");
                let plurals = PluralRules::create(language, PluralRuleType::CARDINAL)
                    .expect("CLDR has plural rules for every language we serve");
                Messages {
                    locale: *locale,
                    map,
                    plurals,
                }
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
            // Beyond English's keys, a language may only add plural categories English lacks.
            for key in other.map.keys().filter(|k| !english.map.contains_key(*k)) {
                let (stem, category) = key.rsplit_once('.').unwrap_or_default();
                assert!(
                    ["zero", "two", "few", "many"].contains(&category)
                        && english.map.contains_key(&format!("{stem}.other")),
                    "{locale} has `{key}`, which English lacks"
                );
            }
        }
    }

    #[test]
    fn counted_phrases_follow_each_languages_plural_rules() {
        let results = |locale, n| messages(locale).count("register.results", n, &[]);
        assert_eq!(results(Locale::En, 1), "1 pledge matches.");
        assert_eq!(results(Locale::En, 0), "0 pledges match.");
        assert_eq!(results(Locale::En, 1234), "1,234 pledges match.");
        // French and Brazilian Portuguese count 0 as singular, Spanish does not.
        assert_eq!(results(Locale::Fr, 0), "0 engagement correspond.");
        assert_eq!(results(Locale::Pt, 0), "0 compromisso corresponde.");
        assert_eq!(results(Locale::Es, 0), "0 compromisos coinciden.");
        assert_eq!(results(Locale::Es, 1), "1 compromiso coincide.");
        assert_eq!(
            results(Locale::Fr, 1_000_000),
            "1 000 000 engagements correspondent."
        );
        assert_eq!(results(Locale::Fr, 2), "2 engagements correspondent.");
    }

    #[test]
    fn reference_lists_are_in_every_language_and_english_matches_the_domain() {
        for scheme in Scheme::ALL {
            for (code, label) in scheme.items() {
                let english = messages(Locale::En).reference(scheme, code);
                assert!(
                    english.ends_with(label),
                    "{scheme:?} {code}: {english} vs {label}"
                );
                for locale in Locale::ALL {
                    let text = messages(*locale).reference(scheme, code);
                    assert_ne!(text, *code, "{locale} lacks {scheme:?} {code}");
                }
            }
        }
        for (code, label) in crate::domain::reference::REGIONS {
            assert_eq!(messages(Locale::En).region(code), *label);
        }
        assert_eq!(
            messages(Locale::Fr).reference(Scheme::Sdg, "4"),
            "4. Éducation de qualité"
        );
        assert_eq!(
            messages(Locale::Es).region("latin_america"),
            "América Latina y el Caribe"
        );
        assert_eq!(messages(Locale::Pt).region("atlantis"), "—");
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
