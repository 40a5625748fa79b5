//! Reminders through `pledgeflow reminders run --now`: due steps, windows, digests, no repeats.
use pledgeflow::entities::{outbox_mail, reminder_log, update_request};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::complete_answers;
use crate::helpers::text;
use crate::officer::{Journey, form};

fn run(j: &Journey, now: &str, mail_dir: &std::path::Path) -> String {
    let out = j.app.cli(
        &["reminders", "run", "--now", now],
        &[
            ("PLEDGEFLOW__MAIL__FILE_DIR", mail_dir.to_str().unwrap()),
            (
                "PLEDGEFLOW__MAIL__FROM",
                "Local Coalition Secretariat <pledges@example.org>",
            ),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn eml_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "eml"))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn reminders_go_once_in_office_hours_as_digests() {
    let j = Journey::start().await; // deadline 2099-01-15; -14d is Thursday 2099-01-01
    let mails = tempfile::tempdir().unwrap();
    // 08:00 UTC: 11:00 in Kampala (Arua), 03:00 in Toronto (Montréal).
    let report = run(&j, "2099-01-01T08:00:00Z", mails.path());
    assert!(
        report.contains("2 mail(s) covering 4 reminder(s) (2 digest(s), 0 escalation(s))"),
        "{report}"
    );
    assert!(report.contains("delivered: 2 sent"), "{report}");
    assert_eq!(eml_count(mails.path()), 2);
    let digest = std::fs::read_dir(mails.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let digest = std::fs::read_to_string(digest).unwrap();
    assert!(
        digest.contains("Subject: Reminder: 2 pledge updates are waiting for you"),
        "{digest}"
    );

    // The same pass again: nothing new.
    let again = run(&j, "2099-01-01T08:30:00Z", mails.path());
    assert!(again.contains("0 mail(s)"), "{again}");
    // Toronto's office hours: Marie's single reminder, in French.
    let later = run(&j, "2099-01-01T15:00:00Z", mails.path());
    assert!(
        later.contains("1 mail(s) covering 1 reminder(s) (0 digest(s)"),
        "{later}"
    );
    let to_marie = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Recipient.eq("marie@montreal.example.org"))
        .filter(outbox_mail::Column::Kind.eq("reminder"))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        to_marie
            .subject
            .starts_with("Rappel : votre mise à jour est attendue le 15 janvier 2099"),
        "{}",
        to_marie.subject
    );

    // Jane submits one of Arua's updates: the next step reminds only of the other one.
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    assert_eq!(
        j.app
            .post_form(
                &path,
                &cookie,
                &form(&csrf, &version, "submit", &complete_answers())
            )
            .await
            .status()
            .as_u16(),
        303
    );
    let week_later = run(&j, "2099-01-08T08:00:00Z", mails.path());
    assert!(
        week_later.contains("2 mail(s) covering 2 reminder(s) (0 digest(s)"),
        "{week_later}"
    );
    let steps: Vec<(i32, reminder_log::StoredReminderOutcome)> = reminder_log::Entity::find()
        .filter(reminder_log::Column::Step.eq("-7d"))
        .all(&j.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.update_request_id, l.state))
        .collect();
    let submitted_id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
    assert!(
        steps.iter().all(|(id, _)| *id != submitted_id),
        "no reminder after submission: {steps:?}"
    );
    // A weekend: nothing, whatever is due.
    let saturday = run(&j, "2099-01-10T10:00:00Z", mails.path());
    assert!(saturday.contains("0 mail(s)"), "{saturday}");
    // Each (request, step, contact) exists once.
    let total = reminder_log::Entity::find().count(&j.app.db).await.unwrap();
    let distinct: std::collections::HashSet<(i32, String, i32)> = reminder_log::Entity::find()
        .all(&j.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.update_request_id, l.step, l.contact_id))
        .collect();
    assert_eq!(total as usize, distinct.len());
}

#[tokio::test]
async fn the_escalation_reaches_the_secretariat_and_older_links_keep_working() {
    let j = Journey::start().await;
    let mails = tempfile::tempdir().unwrap();
    // +10d after 2099-01-15 is Sunday the 25th; Monday the 26th is the first office day.
    let report = run(&j, "2099-01-26T08:00:00Z", mails.path());
    assert!(report.contains("2 escalation(s)"), "{report}");
    let copies = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq("escalation_copy"))
        .all(&j.app.db)
        .await
        .unwrap();
    assert_eq!(copies.len(), 2);
    // The copy names the officer and links each update's review page, never a personal link.
    assert!(
        copies.iter().all(|c| c.recipient == "pledges@example.org"
            && !c.text_body.contains("/u/")
            && !c.html_body.as_deref().unwrap_or_default().contains("/u/")
            && c.text_body.contains("/review/requests/")
            && c.text_body.contains("Status: Not started")),
        "{}",
        copies[0].text_body
    );
    // The deadline has passed: the escalation says so.
    assert!(
        copies.iter().all(|c| c.subject.contains("Overdue")),
        "{}",
        copies[0].subject
    );
    let skipped = reminder_log::Entity::find()
        .filter(reminder_log::Column::State.eq("skipped"))
        .count(&j.app.db)
        .await
        .unwrap();
    assert!(
        skipped > 0,
        "the older steps are recorded as skipped, never sent late"
    );
    // The link in the escalation opens the form, and the invitation's link still works too.
    let escalation = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq("escalation"))
        .filter(outbox_mail::Column::Recipient.eq("marie@montreal.example.org"))
        .one(&j.app.db)
        .await
        .unwrap();
    assert!(escalation.is_none(), "Toronto is still asleep at 08:00 UTC");
    j.app
        .open_link(&j.token("CLA-2025-0002", "marie@montreal.example.org"))
        .await;
}

/// The acceptance simulation: a 60-day campaign, 1,000 requests in 40 time zones, the
/// scheduler every two hours, some officers submitting along the way. Every step reaches every
/// primary contact exactly once (sent or, if overtaken, skipped), never outside the window,
/// never after submission.
#[tokio::test]
async fn a_sixty_day_campaign_of_1000_requests_in_40_time_zones() {
    use chrono::{Duration, TimeZone, Utc};
    use pledgeflow::domain::reminders::Policy;
    use std::collections::HashMap;

    const ZONES: [&str; 40] = [
        "Africa/Accra",
        "Africa/Addis_Ababa",
        "Africa/Kampala",
        "Africa/Maputo",
        "Africa/Casablanca",
        "Africa/Tunis",
        "Africa/Lagos",
        "Africa/Johannesburg",
        "Asia/Beirut",
        "Asia/Amman",
        "Asia/Hebron",
        "Asia/Dhaka",
        "Asia/Kathmandu",
        "Asia/Kolkata",
        "Asia/Manila",
        "Asia/Tokyo",
        "Asia/Tehran",
        "Asia/Kabul",
        "Australia/Adelaide",
        "Australia/Sydney",
        "Pacific/Auckland",
        "Pacific/Chatham",
        "Europe/London",
        "Europe/Paris",
        "Europe/Athens",
        "Europe/Istanbul",
        "Europe/Kyiv",
        "Europe/Lisbon",
        "America/St_Johns",
        "America/Toronto",
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/Bogota",
        "America/Sao_Paulo",
        "America/Santiago",
        "America/Argentina/Buenos_Aires",
        "America/Mexico_City",
        "Pacific/Honolulu",
    ];
    let app = crate::helpers::spawn_app().await;
    let mut csv = String::from(
        "reference,title,organization,organization_kind,country,region,timezone,locale,compact_scope,beneficiary_groups,priorities,gcr_objectives,pledge_year,contact_name,contact_email\n",
    );
    for i in 0..1000 {
        let org = i / 4;
        let zone = ZONES[org % ZONES.len()];
        csv.push_str(&format!(
            "CLA-2026-{:04},Pledge {i},City {org},lrg,Somewhere,global,{zone},en,GCR,refugees,1,1,2026,Officer {org},officer{org}@city{org}.example.org\n",
            i + 1
        ));
    }
    app.seed_register(&csv).await;
    let start = Utc.with_ymd_and_hms(2027, 2, 22, 0, 0, 0).unwrap();
    let deadline = start.date_naive() + Duration::days(35);
    let spec = pledgeflow::store::campaign::OpenCampaign {
        move_open: false,
        dry_run: false,
        progress: &|_, _| {},
        name: "Simulated",
        deadline,
        pledge_refs: &[],
        base_url: "https://pledges.example.org",
        grace_days: 30,
        staff_id: None,
        policy: pledgeflow::config::Settings::from_layers(None, &[])
            .unwrap()
            .reminders
            .policy_settings(),
    };
    pledgeflow::store::campaign::open_campaign(&app.db, &spec, start)
        .await
        .unwrap();
    let policy = Policy::default();
    let requests = update_request::Entity::find().all(&app.db).await.unwrap();
    // Officers of every tenth request submit on day 20 (their state changes as a submission would).
    let submitted: Vec<i32> = requests.iter().filter(|r| r.id % 10 == 0).map(|r| r.id).collect();
    let submit_at = start + Duration::days(20);
    let mut tick = start;
    while tick < start + Duration::days(60) {
        if tick == submit_at {
            for id in &submitted {
                let mut r: update_request::ActiveModel = update_request::Entity::find_by_id(*id)
                    .one(&app.db)
                    .await
                    .unwrap()
                    .unwrap()
                    .into();
                r.state =
                    sea_orm::ActiveValue::Set(pledgeflow::domain::request::RequestState::Submitted.into());
                sea_orm::ActiveModelTrait::update(r, &app.db).await.unwrap();
            }
        }
        pledgeflow::store::reminders::run_pass(
            &app.db,
            &policy,
            "https://pledges.example.org",
            30,
            "pledges@example.org",
            tick,
        )
        .await
        .unwrap();
        tick += Duration::hours(2);
    }

    let log = reminder_log::Entity::find().all(&app.db).await.unwrap();
    let tz_of: HashMap<i32, chrono_tz::Tz> = {
        let orgs = pledgeflow::entities::organization::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        let pledges = pledgeflow::entities::pledge::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        let org_tz: HashMap<i32, chrono_tz::Tz> =
            orgs.iter().map(|o| (o.id, o.timezone.parse().unwrap())).collect();
        let pledge_tz: HashMap<i32, chrono_tz::Tz> = pledges
            .iter()
            .map(|p| (p.id, org_tz[&p.organization_id]))
            .collect();
        requests.iter().map(|r| (r.id, pledge_tz[&r.pledge_id])).collect()
    };
    let mut seen = std::collections::HashSet::new();
    for entry in &log {
        assert!(
            seen.insert((entry.update_request_id, entry.step.clone(), entry.contact_id)),
            "twice: {entry:?}"
        );
        if entry.state == reminder_log::StoredReminderOutcome::Sent {
            let tz = tz_of[&entry.update_request_id];
            assert!(
                policy.in_window(tz, entry.created_at),
                "outside the window: {entry:?} in {tz}"
            );
            if submitted.contains(&entry.update_request_id) {
                assert!(entry.created_at < submit_at, "after submission: {entry:?}");
            }
        }
    }
    // Every step of every request still open reached its contact, sent or (overtaken) skipped.
    for r in requests.iter().filter(|r| !submitted.contains(&r.id)) {
        for step in &policy.deadline_steps {
            let has = log
                .iter()
                .any(|l| l.update_request_id == r.id && l.step == step.id);
            assert!(has, "request {} never got step {}", r.id, step.id);
        }
    }
    let sent = log
        .iter()
        .filter(|l| l.state == reminder_log::StoredReminderOutcome::Sent)
        .count();
    let digests = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq("digest"))
        .count(&app.db)
        .await
        .unwrap();
    assert!(
        sent > 3_000 && digests > 0,
        "{sent} reminders sent, {digests} digests"
    );
}
