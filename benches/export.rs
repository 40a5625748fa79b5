//! `cargo bench --bench export`: peak memory and time of exporting 10,000 approved updates
//! (CSV, JSON, XLSX) from SQLite. The data is made through the real import and campaign code;
//! each export then runs in a fresh child process, so its peak RSS (VmHWM) is the export's
//! own and not the seeding's.
use std::process::Command;
use std::time::Instant;

use pledgeflow::config::{Secret, Settings};
use pledgeflow::domain::answers::{Answers, Value};
use pledgeflow::domain::export::Target;
use pledgeflow::entities::{revision, update_request};
use pledgeflow::exports::{Format, produce};
use pledgeflow::store;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, NotSet, QueryFilter};

/// 10,000 by default; `EXPORT_BENCH_UPDATES=40000` shows that the peak does not grow with it.
fn updates() -> usize {
    std::env::var("EXPORT_BENCH_UPDATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn settings(db_path: &str) -> Settings {
    let mut settings = Settings::from_layers(None, &[]).unwrap();
    settings.database.url = Secret::new(format!("sqlite://{db_path}"));
    settings
}

/// Peak and current resident memory of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn register_csv() -> String {
    let mut csv = String::from(
        "reference,title,organization,organization_kind,country,country_code,region,timezone,locale,compact_scope,beneficiary_groups,priorities,gcm_objectives,gcr_objectives,pledge_year,timeline_start,timeline_end,contact_name,contact_email,contact_locale\n",
    );
    let scopes = ["GCM", "GCR", "MIRROR", "IDP_ONLY"];
    for i in 0..updates() {
        let org = i / 20;
        let scope = scopes[i % 4];
        let (groups, gcm, gcr) = match scope {
            "GCM" => ("migrants", "15", ""),
            "GCR" => ("refugees", "", "1"),
            "MIRROR" => ("migrants;refugees", "23", "1"),
            _ => ("idps", "", ""),
        };
        csv.push_str(&format!(
            "CLA-{}-{:04},Pledge number {i} for inclusive city services,City {org},lrg,Uganda,UG,sub_saharan_africa,Africa/Kampala,en,{scope},{groups},1,{gcm},{gcr},2025,2023,2027,Officer {org},officer{org}@city{org}.example.org,en\n",
            2020 + i / 1000,
            i % 1000
        ));
    }
    csv
}

fn answers(i: usize) -> String {
    let mut a = Answers::default();
    let one = |v: String| Value::One(v);
    a.0.insert("implementation_stage".into(), one("in_progress".into()));
    a.0.insert(
        "stage_narrative".into(),
        one(format!("Update {i}: the programme runs in three districts. ").repeat(4)),
    );
    a.0.insert(
        "results_summary".into(),
        one("A welcome centre opened and serves newcomers every day. ".repeat(6)),
    );
    a.0.insert("beneficiaries_total".into(), one(format!("{}", 1000 + i)));
    a.0.insert("funding.1.amount".into(), one("600000".into()));
    a.0.insert("funding.1.currency".into(), one("USD".into()));
    a.0.insert("funding.1.source".into(), one("donor".into()));
    a.0.insert(
        "lessons_learned".into(),
        one("Work with refugee-led organizations from day one.".into()),
    );
    a.0.insert(
        "challenges".into(),
        Value::Many(vec!["funding_gaps".into(), "data".into()]),
    );
    a.0.insert("consent_to_publish".into(), one("true".into()));
    serde_json::to_string(&a.0).unwrap()
}

async fn seed(db_path: &str) {
    let db = store::connect(&settings(db_path).database).await.unwrap();
    store::migrate(&db).await.unwrap();
    let now = chrono::Utc::now();
    let parsed = pledgeflow::domain::register::parse_register(register_csv().as_bytes()).unwrap();
    store::register::apply_register(&db, &parsed, now, store::audit::Actor::System, |_, _| {})
        .await
        .unwrap();
    let spec = store::campaign::OpenCampaign {
        move_open: false,
        name: "Benchmark round",
        deadline: chrono::NaiveDate::from_ymd_opt(2099, 1, 15).unwrap(),
        pledge_refs: &[],
        base_url: "https://pledges.example.org",
        grace_days: 30,
        staff_id: None,
        policy: pledgeflow::config::Settings::from_layers(None, &[])
            .unwrap()
            .reminders
            .policy_settings(),
        dry_run: false,
        progress: &|_, _| {},
    };
    store::campaign::open_campaign(&db, &spec, now).await.unwrap();
    let ids: Vec<i32> = update_request::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    for chunk in ids.chunks(500) {
        revision::Entity::insert_many(chunk.iter().enumerate().map(|(n, id)| revision::ActiveModel {
            id: NotSet,
            update_request_id: Set(*id),
            number: Set(1),
            draft_version: Set(1),
            answers: Set(answers(*id as usize + n)),
            findings: Set("[]".into()),
            profile_versions: Set("{}".into()),
            submitted_by_contact_id: Set(None),
            submitted_at: Set(now),
        }))
        .exec(&db)
        .await
        .unwrap();
    }
    update_request::Entity::update_many()
        .col_expr(update_request::Column::State, Expr::value("approved"))
        .col_expr(update_request::Column::SubmittedAt, Expr::value(Some(now)))
        .filter(update_request::Column::Id.gt(0))
        .exec(&db)
        .await
        .unwrap();
}

async fn export(db_path: &str, format: &str) {
    let db = store::connect(&settings(db_path).database).await.unwrap();
    let format = Format::parse(format).unwrap();
    let (start_peak, _) = memory_kib();
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let producer = tokio::spawn(async move { produce(&db, format, Target::All, false, tx).await });
    let mut bytes = 0usize;
    while let Some(chunk) = rx.recv().await {
        bytes += chunk.len();
    }
    let count = producer.await.unwrap().unwrap();
    let elapsed = started.elapsed();
    let (peak, _) = memory_kib();
    println!(
        "{:<5} {count:>6} updates {:>8.1} MB out  {:>7.0} ms  peak RSS {:>6.1} MB (at start {:>5.1} MB)",
        format.extension(),
        bytes as f64 / 1e6,
        elapsed.as_secs_f64() * 1000.0,
        peak as f64 / 1024.0,
        start_peak as f64 / 1024.0,
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, db_path, format] = args.as_slice()
        && mode == "export-child"
    {
        export(db_path, format).await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("export-bench.db").display().to_string();
    let started = Instant::now();
    seed(&db_path).await;
    println!(
        "seeded {} approved updates in {:.1} s (SQLite, {})",
        updates(),
        started.elapsed().as_secs_f64(),
        db_path
    );
    for format in ["csv", "json", "xlsx"] {
        let status = Command::new(std::env::current_exe().unwrap())
            .args(["export-child", &db_path, format])
            .status()
            .unwrap();
        assert!(status.success());
    }
}
