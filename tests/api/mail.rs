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
        self.child = spawn_aiosmtpd(self.port, self.maildir.path(), &[]);
        wait_for_port(self.port);
    }
}

fn spawn_aiosmtpd(port: u16, maildir: &std::path::Path, options: &[&str]) -> Child {
    Command::new("python3")
        .args(["-m", "aiosmtpd"])
        .args(options)
        .args([
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
    start_smtp_server_with(&[])
}

/// `start_smtp_server` with aiosmtpd's own options (TLS certificates).
fn start_smtp_server_with(options: &[&str]) -> Option<SmtpServer> {
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
    let child = spawn_aiosmtpd(port, maildir.path(), options);
    wait_for_port(port);
    Some(SmtpServer { child, port, maildir })
}

pub fn smtp_mailer(port: u16) -> Mailer {
    mailer_for(&format!("smtp://127.0.0.1:{port}"))
}

fn mailer_for(url: &str) -> Mailer {
    Mailer::from_settings(&MailSettings {
        transport: MailTransport::Smtp,
        file_dir: String::new(),
        smtp_url: Secret::new(url.to_string()),
        from: "Local Coalition Secretariat <pledges@example.org>".into(),
        poll_interval_ms: 1000,
        max_attempts: 8,
        parallel_sends: 8,
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

fn a_mail(to: &str) -> OutgoingMail {
    OutgoingMail {
        attachments: Vec::new(),
        to: to.into(),
        to_name: None,
        subject: "Pledge update".into(),
        text: "Hello".into(),
        html: None,
        message_id: new_message_id(),
    }
}

/// Connections stay open between messages; when the server has dropped one meanwhile (a
/// restart), the next message goes over a fresh connection, once.
#[tokio::test]
async fn a_kept_connection_the_server_dropped_is_replaced_and_the_message_goes_once() {
    let Some(mut server) = start_smtp_server() else {
        return;
    };
    let mailer = smtp_mailer(server.port);
    let first = a_mail("first@arua.example.org");
    mailer.send(&first).await.unwrap();
    server.kill();
    server.restart();
    let second = a_mail("second@arua.example.org");
    mailer.send(&second).await.unwrap();
    let messages = delivered(&server);
    for mail in [&first, &second] {
        let copies = messages
            .iter()
            .filter(|m| m.contains(&format!("Message-ID: <{}>", mail.message_id)))
            .count();
        assert_eq!(copies, 1, "{} arrived {copies} times", mail.to);
    }
    assert_eq!(messages.len(), 2);
}

/// TLS runs over the client's own socket (the one with TCP_NODELAY): STARTTLS and implicit
/// TLS are both negotiated, and a certificate nobody vouches for is refused before any mail
/// goes; asking for STARTTLS from a server without it is refused too.
#[tokio::test]
async fn tls_is_negotiated_and_an_untrusted_certificate_is_refused() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl makes a self-signed certificate");
    assert!(made.success());
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());

    // STARTTLS, then implicit TLS: the untrusted certificate is refused either way.
    for (server_args, url) in [
        (
            ["--tlscert", cert, "--tlskey", key],
            "smtp://127.0.0.1:{port}?tls=required",
        ),
        (
            ["--smtpscert", cert, "--smtpskey", key],
            "smtps://127.0.0.1:{port}",
        ),
    ] {
        let Some(server) = start_smtp_server_with(&server_args) else {
            return;
        };
        let refused = mailer_for(&url.replace("{port}", &server.port.to_string()))
            .send(&a_mail("a@example.org"))
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, MailError::Transient(why) if why.to_lowercase().contains("certificate")),
            "{url}: {refused:?}"
        );
        assert!(delivered(&server).is_empty());
    }

    let Some(plain) = start_smtp_server() else { return };
    let refused = mailer_for(&format!("smtp://127.0.0.1:{}?tls=required", plain.port))
        .send(&a_mail("a@example.org"))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, MailError::Transient(why) if why.contains("STARTTLS")),
        "{refused:?}"
    );
    assert!(delivered(&plain).is_empty());
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
