//! The SMTP transport against a real SMTP server (Python's aiosmtpd, installed by .ci/run).
use crate::helpers::RegisterRow;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pledgeflow::config::{MailSettings, MailTransport, Secret};
use pledgeflow::mail::{MailError, Mailer, OutgoingMail, new_message_id};

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// Stops the server abruptly, as an outage would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port and Maildir.
    pub fn restart(&mut self) {
        self.child = spawn_aiosmtpd(self.port, self.maildir.path());
        wait_for_port(self.port);
    }
}

fn spawn_aiosmtpd(port: u16, maildir: &std::path::Path) -> Child {
    Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.join("box"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("aiosmtpd starts")
}

fn wait_for_port(port: u16) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "aiosmtpd did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts aiosmtpd writing a Maildir; `None` when it is not installed, unless CI requires it.
pub fn start_smtp_server() -> Option<SmtpServer> {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var("PLEDGEFLOW_REQUIRE_SMTP").is_err(),
            "PLEDGEFLOW_REQUIRE_SMTP is set but aiosmtpd is not installed (python3 -m pip install aiosmtpd)"
        );
        eprintln!("skipping: aiosmtpd is not installed (python3 -m pip install aiosmtpd)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let child = spawn_aiosmtpd(port, maildir.path());
    wait_for_port(port);
    Some(SmtpServer { child, port, maildir })
}

pub fn smtp_mailer(port: u16) -> Mailer {
    Mailer::from_settings(&MailSettings {
        transport: MailTransport::Smtp,
        file_dir: String::new(),
        smtp_url: Secret::new(format!("smtp://127.0.0.1:{port}")),
        from: "Local Coalition Secretariat <pledges@example.org>".into(),
        poll_interval_ms: 1000,
        max_attempts: 8,
    })
    .unwrap()
}

pub fn delivered(server: &SmtpServer) -> Vec<String> {
    let new = server.maildir.path().join("box/new");
    std::fs::read_dir(new)
        .map(|entries| {
            entries
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn smtp_transport_delivers_to_a_real_server() {
    let Some(server) = start_smtp_server() else { return };
    let mailer = smtp_mailer(server.port);
    let mail = OutgoingMail {
        attachments: Vec::new(),
        to: "pledges.bogota@example.org".into(),
        to_name: Some("Demo officer, Bogotá".into()),
        subject: "Actualización de su compromiso".into(),
        text: "Hola".into(),
        html: Some("<p>Hola</p>".into()),
        message_id: new_message_id(),
    };
    let id = mailer.send(&mail).await.unwrap();
    let messages = delivered(&server);
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains(&format!("Message-ID: <{id}>")),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("pledges.bogota@example.org"));
}

#[tokio::test]
async fn an_smtp_server_that_is_down_is_a_transient_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer = smtp_mailer(port); // nothing listens there
    let mail = OutgoingMail {
        attachments: Vec::new(),
        to: "a@example.org".into(),
        to_name: None,
        subject: "s".into(),
        text: "t".into(),
        html: None,
        message_id: new_message_id(),
    };
    assert!(matches!(mailer.send(&mail).await, Err(MailError::Transient(_))));
}

/// A name with a line break from a spreadsheet, an address nothing can send to, and a send that
/// panics: each bad message is marked failed with its reason, every other one is delivered, and
/// no header is ever injected.
#[tokio::test]
async fn one_bad_message_never_stops_the_others() {
    use pledgeflow::entities::{contact, outbox_mail};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

    let database = crate::helpers::TestDatabase::fresh().await;
    let url = database.url.clone();
    let mailer = pledgeflow::mail::Mailer::memory_panicking_for(
        "Secretariat <pledges@example.org>",
        "boom@kampala.example.org",
    );
    // The app as served, with its own supervised mail worker: that worker must survive.
    let app = crate::helpers::spawn_running(database, &url, false, mailer).await;
    // Excel's Alt+Enter puts a line break inside a quoted cell.
    let row = |reference, organization, contact_name, contact_email| RegisterRow {
        reference,
        organization,
        contact_name,
        contact_email,
        ..Default::default()
    };
    app.seed_rows(&[
        row(
            "CLA-2025-0001",
            "Arua",
            "Ana\nRuiz\r\nBcc: everyone@example.org",
            "ana@arua.example.org",
        ),
        row("CLA-2025-0002", "Kampala", "Bo Oom", "boom@kampala.example.org"),
        row("CLA-2025-0003", "Koboko", "Kay Oboko", "kay@koboko.example.org"),
        row("CLA-2025-0004", "Gulu", "Gee Ulu", "gee@gulu.example.org"),
    ])
    .await;
    let ana = contact::Entity::find()
        .filter(contact::Column::Email.eq("ana@arua.example.org"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ana.name, "Ana Ruiz Bcc: everyone@example.org",
        "the import puts a name on one line"
    );
    // A row from before that rule, straight in the database: an address nothing can parse.
    let gee = contact::Entity::find()
        .filter(contact::Column::Email.eq("gee@gulu.example.org"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut broken: contact::ActiveModel = gee.into();
    broken.email = Set("gee at gulu".into());
    broken.name = Set("Gee\r\nX-Injected: yes".into());
    broken.update(&app.db).await.unwrap();

    app.open_campaign("Round", &[]).await;
    let sent: Vec<String> = app
        .wait_for_background_mail(2)
        .await
        .iter()
        .map(|m| m.to.clone())
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent.contains(&"ana@arua.example.org".to_string())
            && sent.contains(&"kay@koboko.example.org".to_string())
    );
    let failed = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::State.eq("failed"))
        .all(&app.db)
        .await
        .unwrap();
    let reason = |to: &str| {
        failed
            .iter()
            .find(|m| m.recipient == to)
            .and_then(|m| m.last_error.clone())
            .unwrap_or_else(|| panic!("the mail to {to} is marked failed"))
    };
    assert!(
        reason("boom@kampala.example.org").contains("could not be built: injected failure while sending")
    );
    assert!(reason("gee at gulu").contains("recipient `gee at gulu`"));
    // The worker survived the panic: a later mail still goes out.
    app.seed_rows(&[row("CLA-2025-0005", "Lira", "Lee Ra", "lee@lira.example.org")])
        .await;
    app.open_campaign("Second round", &["CLA-2025-0005"]).await;
    let later = app.wait_for_background_mail(3).await;
    assert_eq!(later.last().unwrap().to, "lee@lira.example.org");
    // Headers are one line each, whatever the stored name.
    let built = app
        .mailer
        .build(&pledgeflow::mail::OutgoingMail {
            to: "gee@gulu.example.org".into(),
            to_name: Some("Gee\r\nX-Injected: yes".into()),
            ..later[0].clone()
        })
        .unwrap();
    let head = String::from_utf8(built.formatted()).unwrap();
    assert!(!head.contains("\r\nX-Injected"), "{head}");
}
