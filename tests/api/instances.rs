//! Two `pledgeflow serve` processes on one PostgreSQL database behind a round-robin proxy, as
//! a deployment scales out: every request of an officer and a reviewer lands on the other
//! instance than the one before, both instances run the mail worker and the scheduler against
//! one SMTP server, and the sign-in throttle counts across both.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pledgeflow::domain::pledge::CompactScope;
use pledgeflow::entities::{outbox_mail, pledge, update_request};
use sea_orm::{ColumnTrait, Database, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{
    STAFF_PASSWORD, TestDatabase, complete_answers, form_tokens, form_tokens_staff, run_cli, text,
};
use crate::hostile::Serve;
use crate::mail::{delivered, start_smtp_server};
use crate::officer::form;

/// A TCP proxy that hands each new connection to the next backend in turn, and counts them.
struct RoundRobin {
    address: String,
    served: Arc<Vec<AtomicUsize>>,
}

impl RoundRobin {
    async fn start(listener: tokio::net::TcpListener, backends: Vec<u16>) -> RoundRobin {
        let address = format!("http://{}", listener.local_addr().unwrap());
        let served: Arc<Vec<AtomicUsize>> = Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        let counts = served.clone();
        tokio::spawn(async move {
            let mut next = 0;
            while let Ok((mut client, _)) = listener.accept().await {
                let port = backends[next % backends.len()];
                counts[next % backends.len()].fetch_add(1, Ordering::SeqCst);
                next += 1;
                tokio::spawn(async move {
                    if let Ok(mut backend) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
                    }
                });
            }
        });
        RoundRobin { address, served }
    }

    fn served(&self) -> Vec<usize> {
        self.served.iter().map(|c| c.load(Ordering::SeqCst)).collect()
    }
}

/// A browser that opens a new connection for every request, so the proxy alternates.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

fn session_cookie(response: &reqwest::Response) -> String {
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

async fn sign_in(client: &reqwest::Client, proxy: &str, email: &str, password: &str) -> reqwest::Response {
    let page = client.get(format!("{proxy}/login")).send().await.unwrap();
    let cookie = session_cookie(&page);
    let (csrf, _) = form_tokens_staff(&page.text().await.unwrap());
    client
        .post(format!("{proxy}/login"))
        .header("cookie", cookie)
        .form(&[("_csrf", csrf.as_str()), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn two_instances_behind_a_proxy_serve_one_cycle_and_send_each_mail_once() {
    if std::env::var("PLEDGEFLOW_TEST_DATABASE_URL").is_err() {
        eprintln!("skipping: several instances share a PostgreSQL database, not a SQLite file");
        return;
    }
    let Some(smtp) = start_smtp_server() else { return };
    let db = TestDatabase::fresh().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_address = format!("http://{}", listener.local_addr().unwrap());
    let smtp_url = format!("smtp://127.0.0.1:{}", smtp.port);
    let shared = [
        ("PLEDGEFLOW__SERVER__BASE_URL", proxy_address.as_str()),
        ("PLEDGEFLOW__MAIL__TRANSPORT", "smtp"),
        ("PLEDGEFLOW__MAIL__SMTP_URL", smtp_url.as_str()),
        ("PLEDGEFLOW__MAIL__POLL_INTERVAL_MS", "100"),
        ("PLEDGEFLOW__REMINDERS__INTERVAL_SECONDS", "1"),
    ];
    // The first instance migrates and loads the demo register; the second finds it there.
    let first = Serve::start(&db.url, &shared).await;
    let mut second_env = shared.to_vec();
    second_env.push(("PLEDGEFLOW__DEMO__LOAD", "false"));
    let second = Serve::start(&db.url, &second_env).await;
    let proxy = RoundRobin::start(listener, vec![first.port(), second.port()]).await;
    assert_eq!(proxy.address, proxy_address);
    let client = browser();

    // A campaign for the whole register: both instances' workers send the invitations.
    let opened = run_cli(
        &db.url,
        &[
            "campaign",
            "open",
            "--name",
            "2026 round",
            "--deadline",
            "2099-01-15",
            "--all",
        ],
        &[("PLEDGEFLOW__SERVER__BASE_URL", proxy_address.as_str())],
    );
    assert!(opened.status.success(), "{}", text(&opened.stderr));
    let conn = Database::connect(&db.url).await.unwrap();
    let queued = outbox_mail::Entity::find().count(&conn).await.unwrap() as usize;
    assert!(queued >= 100, "{queued} invitations");
    let started = Instant::now();
    while delivered(&smtp).len() < queued {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} of {queued} mails arrived",
            delivered(&smtp).len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Two more scheduler passes and worker polls on each instance: nothing is sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let messages = delivered(&smtp);
    let mut copies: HashMap<String, usize> = HashMap::new();
    for message in &messages {
        let id = message
            .lines()
            .find(|l| l.starts_with("Message-ID:"))
            .expect("a Message-ID")
            .to_string();
        *copies.entry(id).or_default() += 1;
    }
    assert_eq!(copies.len(), queued, "every invitation arrived");
    assert!(
        copies.values().all(|n| *n == 1),
        "sent twice: {:?}",
        copies.iter().filter(|(_, n)| **n > 1).take(5).collect::<Vec<_>>()
    );

    // The officer: link on one instance, form on the other, submit on the first again.
    // (A pledge the register has as Mirror, which `complete_answers` confirms as it is.)
    let mirror_pledges: Vec<i32> = pledge::Entity::find()
        .filter(pledge::Column::CompactScope.eq(pledge::StoredScope::from(CompactScope::Mirror)))
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let request = update_request::Entity::find()
        .filter(update_request::Column::PledgeId.is_in(mirror_pledges))
        .one(&conn)
        .await
        .unwrap()
        .expect("the demo register has a Mirror pledge");
    let mail = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::UpdateRequestId.eq(request.id))
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    let invitation = messages
        .iter()
        .find(|m| m.contains(&format!("Message-ID: <{}>", mail.message_id)))
        .expect("the invitation arrived");
    let start = invitation.find("/u/").expect("a personal link") + 3;
    let token = &invitation[start..start + 64];
    let opened = client
        .get(format!("{proxy_address}/u/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status().as_u16(), 303);
    let officer = session_cookie(&opened);
    let path = opened.headers()["location"].to_str().unwrap().to_string();
    let page = client
        .get(format!("{proxy_address}{path}"))
        .header("cookie", &officer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status().as_u16(),
        200,
        "the session opened on one instance works on the other"
    );
    let (csrf, version) = form_tokens(&page.text().await.unwrap());
    let answers = complete_answers();
    let submitted = client
        .post(format!("{proxy_address}{path}"))
        .header("cookie", &officer)
        .form(&form(&csrf, &version, "submit", &answers))
        .send()
        .await
        .unwrap();
    assert_eq!(
        submitted.status().as_u16(),
        303,
        "{}",
        submitted.text().await.unwrap()
    );
    let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();

    // The sign-in throttle counts on both instances: five wrong passwords, alternating, lock
    // the account everywhere (each instance alone saw only two or three).
    let reviewer = "reviewer@secretariat.example.org";
    for role_email in [reviewer, "guessed@secretariat.example.org"] {
        let added = run_cli(
            &db.url,
            &["staff", "add", role_email, "--name", "Rev", "--role", "reviewer"],
            &[("PLEDGEFLOW_STAFF_PASSWORD", STAFF_PASSWORD)],
        );
        assert!(added.status.success(), "{}", text(&added.stderr));
    }
    for attempt in 0..5 {
        let refused = sign_in(
            &client,
            &proxy_address,
            "guessed@secretariat.example.org",
            "wrong guess",
        )
        .await;
        assert_eq!(refused.status().as_u16(), 401, "attempt {attempt}");
        // A sign-in is two requests (the form, then the post): one more request makes the next
        // post land on the other instance.
        client
            .get(format!("{proxy_address}/healthz"))
            .send()
            .await
            .unwrap();
    }
    for _ in 0..2 {
        let locked = sign_in(
            &client,
            &proxy_address,
            "guessed@secretariat.example.org",
            STAFF_PASSWORD,
        )
        .await;
        assert_eq!(locked.status().as_u16(), 429, "locked on both instances");
    }

    // The reviewer signs in on one instance and approves on the other.
    let signed_in = sign_in(&client, &proxy_address, reviewer, STAFF_PASSWORD).await;
    assert_eq!(signed_in.status().as_u16(), 303);
    let staff = session_cookie(&signed_in);
    let review = client
        .get(format!("{proxy_address}/review/requests/{id}"))
        .header("cookie", &staff)
        .send()
        .await
        .unwrap();
    assert_eq!(review.status().as_u16(), 200);
    let (csrf, _) = form_tokens_staff(&review.text().await.unwrap());
    let approved = client
        .post(format!("{proxy_address}/review/requests/{id}/approve"))
        .header("cookie", &staff)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        approved.status().as_u16(),
        303,
        "{}",
        approved.text().await.unwrap()
    );
    let request = update_request::Entity::find_by_id(id)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.state, update_request::StoredRequestState::Approved);

    let served = proxy.served();
    assert!(
        served.iter().all(|n| *n >= 8),
        "both instances served: {served:?}"
    );
    drop((first, second));
}
