//! Snapshot tests of the e-mails with insta: the rendered subject, text and HTML are compared
//! with `tests/api/snapshots/`. After an intended change, run `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test --test api emails`) and read the diff before committing.
use chrono::NaiveDate;
use pledgeflow::domain::pledge::Locale;
use pledgeflow::mail::messages::{Confirmation, Invitation, Rendered, confirmation, invitation};

use crate::helpers::{RegisterRow, link_token, spawn_app};

fn snapshot(name: &str, rendered: &Rendered) {
    let mail = format!(
        "Subject: {}\n\n{}\n----- html -----\n{}",
        rendered.subject, rendered.text, rendered.html
    );
    insta::assert_snapshot!(name.to_string(), mail);
}

fn sample_invitation(link: &str, deadline: NaiveDate) -> Invitation<'_> {
    Invitation {
        recipient_name: "Marie Agente",
        pledge_title: "Accès aux services pour tous",
        reference: "CLA-2025-0002",
        link,
        deadline,
        out_of_un_scope: false,
    }
}

#[test]
fn invitation_snapshots_in_four_languages() {
    let link = "https://pledges.example.org/u/TOKEN";
    let deadline = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
    for locale in [Locale::En, Locale::Fr, Locale::Es, Locale::Pt] {
        snapshot(
            &format!("invitation.{locale}"),
            &invitation(locale, &sample_invitation(link, deadline)),
        );
    }
    let idp = Invitation {
        out_of_un_scope: true,
        ..sample_invitation(link, deadline)
    };
    snapshot("invitation.idp_only.en", &invitation(Locale::En, &idp));
}

#[test]
fn confirmation_snapshots_in_two_languages() {
    for locale in [Locale::En, Locale::Es] {
        let mail = Confirmation {
            recipient_name: "Jane Officer",
            pledge_title: "Welcome centre <for> newcomers",
            reference: "CLA-2025-0001",
            submitted_on: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
            revision: 2,
            summary: vec![
                ("Stage of implementation".into(), "In progress".into()),
                ("People reached in total".into(), "5,000".into()),
            ],
        };
        snapshot(&format!("confirmation.{locale}"), &confirmation(locale, &mail));
    }
}

/// The invitation a campaign really sends is the snapshot, token apart.
#[tokio::test]
async fn the_sent_invitation_matches_the_snapshot() {
    let app = spawn_app().await;
    app.seed_rows(&[RegisterRow {
        reference: "CLA-2025-0002",
        title: "Accès aux services pour tous",
        organization: "Montréal",
        country: "Canada",
        region: "north_america",
        timezone: "America/Toronto",
        locale: "fr",
        compact_scope: "GCM",
        beneficiary_groups: "migrants",
        priorities: "4",
        gcm_objectives: "15",
        contact_name: "Marie Agente",
        contact_email: "marie@montreal.example.org",
        ..Default::default()
    }])
    .await;
    app.open_campaign("Snapshot round", &[]).await;
    let sent = app.deliver_mail(1).await;
    let token = link_token(&sent[0]);
    let link = format!("{}/u/{token}", app.address);
    let deadline = NaiveDate::from_ymd_opt(2099, 1, 15).unwrap();
    let expected = invitation(Locale::Fr, &sample_invitation(&link, deadline));
    assert_eq!(sent[0].subject, expected.subject);
    assert_eq!(sent[0].text, expected.text);
    assert_eq!(sent[0].html.as_deref(), Some(expected.html.as_str()));
    assert!(sent[0].text.contains("15 janvier 2099"));
}

#[test]
fn interview_and_approval_snapshots_in_four_languages() {
    use pledgeflow::domain::interview::InterviewMode;
    use pledgeflow::mail::messages::{Approved, InterviewMail, InterviewNotice, approved, interview};
    let notices = [
        (InterviewNotice::Invitation, "invitation"),
        (InterviewNotice::Rescheduled, "rescheduled"),
        (InterviewNotice::Cancelled, "cancelled"),
        (InterviewNotice::Reminder, "reminder"),
    ];
    for locale in [Locale::En, Locale::Fr, Locale::Es, Locale::Pt] {
        for (notice, name) in notices {
            let mail = InterviewMail {
                notice,
                recipient_name: "Ana Ruiz",
                pledge_title: "Empleo para <personas> migrantes",
                reference: "CLA-2025-0102",
                starts_at: "2027-01-12T15:00:00Z".parse().unwrap(),
                timezone: chrono_tz::America::Bogota,
                duration_minutes: 45,
                mode: InterviewMode::Video,
                interviewer: "Sam Reviewer",
                meeting_link: Some("https://meet.example.org/0102"),
            };
            let rendered = interview(locale, &mail);
            // The officer reads the time on their own clock: 10:00 in Bogotá.
            if notice != InterviewNotice::Cancelled {
                assert!(
                    rendered.text.contains("10:00 (America/Bogota)"),
                    "{}",
                    rendered.text
                );
            }
            assert!(!rendered.html.contains("<personas>"), "escaped");
            snapshot(&format!("interview.{name}.{locale}"), &rendered);
        }
        let mail = Approved {
            recipient_name: "Ana Ruiz",
            pledge_title: "Empleo para personas migrantes",
            reference: "CLA-2025-0102",
            revision: 2,
        };
        snapshot(&format!("approved.{locale}"), &approved(locale, &mail));
    }
}
