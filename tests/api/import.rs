use pledgeflow::entities::{contact, organization, pledge, pledge_classification};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{spawn_app, temp_file, text};

const HEADER: &str = "reference,title,organization,organization_kind,country,country_code,region,timezone,locale,compact_scope,beneficiary_groups,priorities,gcm_objectives,gcr_objectives,sdgs,pledge_year,timeline_start,timeline_end,contact_name,contact_email";

/// A register of `rows` pledges over 40 towns; `bad_priority_at` puts a `9` in one row's priorities.
fn register(rows: usize, bad_priority_at: Option<usize>) -> String {
    let mut csv = String::from(HEADER);
    for i in 0..rows {
        let town = i % 40;
        let priorities = if Some(i) == bad_priority_at { "1;9" } else { "3;5" };
        csv.push_str(&format!(
            "\nCLA-2024-{:04},Inclusion programme {i},Town {town},lrg,Kenya,KE,sub_saharan_africa,Africa/Nairobi,en,MIRROR,migrants;refugees,{priorities},7;16,2,10;11,2024,2024-01-15,ongoing,Officer {town},officer{town}@town.example.org",
            i + 1
        ));
    }
    csv
}

async fn counts(app: &crate::helpers::TestApp) -> (u64, u64, u64, u64) {
    (
        organization::Entity::find().count(&app.db).await.unwrap(),
        pledge::Entity::find().count(&app.db).await.unwrap(),
        contact::Entity::find().count(&app.db).await.unwrap(),
        pledge_classification::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn one_bad_row_among_200_writes_nothing_and_is_reported_precisely() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    // Data row index 135 is spreadsheet row 137 (the header is row 1).
    let file = temp_file(&dir, "bad.csv", &register(200, Some(135)));
    let out = app.cli(&["import", "register", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("1 problem(s); nothing was written."), "{stderr}");
    assert!(
        stderr.contains("row 137, column `priorities`: `9` is not a priority number from 1 to 8"),
        "{stderr}"
    );
    assert_eq!(counts(&app).await, (0, 0, 0, 0));
}

#[tokio::test]
async fn importing_the_same_file_twice_leaves_the_same_rows() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "good.csv", &register(200, None));
    let path = file.to_str().unwrap();

    let first = app.cli(&["import", "register", path], &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("organizations 40 created, 0 updated; pledges 200 created"));
    let after_first = counts(&app).await;
    assert_eq!(
        after_first,
        (40, 200, 40, 200 * 9),
        "9 classification codes per pledge"
    );
    let first_rows = pledge::Entity::find().all(&app.db).await.unwrap();

    let second = app.cli(&["import", "register", path], &[]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let stdout = text(&second.stdout);
    assert!(stdout.contains("organizations 0 created, 0 updated; pledges 0 created, 0 updated, 200 unchanged; contacts 0 created, 0 updated"), "{stdout}");
    assert_eq!(counts(&app).await, after_first);
    assert_eq!(
        pledge::Entity::find().all(&app.db).await.unwrap(),
        first_rows,
        "not even updated_at moves"
    );
}

#[tokio::test]
async fn a_changed_row_updates_in_place() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let original = register(3, None);
    app.cli(
        &[
            "import",
            "register",
            temp_file(&dir, "a.csv", &original).to_str().unwrap(),
        ],
        &[],
    );
    let changed = original.replace("Inclusion programme 1,", "Renamed programme,").replace(
        "CLA-2024-0003,Inclusion programme 2,Town 2,lrg,Kenya,KE,sub_saharan_africa,Africa/Nairobi,en,MIRROR,migrants;refugees,3;5",
        "CLA-2024-0003,Inclusion programme 2,Town 2,lrg,Kenya,KE,sub_saharan_africa,Africa/Nairobi,en,MIRROR,migrants;refugees,3;5;8",
    );
    let out = app.cli(
        &[
            "import",
            "register",
            temp_file(&dir, "b.csv", &changed).to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        text(&out.stdout).contains("pledges 0 created, 2 updated, 1 unchanged"),
        "{}",
        text(&out.stdout)
    );
    let (_, json) = app.get_json("/api/v1/pledges/CLA-2024-0003").await;
    assert_eq!(json["priorities"], serde_json::json!(["3", "5", "8"]));
    let (_, json) = app.get_json("/api/v1/pledges/CLA-2024-0002").await;
    assert_eq!(json["title"], "Renamed programme");
}

#[tokio::test]
async fn every_problem_of_a_bad_file_is_listed() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = format!(
        "{HEADER}\n\
         CLA-2024-0001,Fine,Town A,lrg,Kenya,KE,sub_saharan_africa,Africa/Nairobi,en,GCM,migrants,1,23,,,2024,,,,\n\
         CLA-24-1,,Town B,village,Kenya,KEN,sub_saharan_africa,Mars/Olympus,xx,GCM,migrants,1,23,,,1999,,,,\n\
         CLA-2024-0001,Copy,Town A,lrg,Kenya,KE,sub_saharan_africa,Africa/Nairobi,en,GCM,migrants,1,23,,,2024,2025,2024,,"
    );
    let out = app.cli(
        &[
            "import",
            "register",
            temp_file(&dir, "x.csv", &csv).to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    for expected in [
        "row 3, column `reference`: `CLA-24-1` is not a pledge reference",
        "row 3, column `title`: is required",
        "row 3, column `organization_kind`: `village` is not an organization kind",
        "row 3, column `country_code`: `KEN` is not a two-letter",
        "row 3, column `timezone`: `Mars/Olympus` is not an IANA time zone",
        "row 3, column `locale`: `xx` is not a supported language (en, fr, es, pt)",
        "row 3, column `pledge_year`: `1999` is not a year between 2000 and 2100",
        "row 4, column `timeline_end`: 2024 is before the start 2025",
        "row 4, column `reference`: `CLA-2024-0001` is already used on row 2",
    ] {
        assert!(stderr.contains(expected), "missing `{expected}` in:\n{stderr}");
    }
    assert_eq!(counts(&app).await.1, 0);
}

#[tokio::test]
async fn files_that_are_not_register_csv_are_refused_clearly() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let out = app.cli(
        &[
            "import",
            "register",
            temp_file(&dir, "x.csv", "name,colour\nA,red\n").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("row 1: unknown column `name`"),
        "{}",
        text(&out.stderr)
    );
    // A register saved by a spreadsheet with semicolons, or as .xlsx: one clear way out.
    let semicolons = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/register.csv"))
        .unwrap()
        .lines()
        .take(3)
        .map(|l| l.replace(',', ";"))
        .collect::<Vec<_>>()
        .join("\n");
    let out = app.cli(
        &[
            "import",
            "register",
            temp_file(&dir, "excel.csv", &semicolons).to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(
        said.contains("separated by semicolons") && said.contains("CSV UTF-8 (comma delimited)"),
        "{said}"
    );
    assert_eq!(
        said.matches("row ").count(),
        1,
        "one message, not one per row: {said}"
    );
    let missing = dir.path().join("missing.csv");
    let out = app.cli(&["import", "register", missing.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn the_shipped_example_file_imports() {
    let app = spawn_app().await;
    let out = app.cli(
        &[
            "import",
            "register",
            concat!(env!("CARGO_MANIFEST_DIR"), "/demo/register.csv"),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(counts(&app).await.0..=counts(&app).await.1, 85..=124);
}

/// One organization's contact on several rows of a new file: created once, and a later row
/// that spells the name differently updates it, as importing the rows one by one would.
#[tokio::test]
async fn a_contact_on_several_rows_is_created_once_and_the_last_row_wins() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let mut csv = register(3, None)
        .replace("Town 1,", "Town 0,")
        .replace("Town 2,", "Town 0,");
    csv = csv
        .replacen("Officer 1,officer1@town", "Officer 0,officer0@town", 1)
        .replacen("Officer 2,officer2@town", "Officer Zero,officer0@town", 1);
    let file = temp_file(&dir, "one-town.csv", &csv);
    let out = app.cli(&["import", "register", file.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("organizations 1 created, 0 updated; pledges 3 created, 0 updated, 0 unchanged; contacts 1 created, 1 updated"),
        "{stdout}"
    );
    let contacts = contact::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].name, "Officer Zero");
}

/// After a bulk write (a register of 1,000 rows, a campaign for all of it) the planner's
/// statistics are refreshed at once, on both databases: the queries are planned for the tables as
/// they are, not as they were (at 100,000 requests a stale plan ran 17 s instead of 7 ms).
#[tokio::test]
async fn a_bulk_import_and_open_refresh_the_planners_statistics() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "large.csv", &register(1_000, None));
    let out = app.cli(&["import", "register", file.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let opened = app.open_campaign("Everyone", &[]).await;
    assert_eq!(opened.requests, 1_000);
    let postgres = app.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    for table in ["pledge", "contact", "update_request", "outbox_mail"] {
        let question = if postgres {
            format!("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = '{table}'")
        } else {
            format!("SELECT count(*) > 0 FROM sqlite_stat1 WHERE tbl = '{table}'")
        };
        let analyzed = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                question,
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<bool>(0)
            .unwrap();
        assert!(analyzed, "{table} was analysed after the bulk write");
    }
}
