//! Operations as an operator meets them: backup, a crash, restore; CLI commands on the wrong
//! database.
use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

use crate::helpers::{TestDatabase, run_cli, text};
use crate::hostile::Serve;

fn postgres() -> bool {
    std::env::var("PLEDGEFLOW_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// Rows per table of a SQLite database file, read without changing it.
async fn row_counts(file: &std::path::Path) -> BTreeMap<String, i64> {
    let db = Database::connect(format!("sqlite:{}?mode=ro", file.display()))
        .await
        .unwrap();
    let tables: Vec<String> = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    let mut counts = BTreeMap::new();
    for table in tables {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT count(*) FROM \"{table}\""),
            ))
            .await
            .unwrap()
            .unwrap();
        counts.insert(table, row.try_get_by_index::<i64>(0).unwrap());
    }
    db.close().await.unwrap();
    counts
}

fn sqlite_file(url: &str) -> std::path::PathBuf {
    url.strip_prefix("sqlite://").unwrap().into()
}

/// The README's restore steps after a crash: `serve` is killed with -9 (its WAL stays beside
/// the database), the operator runs `restore` with the last backup, and every row of the
/// backup is back, with its attachments; `serve` starts on it.
#[tokio::test]
async fn restore_after_a_crash_brings_back_every_row_of_the_backup() {
    let db = TestDatabase::fresh().await;
    let work = tempfile::tempdir().unwrap();
    let backup = work.path().join("pledgeflow-backup.db");
    let backup_arg = backup.to_str().unwrap();
    if postgres() {
        for command in ["backup", "restore"] {
            let out = run_cli(&db.url, &[command, backup_arg], &[]);
            assert_eq!(out.status.code(), Some(2), "{command}");
            let error = text(&out.stderr);
            assert!(
                error.contains("pg_dump") || error.contains("pg_restore"),
                "{error}"
            );
        }
        assert!(!backup.exists());
        return;
    }

    let mut serve = Serve::start(&db.url, &[]).await;
    let attachments = serve.attachments_dir();
    let attachments_env = attachments.display().to_string();
    let cli = |args: &[&str]| {
        run_cli(
            &db.url,
            args,
            &[("PLEDGEFLOW__ATTACHMENTS__DIR", attachments_env.as_str())],
        )
    };
    // Work done while serving: a campaign (requests, links, invitations) and a stored file.
    let opened = cli(&[
        "campaign",
        "open",
        "--name",
        "2026 round",
        "--deadline",
        "2027-01-15",
        "--pledge",
        "CLA-2022-0010",
    ]);
    assert!(opened.status.success(), "{}", text(&opened.stderr));
    std::fs::create_dir_all(&attachments).unwrap();
    let key = "0123456789abcdef0123456789abcdef";
    std::fs::write(attachments.join(key), b"%PDF-1.7 annual report").unwrap();

    let made = cli(&["backup", backup_arg]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert!(
        text(&made.stdout).contains("1 attachment(s)"),
        "{}",
        text(&made.stdout)
    );
    let in_backup = row_counts(&backup).await;
    assert!(
        in_backup["update_request"] >= 1 && in_backup["pledge"] >= 100,
        "{in_backup:?}"
    );

    // More work after the backup, then a restore attempt while serve still runs.
    let later = cli(&[
        "campaign",
        "open",
        "--name",
        "Later",
        "--deadline",
        "2027-02-15",
        "--pledge",
        "CLA-2022-0044",
    ]);
    assert!(later.status.success(), "{}", text(&later.stderr));
    let refused = cli(&["restore", backup_arg]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("`pledgeflow serve` is running"),
        "{}",
        text(&refused.stderr)
    );

    // The crash: the WAL with the later work stays beside the database file.
    serve.process.kill().unwrap();
    serve.process.wait().unwrap();
    let database = sqlite_file(&db.url);
    let wal = database.with_file_name("pledgeflow.db-wal");
    assert!(
        wal.metadata().is_ok_and(|m| m.len() > 0),
        "a crash leaves the WAL"
    );
    std::fs::remove_file(attachments.join(key)).unwrap();

    let restored = cli(&["restore", backup_arg]);
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let said = text(&restored.stdout);
    assert!(
        said.contains("integrity check ok") && said.contains("1 attachment(s) brought back"),
        "{said}"
    );
    assert!(
        !wal.exists(),
        "the stale WAL is moved aside, never replayed into the restored file"
    );
    assert_eq!(
        row_counts(&database).await,
        in_backup,
        "every row of the backup, nothing else"
    );
    let kept = std::fs::read_dir(database.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".before-restore-"))
        .count();
    assert_eq!(kept, 2, "the database as it was is kept aside, data file and WAL");
    assert_eq!(
        std::fs::read(attachments.join(key)).unwrap(),
        b"%PDF-1.7 annual report"
    );

    // The service starts on the restored database and sees the backup's campaign only.
    drop(serve);
    let serve = Serve::start(&db.url, &[]).await;
    let ready = serve
        .browser
        .client
        .get(format!("{}/readyz", serve.browser.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_whole_backup_and_changes_nothing() {
    if postgres() {
        return; // the PostgreSQL refusal is in the test above
    }
    let db = TestDatabase::fresh().await;
    let migrated = run_cli(&db.url, &["migrate"], &[]);
    assert!(migrated.status.success());
    let before = row_counts(&sqlite_file(&db.url)).await;
    let work = tempfile::tempdir().unwrap();
    let cases = [
        ("missing.db", None, "no such file"),
        (
            "notes.db",
            Some(b"pledge register notes".to_vec()),
            "not a SQLite database",
        ),
    ];
    for (name, contents, expected) in cases {
        let file = work.path().join(name);
        if let Some(bytes) = contents {
            std::fs::write(&file, bytes).unwrap();
        }
        let out = run_cli(&db.url, &["restore", file.to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let error = text(&out.stderr);
        assert!(
            error.contains(expected) && error.contains("nothing was changed"),
            "{name}: {error}"
        );
    }
    // A SQLite file of something else.
    let other = work.path().join("other.db");
    let other_db = Database::connect(format!("sqlite:{}?mode=rwc", other.display()))
        .await
        .unwrap();
    other_db
        .execute_unprepared("CREATE TABLE t (x INTEGER)")
        .await
        .unwrap();
    other_db.close().await.unwrap();
    let out = run_cli(&db.url, &["restore", other.to_str().unwrap()], &[]);
    assert!(
        text(&out.stderr).contains("not a pledgeflow database"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(row_counts(&sqlite_file(&db.url)).await, before);
}

/// A mistyped database path or a forgotten `--config` must not start an empty database.
#[tokio::test]
async fn commands_other_than_serve_and_migrate_never_create_a_database_and_name_theirs() {
    if postgres() {
        // PostgreSQL never creates a database on connect; the name is still said.
        let db = TestDatabase::fresh().await;
        let out = run_cli(&db.url, &["staff", "list"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("database: postgres://"),
            "{}",
            text(&out.stderr)
        );
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let missing = work.path().join("typo").join("pledgefow.db");
    let url = format!("sqlite://{}", missing.display());
    for args in [
        &["staff", "list"][..],
        &["export", "--format", "csv"],
        &["reminders", "run"],
        &["backup", work.path().join("b.db").to_str().unwrap()],
    ] {
        let out = run_cli(&url, args, &[]);
        assert!(!out.status.success(), "{args:?}");
        let error = text(&out.stderr);
        assert!(
            error.contains(&format!("there is no database at {}", missing.display())),
            "{args:?}: {error}"
        );
        assert!(
            !missing.exists() && !missing.parent().unwrap().exists(),
            "{args:?}"
        );
    }
    let migrated = run_cli(&url, &["migrate"], &[]);
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    let listed = run_cli(&url, &["staff", "list"], &[]);
    assert!(listed.status.success());
    assert!(
        text(&listed.stderr).contains(&format!("database: {url}")),
        "{}",
        text(&listed.stderr)
    );
}

/// The container healthcheck: `pledgeflow healthcheck` asks the local serve, bound to every
/// interface as in the image, and fails plainly when nothing answers. No shell involved.
#[tokio::test]
async fn healthcheck_says_ready_while_serve_answers_and_fails_when_it_is_gone() {
    let db = TestDatabase::fresh().await;
    let mut serve = Serve::start(&db.url, &[("PLEDGEFLOW__DEMO__LOAD", "false")]).await;
    let bind = format!("0.0.0.0:{}", serve.port());
    let check = || {
        run_cli(
            &db.url,
            &["healthcheck"],
            &[("PLEDGEFLOW__SERVER__BIND", bind.as_str())],
        )
    };
    let ready = check();
    assert!(ready.status.success(), "{}", text(&ready.stderr));
    assert!(text(&ready.stdout).starts_with("ready (127.0.0.1:"));
    serve.process.kill().unwrap();
    serve.process.wait().unwrap();
    let gone = check();
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        text(&gone.stderr).contains("not ready: cannot reach 127.0.0.1:"),
        "{}",
        text(&gone.stderr)
    );
}

/// The deployment files as shipped: the example production config loads, names the compose
/// services, keeps attachments in the image's data volume; compose pins its images, keeps the
/// app's data in a volume, starts without the demo and checks health without a shell.
#[test]
fn the_shipped_deployment_files_fit_together() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap();
    let production = read("config/production.example.toml");
    let settings =
        pledgeflow::config::Settings::from_layers(Some(("production.example.toml", &production)), &[])
            .expect("the example production config loads");
    assert!(settings.database.url.expose().contains("@postgres:5432/"));
    assert!(settings.mail.smtp_url.expose().starts_with("smtp://mailpit:"));
    assert!(!settings.demo.load);
    assert!(settings.attachments.dir.starts_with("/var/lib/pledgeflow/data/"));

    let compose = read("docker-compose.yml");
    for service in ["postgres:", "mailpit:"] {
        assert!(compose.contains(&format!("\n  {service}")), "{service}");
    }
    let images: Vec<&str> = compose
        .lines()
        .filter_map(|l| l.trim().strip_prefix("image: "))
        .collect();
    assert_eq!(images.len(), 2);
    for image in images {
        let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("latest");
        assert!(
            tag != "latest" && tag.contains('.'),
            "{image} is not pinned to a version"
        );
    }
    assert!(compose.contains("- appdata:/var/lib/pledgeflow/data"));
    assert!(compose.contains("PLEDGEFLOW__DEMO__LOAD: \"${PLEDGEFLOW_DEMO:-false}\""));
    assert!(compose.contains(
        r#"test: ["CMD", "pledgeflow", "--config", "/etc/pledgeflow/production.toml", "healthcheck"]"#
    ));
    assert!(!compose.contains("/dev/tcp"), "dash has no /dev/tcp");

    let dockerfile = read("Dockerfile");
    let dependencies = dockerfile
        .find("COPY Cargo.toml Cargo.lock ./")
        .expect("manifests first");
    let sources = dockerfile.find("COPY . .").unwrap();
    let first_build = dockerfile.find("cargo build").unwrap();
    assert!(
        dependencies < first_build && first_build < sources,
        "dependencies build in their own layer"
    );
    assert!(dockerfile.contains("VOLUME /var/lib/pledgeflow/data"));
}
