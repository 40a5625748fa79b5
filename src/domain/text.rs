//! One-line text for names and subjects. A register cell with a line break (Excel's
//! Alt+Enter), a pasted name with a bidi override or a NUL must never reach a mail header,
//! where a line break would end the header and start another.

/// Characters that change how text is read without being visible: bidi embeddings,
/// overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Does `text` hold a control character (C0, C1, DEL) or a bidi control?
pub fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() || is_bidi_control(c))
}

/// `text` on one line: line breaks and tabs become spaces, other control and bidi characters
/// are dropped, runs of white space become one space, and the ends are trimmed.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '\r' | '\n' | '\t' | '\u{b}' | '\u{c}' | '\u{85}') {
            space = !out.is_empty();
            continue;
        }
        if c.is_control() || is_bidi_control(c) {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_on_one_line_without_controls() {
        assert_eq!(one_line("Ana\r\nRuiz"), "Ana Ruiz");
        assert_eq!(one_line("  Jane\tOfficer \n"), "Jane Officer");
        assert_eq!(one_line("Bcc: x\u{0}y\u{202e}z"), "Bcc: xyz");
        assert_eq!(one_line("Montréal\u{85}Ville"), "Montréal Ville");
        assert!(has_control("a\nb") && has_control("a\u{202e}b") && !has_control("Zürich–Tyre"));
    }

    proptest::proptest! {
        #[test]
        fn one_line_never_leaves_a_control(text in "\\PC*|[\\x00-\\x1f\\u{80}-\\u{9f}\\u{202a}-\\u{202e} a-z]{0,40}") {
            let line = one_line(&text);
            proptest::prop_assert!(!has_control(&line), "{line:?}");
            proptest::prop_assert_eq!(one_line(&line), line.clone());
        }
    }
}
