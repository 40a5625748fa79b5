//! The 15 updates the 2025 report publishes (`../shared/data/example-pledge-updates.json`),
//! entered through the officer's form as an officer would: only what each update states, plus
//! what a rule with a public source requires. Each must be submittable once its warnings are
//! justified, a reviewer approves it, and it lands in exactly the UN exports its confirmed
//! scope names, typed, and valid against the schemas shipped in `schemas/`.
use std::collections::{BTreeMap, BTreeSet};

use pledgeflow::entities::{pledge, revision};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value as Json, json};

use crate::helpers::{TestApp, form_tokens, link_token, spawn_app_with_demo};
use crate::officer::form;

/// The report's data as shared with the project; the repository keeps a copy for machines
/// without `../shared`.
fn examples() -> Vec<Json> {
    let text = std::fs::read_to_string("../shared/data/example-pledge-updates.json")
        .or_else(|_| std::fs::read_to_string("demo/source/example-pledge-updates.json"))
        .expect("the report's example updates");
    serde_json::from_str::<Json>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// "students_engaged_per_year_approx" → ("students engaged per year", Some("approx")).
fn label_and_qualifier(key: &str) -> (String, Option<&'static str>) {
    for (suffix, qualifier) in [("_min", "at_least"), ("_approx", "approx"), ("_est", "estimate")] {
        if let Some(stem) = key.strip_suffix(suffix) {
            return (stem.replace('_', " "), Some(qualifier));
        }
    }
    (key.replace('_', " "), None)
}

/// The report's words ("nearly") as the form's qualifiers.
fn qualifier_word(word: &str) -> &'static str {
    match word {
        "nearly" | "about" | "approximately" => "approx",
        "over" | "more than" | "at least" => "at_least",
        _ => "estimate",
    }
}

/// The challenge codes a reader of the report's wording ticks, next to the wording itself.
fn challenge_code(text: &str) -> &'static str {
    let t = text.to_lowercase();
    if t.contains("funding") {
        "funding_gaps"
    } else if t.contains("coordination") {
        "coordination"
    } else if t.contains("leadership") || t.contains("political") {
        "political_ownership_leadership_change"
    } else if t.contains("policy") {
        "policy_constraints_national"
    } else if t.contains("staffing") {
        "staffing_capacity"
    } else if t.contains("registering") || t.contains("undocumented") {
        "documentation_status_barriers"
    } else {
        "other"
    }
}

/// What the officer types for one example: the update's own statements, and the answers a
/// sourced rule requires (stage [S:2], reporting cycle [S:10], consent to publish the update
/// the report already published).
fn answers_for(x: &Json) -> Vec<(&'static str, String)> {
    let s = |v: &Json| match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut a: Vec<(&'static str, String)> = Vec::new();
    let mut push = |k: String, v: String| a.push((Box::leak(k.into_boxed_str()), v));
    let end = s(&x["timeline_end"]);
    // UNHCR's stage is required [S:2]; the report gives a timeline: an ended one is fulfilled.
    let stage = if end == "ongoing" {
        "in_progress"
    } else {
        "fulfilled"
    };
    push("implementation_stage".into(), stage.into());
    push("reporting_cycle".into(), "2025_progress_review".into());
    push(
        "compact_scope".into(),
        match x["pledge_type"].as_str().unwrap() {
            "Mirror" => "MIRROR",
            "GCR" => "GCR",
            _ => "GCM",
        }
        .into(),
    );
    push("title".into(), s(&x["title"]));
    push("timeline_start".into(), s(&x["timeline_start"]));
    push("timeline_end".into(), end);
    push("primary_priority".into(), s(&x["priority"]));
    push("consent_to_publish".into(), "true".into());

    let mut achievements: Vec<String> = x["results"]
        .as_array()
        .map(|r| r.iter().map(s).collect())
        .unwrap_or_default();
    let mut funding: Vec<BTreeMap<&str, String>> = x["funders"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|name| BTreeMap::from([("funder", s(name))]))
                .collect()
        })
        .unwrap_or_default();
    let mut metrics: Vec<BTreeMap<&str, String>> = Vec::new();
    let numbers = x["key_numbers"].as_object().cloned().unwrap_or_default();
    let mut counts_people = false;
    for (key, value) in &numbers {
        let (label, qualifier) = label_and_qualifier(key);
        match (key.as_str(), value) {
            ("beneficiaries_qualifier", _) => {}
            ("beneficiaries_reached_approx" | "beneficiaries_reached_min" | "people_reached", n) => {
                counts_people = true;
                push("beneficiaries_total".into(), s(n));
                let word = numbers
                    .get("beneficiaries_qualifier")
                    .and_then(Json::as_str)
                    .and_then(|q| q.split(' ').next())
                    .map(qualifier_word);
                if let Some(q) = word.or(qualifier) {
                    push("beneficiaries_qualifier".into(), q.into());
                }
            }
            (k, n) if k.contains("expected_to_benefit") || k.contains("reached_target") => {
                push("beneficiaries_targeted".into(), s(n));
            }
            (k, Json::Object(money)) if !k.contains("target") => {
                let mut row = BTreeMap::from([
                    ("amount", s(&money["amount"])),
                    ("currency", s(&money["currency"])),
                ]);
                let q = money
                    .get("qualifier")
                    .and_then(Json::as_str)
                    .map(qualifier_word)
                    .or(qualifier);
                if let Some(q) = q {
                    row.insert("qualifier", q.into());
                }
                if k.starts_with("co_funding") {
                    row.insert("source", "co_funding".into());
                } else if k.starts_with("national") {
                    row.insert("source", "national".into());
                }
                funding.push(row);
            }
            (_, Json::Object(target)) => {
                metrics.push(BTreeMap::from([
                    ("label", label),
                    ("value", s(&target["amount"])),
                    ("unit", s(&target["currency"])),
                ]));
            }
            (_, Json::String(text)) => achievements.push(format!("{label}: {text}")),
            (k, n) if k.ends_with("_pct_after") => {
                let before = &numbers[&k.replace("_after", "_before")];
                metrics.push(BTreeMap::from([
                    ("label", label.trim_end_matches(" pct after").to_string()),
                    ("value", s(n)),
                    ("baseline", s(before)),
                    ("unit", "%".into()),
                ]));
            }
            (k, _) if k.ends_with("_pct_before") => {}
            (k, n) => {
                let mut row = BTreeMap::from([
                    ("label", label.trim_end_matches(" pct").to_string()),
                    ("value", s(n)),
                ]);
                if k.ends_with("_pct") {
                    row.insert("unit", "%".into());
                }
                if let Some(q) = qualifier {
                    row.insert("qualifier", q.into());
                }
                if let Some(year) = k
                    .rsplit('_')
                    .next()
                    .filter(|y| y.len() == 4 && y.starts_with("20"))
                {
                    row.insert("year", year.into());
                }
                metrics.push(row);
            }
        }
    }
    // Sessions, cities and members are what these pledges count; the report gives no people.
    if !counts_people && ["P1-BRA", "P8-EUR"].contains(&x["id"].as_str().unwrap()) {
        push("beneficiaries_not_counted".into(), "true".into());
    }
    for (i, text) in achievements.iter().enumerate() {
        push(format!("achievement.{}", i + 1), text.clone());
    }
    for (i, row) in metrics.iter().enumerate() {
        for (column, value) in row {
            push(format!("metric.{}.{column}", i + 1), value.clone());
        }
    }
    for (i, row) in funding.iter().enumerate() {
        for (column, value) in row {
            push(format!("funding.{}.{column}", i + 1), value.clone());
        }
    }
    for (i, partner) in x["partners"].as_array().into_iter().flatten().enumerate() {
        push(format!("partner.{}.name", i + 1), s(partner));
    }
    let challenges: Vec<String> = x["challenges"].as_array().unwrap().iter().map(s).collect();
    let codes: BTreeSet<&str> = challenges.iter().map(|c| challenge_code(c)).collect();
    for code in codes {
        push("challenges".into(), code.into());
    }
    if !challenges.is_empty() {
        push("challenges_text".into(), challenges.join("; "));
    }
    a
}

/// The justification fields the form asks for (one per unjustified warning).
fn warnings_asked(html: &str) -> Vec<String> {
    html.match_indices("name=\"justification.")
        .map(|(i, m)| html[i + m.len()..].split('"').next().unwrap().to_string())
        .collect()
}

async fn enter_update(app: &TestApp, token: &str, answers: &[(&'static str, String)]) -> i32 {
    let (cookie, path) = app.open_link(token).await;
    let (status, html) = app.get_with(&path, &cookie).await;
    assert_eq!(status, 200);
    let (csrf, version) = form_tokens(&html);
    let saved = app
        .post_form(&path, &cookie, &form(&csrf, &version, "save", answers))
        .await;
    assert_eq!(saved.status().as_u16(), 303, "{}", saved.text().await.unwrap());
    // Where the save leads: the form with what the rules found (not shown on first open).
    let shown = saved.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = app.get_with(&shown, &cookie).await;
    assert!(
        !html.contains("class=\"summary errors\""),
        "{path}: an error blocks before submitting"
    );
    let (csrf, version) = form_tokens(&html);
    let mut with_reasons = answers.to_vec();
    for rule in warnings_asked(&html) {
        let key: &'static str = Box::leak(format!("justification.{rule}").into_boxed_str());
        with_reasons.push((key, "The 2025 report states nothing more on this point.".into()));
    }
    let submitted = app
        .post_form(&path, &cookie, &form(&csrf, &version, "submit", &with_reasons))
        .await;
    let status = submitted.status().as_u16();
    let body = submitted.text().await.unwrap();
    assert_eq!(
        status,
        303,
        "{path} was not submittable: {}",
        error_summary(&body)
    );
    path.rsplit('/').next().unwrap().parse().unwrap()
}

fn error_summary(html: &str) -> String {
    html.split("class=\"summary errors\"")
        .nth(1)
        .and_then(|s| s.split("</div>").next())
        .unwrap_or(html)
        .chars()
        .take(2_000)
        .collect()
}

async fn export(app: &TestApp, cookie: &str, target: &str) -> Json {
    let (status, text) = app
        .get_with(&format!("/review/exports/updates.json?target={target}"), cookie)
        .await;
    assert_eq!(status, 200, "{text}");
    let document: Json = serde_json::from_str(&text).unwrap();
    let schema: Json = serde_json::from_str(
        &std::fs::read_to_string(format!("schemas/export-{target}.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let problems: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "{target} export breaks its schema: {problems:?}"
    );
    document
}

fn by_reference(document: &Json) -> BTreeMap<String, Json> {
    document["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["coalition_reference"].as_str().unwrap().to_string(),
                item.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_reports_updates_go_through_the_form_and_reach_the_right_un_exports() {
    let app = spawn_app_with_demo().await;
    let examples = examples();
    assert_eq!(examples.len(), 15);
    let mut reference = BTreeMap::new();
    for x in &examples {
        let title = x["title"].as_str().unwrap();
        let p = pledge::Entity::find()
            .filter(pledge::Column::Title.eq(title))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the demo register has {title}"));
        reference.insert(x["id"].as_str().unwrap().to_string(), p.reference);
    }
    let refs: Vec<&str> = reference.values().map(String::as_str).collect();
    app.open_campaign("Progress review 2025", &refs).await;
    app.run_mail().await;
    let mails = app.mailer.sent();

    let (reviewer, csrf) = app.sign_in("reviewer").await;
    let mut findings_seen = BTreeMap::new();
    for x in &examples {
        let id = x["id"].as_str().unwrap();
        let title = x["title"].as_str().unwrap();
        let mail = mails
            .iter()
            .find(|m| m.subject.contains(title) || m.text.contains(title))
            .unwrap_or_else(|| panic!("an invitation for {title}"));
        let request = enter_update(&app, &link_token(mail), &answers_for(x)).await;
        let rev = revision::Entity::find()
            .filter(revision::Column::UpdateRequestId.eq(request))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let findings: Vec<Json> = serde_json::from_str(&rev.findings).unwrap();
        let ids: Vec<String> = findings
            .iter()
            .map(|f| {
                format!(
                    "{} ({})",
                    f["rule_id"].as_str().unwrap(),
                    f["severity"].as_str().unwrap()
                )
            })
            .collect();
        assert!(
            findings.iter().all(|f| f["severity"] != "error"),
            "{id} went in with an error: {ids:?}"
        );
        findings_seen.insert(id.to_string(), ids);
        let approved = app
            .post_form(
                &format!("/review/requests/{request}/approve"),
                &reviewer,
                &[("_csrf", &csrf)],
            )
            .await;
        assert_eq!(
            approved.status().as_u16(),
            303,
            "{id}: {}",
            approved.text().await.unwrap()
        );
    }
    // The findings each update raised, for the record (`cargo test -- --nocapture`).
    for (id, ids) in &findings_seen {
        eprintln!("{id}: {}", ids.join(", "));
    }

    let all = by_reference(&export(&app, &reviewer, "all").await);
    let gcr = by_reference(&export(&app, &reviewer, "gcr").await);
    let gcm = by_reference(&export(&app, &reviewer, "gcm").await);
    for x in &examples {
        let id = x["id"].as_str().unwrap();
        let r = &reference[id];
        let scope = x["pledge_type"].as_str().unwrap();
        assert!(all.contains_key(r), "{id} is in the Coalition's export");
        assert_eq!(
            gcr.contains_key(r),
            scope != "GCM",
            "{id} ({scope}) and the UNHCR export"
        );
        assert_eq!(
            gcm.contains_key(r),
            scope != "GCR",
            "{id} ({scope}) and the UN Network export"
        );
    }
    assert_eq!(gcr.len(), 15, "12 Mirror and 3 GCR updates go to UNHCR");
    assert_eq!(gcm.len(), 12, "the 12 Mirror updates go to the UN Network");

    // Figures arrive typed, as the report states them.
    let arua = &gcr[&reference["P1-ARU"]];
    assert_eq!(arua["beneficiaries_reached"], json!(5000));
    assert_eq!(arua["beneficiaries_qualifier"], json!("approx"));
    assert_eq!(arua["stage"], json!("FULFILLED"));
    assert_eq!(
        arua["funding"][0]["funder"],
        json!("Swiss Agency for Development and Cooperation (SDC)")
    );
    assert_eq!(
        arua["funding"][0]["amount"],
        Json::Null,
        "a funder named without an amount"
    );
    assert!(
        arua["gcr_objectives"]
            .as_array()
            .unwrap()
            .iter()
            .all(Json::is_i64)
    );
    let koboko = &all[&reference["P5-KOB"]];
    assert_eq!(koboko["beneficiaries_reached"], json!(41000));
    assert_eq!(koboko["beneficiaries_qualifier"], json!("at_least"));
    let access = &koboko["key_figures"][0];
    assert_eq!(
        (access["baseline"].clone(), access["value"].clone()),
        (json!(44.0), json!(94.0))
    );
    let montreal = &gcm[&reference["P4-MTL"]];
    assert_eq!(montreal["funding"][0]["amount"], json!(1_900_000.0));
    assert_eq!(montreal["funding"][0]["currency"], json!("CAD"));
    let amman = &gcr[&reference["P2-AMM"]];
    assert_eq!(amman["funding"][1]["qualifier"], json!("approx"));
    assert_eq!(amman["funding"][1]["amount"], json!(600_000.0));
    let lampedusa = &all[&reference["P6-LMP"]];
    assert_eq!(
        lampedusa["partners"].as_array().unwrap().len(),
        4,
        "a fourth partner fits"
    );
    let brazil = &all[&reference["P1-BRA"]];
    assert_eq!(
        brazil["beneficiaries_reached"],
        Json::Null,
        "sessions are not people"
    );
    assert_eq!(brazil["beneficiaries_not_counted"], json!(true));
    // The joint structure comes from the register's co-pledgers (Nairobi pledged with Kampala).
    let nairobi = &all[&reference["P3-NBO"]];
    assert_eq!(nairobi["pledge_structure"], json!("joint_city_to_city"));
    assert_eq!(nairobi["joint_partners"], json!("Kampala"));
    let mmc = &all[&reference["P8-MMC"]];
    assert_eq!(mmc["key_figures"].as_array().unwrap().len(), 3);
    assert_eq!(mmc["funding"].as_array().unwrap().len(), 2);
    assert_eq!(mmc["cycle"], json!("2025_progress_review"));
    assert_eq!(mmc["revision"], json!(1));
}
