//! One mailer, three transports: SMTP (lettre), a folder of `.eml` files (the default for
//! `cargo run`) and memory (tests). Only the jobs layer sends; handlers write to the outbox.
pub mod messages;
pub mod smtp;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};

use crate::config::{MailSettings, MailTransport};

/// A message ready to go. `message_id` is fixed before the first attempt, so a resend after
/// a crash carries the same Message-ID and the receiving side can tell it is the same mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Without angle brackets, e.g. `7f1c…@pledgeflow`.
    pub message_id: String,
    /// Files sent with the message (an interview's calendar invitation).
    pub attachments: Vec<MailAttachment>,
}

/// A file sent with a mail. Text only: the service attaches calendars, nothing binary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailAttachment {
    pub filename: String,
    /// e.g. `text/calendar; charset=utf-8; method=REQUEST`
    pub content_type: String,
    pub content: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailError {
    /// Worth retrying: connection refused, timeouts, 4xx replies.
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// Retrying will not help: bad address, 5xx reply for the recipient.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
    /// The message itself is broken (the mail library gave up building it): no retry, and the
    /// recipient's address is not to blame.
    #[error("the message could not be built: {0}")]
    Broken(String),
}

use crate::domain::text::one_line;

/// Longest one SMTP exchange may take, connecting included: a server that stops answering
/// must not hold a sending slot for ever.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Messages sent at once by the memory transport (tests; the others follow
/// `mail.parallel_sends`).
const MEMORY_PARALLEL_SENDS: usize = 8;

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        client: Arc<smtp::SmtpClient>,
        from: Mailbox,
    },
    File {
        dir: PathBuf,
        from: Mailbox,
        parallel_sends: usize,
    },
    Memory {
        sent: Arc<Mutex<Vec<OutgoingMail>>>,
        from: Mailbox,
        /// Tests only: sending to this address panics, as a bug in a mail library would.
        panics_for: Option<String>,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Mailer::File { dir, .. } => write!(f, "Mailer::File({})", dir.display()),
            Mailer::Memory { .. } => f.write_str("Mailer::Memory"),
        }
    }
}

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> Result<Mailer, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("mail.from `{}` is not a mailbox: {e}", settings.from))?;
        Ok(match settings.transport {
            MailTransport::File => Mailer::File {
                dir: PathBuf::from(&settings.file_dir),
                from,
                parallel_sends: settings.parallel_sends,
            },
            MailTransport::Smtp => {
                let url = settings.smtp_url_for_transport()?;
                let client = smtp::SmtpClient::new(&url, SMTP_TIMEOUT, settings.parallel_sends)
                    .map_err(|e| format!("mail.smtp_url {} is not usable: {e}", settings.smtp_url))?;
                Mailer::Smtp {
                    client: Arc::new(client),
                    from,
                }
            }
        })
    }

    pub fn memory(from: &str) -> Mailer {
        Mailer::Memory {
            sent: Arc::default(),
            from: from.parse().expect("a valid test sender"),
            panics_for: None,
        }
    }

    /// A memory mailer that panics when it sends to `recipient`: for testing that one broken
    /// message never stops the others.
    pub fn memory_panicking_for(from: &str, recipient: &str) -> Mailer {
        Mailer::Memory {
            sent: Arc::default(),
            from: from.parse().expect("a valid test sender"),
            panics_for: Some(recipient.to_string()),
        }
    }

    /// Messages this mailer sends at the same time: one per SMTP connection it keeps.
    pub fn parallel_sends(&self) -> usize {
        match self {
            Mailer::Smtp { client, .. } => client.max_connections(),
            Mailer::File { parallel_sends, .. } => *parallel_sends,
            Mailer::Memory { .. } => MEMORY_PARALLEL_SENDS,
        }
    }

    /// Everything a memory mailer has sent, oldest first (empty for other transports).
    pub fn sent(&self) -> Vec<OutgoingMail> {
        match self {
            Mailer::Memory { sent, .. } => sent.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            _ => Vec::new(),
        }
    }

    fn from(&self) -> &Mailbox {
        match self {
            Mailer::Smtp { from, .. } | Mailer::File { from, .. } | Mailer::Memory { from, .. } => from,
        }
    }

    /// Builds the MIME message: text, or text and HTML alternatives.
    pub fn build(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        self.build_with(mail, true)
    }

    /// `build`, with the text part in 8-bit only when `eight_bit` (an SMTP server without
    /// 8BITMIME gets quoted-printable).
    fn build_with(&self, mail: &OutgoingMail, eight_bit: bool) -> Result<Message, MailError> {
        // Headers hold one line each: a line break in a name or subject would start a header
        // of its own (and makes lettre panic), so names and subjects are put on one line here,
        // whatever the entry point let through.
        let to = Mailbox::new(
            mail.to_name.as_deref().map(one_line).filter(|n| !n.is_empty()),
            mail.to
                .parse()
                .map_err(|e| MailError::Permanent(format!("recipient `{}`: {e}", mail.to)))?,
        );
        let builder = Message::builder()
            .from(self.from().clone())
            .to(to)
            .subject(one_line(&mail.subject))
            .message_id(Some(format!("<{}>", mail.message_id)));
        let built = match (&mail.html, mail.attachments.is_empty()) {
            (Some(html), true) => builder.multipart(alternatives(&mail.text, html, eight_bit)),
            (None, true) => builder.singlepart(plain_text(&mail.text, eight_bit)),
            (html, false) => {
                let body = match html {
                    Some(html) => alternatives(&mail.text, html, eight_bit),
                    None => MultiPart::mixed().singlepart(plain_text(&mail.text, eight_bit)),
                };
                let mut mixed = MultiPart::mixed().multipart(body);
                for file in &mail.attachments {
                    let content_type = ContentType::parse(&file.content_type).map_err(|e| {
                        MailError::Permanent(format!("attachment type `{}`: {e}", file.content_type))
                    })?;
                    mixed = mixed.singlepart(
                        Attachment::new(file.filename.clone()).body(file.content.clone(), content_type),
                    );
                }
                builder.multipart(mixed)
            }
        };
        built.map_err(|e| MailError::Permanent(format!("message cannot be built: {e}")))
    }

    /// Sends one message. Returns the Message-ID it carried.
    pub async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError> {
        let message = self.build(mail)?;
        match self {
            Mailer::Smtp { client, .. } => {
                let sent = match client.send(message.envelope(), &message.formatted()).await {
                    // lettre refuses 8-bit content before the MAIL command when the server
                    // lacks 8BITMIME: nothing was sent, so the 7-bit form goes instead.
                    Err(e) if e.to_string().contains("8BITMIME") => {
                        let seven_bit = self.build_with(mail, false)?;
                        client.send(seven_bit.envelope(), &seven_bit.formatted()).await
                    }
                    other => other,
                };
                sent.map_err(|e| {
                    if e.is_permanent() {
                        MailError::Permanent(e.to_string())
                    } else {
                        MailError::Transient(e.to_string())
                    }
                })?;
            }
            Mailer::File { dir, .. } => write_eml(dir, &mail.message_id, &message.formatted())
                .await
                .map_err(|e| MailError::Transient(format!("cannot write to {}: {e}", dir.display())))?,
            Mailer::Memory { sent, panics_for, .. } => {
                if panics_for.as_deref() == Some(mail.to.as_str()) {
                    panic!("injected failure while sending to {}", mail.to);
                }
                sent.lock().unwrap_or_else(|p| p.into_inner()).push(mail.clone())
            }
        }
        Ok(mail.message_id.clone())
    }
}

/// Writes `<message-id>.eml` through a temporary file and a rename, so a crash never leaves
/// half a message and a resend of the same message replaces it.
async fn write_eml(dir: &std::path::Path, message_id: &str, bytes: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let stem: String = message_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let tmp = dir.join(format!(".{stem}.tmp"));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, dir.join(format!("{stem}.eml"))).await
}

/// A fresh Message-ID: random, under our own domain part.
pub fn new_message_id() -> String {
    format!("{}@pledgeflow", uuid::Uuid::new_v4())
}

/// The text part, sent as 8-bit when its lines allow (RFC 5322: at most 998 bytes each), so
/// a link stays on one line in the raw message and can be copied from a saved `.eml`.
/// lettre would pick quoted-printable for any line of 76 characters or more, which breaks
/// links, so the 8-bit body is built here; other text keeps lettre's choice.
fn plain_text(text: &str, eight_bit: bool) -> SinglePart {
    let unix = text.replace("\r\n", "\n").replace('\r', "");
    let fits = eight_bit && !unix.contains('\0') && unix.split('\n').all(|line| line.len() <= 998);
    let body = if fits {
        Body::dangerous_pre_encoded(
            unix.replace('\n', "\r\n").into_bytes(),
            ContentTransferEncoding::EightBit,
        )
    } else {
        Body::new(text.to_string())
    };
    SinglePart::builder().header(ContentType::TEXT_PLAIN).body(body)
}

fn alternatives(text: &str, html: &str, eight_bit: bool) -> MultiPart {
    MultiPart::alternative()
        .singlepart(plain_text(text, eight_bit))
        .singlepart(SinglePart::html(html.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            attachments: Vec::new(),
            to: "officer@arua.example.org".into(),
            to_name: Some("Jane Officer".into()),
            subject: "Pledge update".into(),
            text: "Hello".into(),
            html: Some("<p>Hello</p>".into()),
            message_id: "abc-123@pledgeflow".into(),
        }
    }

    fn file_mailer(dir: &tempfile::TempDir) -> Mailer {
        Mailer::File {
            dir: dir.path().to_path_buf(),
            from: "Secretariat <s@example.org>".parse().unwrap(),
            parallel_sends: 8,
        }
    }

    /// The one `.eml` the file transport wrote.
    fn only_eml(dir: &tempfile::TempDir) -> String {
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::read_to_string(file).unwrap()
    }

    #[tokio::test]
    async fn file_transport_writes_one_eml_per_message_id() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = file_mailer(&dir);
        mailer.send(&mail()).await.unwrap();
        mailer.send(&mail()).await.unwrap(); // a resend replaces, never duplicates
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        assert!(eml.contains("Message-ID: <abc-123@pledgeflow>"), "{eml}");
        assert!(
            eml.contains("To: \"Jane Officer\" <officer@arua.example.org>"),
            "{eml}"
        );
        assert!(eml.contains("multipart/alternative"));
    }

    #[tokio::test]
    async fn a_link_stays_on_one_line_in_the_saved_message() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = file_mailer(&dir);
        let link = format!("https://pledges.example.org/u/{}", "0123456789abcdef".repeat(4));
        let mut accented = mail();
        accented.text = format!("Bonjour Hélène,\n\nVotre lien personnel :\n{link}\n");
        mailer.send(&accented).await.unwrap();
        let eml = only_eml(&dir);
        assert!(eml.contains("Content-Transfer-Encoding: 8bit"), "{eml}");
        assert!(
            eml.contains(&format!("\r\n{link}\r\n")),
            "the link is whole on its line: {eml}"
        );
        assert!(eml.contains("Bonjour Hélène"), "{eml}");
        // A line too long for 8-bit (over 998 bytes) falls back to a safe encoding.
        let mut long = mail();
        long.message_id = "long@pledgeflow".into();
        long.text = "é".repeat(800);
        assert!(mailer.build(&long).is_ok());
    }

    #[tokio::test]
    async fn a_line_break_in_a_name_or_subject_never_becomes_a_header() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = file_mailer(&dir);
        let mut hostile = mail();
        hostile.to_name = Some("Ana\r\nBcc: everyone@example.org".into());
        hostile.subject = "Update\r\nX-Injected: yes".into();
        mailer.send(&hostile).await.unwrap();
        let eml = only_eml(&dir);
        assert!(
            !eml.contains("\r\nBcc:") && !eml.contains("\r\nX-Injected:"),
            "{eml}"
        );
        assert!(eml.contains("Subject: Update X-Injected: yes"), "{eml}");
    }

    #[tokio::test]
    async fn a_bad_recipient_is_a_permanent_failure() {
        let mailer = Mailer::memory("s@example.org");
        let mut bad = mail();
        bad.to = "not an address".into();
        assert!(matches!(mailer.send(&bad).await, Err(MailError::Permanent(_))));
        assert!(mailer.sent().is_empty());
        mailer.send(&mail()).await.unwrap();
        assert_eq!(mailer.sent(), vec![mail()]);
    }
}
