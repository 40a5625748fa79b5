//! Builds the application: database, migrations, demo data, mailer, router; serves until
//! a shutdown signal, finishing requests in flight.
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Settings;
use crate::http::{self, AppState};
use crate::mail::Mailer;
use crate::{demo, jobs, store, telemetry};

/// Creates `dir` if needed and proves a file can be written there.
fn writable(key: &str, dir: &str) -> anyhow::Result<()> {
    // A name of its own: two services (or tests) starting at once must not remove each
    // other's probe.
    let probe = std::path::Path::new(dir).join(format!(
        ".pledgeflow-write-check-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"))
        .and_then(|()| std::fs::remove_file(&probe))
        .with_context(|| format!("{key} `{dir}` is not writable"))
}

/// How long requests in flight may take to finish once shutdown begins.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

pub struct Application {
    listener: TcpListener,
    pub state: AppState,
}

impl Application {
    /// `mailer` replaces the configured transport (tests pass a memory mailer).
    pub async fn build(
        settings: Settings,
        clock: Clock,
        mailer: Option<Mailer>,
    ) -> anyhow::Result<Application> {
        let db = store::connect(&settings.database)
            .await
            .with_context(|| format!("cannot open the database {}", settings.database.url))?;
        store::migrate(&db).await.context("database migrations failed")?;
        if settings.demo.load {
            let loaded = demo::load_if_empty(&db, clock.now())
                .await
                .context("loading the demo register failed")?;
            if let Some(summary) = loaded {
                tracing::info!(
                    pledges = summary.pledges_created,
                    organizations = summary.organizations_created,
                    "demo register loaded"
                );
            }
        }
        let mailer = match mailer {
            Some(m) => m,
            None => Mailer::from_settings(&settings.mail).map_err(anyhow::Error::msg)?,
        };
        let listener = TcpListener::bind(&settings.server.bind)
            .await
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        // Folders the service writes to are checked now, not at the first upload or mail.
        writable("attachments.dir", &settings.attachments.dir)?;
        if settings.mail.transport == crate::config::MailTransport::File {
            writable("mail.file_dir", &settings.mail.file_dir)?;
        }
        let files = crate::files::FileStore::new(&settings.attachments.dir);
        let reminder_policy = Arc::new(settings.reminders.policy().map_err(anyhow::Error::msg)?);
        let trusted_proxies = Arc::new(
            http::limits::parse_proxies(&settings.server.trusted_proxies).map_err(anyhow::Error::msg)?,
        );
        let save_limiter = Arc::new(http::limits::RateLimiter::new(
            settings.server.officer_saves_per_minute.max(1),
            chrono::Duration::minutes(1),
        ));
        let state = AppState {
            reminder_policy,
            save_limiter,
            uploads_in_flight: Arc::new(http::limits::InFlight::new(http::officer::UPLOADS_PER_SESSION)),
            dashboards: Arc::default(),
            db,
            settings: Arc::new(settings),
            clock,
            mailer,
            metrics: telemetry::metrics_handle(),
            files,
            // Two at a time: a burst of sign-ins queues instead of running argon2 forty times
            // in parallel (each check holds about 19 MB).
            password_checks: Arc::new(http::password_check::PasswordChecker::new(2)),
            trusted_proxies,
        };
        Ok(Application { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves and runs the mail worker and the scheduler until `shutdown` resolves; requests
    /// in flight and the mail being sent are finished first.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        self.run(shutdown, true).await
    }

    /// Serves only: no mail worker, no scheduler. Tests run those themselves, when the story
    /// says so (`TestApp::run_mail`, `TestApp::run_scheduler_at`).
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.run(shutdown, false).await
    }

    async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
        background: bool,
    ) -> anyhow::Result<()> {
        let settings = &self.state.settings;
        let mail_to = match settings.mail.transport {
            crate::config::MailTransport::File => format!("files in {}", settings.mail.file_dir),
            crate::config::MailTransport::Smtp => format!("SMTP {}", settings.mail.smtp_url),
        };
        tracing::info!(
            address = %self.local_addr(),
            public = %settings.server.base_url,
            database = %settings.database.url,
            mail = %mail_to,
            background,
            "serving"
        );
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mail = &self.state.settings.mail;
        let worker = background.then(|| {
            tokio::spawn(jobs::worker::supervise(
                self.state.db.clone(),
                self.state.mailer.clone(),
                self.state.clock.clone(),
                std::time::Duration::from_millis(mail.poll_interval_ms.max(50)),
                mail.max_attempts,
                stopped,
            ))
        });
        let scheduler = background.then(|| {
            tokio::spawn(jobs::scheduler::run(
                self.state.db.clone(),
                self.state.settings.clone(),
                self.state.clock.clone(),
                stop.subscribe(),
            ))
        });
        let router = http::router(self.state.clone());
        let header_timeout =
            std::time::Duration::from_secs(settings.server.header_read_timeout_seconds.max(1));
        let served = serve_http(self.listener, router, shutdown, header_timeout).await;
        let _ = stop.send(true);
        for task in [worker, scheduler].into_iter().flatten() {
            let _ = task.await;
        }
        served?;
        self.state.db.close_by_ref().await.ok();
        tracing::info!("stopped");
        Ok(())
    }
}

/// Serves HTTP/1.1 until `shutdown`, then lets requests in flight finish for up to
/// `SHUTDOWN_GRACE`; connections still open after that (a half-sent request, a stalled client)
/// do not keep the process from stopping.
///
/// Written out rather than `axum::serve` for one reason: axum's server gives hyper no timer,
/// so hyper's header-read timeout never fires and a client sending its headers a byte a
/// minute holds a connection (and a file descriptor) for as long as it likes.
async fn serve_http(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    header_timeout: std::time::Duration,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let connections = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: wait a little instead of spinning.
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                router.clone().oneshot(request)
            });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = connections.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!(seconds = SHUTDOWN_GRACE.as_secs(), "requests still open after the shutdown grace period; stopping anyway");
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}
