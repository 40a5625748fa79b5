//! The reference sets pledges are classified by (requirements.md §b.5 and §c).
//! Codes are stable identifiers stored in the database; labels are for people.

/// One reference set. The `as_str` form is what `pledge_classification.scheme` stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Priority,
    GcmObjective,
    GcmPrinciple,
    GcrObjective,
    GcrFocusArea,
    Sdg,
    BeneficiaryGroup,
}

impl Scheme {
    pub const ALL: [Scheme; 7] = [
        Scheme::Priority,
        Scheme::GcmObjective,
        Scheme::GcmPrinciple,
        Scheme::GcrObjective,
        Scheme::GcrFocusArea,
        Scheme::Sdg,
        Scheme::BeneficiaryGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Priority => "priority",
            Scheme::GcmObjective => "gcm_objective",
            Scheme::GcmPrinciple => "gcm_principle",
            Scheme::GcrObjective => "gcr_objective",
            Scheme::GcrFocusArea => "gcr_focus_area",
            Scheme::Sdg => "sdg",
            Scheme::BeneficiaryGroup => "beneficiary_group",
        }
    }

    pub fn parse(s: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|scheme| scheme.as_str() == s)
    }

    /// `(code, label)` pairs in display order.
    pub fn items(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Scheme::Priority => PRIORITIES,
            Scheme::GcmObjective => GCM_OBJECTIVES,
            Scheme::GcmPrinciple => GCM_PRINCIPLES,
            Scheme::GcrObjective => GCR_OBJECTIVES,
            Scheme::GcrFocusArea => GCR_FOCUS_AREAS,
            Scheme::Sdg => SDGS,
            Scheme::BeneficiaryGroup => BENEFICIARY_GROUPS,
        }
    }

    pub fn label(self, code: &str) -> Option<&'static str> {
        self.items()
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, label)| *label)
    }

    pub fn contains(self, code: &str) -> bool {
        self.label(code).is_some()
    }

    /// What a person should be told a valid code looks like, for error messages.
    pub fn expected(self) -> String {
        match self {
            Scheme::Priority => "a priority number from 1 to 8".into(),
            Scheme::GcmObjective => "a GCM objective number from 1 to 23".into(),
            Scheme::GcrObjective => "a GCR objective number from 1 to 4".into(),
            Scheme::Sdg => "an SDG number from 1 to 17".into(),
            _ => {
                let codes: Vec<&str> = self.items().iter().map(|(c, _)| *c).collect();
                format!("one of {}", codes.join(", "))
            }
        }
    }
}

/// The 8 Call to Local Action priorities (requirements.md §c, figure labels).
pub const PRIORITIES: &[(&str, &str)] = &[
    (
        "1",
        "Improving migration governance and forced displacement protection",
    ),
    (
        "2",
        "Minimizing drivers of forced displacement, including climate change",
    ),
    ("3", "Protecting those most vulnerable"),
    ("4", "Providing access to infrastructure & services"),
    ("5", "Realizing socio-economic inclusion"),
    ("6", "Eliminating discrimination"),
    ("7", "Supporting reception & sponsorship"),
    ("8", "Engaging in partnerships"),
];

/// The 23 GCM objectives, short labels (requirements.md §b.5).
pub const GCM_OBJECTIVES: &[(&str, &str)] = &[
    ("1", "Data"),
    ("2", "Drivers of migration"),
    ("3", "Information provision"),
    ("4", "Legal identity and documentation"),
    ("5", "Regular pathways"),
    ("6", "Fair and ethical recruitment"),
    ("7", "Reducing vulnerabilities"),
    ("8", "Saving lives and missing migrants"),
    ("9", "Smuggling of migrants"),
    ("10", "Trafficking in persons"),
    ("11", "Border management"),
    ("12", "Screening, assessment and referral"),
    ("13", "Alternatives to detention"),
    ("14", "Consular protection"),
    ("15", "Access to basic services"),
    ("16", "Inclusion and social cohesion"),
    ("17", "Eliminating discrimination"),
    ("18", "Skills development and recognition"),
    ("19", "Migrant and diaspora contributions"),
    ("20", "Remittances"),
    ("21", "Dignified return and reintegration"),
    ("22", "Social protection"),
    ("23", "International cooperation"),
];

/// The 10 GCM guiding principles (GCM para 15 (a)–(j)).
pub const GCM_PRINCIPLES: &[(&str, &str)] = &[
    ("people_centred", "People-centred"),
    ("international_cooperation", "International cooperation"),
    ("national_sovereignty", "National sovereignty"),
    ("rule_of_law", "Rule of law and due process"),
    ("sustainable_development", "Sustainable development"),
    ("human_rights", "Human rights"),
    ("gender_responsive", "Gender-responsive"),
    ("child_sensitive", "Child-sensitive"),
    ("whole_of_government", "Whole-of-government approach"),
    ("whole_of_society", "Whole-of-society approach"),
];

/// The 4 GCR objectives (GCR para 7).
pub const GCR_OBJECTIVES: &[(&str, &str)] = &[
    ("1", "Ease the pressures on host countries"),
    ("2", "Enhance refugee self-reliance"),
    ("3", "Expand access to third-country solutions"),
    (
        "4",
        "Support conditions in countries of origin for return in safety and dignity",
    ),
];

/// GRF 2019 areas of focus, plus `health` as the 2025 report uses it.
pub const GCR_FOCUS_AREAS: &[(&str, &str)] = &[
    ("responsibility_sharing", "Burden- and responsibility-sharing"),
    ("education", "Education"),
    ("jobs_livelihoods", "Jobs and livelihoods"),
    ("energy_infrastructure", "Energy and infrastructure"),
    ("solutions", "Solutions"),
    ("protection_capacity", "Protection capacity"),
    ("health", "Health"),
];

/// The 17 Sustainable Development Goals.
pub const SDGS: &[(&str, &str)] = &[
    ("1", "No Poverty"),
    ("2", "Zero Hunger"),
    ("3", "Good Health and Well-being"),
    ("4", "Quality Education"),
    ("5", "Gender Equality"),
    ("6", "Clean Water and Sanitation"),
    ("7", "Affordable and Clean Energy"),
    ("8", "Decent Work and Economic Growth"),
    ("9", "Industry, Innovation and Infrastructure"),
    ("10", "Reduced Inequalities"),
    ("11", "Sustainable Cities and Communities"),
    ("12", "Responsible Consumption and Production"),
    ("13", "Climate Action"),
    ("14", "Life Below Water"),
    ("15", "Life on Land"),
    ("16", "Peace, Justice and Strong Institutions"),
    ("17", "Partnerships for the Goals"),
];

pub const BENEFICIARY_GROUPS: &[(&str, &str)] = &[
    ("migrants", "Migrants"),
    ("refugees", "Refugees"),
    ("idps", "Internally displaced people"),
    ("host_communities", "Host communities"),
    ("stateless", "Stateless persons"),
    ("asylum_seekers", "Asylum seekers"),
    ("returnees", "Returnees"),
];

/// Regions used by the register (the pledging-entities data set).
pub const REGIONS: &[(&str, &str)] = &[
    ("sub_saharan_africa", "Sub-Saharan Africa"),
    ("mena", "Middle East and North Africa"),
    ("europe", "Europe"),
    ("latin_america", "Latin America and the Caribbean"),
    ("north_america", "North America"),
    ("asia", "Asia and the Pacific"),
    ("global", "Global"),
];

pub fn region_label(code: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_have_the_sizes_the_compacts_define() {
        assert_eq!(Scheme::Priority.items().len(), 8);
        assert_eq!(Scheme::GcmObjective.items().len(), 23);
        assert_eq!(Scheme::GcmPrinciple.items().len(), 10);
        assert_eq!(Scheme::GcrObjective.items().len(), 4);
        assert_eq!(Scheme::Sdg.items().len(), 17);
    }

    #[test]
    fn scheme_names_round_trip_and_codes_are_unique() {
        for scheme in Scheme::ALL {
            assert_eq!(Scheme::parse(scheme.as_str()), Some(scheme));
            let mut codes: Vec<&str> = scheme.items().iter().map(|(c, _)| *c).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), scheme.items().len(), "{scheme:?} repeats a code");
        }
        assert_eq!(
            Scheme::GcmObjective.label("23"),
            Some("International cooperation")
        );
        assert!(!Scheme::Priority.contains("9"));
    }
}
