//! Secrets handed to people (link tokens, session ids, CSRF tokens): 256 random bits, shown
//! once, stored only as a SHA-256.
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 bytes from the operating system's generator, as 64 hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    hex(&bytes)
}

/// What the database keeps instead of the token.
pub fn hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Compares two strings in time independent of where they differ (CSRF tokens).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a personal link's token becomes in a stored message once it left (or failed).
pub const REDACTED_TOKEN: &str = "[removed-after-sending]";

/// Removes personal-link tokens from a message's stored copy once it was sent or has failed
/// for good (the recipient has the mail, or never will; the database need not keep a working
/// link, and the outbox page must not show one).
pub fn redact_links(text: &str) -> String {
    static LINK: std::sync::OnceLock<regex_lite::Regex> = std::sync::OnceLock::new();
    LINK.get_or_init(|| regex_lite::Regex::new("/u/[0-9a-f]{64}").expect("a valid pattern"))
        .replace_all(text, format!("/u/{REDACTED_TOKEN}").as_str())
        .into_owned()
}

/// A request path as logs may show it: a personal link is logged as its route, `/u/{token}`,
/// never with the live token (whatever its shape: a guess is someone's attempt too).
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    if path.starts_with("/u/") {
        "/u/{token}".into()
    } else {
        path.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(same(&a, &a.clone()) && !same(&a, &b) && !same("a", "ab"));
    }

    #[test]
    fn links_are_redacted() {
        let text = format!("Open https://x.org/u/{} now", new_token());
        assert_eq!(
            redact_links(&text),
            "Open https://x.org/u/[removed-after-sending] now"
        );
    }
}
