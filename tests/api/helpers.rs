//! `spawn_app()`: the real application on a free port and a fresh database of its own.
//! SQLite by default; PostgreSQL when PLEDGEFLOW_TEST_DATABASE_URL is set (a new database per
//! test, dropped afterwards).
//!
//! The app serves only: no mail worker, no scheduler. A test runs them where its story says
//! (`app.run_mail()`, `app.run_scheduler_at(t)`), on the app's own clock, which it can move
//! (`app.clock.advance(..)`). Tests of the background tasks themselves use `spawn_running`.
use std::path::PathBuf;
use std::process::{Command, Output};

use pledgeflow::clock::Clock;
use pledgeflow::config::{Secret, Settings};
use pledgeflow::mail::Mailer;
use pledgeflow::startup::Application;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

pub struct TestDatabase {
    pub url: String,
    /// Keeps the SQLite folder alive for the test.
    _dir: Option<tempfile::TempDir>,
    /// (admin URL, database name) of a Postgres database to drop afterwards.
    drop_postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn fresh() -> TestDatabase {
        match std::env::var("PLEDGEFLOW_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("pf_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to PLEDGEFLOW_TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let (base, _) = admin_url
                    .rsplit_once('/')
                    .expect("a database URL ends with /DBNAME");
                TestDatabase {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    drop_postgres: Some((admin_url.clone(), name)),
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("pledgeflow.db").display());
                // An empty database, as a new PostgreSQL one is: commands other than serve
                // and migrate refuse to create a SQLite file.
                Database::connect(format!("{url}?mode=rwc"))
                    .await
                    .expect("create the SQLite file")
                    .close()
                    .await
                    .unwrap();
                TestDatabase {
                    url,
                    _dir: Some(dir),
                    drop_postgres: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_postgres.take() {
            // Drop runs outside async; a small runtime of its own does the cleanup.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    /// The app's clock: the system time shifted by whatever the test moved it.
    pub clock: Clock,
    pub settings: std::sync::Arc<Settings>,
    pub database: TestDatabase,
    /// The attachment store's folder, private to this test.
    pub files_dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn test_settings(database_url: &str, demo: bool) -> Settings {
    let mut settings = Settings::from_layers(None, &[]).expect("defaults load");
    settings.server.bind = "127.0.0.1:0".into();
    settings.database.url = Secret::new(database_url);
    settings.database.max_connections = 5;
    settings.demo.load = demo;
    settings.mail.poll_interval_ms = 50;
    settings.mail.from = "Local Coalition Secretariat <pledges@example.org>".into();
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_with(false).await
}

/// The app with the demo register loaded, as `cargo run` serves it.
pub async fn spawn_app_with_demo() -> TestApp {
    spawn_with(true).await
}

async fn spawn_with(demo: bool) -> TestApp {
    let database = TestDatabase::fresh().await;
    let url = database.url.clone();
    spawn_on(database, &url, demo).await
}

/// The app on `database`, reaching it at `url` (which may lead through a test proxy).
pub async fn spawn_on(database: TestDatabase, url: &str, demo: bool) -> TestApp {
    let mailer = Mailer::memory("Secretariat <pledges@example.org>");
    spawn_with_mailer(database, url, demo, mailer).await
}

/// The app with a mailer of the test's choosing.
pub async fn spawn_with_mailer(database: TestDatabase, url: &str, demo: bool, mailer: Mailer) -> TestApp {
    start(database, url, demo, mailer, false, &|_| {}).await
}

/// The app with settings of the test's choosing (a trusted proxy, a limit).
pub async fn spawn_app_configured(configure: &dyn Fn(&mut Settings)) -> TestApp {
    let database = TestDatabase::fresh().await;
    let url = database.url.clone();
    let mailer = Mailer::memory("Secretariat <pledges@example.org>");
    start(database, &url, false, mailer, false, configure).await
}

/// The app as `serve` runs it, mail worker and scheduler included: for the tests of those.
pub async fn spawn_running(database: TestDatabase, url: &str, demo: bool, mailer: Mailer) -> TestApp {
    start(database, url, demo, mailer, true, &|_| {}).await
}

async fn start(
    database: TestDatabase,
    url: &str,
    demo: bool,
    mailer: Mailer,
    background: bool,
    configure: &dyn Fn(&mut Settings),
) -> TestApp {
    let mut settings = test_settings(url, demo);
    configure(&mut settings);
    let files_dir = tempfile::tempdir().expect("temp dir");
    settings.attachments.dir = files_dir.path().display().to_string();
    let clock = Clock::shifted();
    let app = Application::build(settings, clock.clone(), Some(mailer.clone()))
        .await
        .expect("app builds");
    let address = format!("http://{}", app.local_addr());
    let db = app.state.db.clone();
    let settings = app.state.settings.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stopped = async {
        let _ = rx.await;
    };
    if background {
        tokio::spawn(app.run_until(stopped));
    } else {
        tokio::spawn(app.serve_until(stopped));
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        client,
        db,
        mailer,
        clock,
        settings,
        database,
        files_dir,
        shutdown: Some(tx),
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// Runs the real binary against this app's database.
    pub fn cli(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        run_cli(&self.database.url, args, envs)
    }
}

pub fn run_cli(database_url: &str, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pledgeflow"));
    command
        .args(args)
        .env("PLEDGEFLOW__DATABASE__URL", database_url)
        .env("PLEDGEFLOW__DEMO__LOAD", "false")
        .env("RUST_LOG", "warn")
        .env_remove("PLEDGEFLOW_STAFF_PASSWORD");
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().expect("the pledgeflow binary runs")
}

/// The `name=value` of the first cookie a response sets (the session, after a sign-in).
pub fn first_cookie(response: &reqwest::Response) -> String {
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

impl TestApp {
    /// Loads a register through the real import path.
    pub async fn seed_register(&self, csv: &str) {
        let parsed =
            pledgeflow::domain::register::parse_register(csv.as_bytes()).expect("a valid test register");
        pledgeflow::store::register::apply_register(
            &self.db,
            &parsed,
            chrono::Utc::now(),
            pledgeflow::store::audit::Actor::System,
            |_, _| {},
        )
        .await
        .unwrap();
    }

    pub async fn open_campaign(
        &self,
        name: &str,
        refs: &[&str],
    ) -> pledgeflow::store::campaign::CampaignOpened {
        let refs: Vec<String> = refs.iter().map(|r| r.to_string()).collect();
        let spec = pledgeflow::store::campaign::OpenCampaign {
            move_open: false,
            dry_run: false,
            progress: &|_, _| {},
            name,
            deadline: chrono::NaiveDate::from_ymd_opt(2099, 1, 15).unwrap(),
            pledge_refs: &refs,
            base_url: &self.address,
            grace_days: 30,
            staff_id: None,
            policy: Settings::from_layers(None, &[])
                .unwrap()
                .reminders
                .policy_settings(),
        };
        pledgeflow::store::campaign::open_campaign(&self.db, &spec, chrono::Utc::now())
            .await
            .expect("campaign opens")
    }

    /// Runs the mail worker over everything due on the app's clock, as `serve` would on its
    /// next poll, and reports what it did.
    pub async fn run_mail(&self) -> pledgeflow::jobs::worker::DeliveryReport {
        pledgeflow::jobs::worker::deliver_due(
            &self.db,
            &self.mailer,
            &self.clock,
            "test-worker",
            self.settings.mail.max_attempts,
        )
        .await
        .expect("a mail pass")
    }

    /// Runs the mail worker, then returns every mail sent so far, which must be at least `n`.
    pub async fn deliver_mail(&self, n: usize) -> Vec<pledgeflow::mail::OutgoingMail> {
        self.run_mail().await;
        let sent = self.mailer.sent();
        assert!(sent.len() >= n, "only {} of {n} mails were sent", sent.len());
        sent
    }

    /// For an app from `spawn_running` only: waits (up to 10 s) until its own mail worker has
    /// sent at least `n` messages and left nothing pending.
    pub async fn wait_for_background_mail(&self, n: usize) -> Vec<pledgeflow::mail::OutgoingMail> {
        use pledgeflow::entities::outbox_mail::{Column, Entity, StoredMailState};
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let started = std::time::Instant::now();
        loop {
            let sent = self.mailer.sent();
            let pending = Entity::find()
                .filter(Column::State.eq(StoredMailState::Pending))
                .count(&self.db)
                .await
                .unwrap();
            if sent.len() >= n && pending == 0 {
                return sent;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "the served worker sent only {} of {n} mails",
                sent.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Moves the app's clock to `at` and runs one scheduler pass there (reminders and
    /// interview reminders are queued, not sent: `run_mail` sends them).
    pub async fn run_scheduler_at(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> pledgeflow::store::reminders::PassReport {
        self.clock.set(at);
        pledgeflow::jobs::scheduler::pass(&self.db, &self.settings, &self.clock)
            .await
            .expect("a scheduler pass")
    }

    /// Follows a personal link and returns the session cookie ("pf_officer=…") and where it led.
    pub async fn open_link(&self, token: &str) -> (String, String) {
        let response = self.get(&format!("/u/{token}")).await;
        assert_eq!(response.status().as_u16(), 303, "the link opens");
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let location = response.headers()["location"].to_str().unwrap().to_string();
        (cookie, location)
    }

    pub async fn get_with(&self, path: &str, cookie: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{}", self.address, path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn post_form(&self, path: &str, cookie: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.address, path))
            .header("cookie", cookie)
            .form(pairs)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(
        &self,
        path: &str,
        cookie: &str,
        csrf: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(format!("{}{}", self.address, path))
            .header("cookie", cookie)
            .header("x-csrf-token", csrf)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// The personal-link token in a mail's text.
pub fn link_token(mail: &pledgeflow::mail::OutgoingMail) -> String {
    let start = mail.text.find("/u/").expect("a personal link") + 3;
    mail.text[start..start + 64].to_string()
}

/// The CSRF token and draft version of a rendered form.
pub fn form_tokens(html: &str) -> (String, String) {
    let value_of = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in the form"))
            + marker.len();
        html[start..].split('"').next().unwrap().to_string()
    };
    (value_of("_csrf"), value_of("_version"))
}

pub const STAFF_PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Creates `ROLE@secretariat.example.org` and signs in through the real login form.
    /// Returns (cookie, csrf token for the staff forms).
    pub async fn sign_in(&self, role: &str) -> (String, String) {
        let email = format!("{role}@secretariat.example.org");
        let hash = password_auth::generate_hash(STAFF_PASSWORD);
        let role_value = pledgeflow::domain::pledge::StaffRole::parse(role).unwrap();
        pledgeflow::store::staff::add_or_update_staff(
            &self.db,
            &email,
            role,
            role_value,
            hash,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let response = self.login(&email, STAFF_PASSWORD).await;
        assert_eq!(response.status().as_u16(), 303, "sign-in works");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("pf_staff="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let (_, html) = self.get_with("/review", &cookie).await;
        let (csrf, _) = form_tokens_staff(&html);
        (cookie, csrf)
    }

    /// Posts the login form with its CSRF pair, as a browser would.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.login_from("/login", email, password).await
    }

    /// Signs in from the sign-in page at `page` (`/login?next=…`), posting what it holds.
    pub async fn login_from(&self, page: &str, email: &str, password: &str) -> reqwest::Response {
        let page = self.get(page).await;
        let cookie = page.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let html = page.text().await.unwrap();
        let csrf = html
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let next = html
            .split("name=\"next\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .replace("&#38;", "&");
        self.post_form(
            "/login",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("email", email),
                ("password", password),
                ("next", &next),
            ],
        )
        .await
    }
}

/// The CSRF token in a staff page (the sign-out form carries it).
pub fn form_tokens_staff(html: &str) -> (String, ()) {
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .expect("a staff form")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    (csrf, ())
}

// ---- Fixtures: named, in one place. ----

/// An update that every rule accepts (a Mirror pledge, figures, funding, consent): what a test
/// submits when the answers are not its subject.
pub fn complete_answers() -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&str, String)> = [
        ("implementation_stage", "in_progress"),
        ("stage_narrative", "Running in three districts."),
        ("reporting_cycle", "2027_grf"),
        ("compact_scope", "MIRROR"),
        ("beneficiary_groups", "migrants"),
        ("beneficiary_groups", "refugees"),
        ("timeline_start", "2023"),
        ("timeline_end", "2027-06-30"),
        ("results_summary", "A welcome centre opened and serves newcomers."),
        ("achievement.1", "Welcome centre opened"),
        ("beneficiaries_total", "5000"),
        ("beneficiaries_qualifier", "approx"),
        ("breakdown.1.group", "migrants"),
        ("breakdown.1.count", "3000"),
        ("breakdown.2.group", "refugees"),
        ("breakdown.2.count", "2000"),
        ("funding.1.amount", "600000"),
        ("funding.1.currency", "usd"),
        ("funding.1.source", "donor"),
        ("priorities", "1"),
        ("gcm_objectives", "23"),
        ("gcr_objectives", "1"),
        ("gcr_focus_areas", "responsibility_sharing"),
        ("challenges", "funding_gaps"),
        (
            "lessons_learned",
            "Work with refugee-led organizations from day one.",
        ),
        ("national_engagement", "ad_hoc"),
        ("consent_to_publish", "true"),
        (
            "refugee_participation",
            "Refugee-led organizations co-designed the services.",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    pairs.push((
        "description",
        "The city runs a one-stop welcome centre. ".repeat(10),
    ));
    pairs
}

/// One pledge of a test register with its organization and first contact. A test names what
/// it is about and takes the rest from `Default`: an IDP-only pledge of a Ugandan city.
#[derive(Debug, Clone)]
pub struct RegisterRow<'a> {
    pub reference: &'a str,
    pub title: &'a str,
    pub organization: &'a str,
    pub country: &'a str,
    pub region: &'a str,
    pub timezone: &'a str,
    pub locale: &'a str,
    pub compact_scope: &'a str,
    pub beneficiary_groups: &'a str,
    pub priorities: &'a str,
    pub gcm_objectives: &'a str,
    pub gcr_objectives: &'a str,
    pub pledge_year: &'a str,
    pub contact_name: &'a str,
    pub contact_email: &'a str,
}

impl Default for RegisterRow<'_> {
    fn default() -> Self {
        RegisterRow {
            reference: "CLA-2025-0001",
            title: "Welcome centre",
            organization: "Arua",
            country: "Uganda",
            region: "sub_saharan_africa",
            timezone: "Africa/Kampala",
            locale: "en",
            compact_scope: "IDP_ONLY",
            beneficiary_groups: "idps",
            priorities: "1",
            gcm_objectives: "",
            gcr_objectives: "",
            pledge_year: "2025",
            contact_name: "Jane Officer",
            contact_email: "jane@arua.example.org",
        }
    }
}

/// The register file of `rows`, written by a real CSV writer (a name with a line break is a
/// quoted cell, as Excel writes it).
pub fn register_csv(rows: &[RegisterRow]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "reference",
        "title",
        "organization",
        "organization_kind",
        "country",
        "region",
        "timezone",
        "locale",
        "compact_scope",
        "beneficiary_groups",
        "priorities",
        "gcm_objectives",
        "gcr_objectives",
        "pledge_year",
        "contact_name",
        "contact_email",
    ])
    .unwrap();
    for r in rows {
        out.write_record([
            r.reference,
            r.title,
            r.organization,
            "lrg",
            r.country,
            r.region,
            r.timezone,
            r.locale,
            r.compact_scope,
            r.beneficiary_groups,
            r.priorities,
            r.gcm_objectives,
            r.gcr_objectives,
            r.pledge_year,
            r.contact_name,
            r.contact_email,
        ])
        .unwrap();
    }
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

impl TestApp {
    /// Loads `rows` through the real import path.
    pub async fn seed_rows(&self, rows: &[RegisterRow<'_>]) {
        self.seed_register(&register_csv(rows)).await;
    }
}
