//! `cargo bench --bench delivery`: delivery rate of the mail worker to a local SMTP server
//! (aiosmtpd, which `python3 -m pip install aiosmtpd` provides), from a SQLite outbox.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pledgeflow::clock::Clock;
use pledgeflow::config::{MailTransport, Secret, Settings};
use pledgeflow::jobs::worker::deliver_due;
use pledgeflow::mail::{Mailer, messages::Rendered};
use pledgeflow::store::{self, outbox};

#[tokio::main]
async fn main() {
    const MAILS: usize = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut smtp = Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Sink",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("aiosmtpd (python3 -m pip install aiosmtpd)");
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut settings = Settings::from_layers(None, &[]).unwrap();
    settings.database.url = Secret::new(format!("sqlite://{}/bench.db", dir.path().display()));
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_url = Secret::new(format!("smtp://127.0.0.1:{port}"));
    let db = store::connect(&settings.database).await.unwrap();
    store::migrate(&db).await.unwrap();
    let now = chrono::Utc::now();
    for i in 0..MAILS {
        let rendered = Rendered {
            subject: format!("Reminder {i}"),
            text: "A reminder. ".repeat(40),
            html: "<p>A reminder.</p>".repeat(40),
        };
        let mail = outbox::NewMail {
            attachments: Vec::new(),
            dedup_key: format!("bench:{i}"),
            kind: pledgeflow::domain::delivery::MailKind::Reminder,
            update_request_id: None,
            contact_id: None,
            recipient: "officer@example.org",
            recipient_name: Some("Officer"),
            locale: "en",
            rendered,
            not_before: now,
        };
        outbox::enqueue(&db, mail, now).await.unwrap();
    }
    let mailer = Mailer::from_settings(&settings.mail).unwrap();
    let started = Instant::now();
    let report = deliver_due(&db, &mailer, &Clock::fixed(now), "bench", 8)
        .await
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let _ = smtp.kill();
    let _ = smtp.wait();
    println!(
        "delivery to a local SMTP server: {} mails in {:.2} s = {:.0} mails/s, goal ≥ 500 (one worker, {} messages at a time over kept SMTP connections, SQLite outbox)",
        report.sent,
        seconds,
        report.sent as f64 / seconds,
        mailer.parallel_sends()
    );
}
