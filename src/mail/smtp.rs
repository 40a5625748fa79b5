//! The SMTP client: lettre's protocol code over a TCP socket of our own, with TCP_NODELAY set,
//! and a small pool of open connections.
//!
//! Why not lettre's `AsyncSmtpTransport`: it opens its sockets itself and never sets
//! TCP_NODELAY. lettre writes a message body and the final `\r\n.\r\n` separately, so with
//! Nagle's algorithm on, the terminator waits for the server's delayed ACK: 44 ms per message
//! on loopback, which capped delivery at ~130 mails/s (issue 14). lettre's
//! `connect_with_transport` takes a stream we open, and everything above the socket (EHLO,
//! STARTTLS, AUTH, the envelope, dot-stuffing, replies) stays lettre's.
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
// lettre marks `AsyncNetworkStream` as not meant to be public; it is the one way to run its
// TLS upgrade over a socket we opened (implicit TLS, `smtps://`).
use lettre::address::Envelope;
#[allow(deprecated)]
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt};

/// How the connection is protected, as the `smtp_url` says (the same rules as lettre's
/// `from_url`: `smtps://` is TLS from the first byte, `?tls=required|opportunistic` is STARTTLS).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Security {
    None,
    StartTlsOpportunistic,
    StartTlsRequired,
    Implicit,
}

/// Where and how to connect, read once from `mail.smtp_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Server {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, String)>,
    hello_name: Option<String>,
}

impl Server {
    fn from_url(url: &str) -> Result<Server, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        let host = parsed
            .host_str()
            .ok_or("the URL names no host")?
            .trim_matches(|c| c == '[' || c == ']')
            .to_string();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None | Some("none")) => (Security::None, 25),
            ("smtp", Some("required")) => (Security::StartTlsRequired, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTlsOpportunistic, 587),
            ("smtps", _) => (Security::Implicit, 465),
            (scheme, tls) => {
                return Err(format!(
                    "unknown scheme `{scheme}` or tls={}: use smtp://, smtp://…?tls=required or smtps://",
                    tls.unwrap_or_default()
                ));
            }
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| format!("the user or password is not UTF-8: {e}"))
        };
        let credentials = match parsed.password() {
            Some(password) => Some((decode(parsed.username())?, decode(password)?)),
            None => None,
        };
        let path = parsed.path().trim_matches('/');
        Ok(Server {
            host,
            port: parsed.port().unwrap_or(default_port),
            security,
            credentials,
            hello_name: (!path.is_empty()).then(|| path.to_string()),
        })
    }

    fn client_id(&self) -> ClientId {
        match &self.hello_name {
            Some(name) => ClientId::Domain(name.clone()),
            None => ClientId::default(),
        }
    }

    fn tls(&self) -> Result<TlsParameters, SendError> {
        TlsParameters::new(self.host.clone()).map_err(SendError::Smtp)
    }

    /// Opens a connection: TCP with TCP_NODELAY, TLS if asked, EHLO, STARTTLS, AUTH.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let address = format!("{}:{}", self.host, self.port);
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| SendError::Connect(format!("cannot connect to {address}: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::Connect(format!("cannot set TCP_NODELAY on {address}: {e}")))?;
        let hello = self.client_id();
        let stream: Box<dyn AsyncTokioStream> = if self.security == Security::Implicit {
            // lettre's own TLS upgrade, over our socket.
            #[allow(deprecated)]
            let mut tls = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
            tls.upgrade_tls(self.tls()?).await.map_err(SendError::Smtp)?;
            Box::new(Encrypted(tls.compat()))
        } else {
            Box::new(tcp)
        };
        let mut connection = AsyncSmtpConnection::connect_with_transport(stream, &hello)
            .await
            .map_err(SendError::Smtp)?;
        let starttls = match self.security {
            Security::StartTlsRequired => true,
            Security::StartTlsOpportunistic => connection.can_starttls(),
            Security::None | Security::Implicit => false,
        };
        if starttls {
            connection
                .starttls(self.tls()?, &hello)
                .await
                .map_err(SendError::Smtp)?;
        }
        if let Some((user, password)) = &self.credentials {
            let credentials = Credentials::new(user.clone(), password.clone());
            connection
                .auth(DEFAULT_MECHANISMS, &credentials)
                .await
                .map_err(SendError::Smtp)?;
        }
        Ok(connection)
    }
}

/// Why a message did not go.
#[derive(Debug)]
pub enum SendError {
    /// The server (or lettre's protocol code) refused: the reply says whether it is for good.
    Smtp(lettre::transport::smtp::Error),
    /// No connection: worth retrying later.
    Connect(String),
    /// The whole exchange took longer than the timeout.
    TimedOut(Duration),
}

impl SendError {
    /// A refusal that retrying will not change (a 5xx reply).
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Smtp(e) if e.is_permanent())
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Smtp(e) => write!(f, "{e}"),
            SendError::Connect(why) => f.write_str(why),
            SendError::TimedOut(limit) => {
                write!(f, "the SMTP exchange took longer than {} s", limit.as_secs())
            }
        }
    }
}

struct Idle {
    connection: AsyncSmtpConnection,
    since: Instant,
}

/// An idle connection older than this is checked with NOOP before use (servers close idle
/// sessions after a while; RFC 5321 asks them to wait at least 5 minutes).
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(2);
/// An idle connection older than this is closed rather than reused.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// Sends messages over pooled connections to one SMTP server.
pub struct SmtpClient {
    server: Server,
    timeout: Duration,
    idle: Mutex<Vec<Idle>>,
    max_idle_connections: usize,
}

impl std::fmt::Debug for SmtpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpClient({}:{})", self.server.host, self.server.port)
    }
}

impl SmtpClient {
    /// `url` as `mail.smtp_url` gives it; `timeout` bounds each whole exchange (connect to the
    /// server's last reply); up to `max_idle_connections` stay open between messages.
    pub fn new(url: &str, timeout: Duration, max_idle_connections: usize) -> Result<SmtpClient, String> {
        Ok(SmtpClient {
            server: Server::from_url(url)?,
            timeout,
            idle: Mutex::new(Vec::new()),
            max_idle_connections: max_idle_connections.max(1),
        })
    }

    /// How many connections this client keeps open, and so how many messages to send at once.
    pub fn max_connections(&self) -> usize {
        self.max_idle_connections
    }

    /// Sends one message. A pooled connection that turns out closed is replaced by a fresh
    /// one once; should the server have taken the whole message before the link dropped, the
    /// resend carries the same Message-ID (the outbox's at-least-once rule).
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SendError> {
        tokio::time::timeout(self.timeout, self.send_within(envelope, message))
            .await
            .unwrap_or(Err(SendError::TimedOut(self.timeout)))
    }

    async fn send_within(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SendError> {
        if let Some(mut connection) = self.reuse().await {
            match connection.send(envelope, message).await {
                Ok(_) => {
                    self.keep(connection);
                    return Ok(());
                }
                // A reply from the server is its answer to this message, not a stale link.
                Err(e) if e.is_permanent() || e.is_transient() => return Err(SendError::Smtp(e)),
                Err(e) => tracing::debug!(error = %e, "a pooled SMTP connection failed; opening a fresh one"),
            }
        }
        let mut connection = self.server.connect().await?;
        connection
            .send(envelope, message)
            .await
            .map_err(SendError::Smtp)?;
        self.keep(connection);
        Ok(())
    }

    /// An open connection from the pool, checked if it waited long.
    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
            let waited = idle.since.elapsed();
            if waited > MAX_IDLE {
                continue; // dropped: the socket closes
            }
            let mut connection = idle.connection;
            if waited <= CHECK_AFTER_IDLE || connection.test_connected().await {
                return Some(connection);
            }
        }
    }

    fn keep(&self, connection: AsyncSmtpConnection) {
        if connection.has_broken() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle_connections {
            idle.push(Idle {
                connection,
                since: Instant::now(),
            });
        }
    }
}

/// lettre's TLS stream (futures I/O) seen as a tokio stream, for `connect_with_transport`.
#[allow(deprecated)]
struct Encrypted(Compat<AsyncNetworkStream>);

impl std::fmt::Debug for Encrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Encrypted")
    }
}

impl AsyncRead for Encrypted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Encrypted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Encrypted {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_says_where_and_how_to_connect() {
        let plain = Server::from_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, &plain.security),
            ("127.0.0.1", 2525, &Security::None)
        );
        assert_eq!(plain.credentials, None);
        let submission = Server::from_url("smtp://mailer:s%40cret@smtp.example.org?tls=required").unwrap();
        assert_eq!(submission.port, 587);
        assert_eq!(submission.security, Security::StartTlsRequired);
        assert_eq!(submission.credentials, Some(("mailer".into(), "s@cret".into())));
        let wrapped = Server::from_url("smtps://smtp.example.org/pledges.example.org").unwrap();
        assert_eq!((wrapped.port, &wrapped.security), (465, &Security::Implicit));
        assert_eq!(wrapped.hello_name.as_deref(), Some("pledges.example.org"));
        assert_eq!(
            Server::from_url("smtp://relay.internal:25?tls=none")
                .unwrap()
                .security,
            Security::None
        );
        let unknown = Server::from_url("imap://mail.example.org").unwrap_err();
        assert!(unknown.contains("unknown scheme `imap`"), "{unknown}");
    }
}
