//! Publication and exports: what goes out, and to which UN dashboard.
use pledgeflow::domain::answers::{Answers, Value};
use pledgeflow::domain::request::RequestEvent;
use pledgeflow::entities::{audit_event, update_request};
use pledgeflow::store::{drafts, review};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{spawn_app, text};

const REGISTER: &str = "reference,title,organization,organization_kind,country,region,timezone,locale,compact_scope,beneficiary_groups,priorities,gcm_objectives,gcr_objectives,pledge_year,gcr_pledge_id,contact_name,contact_email
CLA-2025-0001,Mirror pledge,Arua,lrg,Uganda,sub_saharan_africa,Africa/Kampala,en,MIRROR,migrants;refugees,1,23,1,2025,GRF-01547,Jane,jane@arua.example.org
CLA-2025-0002,GCM pledge,Montréal,lrg,Canada,north_america,America/Toronto,fr,GCM,migrants,4,15,,2025,,Marie,marie@montreal.example.org
CLA-2025-0004,IDP pledge,Beira,lrg,Mozambique,sub_saharan_africa,Africa/Maputo,pt,IDP_ONLY,idps,2,,,2025,,Ana,ana@beira.example.org";

fn answers(summary: &str) -> Answers {
    let mut a = Answers::default();
    for (k, v) in [
        ("implementation_stage", "in_progress"),
        ("results_summary", summary),
        ("beneficiaries_total", "5,000"),
        ("consent_to_publish", "true"),
        ("interview_availability", "Tuesdays 10:00 Kampala time"),
        ("justification.base.breakdown.sum", "private note"),
    ] {
        a.0.insert(k.into(), Value::One(v.into()));
    }
    a
}

/// Every request submitted, approved and published through the store, as the review pages do.
async fn publish_all(app: &crate::helpers::TestApp) -> Vec<i32> {
    app.seed_register(REGISTER).await;
    approve_round(app, "Export round", &|_| {
        answers("=HYPERLINK(\"http://evil\") results")
    })
    .await
}

/// Opens a round for every pledge and approves each update with `answers_of(request)`.
async fn approve_round(
    app: &crate::helpers::TestApp,
    name: &str,
    answers_of: &dyn Fn(&update_request::Model) -> Answers,
) -> Vec<i32> {
    app.open_campaign(name, &[]).await;
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    let open = update_request::Entity::find()
        .filter(update_request::Column::State.eq("issued"))
        .all(&app.db)
        .await
        .unwrap();
    for request in open {
        let contact = pledgeflow::entities::access_link::Entity::find()
            .all(&app.db)
            .await
            .unwrap()[0]
            .contact_id;
        let draft = drafts::save_draft(&app.db, request.id, 0, &answers_of(&request), contact, now)
            .await
            .unwrap();
        let no_mail = |_n: i32| {
            (
                "a@example.org".to_string(),
                "A".to_string(),
                "en".to_string(),
                pledgeflow::mail::messages::Rendered {
                    subject: "s".into(),
                    text: "t".into(),
                    html: "h".into(),
                },
            )
        };
        let versions = Default::default();
        let submission = drafts::Submission {
            request_id: request.id,
            draft_version: draft.version,
            findings: &[],
            profile_versions: &versions,
            contact_id: contact,
            confirmation: &no_mail,
        };
        drafts::submit(&app.db, &submission, now).await.unwrap();
        review::approve(&app.db, request.id, None, None, now)
            .await
            .unwrap();
        ids.push(request.id);
    }
    ids
}

async fn publish(app: &crate::helpers::TestApp, ids: &[i32]) {
    app.sign_in("admin").await;
    let admin = pledgeflow::store::staff::find_staff(&app.db, "admin@secretariat.example.org")
        .await
        .unwrap()
        .unwrap();
    for id in ids {
        review::staff_transition(
            &app.db,
            *id,
            None,
            RequestEvent::Publish,
            "request.published",
            Some(admin.id),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn exports_follow_the_compact_and_neutralise_formulas() {
    let app = spawn_app().await;
    publish_all(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let count_rows = |target: &str| {
        let out = dir.path().join(format!("{target}.csv"));
        let result = app.cli(
            &[
                "export",
                "--format",
                "csv",
                "--target",
                target,
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        );
        assert!(result.status.success(), "{}", text(&result.stderr));
        let csv = std::fs::read_to_string(out).unwrap();
        (csv.lines().count() - 1, csv)
    };
    let (all, csv) = count_rows("all");
    assert_eq!(all, 3);
    assert!(csv.contains("'=HYPERLINK"), "formulas are neutralised: {csv}");
    assert!(
        !csv.contains("private note") && !csv.contains("Tuesdays"),
        "internal fields stay inside"
    );
    let (gcr, csv) = count_rows("gcr");
    assert_eq!(gcr, 1, "GCR takes the Mirror pledge only: {csv}");
    assert!(
        csv.starts_with("pledge_id,coalition_reference")
            && csv.contains("GRF-01547,CLA-2025-0001")
            && csv.contains("IN_PROGRESS")
    );
    let (gcm, csv) = count_rows("gcm");
    assert_eq!(gcm, 2, "GCM takes the GCM and Mirror pledges: {csv}");
    assert!(
        !csv.contains("CLA-2025-0004"),
        "IDP-only never goes to a UN target"
    );
    // XLSX from the command line: the same rows, formulas neutralised in string cells.
    let out = dir.path().join("gcm.xlsx");
    let result = app.cli(
        &[
            "export",
            "--format",
            "xlsx",
            "--target",
            "gcm",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(result.status.success(), "{}", text(&result.stderr));
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    assert_eq!(
        sheet.matches("<row ").count(),
        3,
        "a header and two GCM rows: {sheet}"
    );
    assert!(
        sheet.contains("&apos;=HYPERLINK") || sheet.contains("'=HYPERLINK"),
        "{sheet}"
    );
    assert!(!sheet.contains("CLA-2025-0004"));
    let bad = app.cli(&["export", "--format", "xml"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("`xml` is not an export format"));
}

#[tokio::test]
async fn exports_download_as_a_stream_for_signed_in_staff_only() {
    let app = spawn_app().await;
    publish_all(&app).await;
    assert_eq!(
        app.get("/review/exports/updates.json?target=gcm")
            .await
            .status()
            .as_u16(),
        303,
        "sign in first"
    );
    let (viewer, _) = app.sign_in("viewer").await;
    let response = app
        .client
        .get(format!("{}/review/exports/updates.json?target=gcm", app.address))
        .header("cookie", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("pledge-updates-gcm.json")
    );
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 2);
    assert_eq!(json["items"][0]["stage"], "IN_PROGRESS");
    let (status, _) = app
        .get_with("/review/exports/updates.csv?target=unhcr", &viewer)
        .await;
    assert_eq!(status, 400);
    // Data that left for a UN dashboard leaves a trace of who took it, as through the API.
    let taken = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("export.downloaded"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1, "the refused target took nothing");
    assert_eq!(taken[0].actor_kind, "staff");
    assert_eq!(taken[0].entity_id.as_deref(), Some("updates.json"));
    let detail: serde_json::Value = serde_json::from_str(&taken[0].detail).unwrap();
    assert_eq!(detail["target"], "gcm");
    assert_eq!(detail["via"], "web");
}

#[tokio::test]
async fn published_updates_appear_publicly_with_public_fields_only() {
    let app = spawn_app().await;
    let ids = publish_all(&app).await;
    let (_, page) = app.get_text("/public/updates").await;
    assert!(
        page.contains("No update is published yet."),
        "approved is not yet public"
    );
    publish(&app, &ids).await;
    let (status, page) = app.get_text("/public/updates").await;
    assert_eq!(status, 200);
    assert!(page.contains("Mirror pledge") && page.contains("GCM pledge") && page.contains("IDP pledge"));
    let (status, page) = app.get_text(&format!("/public/updates/{}", ids[0])).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("5,000") && page.contains("=HYPERLINK(&#34;http://evil&#34;) results"),
        "{page}"
    );
    assert!(
        !page.contains("Tuesdays") && !page.contains("private note"),
        "internal answers are not public"
    );
    assert_eq!(app.get_text("/public/updates/999999").await.0, 404);
}

#[tokio::test]
async fn each_update_goes_where_its_confirmed_scope_says_once_per_pledge() {
    let app = spawn_app().await;
    app.seed_register(REGISTER).await;
    let pledges: std::collections::HashMap<i32, String> = pledgeflow::entities::pledge::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.reference))
        .collect();
    let confirmed = |request: &update_request::Model| {
        let mut a = answers("Results");
        let (scope, grf) = match pledges[&request.pledge_id].as_str() {
            // Registered Mirror, confirmed GCM: the UN Network only.
            "CLA-2025-0001" => ("GCM", ""),
            // Registered GCM, confirmed Mirror with a GRF id: both, and UNHCR gets the id typed.
            "CLA-2025-0002" => ("MIRROR", "GRF-00350"),
            _ => ("IDP_ONLY", ""),
        };
        a.0.insert("compact_scope".into(), Value::One(scope.into()));
        a.0.insert("gcr_pledge_id".into(), Value::One(grf.into()));
        a.0.insert("reporting_cycle".into(), Value::One("2026_imrf".into()));
        a
    };
    approve_round(&app, "Round 2026", &confirmed).await;
    let export = |target: &str, all_cycles: bool| {
        let mut args = vec!["export", "--format", "json", "--target", target];
        if all_cycles {
            args.push("--all-cycles");
        }
        let out = app.cli(&args, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["items"].as_array().unwrap().clone()
    };
    let refs = |items: &[serde_json::Value]| -> Vec<String> {
        items
            .iter()
            .map(|i| i["coalition_reference"].as_str().unwrap().to_string())
            .collect()
    };
    let gcr = export("gcr", false);
    assert_eq!(
        refs(&gcr),
        vec!["CLA-2025-0002"],
        "the confirmed Mirror pledge only"
    );
    assert_eq!(gcr[0]["pledge_id"], "GRF-00350", "the GRF id the officer typed");
    assert_eq!(
        refs(&export("gcm", false)),
        vec!["CLA-2025-0001", "CLA-2025-0002"]
    );
    let all = export("all", false);
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["compact_scope"], "IDP_ONLY");
    assert_eq!(all[2]["out_of_un_scope"], true);
    assert_eq!(
        all[0]["register_scope"], "GCM",
        "approval wrote the confirmed scope to the register"
    );
    assert_eq!(all[0]["beneficiaries_reached"], 5000, "a number, not text");

    // A second cycle: one row per pledge by default, its latest update; the history on request.
    let second = |_: &update_request::Model| {
        let mut a = answers("Second cycle");
        a.0.insert("reporting_cycle".into(), Value::One("2027_grf".into()));
        a
    };
    approve_round(&app, "Round 2027", &second).await;
    let latest = export("all", false);
    assert_eq!(latest.len(), 3);
    assert!(latest.iter().all(|i| i["cycle"] == "2027_grf"), "{latest:?}");
    let history = export("all", true);
    assert_eq!(history.len(), 6);
    assert_eq!(history.iter().filter(|i| i["cycle"] == "2026_imrf").count(), 3);
    // The second round starts from the last approved update: its confirmed scopes carry on.
    assert_eq!(refs(&export("gcr", false)), vec!["CLA-2025-0002"]);
}

/// An export that fails part-way ends as an aborted download, never as a short file that
/// looks whole.
#[tokio::test]
async fn an_export_that_fails_part_way_is_aborted_not_truncated() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = spawn_app().await;
    publish_all(&app).await;
    let (viewer, _) = app.sign_in("viewer").await;
    let whole = app
        .client
        .get(format!("{}/review/exports/updates.csv", app.address))
        .header("cookie", &viewer)
        .send()
        .await
        .unwrap();
    assert!(whole.text().await.is_ok(), "the intact export downloads");
    // A stored revision the export cannot read.
    let broken = pledgeflow::entities::revision::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: pledgeflow::entities::revision::ActiveModel = broken.into();
    row.answers = Set("not json".into());
    row.update(&app.db).await.unwrap();
    let response = app
        .client
        .get(format!("{}/review/exports/updates.csv", app.address))
        .header("cookie", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "the header was already sent");
    assert!(
        response.text().await.is_err(),
        "the body ends in an error, not a clean end"
    );
}

/// Excel reads a CSV as UTF-8 only after a byte-order mark: the "for Excel" link and
/// `export --bom` add one; the plain CSV does not.
#[tokio::test]
async fn a_csv_for_excel_starts_with_a_byte_order_mark() {
    let app = spawn_app().await;
    publish_all(&app).await;
    let (viewer, _) = app.sign_in("viewer").await;
    let download = |query: &'static str| {
        let app = &app;
        let viewer = viewer.clone();
        async move {
            app.client
                .get(format!("{}/review/exports/updates.csv{query}", app.address))
                .header("cookie", &viewer)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
        }
    };
    let for_excel = download("?target=all&bom=true").await;
    let plain = download("?target=all").await;
    assert!(
        for_excel.starts_with(b"\xEF\xBB\xBFcoalition_reference,"),
        "{:?}",
        &for_excel[..20]
    );
    assert!(plain.starts_with(b"coalition_reference,"), "{:?}", &plain[..20]);
    assert_eq!(&for_excel[3..], &plain[..], "the same file after the mark");
    let (_, campaigns) = app.get_with("/review/campaigns", &viewer).await;
    assert!(campaigns.contains("bom=true"), "the campaigns page links it");
    let out = app.cli(&["export", "--format", "csv", "--bom"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBFcoalition_reference,"));
}
