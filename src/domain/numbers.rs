//! Numbers as officers type them in their own language: "1,5" is one and a half in French,
//! Spanish and Portuguese, "500.000" is half a million in Spanish and Portuguese, "1 250" is a
//! thousand two hundred and fifty in French. A value that could honestly be read two ways is
//! asked back, never guessed. Answers are stored in one canonical form ("1250.5"), so every
//! later reader (rules, exports) parses them the same way whatever language they came in.
use super::pledge::Locale;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number of 0 or more.
    Invalid,
    /// Could be either reading; both are given back, formatted for the officer's language.
    Ambiguous { first: String, second: String },
}

/// The decimal mark and the thousands separator of a language. Spaces group thousands in
/// every language.
fn marks(locale: Locale) -> (char, char) {
    match locale {
        Locale::En => ('.', ','),
        Locale::Fr => (',', ' '),
        Locale::Es | Locale::Pt => (',', '.'),
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '_')
}

/// Digit groups of thousands: a first group of one to three digits, then groups of three.
fn valid_groups(groups: &[&str]) -> bool {
    let Some((first, rest)) = groups.split_first() else {
        return false;
    };
    // A number that groups its thousands does not start with 0 ("0.125" is a decimal).
    (1..=3).contains(&first.len())
        && !first.starts_with('0')
        && rest.iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
}

/// "0012.500" → "12.5"; "7." is not written by this module's callers.
fn canonical(integer: &str, fraction: &str) -> String {
    let integer = integer.trim_start_matches('0');
    let integer = if integer.is_empty() { "0" } else { integer };
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        integer.to_string()
    } else {
        format!("{integer}.{fraction}")
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// Reads `text` as a number of 0 or more in `locale`'s conventions and returns its canonical
/// form: digits, and a `.` before any decimals.
pub fn parse(text: &str, locale: Locale) -> Result<String, NumberError> {
    let compact: String = text.trim().chars().filter(|c| !is_space(*c)).collect();
    if compact.is_empty()
        || !compact
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(NumberError::Invalid);
    }
    let (decimal, group) = marks(locale);
    let commas = compact.matches(',').count();
    let dots = compact.matches('.').count();
    match (commas, dots) {
        (0, 0) => Ok(canonical(&compact, "")),
        // Both marks: the last one is the decimal mark, the other groups thousands.
        (c, d) if c > 0 && d > 0 => {
            let last = compact.rfind([',', '.']).ok_or(NumberError::Invalid)?;
            let mark = compact[last..].chars().next().ok_or(NumberError::Invalid)?;
            let other = if mark == ',' { '.' } else { ',' };
            let (whole, fraction) = (&compact[..last], &compact[last + 1..]);
            if whole.contains(mark) || !digits(fraction) {
                return Err(NumberError::Invalid);
            }
            let groups: Vec<&str> = whole.split(other).collect();
            if !valid_groups(&groups) {
                return Err(NumberError::Invalid);
            }
            Ok(canonical(&groups.concat(), fraction))
        }
        // One kind of mark, several times: it can only group thousands.
        (c, d) if c + d > 1 => {
            let mark = if c > 0 { ',' } else { '.' };
            let groups: Vec<&str> = compact.split(mark).collect();
            if valid_groups(&groups) {
                Ok(canonical(&groups.concat(), ""))
            } else {
                Err(NumberError::Invalid)
            }
        }
        // One mark, once.
        _ => {
            let mark = if commas == 1 { ',' } else { '.' };
            let (whole, fraction) = compact.split_once(mark).ok_or(NumberError::Invalid)?;
            if !digits(fraction) || !(whole.is_empty() || digits(whole)) {
                return Err(NumberError::Invalid);
            }
            let as_decimal = canonical(whole, fraction);
            let could_group = fraction.len() == 3 && valid_groups(&[whole]);
            if !could_group || mark == decimal {
                return Ok(as_decimal);
            }
            let as_thousands = canonical(&format!("{whole}{fraction}"), "");
            if mark == group {
                return Ok(as_thousands);
            }
            // A mark this language does not use, before exactly three digits: "1.250" in French.
            Err(NumberError::Ambiguous {
                first: format(&as_thousands, locale),
                second: format(&as_decimal, locale),
            })
        }
    }
}

/// A whole number of 0 or more. "1,250" typed on a French form would be 1.25 people: that is
/// asked back rather than refused or read as 1250.
pub fn parse_whole(text: &str, locale: Locale) -> Result<String, NumberError> {
    let value = parse(text, locale)?;
    if !value.contains('.') {
        return Ok(value);
    }
    let (decimal, _) = marks(locale);
    let compact: String = text.trim().chars().filter(|c| !is_space(*c)).collect();
    if let Some((whole, fraction)) = compact.split_once(decimal)
        && fraction.len() == 3
        && !fraction.contains([',', '.'])
        && valid_groups(&[whole])
    {
        return Err(NumberError::Ambiguous {
            first: format(&canonical(&format!("{whole}{fraction}"), ""), locale),
            second: format(&value, locale),
        });
    }
    Err(NumberError::Invalid)
}

/// A canonical number written the way `locale` reads it: 1250.5 → "1,250.5", "1 250,5",
/// "1.250,5". A value that is not canonical is returned as it is.
pub fn format(canonical_value: &str, locale: Locale) -> String {
    let (whole, fraction) = canonical_value.split_once('.').unwrap_or((canonical_value, ""));
    if !digits(whole) || !(fraction.is_empty() || digits(fraction)) {
        return canonical_value.to_string();
    }
    let (decimal, group) = marks(locale);
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        grouped
    } else {
        format!("{grouped}{decimal}{fraction}")
    }
}

/// A canonical number as a form field shows it: the language's decimal mark and no thousands
/// separators, so the officer finds what they typed ("5000", "99,5").
pub fn format_input(canonical_value: &str, locale: Locale) -> String {
    let (decimal, _) = marks(locale);
    match canonical_value.split_once('.') {
        Some((whole, fraction)) if digits(whole) && digits(fraction) => format!("{whole}{decimal}{fraction}"),
        _ => canonical_value.to_string(),
    }
}

/// The value of a canonical (or legacy English-typed) stored number.
pub fn value(stored: &str) -> Option<f64> {
    parse(stored, Locale::En)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Locale::*;

    fn ok(text: &str, locale: Locale) -> String {
        parse(text, locale).unwrap_or_else(|e| panic!("{text} in {locale}: {e:?}"))
    }

    #[test]
    fn each_language_reads_its_own_conventions() {
        assert_eq!(ok("1,5", Fr), "1.5");
        assert_eq!(ok("1,5", Es), "1.5");
        assert_eq!(ok("99,5", Pt), "99.5");
        assert_eq!(ok("500.000", Es), "500000");
        assert_eq!(ok("500.000", Pt), "500000");
        assert_eq!(ok("1 250", Fr), "1250");
        assert_eq!(ok("1\u{202f}250,75", Fr), "1250.75");
        assert_eq!(ok("41,000", En), "41000");
        assert_eq!(ok("1,250.5", En), "1250.5");
        assert_eq!(ok("1.250,5", Es), "1250.5");
        assert_eq!(ok("1.900.000", Pt), "1900000");
        assert_eq!(ok("0.125", Fr), "0.125");
        assert_eq!(ok("007", En), "7");
    }

    #[test]
    fn a_value_with_only_one_reading_is_read_that_way() {
        // A comma before one or two digits can only be a decimal mark, even on an English form.
        assert_eq!(ok("99,5", En), "99.5");
        assert_eq!(ok("1,5", En), "1.5");
        assert_eq!(ok("1.5", Fr), "1.5");
        assert_eq!(ok("1.5", Es), "1.5");
    }

    #[test]
    fn a_value_with_two_readings_is_asked_back() {
        assert_eq!(
            parse("1.250", Fr),
            Err(NumberError::Ambiguous {
                first: "1 250".into(),
                second: "1,25".into()
            })
        );
        assert!(matches!(
            parse_whole("1,250", Fr),
            Err(NumberError::Ambiguous { .. })
        ));
        assert!(matches!(
            parse_whole("1,250", Es),
            Err(NumberError::Ambiguous { .. })
        ));
        assert_eq!(parse_whole("1,250", En), Ok("1250".into()));
        assert_eq!(parse_whole("1,5", Fr), Err(NumberError::Invalid));
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "many",
            "-3",
            "1,2,3",
            "1.2.3,4,5",
            "12,34.5,6",
            "1e9",
            "NaN",
            "5.",
            ",",
            "1 2,3,4",
        ] {
            assert_eq!(parse(bad, En), Err(NumberError::Invalid), "{bad}");
        }
        assert_eq!(parse("1,23,456", En), Err(NumberError::Invalid));
    }

    proptest::proptest! {
        /// A value formatted in a language reads back the same in that language.
        #[test]
        fn a_formatted_value_reads_back_the_same(
            whole in 0u64..10_000_000_000,
            fraction in proptest::option::of("[0-9]{1,4}"),
            locale in proptest::sample::select(Locale::ALL.to_vec()),
        ) {
            let value = canonical(&whole.to_string(), fraction.as_deref().unwrap_or(""));
            let shown = format(&value, locale);
            proptest::prop_assert_eq!(parse(&shown, locale), Ok(value.clone()));
            proptest::prop_assert_eq!(parse(&format_input(&value, locale), locale), Ok(value.clone()));
            if !value.contains('.') {
                proptest::prop_assert_eq!(parse_whole(&shown, locale), Ok(value));
            }
        }
    }
}
