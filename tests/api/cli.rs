use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pledgeflow::entities::staff_user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{TestDatabase, run_cli, spawn_app, text};

#[test]
fn help_lists_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_pledgeflow"))
        .arg("--help")
        .output()
        .unwrap();
    let help = text(&out.stdout);
    for command in ["serve", "migrate", "import", "staff"] {
        assert!(help.contains(command), "{help}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_pledgeflow"))
        .args(["staff", "add", "--help"])
        .output()
        .unwrap();
    assert!(text(&out.stdout).contains("--role"));
}

#[tokio::test]
async fn an_unknown_config_key_stops_the_program_and_is_named() {
    let db = TestDatabase::fresh().await;
    let out = run_cli(&db.url, &["migrate"], &[("PLEDGEFLOW__SERVER__BND", "x")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: unknown config key `server.bnd` (from environment variable PLEDGEFLOW__SERVER__BND)"
    );
}

#[tokio::test]
async fn staff_add_stores_an_argon2id_hash_and_never_the_password() {
    let app = spawn_app().await;
    let password = "correct horse battery";
    let out = app.cli(
        &[
            "staff",
            "add",
            "Ana@Example.org",
            "--name",
            "Ana Reviewer",
            "--role",
            "reviewer",
        ],
        &[("PLEDGEFLOW_STAFF_PASSWORD", password)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "created ana@example.org (reviewer)");
    let user = staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq("ana@example.org"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        user.password_hash.starts_with("$argon2id$"),
        "{}",
        user.password_hash
    );
    assert!(!user.password_hash.contains(password));
    assert!(password_auth::verify_password(password, &user.password_hash).is_ok());

    let short = app.cli(
        &[
            "staff",
            "add",
            "bo@example.org",
            "--name",
            "Bo",
            "--role",
            "admin",
        ],
        &[("PLEDGEFLOW_STAFF_PASSWORD", "short")],
    );
    assert!(!short.status.success());
    assert!(text(&short.stderr).contains("at least 12 characters"));
    let bad_role = app.cli(
        &["staff", "add", "bo@example.org", "--name", "Bo", "--role", "boss"],
        &[],
    );
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(text(&bad_role.stderr).contains("`boss` is not a staff role (viewer, reviewer, admin)"));
}

/// `cargo run` in a test: the binary serves the demo register, then stops cleanly on SIGTERM.
#[tokio::test]
async fn serve_loads_the_demo_and_shuts_down_gracefully_on_sigterm() {
    let db = TestDatabase::fresh().await;
    let mail_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pledgeflow"))
        .env("PLEDGEFLOW__DATABASE__URL", &db.url)
        .env("PLEDGEFLOW__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("PLEDGEFLOW__MAIL__FILE_DIR", mail_dir.path())
        .env("PLEDGEFLOW__LOG__FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/pledges");
    let started = Instant::now();
    let json: serde_json::Value = loop {
        if let Ok(response) = client.get(&url).send().await {
            break response.json().await.unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "serve did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(json["total"], 124);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    let logs: Vec<String> = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    assert!(
        logs.iter().all(|l| l.starts_with('{')),
        "production log format is JSON: {logs:?}"
    );
    assert!(
        logs.iter().any(|l| l.contains("shutdown signal received")),
        "{logs:?}"
    );
    assert!(logs.iter().any(|l| l.contains("\"stopped\"")), "{logs:?}");
}

/// `campaign open` with neither --pledge nor --all refuses; --dry-run says what it would do
/// and stores nothing (no campaign, no request, no mail queued).
#[tokio::test]
async fn campaign_open_needs_all_to_invite_everyone_and_dry_run_stores_nothing() {
    use pledgeflow::entities::{campaign, outbox_mail, update_request};
    use sea_orm::PaginatorTrait;
    let app = crate::helpers::spawn_app_with_demo().await;
    let open = |extra: &[&str]| {
        let mut args = vec![
            "campaign",
            "open",
            "--name",
            "2027 round",
            "--deadline",
            "2099-01-15",
        ];
        args.extend_from_slice(extra);
        app.cli(&args, &[])
    };
    let refused = open(&[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--all"),
        "{}",
        text(&refused.stderr)
    );

    let rows = |db| async move {
        (
            campaign::Entity::find().count(db).await.unwrap(),
            update_request::Entity::find().count(db).await.unwrap(),
            outbox_mail::Entity::find().count(db).await.unwrap(),
        )
    };
    let dry = open(&["--all", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    let said = text(&dry.stdout);
    assert!(
        said.starts_with("dry run, nothing was stored: would open campaign `2027 round`"),
        "{said}"
    );
    assert_eq!(rows(&app.db).await, (0, 0, 0));

    let real = open(&["--all"]);
    assert!(real.status.success(), "{}", text(&real.stderr));
    let (campaigns, requests, mails) = rows(&app.db).await;
    assert_eq!(campaigns, 1);
    // The dry run announced exactly what the real run made.
    let figures = |s: &str| {
        let after = s.split("(deadline 2099-01-15): ").nth(1).unwrap();
        after.split(" invitations").next().unwrap().to_string()
    };
    assert_eq!(figures(&said), figures(&text(&real.stdout)));
    assert!(said.contains(&format!("{requests} update requests")), "{said}");
    assert!(
        said.contains(&format!("{mails} invitations would be queued")),
        "{said}"
    );
}
