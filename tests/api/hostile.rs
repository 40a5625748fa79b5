//! Hostile input and real operations: throttles that hold under a burst and behind a proxy.
use pledgeflow::entities::{contact, outbox_mail};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{
    STAFF_PASSWORD, TestApp, TestDatabase, first_cookie, run_cli, spawn_app, spawn_app_configured, text,
};
use crate::officer::Journey;

/// (current, peak) resident memory of process `pid`, in MB.
fn memory_mb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A browser of a server at `address`.
pub(crate) struct Browser {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
}

impl Browser {
    fn new(address: String) -> Browser {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser { address, client }
    }

    async fn sign_in(&self, email: &str, password: &str, forwarded_for: &str) -> u16 {
        sign_in_at(&self.address, &self.client, email, password, forwarded_for).await
    }
}

/// Posts the sign-in form as a browser behind `forwarded_for` would (through the proxy).
async fn sign_in_as(app: &TestApp, email: &str, password: &str, forwarded_for: &str) -> u16 {
    sign_in_at(&app.address, &app.client, email, password, forwarded_for).await
}

async fn sign_in_at(
    address: &str,
    client: &reqwest::Client,
    email: &str,
    password: &str,
    forwarded_for: &str,
) -> u16 {
    let page = client
        .get(format!("{address}/login"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap();
    let cookie = first_cookie(&page);
    let html = page.text().await.unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    client
        .post(format!("{address}/login"))
        .header("cookie", cookie)
        .header("x-forwarded-for", forwarded_for)
        .form(&[("_csrf", csrf.as_str()), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The status `GET /api/v1/campaigns` answers with `token`.
async fn api_status(app: &TestApp, token: String) -> u16 {
    app.client
        .get(format!("{}/api/v1/campaigns", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `pledgeflow serve` as an operator runs it: its own process, mail written to a folder, its
/// output in a file (a pipe nobody reads would fill and stall it); ready once it answers.
pub(crate) struct Serve {
    pub(crate) process: std::process::Child,
    pub(crate) browser: Browser,
    port: u16,
    log: std::path::PathBuf,
    folders: tempfile::TempDir,
}

impl Serve {
    /// Starts on `database_url`; `envs` override the defaults (demo register on, warnings only).
    pub(crate) async fn start(database_url: &str, envs: &[(&str, &str)]) -> Serve {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let folders = tempfile::tempdir().unwrap();
        let log = folders.path().join("serve.log");
        let output = std::fs::File::create(&log).unwrap();
        let process = std::process::Command::new(env!("CARGO_BIN_EXE_pledgeflow"))
            .env("PLEDGEFLOW__DATABASE__URL", database_url)
            .env("PLEDGEFLOW__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("PLEDGEFLOW__SERVER__BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("PLEDGEFLOW__MAIL__FILE_DIR", folders.path().join("mail"))
            .env("PLEDGEFLOW__ATTACHMENTS__DIR", folders.path().join("attachments"))
            .env("RUST_LOG", "warn")
            .envs(envs.iter().copied())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap();
        let browser = Browser::new(format!("http://127.0.0.1:{port}"));
        let started = std::time::Instant::now();
        while browser
            .client
            .get(format!("{}/readyz", browser.address))
            .send()
            .await
            .is_err()
        {
            assert!(started.elapsed().as_secs() < 60, "serve did not come up");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Serve {
            process,
            browser,
            port,
            log,
            folders,
        }
    }

    fn mail_dir(&self) -> std::path::PathBuf {
        self.folders.path().join("mail")
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn attachments_dir(&self) -> std::path::PathBuf {
        self.folders.path().join("attachments")
    }

    /// SIGTERM, as a service manager stops it.
    fn terminate(&self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.process.id().to_string()])
            .status();
    }

    fn logs(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The burst against `pledgeflow serve` itself, whose peak memory is its own to measure.
#[tokio::test]
async fn a_burst_of_wrong_passwords_gets_five_checks_and_little_memory() {
    let db = TestDatabase::fresh().await;
    let email = "admin@secretariat.example.org";
    let added = run_cli(
        &db.url,
        &["staff", "add", email, "--name", "Ada", "--role", "admin"],
        &[("PLEDGEFLOW_STAFF_PASSWORD", STAFF_PASSWORD)],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let mut serve = Serve::start(
        &db.url,
        &[("PLEDGEFLOW__DEMO__LOAD", "false"), ("RUST_LOG", "error")],
    )
    .await;
    let app = &serve.browser;
    // One right sign-in first, so the baseline includes a password check.
    assert_eq!(app.sign_in(email, STAFF_PASSWORD, "").await, 303);
    let (before, _) = memory_mb(serve.process.id());
    let attempts = (0..40).map(|i| async move { app.sign_in(email, &format!("wrong {i}"), "").await });
    let statuses = futures_util::future::join_all(attempts).await;
    let (_, peak) = memory_mb(serve.process.id());
    eprintln!("serve: {before} MB before the burst, peak {peak} MB");
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    // The right password is refused too while the account cools down: five guesses were enough.
    let after_burst = app.sign_in(email, STAFF_PASSWORD, "").await;
    let _ = serve.process.kill();
    let _ = serve.process.wait();
    assert_eq!((checked, refused), (5, 35), "{statuses:?}");
    assert!(
        peak.saturating_sub(before) < 100,
        "peak RSS grew from {before} MB to {peak} MB"
    );
    assert_eq!(after_burst, 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_bucket() {
    // Through the proxy: 20 wrong passwords from one client (on four accounts, five each)
    // fill that client's bucket only.
    let proxied = spawn_app_configured(&|s| s.server.trusted_proxies = vec!["127.0.0.1".into()]).await;
    for round in 0..20 {
        let email = format!("nobody{}@example.org", round % 4);
        assert_eq!(sign_in_as(&proxied, &email, "wrong", "203.0.113.1").await, 401);
    }
    assert_eq!(
        sign_in_as(&proxied, "other@example.org", "wrong", "203.0.113.1").await,
        429
    );
    assert_eq!(
        sign_in_as(&proxied, "other@example.org", "wrong", "203.0.113.2").await,
        401,
        "another client is not blocked"
    );
    // Correct credentials are never refused for an address bucket others filled.
    proxied.sign_in("reviewer").await;
    assert_eq!(
        sign_in_as(
            &proxied,
            "reviewer@secretariat.example.org",
            STAFF_PASSWORD,
            "203.0.113.1"
        )
        .await,
        303
    );

    // Without a trusted proxy, the header is anyone's to write and is ignored: one bucket.
    let direct = spawn_app().await;
    for round in 0..20 {
        let email = format!("nobody{}@example.org", round % 4);
        let client = format!("198.51.100.{round}");
        assert_eq!(sign_in_as(&direct, &email, "wrong", &client).await, 401);
    }
    assert_eq!(
        sign_in_as(&direct, "other@example.org", "wrong", "198.51.100.99").await,
        429
    );
}

#[tokio::test]
async fn valid_and_replaced_links_are_never_counted_as_guesses() {
    let j = Journey::start().await;
    let token = j.token("CLA-2025-0001", "jane@arua.example.org");
    // Someone at the same address guessed twenty tokens.
    for i in 0..20 {
        assert_eq!(j.app.get_text(&format!("/u/{i:064x}")).await.0, 404);
    }
    assert_eq!(j.app.get(&format!("/u/{:064x}", 99)).await.status().as_u16(), 429);
    // A real link still opens.
    let opened = j.app.get(&format!("/u/{token}")).await;
    assert_eq!(
        opened.status().as_u16(),
        303,
        "a valid link opens whatever others did"
    );

    // On a fresh app: clicks on a revoked link (410) are not guesses.
    let j = Journey::start().await;
    let old = j.token("CLA-2025-0001", "jane@arua.example.org");
    let (_, path, _, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let request: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
    let contact = contact::Entity::find()
        .filter(contact::Column::Email.eq("jane@arua.example.org"))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    let (admin, csrf) = j.app.sign_in("admin").await;
    let revoked = j
        .app
        .post_form(
            &format!("/review/requests/{request}/contacts/{}/revoke", contact.id),
            &admin,
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 303);
    for _ in 0..25 {
        assert_eq!(j.app.get(&format!("/u/{old}")).await.status().as_u16(), 410);
    }
    assert_eq!(
        j.app.get_text(&format!("/u/{:064x}", 1)).await.0,
        404,
        "no bucket was filled"
    );
}

#[tokio::test]
async fn behind_https_every_cookie_is_secure_and_private_pages_are_not_cached() {
    let app = spawn_app_configured(&|s| s.server.base_url = "https://pledges.example.org".into()).await;
    let login = app.get("/login?lang=fr").await;
    let cookies: Vec<&str> = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies.len() >= 2 && cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("pf_login_csrf="))
            && cookies.iter().any(|c| c.starts_with("lang="))
    );
    assert_eq!(login.headers()["strict-transport-security"], "max-age=31536000");
    assert_eq!(login.headers()["cache-control"], "no-store");
    let (staff, _) = app.sign_in("admin").await;
    for path in ["/review", "/review/campaigns", "/review/exports/all.csv"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .header("cookie", &staff)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    assert_eq!(
        app.get("/api/v1/pledges").await.headers()["cache-control"],
        "no-store"
    );
    // The public register may be cached: it holds nothing private.
    assert!(
        app.get("/register")
            .await
            .headers()
            .get("cache-control")
            .is_none()
    );
    // Over plain http (the development default) there is no HSTS.
    let plain = spawn_app().await;
    assert!(
        plain
            .get("/login")
            .await
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
}

/// `serve` at debug level: opening a personal link leaves no token in any log line.
#[tokio::test]
async fn personal_link_tokens_never_reach_a_log() {
    let db = TestDatabase::fresh().await;
    // serve loads the demo register; a campaign for one of its pledges sends an invitation.
    let mut serve = Serve::start(
        &db.url,
        &[
            ("PLEDGEFLOW__MAIL__POLL_INTERVAL_MS", "100"),
            ("RUST_LOG", "debug"),
        ],
    )
    .await;
    let (browser, mail_dir) = (&serve.browser, serve.mail_dir());
    let opened = run_cli(
        &db.url,
        &[
            "campaign",
            "open",
            "--name",
            "Log round",
            "--deadline",
            "2099-01-15",
            "--pledge",
            "CLA-2022-0032",
        ],
        &[],
    );
    assert!(opened.status.success(), "{}", text(&opened.stderr));
    let started = std::time::Instant::now();
    let token = loop {
        let found = std::fs::read_dir(&mail_dir)
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .find_map(|eml| {
                let at = eml.find("/u/")? + 3;
                Some(eml[at..at + 64].to_string())
            });
        if let Some(token) = found {
            break token;
        }
        assert!(started.elapsed().as_secs() < 60, "no invitation was written");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let opened = browser
        .client
        .get(format!("{}/u/{token}", browser.address))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status().as_u16(), 303);
    let guess = "ab".repeat(32);
    browser
        .client
        .get(format!("{}/u/{guess}", browser.address))
        .send()
        .await
        .unwrap();
    serve.terminate();
    serve.process.wait().unwrap();
    let logs = serve.logs();
    assert!(
        logs.contains("/u/{token}"),
        "the route is logged: {}",
        &logs[..logs.len().min(2000)]
    );
    assert!(!logs.contains(&token), "the live token reached a log");
    // The start line says where it serves, which database and where mail goes.
    let start = logs
        .lines()
        .find(|l| l.contains("serving"))
        .expect("a start line");
    assert!(
        start.contains("database") && start.contains("files in"),
        "{start}"
    );
    assert!(!logs.contains(&guess), "a guessed token reached a log");
}

#[tokio::test]
async fn nul_characters_paging_past_the_end_and_large_bodies_get_clear_4xx() {
    let j = Journey::start().await;
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    // A NUL character in a form field: 400 naming the field, nothing saved (PostgreSQL would fail).
    let response = j
        .app
        .post_form(
            &path,
            &cookie,
            &[
                ("_csrf", &csrf),
                ("_version", &version),
                ("_action", "save"),
                ("results_summary", "before\0after"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 400);
    assert!(
        response.text().await.unwrap().contains("Results so far"),
        "the field is named"
    );
    // In the autosave's JSON, and in an address.
    let (status, body) = j
        .app
        .post_json(
            &format!("{path}/draft"),
            &cookie,
            &csrf,
            &serde_json::json!({"version": 0, "answers": {"results_summary": "a\u{0}b"}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(j.app.get("/register?q=bogot%00a").await.status().as_u16(), 400);
    let api = j.app.get("/api/v1/pledges?q=%00").await;
    assert_eq!(api.status().as_u16(), 400);
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // A page far past the end is an empty page, never an overflow.
    let (status, page) = j.app.get_text("/register?page=50000000000000000").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Page 50000000000000000"),
        "the page number is shown as asked"
    );
    // The body limit is server.max_body_bytes (4 MiB by default), not axum's 2 MiB, and the
    // autosave's 413 is JSON like the rest of its answers.
    let three_mb =
        serde_json::json!({"version": 0, "answers": {"results_summary": "x".repeat(3 * 1024 * 1024)}});
    let (status, _) = j
        .app
        .post_json(&format!("{path}/draft"), &cookie, &csrf, &three_mb)
        .await;
    assert_ne!(status, 413, "3 MB is under the configured limit");
    let five_mb =
        serde_json::json!({"version": 0, "answers": {"results_summary": "x".repeat(5 * 1024 * 1024)}});
    let (status, body) = j
        .app
        .post_json(&format!("{path}/draft"), &cookie, &csrf, &five_mb)
        .await;
    assert_eq!(status, 413);
    assert!(body["error"]["message"].is_string(), "{body}");
    // Thousands of unknown names (a 3 MB body) get a short answer: ten named, the rest counted.
    let names: serde_json::Map<String, serde_json::Value> = (0..5000)
        .map(|i| (format!("{}{i}", "field".repeat(100)), "x".into()))
        .collect();
    let response = j
        .app
        .client
        .post(format!("{}{path}/draft", j.app.address))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"version": 0, "answers": names}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let answer = response.bytes().await.unwrap();
    assert!(answer.len() < 8_000, "{} bytes", answer.len());
    let body: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 11);
    assert!(
        errors[10]["message"]
            .as_str()
            .unwrap()
            .contains("4990 more names")
    );
}

/// `serve` stops within its grace period although clients left requests half-sent.
#[tokio::test]
async fn shutdown_does_not_wait_for_half_sent_requests() {
    use tokio::io::AsyncWriteExt;
    let db = TestDatabase::fresh().await;
    let mut serve = Serve::start(&db.url, &[("PLEDGEFLOW__DEMO__LOAD", "false")]).await;
    let port = serve.port;
    let mut stalled = Vec::new();
    for _ in 0..50 {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream
            .write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=")
            .await
            .unwrap();
        stalled.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    serve.terminate();
    let asked = std::time::Instant::now();
    let exit = loop {
        if let Some(status) = serve.process.try_wait().unwrap() {
            break status;
        }
        if asked.elapsed().as_secs() > 30 {
            let _ = serve.process.kill();
            panic!("serve was still running 30 s after SIGTERM");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(exit.success(), "{exit:?}");
    assert!(
        asked.elapsed().as_secs() <= 15,
        "stopped after {:?}",
        asked.elapsed()
    );
    drop(stalled);
}

/// A client that never finishes its headers is disconnected after the header-read timeout,
/// instead of holding a connection for as long as it likes (axum's own server sets none).
#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDatabase::fresh().await;
    let serve = Serve::start(
        &db.url,
        &[
            ("PLEDGEFLOW__DEMO__LOAD", "false"),
            ("PLEDGEFLOW__SERVER__HEADER_READ_TIMEOUT_SECONDS", "1"),
        ],
    )
    .await;
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", serve.port))
        .await
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "still connected after 10 s");
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(900) && waited < std::time::Duration::from_secs(5),
        "disconnected after {waited:?}"
    );
    assert!(
        !String::from_utf8_lossy(&answer).contains("200 OK"),
        "never served"
    );
    // A client that sends its request whole is served as before. (A new client: the timeout
    // also ends idle keep-alive connections, such as the one that waited for /readyz.)
    let ok = reqwest::Client::new()
        .get(format!("{}/healthz", serve.browser.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn no_new_link_for_an_update_that_no_longer_waits_on_the_officer() {
    let j = Journey::start().await;
    let id = j.submit_complete("CLA-2025-0001", "jane@arua.example.org").await;
    let jane = contact::Entity::find()
        .filter(contact::Column::Email.eq("jane@arua.example.org"))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    let (admin, csrf) = j.app.sign_in("admin").await;
    let (_, page) = j.app.get_with(&format!("/review/requests/{id}"), &admin).await;
    assert!(
        !page.contains(&format!("contacts/{}/resend", jane.id)),
        "no resend button"
    );
    let mails_before = outbox_mail::Entity::find().count(&j.app.db).await.unwrap();
    let response = j
        .app
        .post_form(
            &format!("/review/requests/{id}/contacts/{}/resend", jane.id),
            &admin,
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("does not wait on the officer")
    );
    assert_eq!(
        outbox_mail::Entity::find().count(&j.app.db).await.unwrap(),
        mails_before,
        "no invitation went out"
    );
}

#[tokio::test]
async fn metrics_can_require_a_token_and_unwritable_folders_stop_the_start() {
    let app =
        spawn_app_configured(&|s| s.server.metrics_token = pledgeflow::config::Secret::new("m3trics")).await;
    assert_eq!(app.get("/metrics").await.status().as_u16(), 401);
    let allowed = app
        .client
        .get(format!("{}/metrics", app.address))
        .header("authorization", "Bearer m3trics")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status().as_u16(), 200);
    assert!(allowed.text().await.unwrap().contains("outbox_mails"));
    // Without a token (the default) it stays open, for a private bind.
    assert_eq!(spawn_app().await.get("/metrics").await.status().as_u16(), 200);

    // An attachments folder that cannot be written stops serve at once, naming the key.
    let db = TestDatabase::fresh().await;
    let out = run_cli(
        &db.url,
        &["serve"],
        &[
            ("PLEDGEFLOW__ATTACHMENTS__DIR", "/proc/pledgeflow-cannot-write"),
            ("PLEDGEFLOW__SERVER__BIND", "127.0.0.1:0"),
        ],
    );
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("attachments.dir `/proc/pledgeflow-cannot-write` is not writable"),
        "{said}"
    );
}

#[tokio::test]
async fn a_deactivated_account_is_signed_out_everywhere_and_comes_back_only_on_purpose() {
    let app = spawn_app().await;
    let (session, _) = app.sign_in("reviewer").await;
    let email = "reviewer@secretariat.example.org";
    let token_out = app.cli(&["staff", "token", email], &[]);
    assert!(token_out.status.success(), "{}", text(&token_out.stderr));
    let token = text(&token_out.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("pf_"))
        .unwrap()
        .to_string();
    let api = |token: String| api_status(&app, token);
    assert_eq!(api(token.clone()).await, 200);

    let out = app.cli(&["staff", "deactivate", email], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        app.get_with("/review", &session).await.0,
        303,
        "the session ended"
    );
    assert_eq!(api(token).await, 401, "the API token is revoked");
    assert_eq!(
        app.login(email, STAFF_PASSWORD).await.status().as_u16(),
        401,
        "no sign-in"
    );
    let listed = text(&app.cli(&["staff", "list"], &[]).stdout);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(email) && l.contains("\tdeactivated\t")),
        "{listed}"
    );

    // `staff add` does not silently bring it back.
    let password = [("PLEDGEFLOW_STAFF_PASSWORD", "a new long password 2026")];
    let again = app.cli(
        &["staff", "add", email, "--name", "Rev", "--role", "reviewer"],
        &password,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("--reactivate"),
        "{}",
        text(&again.stderr)
    );
    let back = app.cli(
        &[
            "staff",
            "add",
            email,
            "--name",
            "Rev",
            "--role",
            "reviewer",
            "--reactivate",
        ],
        &password,
    );
    assert!(back.status.success(), "{}", text(&back.stderr));

    // A password reset ends the account's other sessions.
    let fresh = app.login(email, "a new long password 2026").await;
    assert_eq!(fresh.status().as_u16(), 303);
    let cookie = first_cookie(&fresh);
    assert_eq!(app.get_with("/review", &cookie).await.0, 200);
    let reset = app.cli(
        &["staff", "add", email, "--name", "Rev", "--role", "reviewer"],
        &[("PLEDGEFLOW_STAFF_PASSWORD", "yet another password 2026")],
    );
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert_eq!(
        app.get_with("/review", &cookie).await.0,
        303,
        "the reset signed the old session out"
    );
}

#[tokio::test]
async fn api_tokens_can_be_listed_revoked_and_expire_after_90_days() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = spawn_app().await;
    app.sign_in("viewer").await;
    let email = "viewer@secretariat.example.org";
    let make = || {
        text(&app.cli(&["staff", "token", email], &[]).stdout)
            .trim()
            .to_string()
    };
    let (first, second) = (make(), make());
    let status = |token: String| api_status(&app, token);
    assert_eq!(
        (status(first.clone()).await, status(second.clone()).await),
        (200, 200)
    );
    let listed = text(&app.cli(&["staff", "token", email, "--list"], &[]).stdout);
    assert_eq!(
        listed.lines().filter(|l| l.contains("works until")).count(),
        2,
        "{listed}"
    );
    // Revoke the first by its id.
    let tokens = pledgeflow::entities::api_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let first_id = tokens.iter().map(|t| t.id).min().unwrap().to_string();
    let revoked = app.cli(&["staff", "token", email, "--revoke", &first_id], &[]);
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    assert_eq!(status(first).await, 401);
    // The second one ages past 90 days.
    let mut old: pledgeflow::entities::api_token::ActiveModel =
        tokens.into_iter().max_by_key(|t| t.id).unwrap().into();
    old.created_at = Set(chrono::Utc::now() - chrono::Duration::days(91));
    old.update(&app.db).await.unwrap();
    assert_eq!(status(second).await, 401, "an expired token no longer works");
    let listed = text(&app.cli(&["staff", "token", email, "--list"], &[]).stdout);
    assert!(
        listed.contains("revoked") && listed.contains("expired"),
        "{listed}"
    );
}

/// Sessions that ended are deleted by the scheduler's pass, not kept for good.
#[tokio::test]
async fn expired_staff_and_officer_sessions_are_purged() {
    use pledgeflow::entities::{officer_session, staff_session};
    let j = Journey::start().await;
    let (officer, path, _, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let (staff, _) = j.app.sign_in("reviewer").await;
    let count = |db| async move {
        officer_session::Entity::find().count(db).await.unwrap()
            + staff_session::Entity::find().count(db).await.unwrap()
    };
    assert_eq!(count(&j.app.db).await, 2);
    let now = j.app.clock.now();
    let report = j.app.run_scheduler_at(now + chrono::Duration::hours(1)).await;
    assert_eq!(report.sessions_purged, 0, "both still work");
    assert_eq!(j.app.get_with(&path, &officer).await.0, 200);
    let report = j.app.run_scheduler_at(now + chrono::Duration::days(31)).await;
    assert_eq!(report.sessions_purged, 2);
    assert_eq!(count(&j.app.db).await, 0);
    assert_ne!(j.app.get_with("/review", &staff).await.0, 200, "signed out");
}

/// An afternoon of autosaves (or a script) does not store hundreds of copies of the draft:
/// one officer's saves within five minutes keep the window's first version and the newest,
/// and a tab still holding a version that went merges without losing anyone's answer.
#[tokio::test]
async fn autosaves_are_compacted_and_a_tab_on_a_compacted_version_loses_nothing() {
    use pledgeflow::entities::draft_version;
    let j = Journey::start().await;
    let (cookie, path, csrf, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let draft = format!("{path}/draft");
    let save = |version: i64, answers: serde_json::Value| {
        let (cookie, csrf, draft) = (cookie.clone(), csrf.clone(), draft.clone());
        let app = &j.app;
        async move {
            let (status, body) = app
                .post_json(
                    &draft,
                    &cookie,
                    &csrf,
                    &serde_json::json!({"version": version, "answers": answers}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            body["version"].as_i64().unwrap()
        }
    };
    let mut version = 0;
    for i in 0..40 {
        j.app.clock.advance(chrono::Duration::seconds(2));
        version = save(
            version,
            serde_json::json!({"results_summary": format!("Typed so far: {i}")}),
        )
        .await;
    }
    assert_eq!(version, 40);
    let kept = || async {
        draft_version::Entity::find()
            .filter(
                draft_version::Column::UpdateRequestId
                    .eq(path.trim_start_matches("/updates/").parse::<i32>().unwrap()),
            )
            .all(&j.app.db)
            .await
            .unwrap()
            .iter()
            .map(|v| v.version)
            .collect::<Vec<_>>()
    };
    assert_eq!(kept().await, vec![1, 40], "the window's first and the newest");

    // A second tab opened at version 40 keeps typing elsewhere while the first tab saves on.
    let tab_base = version;
    version = save(
        version,
        serde_json::json!({"results_summary": "Typed so far: 40", "challenges_text": "Funding"}),
    )
    .await;
    version = save(
        version,
        serde_json::json!({"results_summary": "Final summary", "challenges_text": "Funding"}),
    )
    .await;
    assert!(
        !kept().await.contains(&(tab_base as i32)),
        "the tab's version was compacted away"
    );
    let (status, body) = j
        .app
        .post_json(
            &draft,
            &cookie,
            &csrf,
            &serde_json::json!({"version": tab_base, "answers": {"results_summary": "Typed so far: 39", "lessons_learned": "Start early"}}),
        )
        .await;
    // The tab's version went, so it merges from the version before: its own new answer is
    // never lost, and the summary the first tab changed since is either kept or shown as a
    // conflict, never silently put back to what the tab held.
    if status == 200 {
        let (_, html) = j.app.get_with(&path, &cookie).await;
        assert!(html.contains("Final summary") && html.contains("Start early") && html.contains("Funding"));
    } else {
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["conflicts"][0]["field"], "results_summary", "{body}");
        assert!(
            body["conflicts"][0]["theirs"]
                .as_str()
                .unwrap()
                .contains("Final summary")
        );
    }
    let _ = version;

    // Five minutes later a new window starts: the old one's newest is kept.
    let before_lunch = kept().await;
    j.app.clock.advance(chrono::Duration::minutes(6));
    let (_, html) = j.app.get_with(&path, &cookie).await;
    let (_, current) = crate::helpers::form_tokens(&html);
    save(
        current.parse().unwrap(),
        serde_json::json!({"results_summary": "After lunch"}),
    )
    .await;
    let after_lunch = kept().await;
    assert_eq!(after_lunch.len(), before_lunch.len() + 1, "{after_lunch:?}");
    assert_eq!(&after_lunch[..before_lunch.len()], &before_lunch[..]);
}

/// Saves per session are limited (60 a minute): the 61st autosave gets a 429 with
/// Retry-After and the form's Save a page that keeps every word typed.
#[tokio::test]
async fn saving_too_often_is_refused_with_a_wait_and_loses_nothing() {
    let j = Journey::start().await;
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let draft = format!("{path}/draft");
    let mut version: i64 = version.parse().unwrap();
    for i in 0..60 {
        let (status, body) = j
            .app
            .post_json(
                &draft,
                &cookie,
                &csrf,
                &serde_json::json!({"version": version, "answers": {"results_summary": format!("v{i}")}}),
            )
            .await;
        assert_eq!(status, 200, "save {i}: {body}");
        version = body["version"].as_i64().unwrap();
    }
    let response = j
        .app
        .client
        .post(format!("{}{draft}", j.app.address))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"version": version, "answers": {"results_summary": "too fast"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let wait: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("saving too often"),
        "{body}"
    );
    // The form's own Save, in French: the typed words are on the page that answers.
    let response = j
        .app
        .post_form(
            &format!("{path}?lang=fr"),
            &format!("{cookie}; lang=fr"),
            &[
                ("_csrf", &csrf),
                ("_version", &version.to_string()),
                ("_action", "save"),
                ("results_summary", "Texte tapé à la main"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 429);
    let html = response.text().await.unwrap();
    assert!(html.contains("Enregistrements trop fréquents"), "in French");
    assert!(html.contains("Texte tapé à la main"), "nothing typed is lost");
    // A minute later saving works again.
    j.app.clock.advance(chrono::Duration::seconds(61));
    let (status, _) = j
        .app
        .post_json(
            &draft,
            &cookie,
            &csrf,
            &serde_json::json!({"version": version, "answers": {"results_summary": "later"}}),
        )
        .await;
    assert_eq!(status, 200);
}

/// The admin page does what `pledgeflow staff …` does: add with a long enough password
/// (nothing typed but the password is lost on a refusal), deactivate (sessions and tokens end,
/// never one's own account), bring back only on purpose, tokens shown once and revocable;
/// every action audited under the admin's name; only admins see it.
#[tokio::test]
async fn admins_manage_staff_accounts_and_tokens_from_the_workspace() {
    use pledgeflow::entities::audit_event;
    let app = spawn_app().await;
    let (admin, csrf) = app.sign_in("admin").await;
    let (reviewer, _) = app.sign_in("reviewer").await;
    assert_eq!(
        app.get_with("/review/staff", &reviewer).await.0,
        403,
        "admins only"
    );
    let (status, page) = app.get_with("/review/staff", &admin).await;
    assert_eq!(status, 200);
    assert!(page.contains("reviewer@secretariat.example.org") && page.contains("(you)"));

    let add = |password: &'static str, reactivate: bool| {
        let (admin, csrf) = (admin.clone(), csrf.clone());
        let app = &app;
        async move {
            let mut fields = vec![
                ("_csrf", csrf.as_str()),
                ("email", "Ana.Lima@Secretariat.example.org"),
                ("name", "Ana Lima"),
                ("role", "reviewer"),
                ("password", password),
            ];
            if reactivate {
                fields.push(("reactivate", "yes"));
            }
            app.post_form("/review/staff", &admin, &fields).await
        }
    };
    let short = add("too short", false).await;
    assert_eq!(short.status().as_u16(), 422);
    let html = short.text().await.unwrap();
    assert!(
        html.contains("the password must have at least 12 characters"),
        "{html}"
    );
    assert!(
        html.contains("value=\"Ana Lima\"") && !html.contains("too short"),
        "typed kept, password not"
    );
    assert_eq!(add("a long password for Ana", false).await.status().as_u16(), 303);
    let signed_in = app
        .login("ana.lima@secretariat.example.org", "a long password for Ana")
        .await;
    assert_eq!(signed_in.status().as_u16(), 303, "the new account signs in");
    let ana_session = first_cookie(&signed_in);

    // A token, shown once, that works on the API.
    let (_, page) = app.get_with("/review/staff", &admin).await;
    let ana_id = page
        .split("/review/staff/")
        .filter_map(|s| s.split('/').next())
        .filter_map(|id| id.parse::<i32>().ok())
        .find(|id| {
            page.contains(&format!("/review/staff/{id}/deactivate")) && {
                let row = page
                    .split("ana.lima@secretariat.example.org")
                    .nth(1)
                    .unwrap_or_default();
                row.contains(&format!("/review/staff/{id}/tokens\""))
            }
        })
        .expect("Ana's row has actions");
    let made = app
        .post_form(
            &format!("/review/staff/{ana_id}/tokens"),
            &admin,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(made.status().as_u16(), 200);
    assert_eq!(made.headers()["cache-control"], "no-store");
    let html = made.text().await.unwrap();
    let token = html
        .split("value=\"pf_")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let token = format!("pf_{token}");
    let api = |token: String| api_status(&app, token);
    assert_eq!(api(token.clone()).await, 200);
    let (_, page) = app.get_with("/review/staff", &admin).await;
    assert!(!page.contains(&token), "shown only once");

    // Deactivating needs the box, never applies to oneself, and ends sessions and tokens.
    let deactivate = |id: i32, confirm: &'static str| {
        let (admin, csrf) = (admin.clone(), csrf.clone());
        let app = &app;
        async move {
            app.post_form(
                &format!("/review/staff/{id}/deactivate"),
                &admin,
                &[("_csrf", csrf.as_str()), ("confirm", confirm)],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(deactivate(ana_id, "").await, 422);
    assert_eq!(app.get_with("/review", &ana_session).await.0, 200);
    assert_eq!(deactivate(ana_id, "yes").await, 303);
    assert_eq!(app.get_with("/review", &ana_session).await.0, 303, "signed out");
    assert_eq!(api(token).await, 401, "token revoked");
    let admin_id = pledgeflow::store::staff::find_staff(&app.db, "admin@secretariat.example.org")
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(deactivate(admin_id, "yes").await, 409, "not one's own account");

    // Saving the account again does not bring it back unless asked.
    let again = add("a long password for Ana", false).await;
    assert_eq!(again.status().as_u16(), 422);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Bring back a deactivated account")
    );
    assert_eq!(add("a long password for Ana", true).await.status().as_u16(), 303);
    assert_eq!(
        app.login("ana.lima@secretariat.example.org", "a long password for Ana")
            .await
            .status()
            .as_u16(),
        303
    );

    // Every change is on the record under the admin's name.
    let actions: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::Entity.eq("staff_user"))
        .filter(audit_event::Column::ActorId.eq(admin_id))
        .filter(audit_event::Column::Action.ne("staff.signed_in"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "staff.created",
            "staff.api_token_created",
            "staff.deactivated",
            "staff.updated"
        ]
    );
}
