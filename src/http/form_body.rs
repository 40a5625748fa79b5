//! `application/x-www-form-urlencoded` bodies with repeated keys (checkbox groups) and a
//! precise error for bytes that are not UTF-8.
use std::collections::BTreeMap;

fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Every (key, value) pair in order. Err names the field whose name or value is not UTF-8
/// text (a NUL character counts as not text: no database stores it in a text column).
pub fn parse(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for part in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match part.iter().position(|b| *b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &part[..0]),
        };
        let key = String::from_utf8(percent_decode(k))
            .map_err(|_| String::from_utf8_lossy(&percent_decode(k)).into_owned())?;
        let value = String::from_utf8(percent_decode(v)).map_err(|_| key.clone())?;
        if key.contains('\0') || value.contains('\0') {
            return Err(key.replace('\0', ""));
        }
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// Groups repeated keys: key → every value, in order.
pub fn group(pairs: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        map.entry(k).or_default().push(v);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs_plus_and_percent() {
        let pairs = parse(b"a=1&b=hello+world&c=%C3%A9t%C3%A9&sdgs=1&sdgs=4&empty=&bare").unwrap();
        assert_eq!(pairs[1], ("b".into(), "hello world".into()));
        assert_eq!(pairs[2], ("c".into(), "été".into()));
        let grouped = group(pairs);
        assert_eq!(grouped["sdgs"], vec!["1", "4"]);
        assert_eq!(grouped["empty"], vec![""]);
        assert_eq!(grouped["bare"], vec![""]);
    }

    #[test]
    fn invalid_utf8_names_the_field_and_stray_percent_is_kept() {
        assert_eq!(parse(b"results_summary=%FF%FE").unwrap_err(), "results_summary");
        assert_eq!(
            parse(b"a=100%&b=%4").unwrap(),
            vec![("a".into(), "100%".into()), ("b".into(), "%4".into())]
        );
    }

    proptest::proptest! {
        /// Whatever bytes arrive, parsing answers a value or an error naming the field.
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            if let Ok(pairs) = parse(&body) {
                let grouped = group(pairs);
                proptest::prop_assert!(grouped.values().all(|v| !v.is_empty()));
            }
        }
    }
}
