//! Hostile input and real operations: throttles that hold under a burst and behind a proxy.
use pledgeflow::entities::contact;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{STAFF_PASSWORD, TestApp, TestDatabase, run_cli, spawn_app, spawn_app_configured, text};
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
struct Browser {
    address: String,
    client: reqwest::Client,
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mail_dir = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_pledgeflow"))
        .env("PLEDGEFLOW__DATABASE__URL", &db.url)
        .env("PLEDGEFLOW__DEMO__LOAD", "false")
        .env("PLEDGEFLOW__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("PLEDGEFLOW__MAIL__FILE_DIR", mail_dir.path())
        .env("RUST_LOG", "error")
        .spawn()
        .unwrap();
    let app = Browser::new(format!("http://127.0.0.1:{port}"));
    let started = std::time::Instant::now();
    while app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .is_err()
    {
        assert!(started.elapsed().as_secs() < 60, "serve did not come up");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // One right sign-in first, so the baseline includes a password check.
    assert_eq!(app.sign_in(email, STAFF_PASSWORD, "").await, 303);
    let (before, _) = memory_mb(server.id());
    let attempts = (0..40).map(|i| {
        let app = &app;
        async move { app.sign_in(email, &format!("wrong {i}"), "").await }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let (_, peak) = memory_mb(server.id());
    eprintln!("serve: {before} MB before the burst, peak {peak} MB");
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    // The right password is refused too while the account cools down: five guesses were enough.
    let after_burst = app.sign_in(email, STAFF_PASSWORD, "").await;
    let _ = server.kill();
    let _ = server.wait();
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
