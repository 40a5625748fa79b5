//! Reminders through `pledgeflow reminders run --now`: due steps, windows, digests, no repeats.
use pledgeflow::entities::{outbox_mail, reminder_log};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::text;
use crate::officer::{Journey, complete_answers, form};

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
    let steps: Vec<(i32, String)> = reminder_log::Entity::find()
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
    assert!(copies.iter().all(|c| c.recipient == "pledges@example.org"
        && !c.text_body.contains("/u/0")
        && c.text_body.contains("[removed-after-sending]")));
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
