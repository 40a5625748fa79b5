//! The register file: one CSV row per pledge (format in README "Register CSV format").
//! Parsing and every check live here, without IO, so a whole file is judged before any row
//! is written: a file with one bad row writes nothing.
use std::collections::HashMap;

use super::pledge::{
    AdminLevel, CompactScope, ContactRole, Locale, OrganizationKind, PledgeReference, TimelinePoint,
    parse_codes, parse_country_code, parse_email, parse_gcr_pledge_id,
};
use super::reference::{REGIONS, Scheme};

/// Every column a register file may have; the first block is required.
pub const COLUMNS: &[&str] = &[
    "reference",
    "title",
    "organization",
    "organization_kind",
    "country",
    "region",
    "timezone",
    "locale",
    "compact_scope",
    "beneficiary_groups",
    "priorities",
    "pledge_year",
    // optional from here
    "description",
    "admin_level",
    "country_code",
    "population",
    "gcm_champion_country",
    "gcm_objectives",
    "gcm_principles",
    "gcr_objectives",
    "gcr_focus_areas",
    "sdgs",
    "timeline_start",
    "timeline_end",
    "gcr_pledge_id",
    "gcm_pledge_ref",
    "co_pledgers",
    "contact_name",
    "contact_email",
    "contact_locale",
    "contact_role",
];
const REQUIRED_COLUMNS: usize = 12;

#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationRecord {
    pub name: String,
    pub kind: OrganizationKind,
    pub admin_level: Option<AdminLevel>,
    pub country: String,
    pub country_code: Option<String>,
    pub region: String,
    pub timezone: String,
    pub locale: Locale,
    pub population: Option<i64>,
    pub gcm_champion_country: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    pub name: String,
    pub email: String,
    pub locale: Locale,
    pub role: ContactRole,
}

impl ContactRecord {
    /// A contact typed into the workspace's form; the error names the field.
    pub fn parse(name: &str, email: &str, locale: &str, role: &str) -> Result<ContactRecord, String> {
        let name = super::text::one_line(name);
        let name = name.as_str();
        if name.is_empty() || name.chars().count() > 200 {
            return Err("name: give 1 to 200 characters".into());
        }
        Ok(ContactRecord {
            name: name.to_string(),
            email: parse_email(email).map_err(|e| format!("email: {e}"))?,
            locale: Locale::parse(locale)
                .map_err(|_| format!("language `{locale}` must be en, fr, es or pt"))?,
            role: ContactRole::parse(role)
                .map_err(|_| format!("role `{role}` must be primary or alternate"))?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PledgeRecord {
    pub reference: PledgeReference,
    pub title: String,
    pub description: String,
    pub compact_scope: CompactScope,
    pub pledge_year: i32,
    pub timeline_start: Option<TimelinePoint>,
    /// `None` means ongoing.
    pub timeline_end: Option<TimelinePoint>,
    pub gcr_pledge_id: Option<String>,
    pub gcm_pledge_ref: Option<String>,
    /// Classification codes per scheme (priorities, objectives, SDGs, beneficiary groups…).
    pub classifications: Vec<(Scheme, Vec<String>)>,
    pub co_pledgers: Vec<String>,
}

/// One valid row of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterRow {
    pub row: usize,
    pub organization: OrganizationRecord,
    pub pledge: PledgeRecord,
    pub contact: Option<ContactRecord>,
}

/// A problem with a cell, a row or the file. `row` counts as a spreadsheet does: the header
/// is row 1, the first pledge row 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub row: usize,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for RowIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(column) => write!(f, "row {}, column `{}`: {}", self.row, column, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

#[derive(Debug, Default)]
pub struct ParsedRegister {
    pub rows: Vec<RegisterRow>,
    /// Accepted but worth a look (rule R0: scope differs from what the groups suggest).
    pub warnings: Vec<RowIssue>,
}

/// How to save a register from a spreadsheet.
const SAVE_AS_CSV: &str = "in Excel choose File › Save as › “CSV UTF-8 (comma delimited)”; in LibreOffice, Text CSV with UTF-8 and commas";

/// Why `bytes` are not a comma-separated UTF-8 file, if a spreadsheet saved them otherwise.
fn not_csv_utf8(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Some("this is a spreadsheet file (.xlsx, .xls or .ods), not a CSV file".into());
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let row = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            return Some(format!(
                "this file is not UTF-8 text from row {row} on (a plain “CSV” from Excel uses the computer's own encoding)"
            ));
        }
    };
    let header = text.lines().next().unwrap_or_default();
    (header.contains(';') && !header.contains(','))
        .then(|| "the columns are separated by semicolons, as Excel does in many European settings".into())
}

/// Parses and checks a whole register file. Either every row is valid, or every problem
/// found is returned (up to `MAX_ISSUES`) and nothing should be written.
pub fn parse_register(bytes: &[u8]) -> Result<ParsedRegister, Vec<RowIssue>> {
    const MAX_ISSUES: usize = 200;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes); // Excel's UTF-8 BOM
    let header_issue = |message: String| {
        vec![RowIssue {
            row: 1,
            column: None,
            message,
        }]
    };
    // A file a spreadsheet saved the wrong way gets one clear message, not a list of knock-on
    // errors about every row.
    if let Some(problem) = not_csv_utf8(bytes) {
        return Err(header_issue(format!("{problem}: {SAVE_AS_CSV}")));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(header_issue(format!("the header row cannot be read: {e}"))),
    };
    let mut index = HashMap::new();
    // Empty columns after the last named one (a spreadsheet's stray cells) are ignored.
    let named = headers
        .iter()
        .rposition(|raw| !raw.trim_ascii().is_empty())
        .map_or(0, |i| i + 1);
    for (i, raw) in headers.iter().enumerate().take(named) {
        let Ok(name) = std::str::from_utf8(raw) else {
            return Err(header_issue("the header row is not valid UTF-8".into()));
        };
        let name = name.trim().to_ascii_lowercase();
        if !COLUMNS.contains(&name.as_str()) {
            return Err(header_issue(format!(
                "unknown column `{name}`; the columns are: {}",
                COLUMNS.join(", ")
            )));
        }
        if index.insert(name.clone(), i).is_some() {
            return Err(header_issue(format!("column `{name}` appears twice")));
        }
    }
    let missing: Vec<&str> = COLUMNS[..REQUIRED_COLUMNS]
        .iter()
        .copied()
        .filter(|c| !index.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Err(header_issue(format!(
            "required columns missing: {}",
            missing.join(", ")
        )));
    }

    let mut parsed = ParsedRegister::default();
    let mut issues = Vec::new();
    let mut first_row_of_reference: HashMap<String, usize> = HashMap::new();
    let mut organization_seen: HashMap<String, (usize, OrganizationRecord)> = HashMap::new();
    for (i, record) in reader.byte_records().enumerate() {
        let row = i + 2;
        if issues.len() >= MAX_ISSUES {
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                issues.push(RowIssue {
                    row,
                    column: None,
                    message: csv_error_message(&e),
                });
                continue;
            }
        };
        // A blank row (or one of empty cells, as a spreadsheet leaves them) is skipped.
        if record.iter().all(|cell| cell.trim_ascii().is_empty()) {
            continue;
        }
        let mut cells = Cells {
            row,
            record: &record,
            index: &index,
            issues: Vec::new(),
        };
        let reference = cells.text("reference");
        let parsed_row = parse_row(&mut cells);
        let mut row_issues = cells.issues;
        if !reference.is_empty()
            && let Some(first) = first_row_of_reference.insert(reference.clone(), row)
        {
            row_issues.push(RowIssue {
                row,
                column: Some("reference".into()),
                message: format!("`{reference}` is already used on row {first}"),
            });
        }
        if let Some(r) = parsed_row {
            let key = r.organization.name.to_lowercase();
            match organization_seen.get(&key) {
                Some((first, org)) if *org != r.organization => row_issues.push(RowIssue {
                    row,
                    column: Some("organization".into()),
                    message: format!(
                        "`{}` is described differently on row {first} (kind, country, region, \
                         time zone, language, population and champion flag must agree)",
                        r.organization.name
                    ),
                }),
                Some(_) => {}
                None => {
                    organization_seen.insert(key, (row, r.organization.clone()));
                }
            }
            if let Some(suggested) = CompactScope::suggested_by(beneficiaries(&r.pledge))
                && suggested != r.pledge.compact_scope
            {
                parsed.warnings.push(RowIssue {
                    row,
                    column: Some("compact_scope".into()),
                    message: format!(
                        "declared {} but the beneficiary groups suggest {}",
                        r.pledge.compact_scope, suggested
                    ),
                });
            }
            if row_issues.is_empty() {
                parsed.rows.push(r);
            }
        }
        issues.extend(row_issues);
    }
    // Co-pledgers must be organizations of this file, so the file stands on its own.
    for r in &parsed.rows {
        for name in &r.pledge.co_pledgers {
            if !organization_seen.contains_key(&name.to_lowercase()) {
                issues.push(RowIssue {
                    row: r.row,
                    column: Some("co_pledgers".into()),
                    message: format!("`{name}` is not an organization of this file"),
                });
            }
        }
    }
    if parsed.rows.is_empty() && issues.is_empty() {
        issues.push(RowIssue {
            row: 2,
            column: None,
            message: "the file has no pledge rows".into(),
        });
    }
    if issues.is_empty() {
        Ok(parsed)
    } else {
        issues.sort_by_key(|i| i.row);
        Err(issues)
    }
}

fn beneficiaries(p: &PledgeRecord) -> &[String] {
    p.classifications
        .iter()
        .find(|(s, _)| *s == Scheme::BeneficiaryGroup)
        .map(|(_, c)| c.as_slice())
        .unwrap_or(&[])
}

fn csv_error_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} cells where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".into(),
        _ => format!("cannot be read as CSV: {e}"),
    }
}

/// Reads the cells of one record, collecting issues instead of stopping at the first.
struct Cells<'a> {
    row: usize,
    record: &'a csv::ByteRecord,
    index: &'a HashMap<String, usize>,
    issues: Vec<RowIssue>,
}

impl Cells<'_> {
    fn issue(&mut self, column: &str, message: String) {
        self.issues.push(RowIssue {
            row: self.row,
            column: Some(column.into()),
            message,
        });
    }

    /// The trimmed cell, `""` when the column is absent. Every cell but the description is put
    /// on one line: a name with a line break (Excel's Alt+Enter) must not reach a mail header.
    fn text(&mut self, column: &str) -> String {
        let Some(&i) = self.index.get(column) else {
            return String::new();
        };
        let raw = self.record.get(i).unwrap_or_default();
        match std::str::from_utf8(raw) {
            Ok(s) if column == "description" => s.trim().to_string(),
            Ok(s) => super::text::one_line(s),
            Err(_) => {
                self.issue(column, "is not valid UTF-8".into());
                String::new()
            }
        }
    }

    fn required(&mut self, column: &str, max_chars: usize) -> Option<String> {
        let value = self.text(column);
        if value.is_empty() {
            self.issue(column, "is required".into());
            None
        } else if value.chars().count() > max_chars {
            self.issue(column, format!("is longer than {max_chars} characters"));
            None
        } else {
            Some(value)
        }
    }

    fn optional(&mut self, column: &str, max_chars: usize) -> Option<String> {
        let value = self.text(column);
        if value.chars().count() > max_chars {
            self.issue(column, format!("is longer than {max_chars} characters"));
            return None;
        }
        (!value.is_empty()).then_some(value)
    }

    /// Applies `parse` to a non-empty cell; records its error against the column.
    fn parsed<T>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = self.text(column);
        if value.is_empty() {
            return None;
        }
        match parse(&value) {
            Ok(v) => Some(v),
            Err(message) => {
                self.issue(column, message);
                None
            }
        }
    }

    fn codes(&mut self, column: &str, scheme: Scheme) -> Vec<String> {
        self.parsed(column, |v| parse_codes(scheme, v))
            .unwrap_or_default()
    }
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!("`{s}` is not true or false")),
    }
}

fn parse_row(c: &mut Cells) -> Option<RegisterRow> {
    let reference = c.parsed("reference", PledgeReference::parse);
    if reference.is_none() && c.text("reference").is_empty() {
        c.issue("reference", "is required".into());
    }
    let title = c.required("title", 300);
    let description = c.optional("description", 10_000).unwrap_or_default();
    let name = c.required("organization", 200);
    let kind = c.parsed("organization_kind", OrganizationKind::parse);
    let admin_level = c.parsed("admin_level", AdminLevel::parse);
    let country = c.required("country", 100);
    let country_code = c.parsed("country_code", parse_country_code);
    let region = c.parsed("region", |v| {
        let v = v.to_ascii_lowercase();
        if REGIONS.iter().any(|(code, _)| *code == v) {
            Ok(v)
        } else {
            let codes: Vec<&str> = REGIONS.iter().map(|(code, _)| *code).collect();
            Err(format!("`{v}` is not a region ({})", codes.join(", ")))
        }
    });
    let timezone = c.parsed("timezone", |v| {
        v.parse::<chrono_tz::Tz>()
            .map(|tz| tz.name().to_string())
            .map_err(|_| format!("`{v}` is not an IANA time zone such as Africa/Kampala"))
    });
    let locale = c.parsed("locale", Locale::parse);
    let population = c.parsed("population", |v| {
        v.replace([',', '_', ' '], "")
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("`{v}` is not a whole number of people"))
    });
    let champion = c.parsed("gcm_champion_country", parse_bool).unwrap_or(false);
    let scope = c.parsed("compact_scope", CompactScope::parse);
    let pledge_year = c.parsed("pledge_year", |v| {
        v.parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| format!("`{v}` is not a year between 2000 and 2100"))
    });
    for column in [
        "organization_kind",
        "region",
        "timezone",
        "locale",
        "compact_scope",
        "pledge_year",
    ] {
        if c.text(column).is_empty() {
            c.issue(column, "is required".into());
        }
    }
    let timeline_start = c.parsed("timeline_start", TimelinePoint::parse);
    let timeline_end = c.parsed("timeline_end", |v| {
        if v.eq_ignore_ascii_case("ongoing") {
            Ok(None)
        } else {
            TimelinePoint::parse(v).map(Some)
        }
    });
    let gcr_pledge_id = c.parsed("gcr_pledge_id", parse_gcr_pledge_id);
    let gcm_pledge_ref = c.optional("gcm_pledge_ref", 300);
    let co_pledgers: Vec<String> = c
        .text("co_pledgers")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();

    let mut classifications = Vec::new();
    for (column, scheme) in [
        ("beneficiary_groups", Scheme::BeneficiaryGroup),
        ("priorities", Scheme::Priority),
        ("gcm_objectives", Scheme::GcmObjective),
        ("gcm_principles", Scheme::GcmPrinciple),
        ("gcr_objectives", Scheme::GcrObjective),
        ("gcr_focus_areas", Scheme::GcrFocusArea),
        ("sdgs", Scheme::Sdg),
    ] {
        let codes = c.codes(column, scheme);
        classifications.push((scheme, codes));
    }
    let count = |scheme: Scheme| {
        classifications
            .iter()
            .find(|(s, _)| *s == scheme)
            .map_or(0, |(_, codes)| codes.len())
    };
    for (column, scheme) in [
        ("beneficiary_groups", Scheme::BeneficiaryGroup),
        ("priorities", Scheme::Priority),
    ] {
        if count(scheme) == 0 && c.text(column).is_empty() {
            c.issue(column, "needs at least one value".into());
        }
    }
    if let Some(scope) = scope {
        scope_rules(
            c,
            scope,
            &count,
            gcr_pledge_id.is_some(),
            gcm_pledge_ref.is_some(),
        );
    }
    if let (Some(start), Some(Some(end))) = (&timeline_start, &timeline_end)
        && !start.not_after(end)
    {
        c.issue(
            "timeline_end",
            format!("{} is before the start {}", end.as_str(), start.as_str()),
        );
    }
    if let Some(name) = &name
        && co_pledgers.iter().any(|p| p.eq_ignore_ascii_case(name))
    {
        c.issue("co_pledgers", "lists the lead organization itself".into());
    }

    let contact = parse_contact(c, locale);
    let organization = OrganizationRecord {
        name: name?,
        kind: kind?,
        admin_level,
        country: country?,
        country_code,
        region: region?,
        timezone: timezone?,
        locale: locale?,
        population,
        gcm_champion_country: champion,
    };
    let pledge = PledgeRecord {
        reference: reference?,
        title: title?,
        description,
        compact_scope: scope?,
        pledge_year: pledge_year?,
        timeline_start,
        timeline_end: timeline_end.flatten(),
        gcr_pledge_id,
        gcm_pledge_ref,
        classifications,
        co_pledgers,
    };
    if !c.issues.is_empty() {
        return None;
    }
    Some(RegisterRow {
        row: c.row,
        organization,
        pledge,
        contact: contact?,
    })
}

/// Which classifications and UN ids a scope needs or forbids (requirements.md §b.1).
fn scope_rules(
    c: &mut Cells,
    scope: CompactScope,
    count: &dyn Fn(Scheme) -> usize,
    has_gcr_id: bool,
    has_gcm_ref: bool,
) {
    if scope.counts_for_gcm() && count(Scheme::GcmObjective) == 0 {
        c.issue(
            "gcm_objectives",
            format!("a {scope} pledge needs at least one GCM objective"),
        );
    }
    if scope.counts_for_gcr() && count(Scheme::GcrObjective) == 0 {
        c.issue(
            "gcr_objectives",
            format!("a {scope} pledge needs at least one GCR objective"),
        );
    }
    let not_for = |what: &str| format!("a {scope} pledge does not count for the {what}; leave it empty");
    if !scope.counts_for_gcm() {
        for column in ["gcm_objectives", "gcm_principles"] {
            if !c.text(column).is_empty() {
                c.issue(column, not_for("GCM"));
            }
        }
        if has_gcm_ref {
            c.issue("gcm_pledge_ref", not_for("GCM"));
        }
    }
    if !scope.counts_for_gcr() {
        for column in ["gcr_objectives", "gcr_focus_areas"] {
            if !c.text(column).is_empty() {
                c.issue(column, not_for("GCR"));
            }
        }
        if has_gcr_id {
            c.issue("gcr_pledge_id", not_for("GCR"));
        }
    }
}

/// The optional contact: a name and an e-mail together, or neither.
/// Returns `Some(None)` for "no contact", `None` when the row has an error.
fn parse_contact(c: &mut Cells, org_locale: Option<Locale>) -> Option<Option<ContactRecord>> {
    let name = c.optional("contact_name", 200);
    let email = c.parsed("contact_email", parse_email);
    let locale = c.parsed("contact_locale", Locale::parse);
    let role = c
        .parsed("contact_role", ContactRole::parse)
        .unwrap_or(ContactRole::Primary);
    match (name, email) {
        (Some(name), Some(email)) => Some(Some(ContactRecord {
            name,
            email,
            locale: locale.or(org_locale).unwrap_or_default(),
            role,
        })),
        (None, None) if c.text("contact_email").is_empty() => Some(None),
        (None, _) if c.text("contact_name").is_empty() => {
            c.issue("contact_name", "is required when contact_email is given".into());
            None
        }
        (_, None) if c.text("contact_email").is_empty() => {
            c.issue("contact_email", "is required when contact_name is given".into());
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "reference,title,organization,organization_kind,country,country_code,region,timezone,locale,compact_scope,beneficiary_groups,priorities,gcm_objectives,gcr_objectives,pledge_year,timeline_start,timeline_end,contact_name,contact_email";

    fn file(rows: &[&str]) -> String {
        let mut s = HEADER.to_string();
        for r in rows {
            s.push('\n');
            s.push_str(r);
        }
        s
    }

    const GOOD: &str = "CLA-2022-0001,Welcome centre,Arua,lrg,Uganda,UG,sub_saharan_africa,Africa/Kampala,en,MIRROR,migrants;refugees,1;5,23;16,2,2022,2019,2021,Jane Doe,jane@arua.example.org";

    #[test]
    fn a_good_row_parses_into_typed_records() {
        let parsed = parse_register(file(&[GOOD]).as_bytes()).unwrap();
        let row = &parsed.rows[0];
        assert_eq!(row.row, 2);
        assert_eq!(row.organization.timezone, "Africa/Kampala");
        assert_eq!(row.pledge.compact_scope, CompactScope::Mirror);
        assert_eq!(row.pledge.timeline_end.as_ref().map(|t| t.as_str()), Some("2021"));
        assert_eq!(row.contact.as_ref().unwrap().email, "jane@arua.example.org");
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn each_bad_cell_is_reported_with_row_and_column() {
        let bad = GOOD
            .replace("CLA-2022-0001", "CLA-2022-0002")
            .replace("1;5", "1;9")
            .replace("Africa/Kampala", "Africa/Atlantis");
        let issues = parse_register(file(&[GOOD, &bad]).as_bytes()).unwrap_err();
        let text: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(issues.len(), 2, "{text:?}");
        assert!(
            text[0].starts_with("row 3, column `timezone`: `Africa/Atlantis`"),
            "{text:?}"
        );
        assert!(
            text[1].starts_with("row 3, column `priorities`: `9` is not a priority"),
            "{text:?}"
        );
    }

    #[test]
    fn spreadsheet_files_get_one_clear_message() {
        let message = |bytes: &[u8]| {
            let issues = parse_register(bytes).unwrap_err();
            assert_eq!(issues.len(), 1, "{issues:?}");
            issues[0].to_string()
        };
        let semicolons = file(&[GOOD]).replace(',', ";");
        assert!(message(semicolons.as_bytes()).contains("separated by semicolons"));
        assert!(message(semicolons.as_bytes()).contains("CSV UTF-8 (comma delimited)"));
        let latin1: Vec<u8> = file(&[&GOOD.replace("Arua", "Bogot\u{e1}")])
            .chars()
            .map(|c| c as u32 as u8)
            .collect();
        assert!(message(&latin1).contains("not UTF-8"));
        let mut xlsx = b"PK\x03\x04".to_vec();
        xlsx.extend_from_slice(&[0; 100]);
        assert!(message(&xlsx).contains(".xlsx"));
    }

    #[test]
    fn blank_rows_and_empty_trailing_columns_are_skipped() {
        let padded = format!("{HEADER},,\n{GOOD},,\n,,,,,,,,,,,,,,,,,,,,\n\n");
        let parsed = parse_register(padded.as_bytes()).unwrap();
        assert_eq!(parsed.rows.len(), 1);
    }

    #[test]
    fn scope_rules_apply() {
        let gcm_with_gcr_objective = GOOD
            .replace("MIRROR", "GCM")
            .replace("migrants;refugees", "migrants");
        let issues = parse_register(file(&[&gcm_with_gcr_objective]).as_bytes()).unwrap_err();
        assert_eq!(issues[0].column.as_deref(), Some("gcr_objectives"));
        let mirror_without_gcm = GOOD.replace(",23;16,", ",,");
        let issues = parse_register(file(&[&mirror_without_gcm]).as_bytes()).unwrap_err();
        assert!(issues[0].message.contains("needs at least one GCM objective"));
    }

    #[test]
    fn declared_scope_against_groups_is_a_warning_not_an_error() {
        let row = GOOD.replace("migrants;refugees", "migrants");
        let parsed = parse_register(file(&[&row]).as_bytes()).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        assert!(parsed.warnings[0].message.contains("suggest GCM"));
    }

    #[test]
    fn duplicates_and_conflicts_across_rows_are_errors() {
        let issues = parse_register(file(&[GOOD, GOOD]).as_bytes()).unwrap_err();
        assert!(issues[0].message.contains("already used on row 2"));
        let other = GOOD
            .replace("CLA-2022-0001", "CLA-2022-0002")
            .replace(",en,", ",fr,");
        let issues = parse_register(file(&[GOOD, &other]).as_bytes()).unwrap_err();
        assert_eq!(issues[0].column.as_deref(), Some("organization"));
    }

    #[test]
    fn header_problems_are_row_one() {
        let issues = parse_register(b"reference,title,colour\n").unwrap_err();
        assert_eq!(issues[0].row, 1);
        assert!(issues[0].message.contains("unknown column `colour`"));
        let issues = parse_register(b"reference,title\n").unwrap_err();
        assert!(
            issues[0]
                .message
                .contains("required columns missing: organization")
        );
    }

    #[test]
    fn malformed_rows_do_not_stop_the_report() {
        let short = "CLA-2022-0003,too short";
        let invalid_utf8 = [GOOD.replace("Welcome", "W\u{FFFD}").as_bytes(), b""].concat();
        let mut bytes = file(&[short]).into_bytes();
        bytes.extend_from_slice(b"\n");
        bytes.extend_from_slice(
            &invalid_utf8
                .iter()
                .map(|b| if *b == 0xEF { 0xFF } else { *b })
                .collect::<Vec<_>>(),
        );
        let issues = parse_register(&bytes).unwrap_err();
        // Bytes that are not UTF-8 are the whole file's problem (saved in another encoding):
        // one message with where they start, not an error per row.
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(
            issues[0].message.contains("not UTF-8 text from row 3 on"),
            "{issues:?}"
        );
        let issues = parse_register(file(&[short, GOOD]).as_bytes()).unwrap_err();
        assert!(
            issues[0].message.contains("has 2 cells where the header has 19"),
            "{issues:?}"
        );
    }

    #[test]
    fn contact_needs_name_and_email_together() {
        let row = GOOD.replace("Jane Doe", "");
        let issues = parse_register(file(&[&row]).as_bytes()).unwrap_err();
        assert_eq!(issues[0].column.as_deref(), Some("contact_name"));
        let none = GOOD.replace(",Jane Doe,jane@arua.example.org", ",,");
        assert!(
            parse_register(file(&[&none]).as_bytes()).unwrap().rows[0]
                .contact
                .is_none()
        );
    }

    proptest::proptest! {
        /// Any file is a register or a list of row-numbered issues; never a panic.
        #[test]
        fn arbitrary_csv_never_panics(rows in proptest::collection::vec("[^\\n]{0,120}", 0..8)) {
            let file = format!("{}\n{}", HEADER_FOR_FUZZ, rows.join("\n"));
            if let Err(issues) = parse_register(file.as_bytes()) {
                proptest::prop_assert!(issues.iter().all(|i| i.row >= 1 && !i.message.is_empty()));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let _ = parse_register(&bytes);
        }
    }

    const HEADER_FOR_FUZZ: &str = "reference,title,organization,organization_kind,country,region,timezone,locale,compact_scope,beneficiary_groups,priorities,pledge_year,contact_name,contact_email";
}
