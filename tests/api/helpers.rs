//! `spawn_app()`: the real application on a free port and a fresh database of its own.
//! SQLite by default; PostgreSQL when PLEDGEFLOW_TEST_DATABASE_URL is set (a new database per
//! test, dropped afterwards).
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
    pub database: TestDatabase,
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
    let mailer = Mailer::memory("Secretariat <pledges@example.org>");
    let settings = test_settings(&database.url, demo);
    let app = Application::build(settings, Clock::system(), Some(mailer))
        .await
        .expect("app builds");
    let address = format!("http://{}", app.local_addr());
    let db = app.state.db.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        client,
        db,
        database,
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

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}
