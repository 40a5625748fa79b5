//! Delivery you can trust: an SMTP outage, a killed worker, two workers on one database.
use std::collections::HashSet;
use std::time::Duration;

use pledgeflow::clock::Clock;
use pledgeflow::domain::delivery::MailKind;
use pledgeflow::entities::outbox_mail::{self, StoredMailState};
use pledgeflow::jobs::worker::deliver_due;
use pledgeflow::mail::{Mailer, messages::Rendered};
use pledgeflow::store::outbox::{self, NewMail};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{RegisterRow, TestApp, spawn_app, text};
use crate::mail::{delivered, smtp_mailer, start_smtp_server};

/// Queues `n` mails due at `at`.
async fn queue(app: &TestApp, n: usize, at: chrono::DateTime<chrono::Utc>) {
    for i in 0..n {
        let rendered = Rendered {
            subject: format!("Mail {i}"),
            text: format!("Body {i}"),
            html: format!("<p>Body {i}</p>"),
        };
        let mail = NewMail {
            attachments: Vec::new(),
            dedup_key: format!("test:{i}"),
            kind: MailKind::Confirmation,
            update_request_id: None,
            contact_id: None,
            recipient: "officer@example.org",
            recipient_name: None,
            locale: "en",
            rendered,
            not_before: at,
        };
        outbox::enqueue(&app.db, mail, at).await.unwrap();
    }
}

fn message_ids(mails: &[String]) -> Vec<String> {
    mails
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:")).map(String::from))
        .collect()
}

/// A time far from the running app's own worker (which uses the real clock), so only the
/// passes this test runs deliver these mails.
fn far_future() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2098-06-01T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

#[tokio::test]
async fn an_smtp_outage_loses_nothing_and_sends_nothing_twice() {
    let Some(mut server) = start_smtp_server() else {
        return;
    };
    let app = spawn_app().await;
    let at = far_future();
    queue(&app, 40, at).await;
    let mailer = smtp_mailer(server.port);
    let clock = Clock::fixed(at);
    // Stop the server while the pass is sending.
    let watcher = {
        let box_dir = server.maildir.path().join("box/new");
        tokio::spawn(async move {
            for _ in 0..400 {
                if std::fs::read_dir(&box_dir).map(|d| d.count()).unwrap_or(0) >= 10 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let pass = {
        let (db, mailer, clock) = (app.db.clone(), mailer.clone(), clock.clone());
        tokio::spawn(async move { deliver_due(&db, &mailer, &clock, "worker-a", 8).await.unwrap() })
    };
    watcher.await.unwrap();
    server.kill();
    let first = pass.await.unwrap();
    assert!(
        first.sent < 40 && first.retried > 0,
        "the outage interrupted the pass: {first:?}"
    );
    assert_eq!(first.failed, 0, "connection failures are transient");
    // Back up; later (after the backoff) everything left goes, once.
    server.restart();
    clock.set(at + chrono::Duration::hours(2));
    let second = deliver_due(&app.db, &mailer, &clock, "worker-a", 8)
        .await
        .unwrap();
    assert_eq!(first.sent + second.sent, 40, "{first:?} {second:?}");
    let pending = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::State.ne("sent"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(pending, 0);
    let ids = message_ids(&delivered(&server));
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 40, "every mail arrived");
    // A message the server stored just before it died, but never acknowledged, is sent again
    // with the same Message-ID; only the (up to 8) messages in flight at that instant can be.
    assert!(ids.len() <= 40 + 8, "{} deliveries for 40 mails", ids.len());
}

#[tokio::test]
async fn two_workers_on_one_database_never_send_a_mail_twice() {
    let app = spawn_app().await;
    let at = far_future();
    queue(&app, 2_000, at).await;
    let clock = Clock::fixed(at);
    let (a, b) = (Mailer::memory("s@example.org"), Mailer::memory("s@example.org"));
    let (ra, rb) = tokio::join!(
        deliver_due(&app.db, &a, &clock, "worker-a", 8),
        deliver_due(&app.db, &b, &clock, "worker-b", 8)
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.sent + rb.sent, 2_000, "{ra:?} {rb:?}");
    // Counted as sends, not as a set of ids: a duplicate within one worker would show too.
    assert_eq!(a.sent().len() + b.sent().len(), 2_000, "each mail sent once");
    let ids_a: HashSet<String> = a.sent().into_iter().map(|m| m.message_id).collect();
    let ids_b: HashSet<String> = b.sent().into_iter().map(|m| m.message_id).collect();
    assert!(ids_a.is_disjoint(&ids_b), "a mail was sent by both workers");
    // And on the outbox rows: every one sent, each by one worker, with one Message-ID.
    let rows = pledgeflow::entities::outbox_mail::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2_000);
    for row in &rows {
        assert_eq!(row.state, StoredMailState::Sent, "mail {}", row.id);
        let id = row.message_id.clone();
        assert!(
            ids_a.contains(&id) != ids_b.contains(&id),
            "mail {} sent by exactly one worker",
            row.id
        );
    }
}

#[tokio::test]
async fn a_killed_worker_process_loses_nothing() {
    let Some(server) = start_smtp_server() else { return };
    let app = spawn_app().await;
    let at = far_future();
    queue(&app, 150, at).await;
    let smtp = format!("smtp://127.0.0.1:{}", server.port);
    let envs = [
        ("PLEDGEFLOW__MAIL__TRANSPORT", "smtp"),
        ("PLEDGEFLOW__MAIL__SMTP_URL", smtp.as_str()),
    ];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pledgeflow"))
        .args(["reminders", "run", "--now", &at.to_rfc3339()])
        .env("PLEDGEFLOW__DATABASE__URL", &app.database.url)
        .env("PLEDGEFLOW__DEMO__LOAD", "false")
        .envs(envs)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let box_dir = server.maildir.path().join("box/new");
    for _ in 0..2_000 {
        if std::fs::read_dir(&box_dir).map(|d| d.count()).unwrap_or(0) >= 20 {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let before = delivered(&server).len();
    assert!(before < 150, "killed mid-pass ({before} delivered)");
    // Once its leases expire (2 minutes), another pass picks up the rest.
    let later = (at + chrono::Duration::minutes(5)).to_rfc3339();
    let out = app.cli(&["reminders", "run", "--now", &later], &envs);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ids = message_ids(&delivered(&server));
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 150, "every mail arrived");
    // Mails in flight at the kill (at most 8 at a time) may arrive twice, with the same Message-ID.
    assert!(ids.len() <= 150 + 8, "{} deliveries for 150 mails", ids.len());
}

#[tokio::test]
async fn a_refused_address_bounces_the_contact_and_the_failure_is_visible_and_retryable() {
    let app = spawn_app().await;
    app.seed_rows(&[RegisterRow {
        reference: "CLA-2026-0001",
        compact_scope: "GCR",
        beneficiary_groups: "refugees",
        gcr_objectives: "1",
        pledge_year: "2026",
        ..Default::default()
    }])
    .await;
    let contact = pledgeflow::entities::contact::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let at = far_future();
    let mail = NewMail {
        attachments: Vec::new(),
        dedup_key: "bounce-test".into(),
        kind: MailKind::Reminder,
        update_request_id: None,
        contact_id: Some(contact.id),
        recipient: "not an address",
        recipient_name: None,
        locale: "en",
        rendered: Rendered {
            subject: "S".into(),
            text: "T".into(),
            html: "H".into(),
        },
        not_before: at,
    };
    outbox::enqueue(&app.db, mail, at).await.unwrap();
    let report = deliver_due(&app.db, &app.mailer, &Clock::fixed(at), "worker-a", 8)
        .await
        .unwrap();
    assert_eq!(report.failed, 1);
    let bounced = pledgeflow::entities::contact::Entity::find_by_id(contact.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        bounced.bounced_at.is_some(),
        "a permanent failure marks the contact bounced"
    );

    let (_, metrics) = app.get_text("/metrics").await;
    assert!(metrics.contains("outbox_mails{state=\"failed\"} 1"), "{metrics}");
    let (admin, csrf) = app.sign_in("admin").await;
    let (status, page) = app.get_with("/review/outbox", &admin).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("not an address") && page.contains("permanent mail failure") && page.contains("Retry"),
        "{page}"
    );
    let failed = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::State.eq("failed"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let (viewer, viewer_csrf) = app.sign_in("viewer").await;
    let response = app
        .post_form(
            &format!("/review/outbox/{}/retry", failed.id),
            &viewer,
            &[("_csrf", &viewer_csrf)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403, "only an admin retries");
    let response = app
        .post_form(
            &format!("/review/outbox/{}/retry", failed.id),
            &admin,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let again = outbox_mail::Entity::find_by_id(failed.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.state, StoredMailState::Pending);
}

/// An invitation that fails for good keeps no working link in the database (like a sent one);
/// its retry revokes the lost link and sends a fresh one that opens the form.
#[tokio::test]
async fn a_failed_invitation_keeps_no_live_link_and_its_retry_sends_a_fresh_one() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = spawn_app().await;
    app.seed_register(crate::officer::REGISTER).await;
    app.open_campaign("Retry round", &["CLA-2025-0003"]).await;
    let queued = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::State.eq("pending"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("an invitation waits");
    let token_in = |body: &str| {
        body.split("/u/")
            .nth(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_hexdigit())
                    .collect::<String>()
            })
            .filter(|t| t.len() == 64)
    };
    let lost = token_in(&queued.text_body).expect("the queued mail carries a link");
    let address = queued.recipient.clone();
    // The address is refused by the mail server for good.
    let mut bad: outbox_mail::ActiveModel = queued.into();
    bad.recipient = Set("not an address".into());
    let bad = bad.update(&app.db).await.unwrap();
    assert_eq!(app.run_mail().await.failed, 1);
    let failed = outbox_mail::Entity::find_by_id(bad.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.state, StoredMailState::Failed);
    assert!(token_in(&failed.text_body).is_none(), "{}", failed.text_body);
    assert!(failed.text_body.contains("/u/[removed-after-sending]"));
    assert!(!failed.html_body.clone().unwrap_or_default().contains(&lost));
    let (admin, csrf) = app.sign_in("admin").await;
    let (_, outbox_page) = app.get_with("/review/outbox", &admin).await;
    assert!(!outbox_page.contains(&lost));

    // The secretariat corrects the address and retries: a fresh link goes out, the lost one
    // no longer opens anything.
    let mut fixed: outbox_mail::ActiveModel = failed.into();
    fixed.recipient = Set(address);
    fixed.update(&app.db).await.unwrap();
    let response = app
        .post_form(
            &format!("/review/outbox/{}/retry", bad.id),
            &admin,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let before = app.mailer.sent().len();
    app.run_mail().await;
    let sent = app.mailer.sent();
    assert_eq!(sent.len(), before + 1);
    let fresh = token_in(&sent.last().unwrap().text).expect("the retried mail carries a working link");
    assert_ne!(fresh, lost);
    assert_eq!(app.get(&format!("/u/{lost}")).await.status().as_u16(), 410);
    let (_, form) = app.open_link(&fresh).await;
    assert!(form.starts_with("/updates/"));
}
