//! Pledge vocabulary: the newtypes and enums a pledge is made of, each with `parse()`.
use std::fmt;

use super::reference::Scheme;

/// Which compact a pledge counts for (requirements.md §b.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompactScope {
    Gcm,
    Gcr,
    Mirror,
    IdpOnly,
}

impl CompactScope {
    pub const ALL: [CompactScope; 4] = [
        CompactScope::Gcm,
        CompactScope::Gcr,
        CompactScope::Mirror,
        CompactScope::IdpOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompactScope::Gcm => "GCM",
            CompactScope::Gcr => "GCR",
            CompactScope::Mirror => "MIRROR",
            CompactScope::IdpOnly => "IDP_ONLY",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CompactScope::Gcm => "GCM (migrants)",
            CompactScope::Gcr => "GCR (refugees)",
            CompactScope::Mirror => "Mirror (GCM and GCR)",
            CompactScope::IdpOnly => "IDP only (outside GCM/GCR)",
        }
    }

    /// Accepts the stored form and the report's spelling, case-insensitively.
    pub fn parse(s: &str) -> Result<CompactScope, String> {
        match s.trim().to_ascii_uppercase().replace([' ', '-'], "_").as_str() {
            "GCM" => Ok(CompactScope::Gcm),
            "GCR" => Ok(CompactScope::Gcr),
            "MIRROR" => Ok(CompactScope::Mirror),
            "IDP_ONLY" | "IDP" => Ok(CompactScope::IdpOnly),
            _ => Err(format!(
                "`{s}` is not a compact scope (GCM, GCR, MIRROR or IDP_ONLY)"
            )),
        }
    }

    pub fn counts_for_gcm(self) -> bool {
        matches!(self, CompactScope::Gcm | CompactScope::Mirror)
    }

    pub fn counts_for_gcr(self) -> bool {
        matches!(self, CompactScope::Gcr | CompactScope::Mirror)
    }

    /// Rule R0: the scope the beneficiary groups suggest. Host communities, IDPs and stateless
    /// persons may join any scope, so only migrants/refugees decide, and IDPs alone mean IDP-only.
    pub fn suggested_by(groups: &[String]) -> Option<CompactScope> {
        let has = |g: &str| groups.iter().any(|x| x == g);
        let migrants = has("migrants") || has("returnees");
        let refugees = has("refugees") || has("asylum_seekers");
        match (migrants, refugees) {
            (true, true) => Some(CompactScope::Mirror),
            (true, false) => Some(CompactScope::Gcm),
            (false, true) => Some(CompactScope::Gcr),
            (false, false) if has("idps") => Some(CompactScope::IdpOnly),
            _ => None,
        }
    }
}

impl fmt::Display for CompactScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

vocabulary!(
    /// What kind of pledging entity an organization is.
    OrganizationKind, "an organization kind" {
        Lrg => "lrg",
        CityNetwork => "city_network",
        PartnerOrganization => "partner_organization",
        NationalGovernment => "national_government",
    }
);

vocabulary!(
    /// Administrative level of a local or regional government.
    AdminLevel, "an administrative level" {
        CityMunicipality => "city_municipality",
        DistrictCounty => "district_county",
        ProvinceStateRegion => "province_state_region",
    }
);

vocabulary!(
    /// The four languages of the service.
    Locale, "a supported language" {
        En => "en",
        Fr => "fr",
        Es => "es",
        Pt => "pt",
    }
);

vocabulary!(
    ContactRole, "a contact role" {
        Primary => "primary",
        Alternate => "alternate",
    }
);

vocabulary!(
    /// Secretariat roles, least to most powerful.
    StaffRole, "a staff role" {
        Viewer => "viewer",
        Reviewer => "reviewer",
        Admin => "admin",
    }
);

// English is the fallback language; the enum comes from `vocabulary!`, so no derive.
#[allow(clippy::derivable_impls)]
impl Default for Locale {
    fn default() -> Self {
        Locale::En
    }
}

/// `CLA-2023-0042`: the Coalition's own pledge reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PledgeReference(String);

impl PledgeReference {
    pub fn parse(s: &str) -> Result<PledgeReference, String> {
        let s = s.trim();
        let b = s.as_bytes();
        let ok = b.len() == 13
            && s.starts_with("CLA-")
            && b[4..8].iter().all(u8::is_ascii_digit)
            && b[8] == b'-'
            && b[9..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(PledgeReference(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a pledge reference of the form CLA-YYYY-NNNN"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PledgeReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// UNHCR's pledge id, `GRF-01547` (the 5-digit width is inferred from published ids).
pub fn parse_gcr_pledge_id(s: &str) -> Result<String, String> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() == 9 && s.starts_with("GRF-") && b[4..].iter().all(u8::is_ascii_digit) {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a UNHCR pledge id of the form GRF-NNNNN"))
    }
}

/// A timeline point: a year (`2023`) or a full date (`2023-09-01`), kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelinePoint(String);

impl TimelinePoint {
    pub fn parse(s: &str) -> Result<TimelinePoint, String> {
        let s = s.trim();
        let year_ok = |y: &str| y.len() == 4 && y.bytes().all(|c| c.is_ascii_digit());
        if year_ok(s) || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10 {
            Ok(TimelinePoint(s.to_string()))
        } else {
            Err(format!("`{s}` is not a year (2023) or a date (2023-09-01)"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Comparable key: a bare year counts as its first day for "start" comparisons.
    fn sort_key(&self) -> (i32, u32, u32) {
        let parts: Vec<u32> = self.0.split('-').filter_map(|p| p.parse().ok()).collect();
        (
            parts[0] as i32,
            *parts.get(1).unwrap_or(&1),
            *parts.get(2).unwrap_or(&1),
        )
    }

    /// True when `end` cannot be before `self` (years compare by year only).
    pub fn not_after(&self, end: &TimelinePoint) -> bool {
        let (a, b) = (self.sort_key(), end.sort_key());
        if self.0.len() == 4 || end.0.len() == 4 {
            a.0 <= b.0
        } else {
            a <= b
        }
    }
}

/// Two-letter ISO 3166-1 code, upper case.
pub fn parse_country_code(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.len() == 2 && s.bytes().all(|c| c.is_ascii_alphabetic()) {
        Ok(s.to_ascii_uppercase())
    } else {
        Err(format!("`{s}` is not a two-letter ISO 3166-1 country code"))
    }
}

/// A plausible e-mail address: one `@`, a dotted domain, no spaces, at most 254 characters.
pub fn parse_email(s: &str) -> Result<String, String> {
    let s = s.trim();
    let valid = s.len() <= 254
        && !s.contains(char::is_whitespace)
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        // What sends the mail must accept it too: lettre's own parser has the last word.
        && s.parse::<lettre::Address>().is_ok();
    if valid {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(format!("`{s}` is not an e-mail address"))
    }
}

/// Checks every code of a multi-valued cell against its reference set.
pub fn parse_codes(scheme: Scheme, cell: &str) -> Result<Vec<String>, String> {
    let mut codes = Vec::new();
    for raw in cell.split(';').map(str::trim).filter(|c| !c.is_empty()) {
        let code = raw.to_ascii_lowercase();
        if !scheme.contains(&code) {
            return Err(format!("`{raw}` is not {}", scheme.expected()));
        }
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

/// Lower-case text with accents folded, so "bogota" finds "Bogotá" on every database.
pub fn search_key(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_scope_parses_report_spellings() {
        assert_eq!(CompactScope::parse("Mirror"), Ok(CompactScope::Mirror));
        assert_eq!(CompactScope::parse("idp only"), Ok(CompactScope::IdpOnly));
        assert!(CompactScope::parse("GCX").unwrap_err().contains("GCX"));
    }

    #[test]
    fn suggested_scope_follows_rule_r0() {
        let g = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            CompactScope::suggested_by(&g(&["migrants", "refugees"])),
            Some(CompactScope::Mirror)
        );
        assert_eq!(
            CompactScope::suggested_by(&g(&["migrants", "idps"])),
            Some(CompactScope::Gcm)
        );
        assert_eq!(
            CompactScope::suggested_by(&g(&["refugees", "host_communities"])),
            Some(CompactScope::Gcr)
        );
        assert_eq!(
            CompactScope::suggested_by(&g(&["idps"])),
            Some(CompactScope::IdpOnly)
        );
        assert_eq!(CompactScope::suggested_by(&g(&["host_communities"])), None);
    }

    #[test]
    fn references_and_ids_are_checked() {
        assert!(PledgeReference::parse("CLA-2023-0042").is_ok());
        assert!(PledgeReference::parse("CLA-23-42").is_err());
        assert!(parse_gcr_pledge_id("GRF-01547").is_ok());
        assert!(parse_gcr_pledge_id("GRF-1547").is_err());
    }

    #[test]
    fn timeline_points_accept_years_and_dates() {
        let p = |s| TimelinePoint::parse(s).unwrap();
        assert!(TimelinePoint::parse("2023-02-30").is_err());
        assert!(TimelinePoint::parse("23").is_err());
        assert!(p("2022").not_after(&p("2022-06-01")));
        assert!(p("2022-06-01").not_after(&p("2022")));
        assert!(!p("2023-06-01").not_after(&p("2023-05-31")));
        assert!(!p("2024").not_after(&p("2023")));
    }

    #[test]
    fn vocabularies_parse_case_insensitively_and_name_the_choices() {
        assert_eq!(Locale::parse("FR"), Ok(Locale::Fr));
        let err = OrganizationKind::parse("town").unwrap_err();
        assert!(err.contains("lrg, city_network"), "{err}");
    }

    #[test]
    fn codes_are_checked_and_deduplicated() {
        assert_eq!(
            parse_codes(Scheme::Priority, "1; 3;3;"),
            Ok(vec!["1".into(), "3".into()])
        );
        assert!(parse_codes(Scheme::Priority, "1;9").unwrap_err().contains("`9`"));
        assert_eq!(
            parse_codes(Scheme::BeneficiaryGroup, "Migrants"),
            Ok(vec!["migrants".into()])
        );
    }

    #[test]
    fn search_key_folds_accents_and_case() {
        assert_eq!(search_key("Bogotá Zürich"), "bogota zurich");
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            parse_email(" Officer@Example.org "),
            Ok("officer@example.org".into())
        );
        for bad in [
            "a@b",
            "no-at.example.org",
            "a b@example.org",
            "a@@example.org",
            "@example.org",
            // Pass the shape check, refused by lettre, which would fail to send to them.
            "ana<x>@example.org",
            "ana\"@example.org",
            // Two addresses in one: the mail server would split them and one of them bounces.
            "a,b@evil.example",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }
}
