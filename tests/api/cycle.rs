//! A whole update cycle through HTTP, as the secretariat and three officers live it: the
//! campaign is opened from the workspace, one update goes through changes and an interview,
//! and publication and the UN exports follow each pledge's scope.
use pledgeflow::domain::pledge::Locale;
use pledgeflow::entities::{audit_event, interview, update_request};
use pledgeflow::i18n::messages;
use pledgeflow::mail::OutgoingMail;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::helpers::complete_answers;
use crate::helpers::{TestApp, form_tokens, link_token, spawn_app};
use crate::officer::form;

const REGISTER: &str = "reference,title,organization,organization_kind,country,country_code,region,timezone,locale,compact_scope,beneficiary_groups,priorities,gcm_objectives,gcr_objectives,pledge_year,timeline_start,timeline_end,contact_name,contact_email,contact_locale
CLA-2025-0101,Welcome centre for newcomers,Montréal,lrg,Canada,CA,north_america,America/Toronto,fr,MIRROR,migrants;refugees,1,23,1,2025,2023,2027,Marie Agente,marie@montreal.example.org,fr
CLA-2025-0102,Jobs for migrant workers,Bogotá,lrg,Colombia,CO,latin_america,America/Bogota,es,GCM,migrants,4,15,,2025,2022,ongoing,Ana Ruiz,ana@bogota.example.org,es
CLA-2025-0103,Shelter for displaced families,Beira,lrg,Mozambique,MZ,sub_saharan_africa,Africa/Maputo,pt,IDP_ONLY,idps,2,,,2025,2023,2026,Rui Costa,rui@beira.example.org,pt";

/// Sign in as `role` and read the CSRF token of a workspace page.
async fn staff(app: &TestApp, role: &str) -> (String, String) {
    app.sign_in(role).await
}

fn newest<'a>(mails: &'a [OutgoingMail], to: &str, kind_subject: &str) -> &'a OutgoingMail {
    mails
        .iter()
        .rev()
        .find(|m| m.to == to && m.subject == kind_subject)
        .unwrap_or_else(|| panic!("no mail to {to} with subject {kind_subject:?}"))
}

/// The officer follows a link and submits `answers`; returns the request id.
async fn officer_submits(app: &TestApp, mail: &OutgoingMail, answers: &[(&'static str, String)]) -> i32 {
    let (cookie, path) = app.open_link(&link_token(mail)).await;
    let (status, html) = app.get_with(&path, &cookie).await;
    assert_eq!(status, 200);
    let (csrf, version) = form_tokens(&html);
    let response = app
        .post_form(&path, &cookie, &form(&csrf, &version, "submit", answers))
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "{}",
        response.text().await.unwrap()
    );
    path.rsplit('/').next().unwrap().parse().unwrap()
}

async fn post_ok(app: &TestApp, cookie: &str, path: &str, pairs: &[(&str, &str)]) {
    let response = app.post_form(path, cookie, pairs).await;
    let status = response.status().as_u16();
    assert_eq!(status, 303, "POST {path}: {}", response.text().await.unwrap());
}

fn answers_for(scope: &str, groups: &[&str]) -> Vec<(&'static str, String)> {
    let mut a = complete_answers();
    // An officer who confirms one compact unticks the other compact's objectives.
    let other_compact: &[&str] = match scope {
        "GCM" => &["gcr_objectives", "gcr_focus_areas"],
        "GCR" => &["gcm_objectives"],
        "IDP_ONLY" => &["gcm_objectives", "gcr_objectives", "gcr_focus_areas"],
        _ => &[],
    };
    a.retain(|(k, _)| *k != "compact_scope" && *k != "beneficiary_groups" && !other_compact.contains(k));
    a.push(("compact_scope", scope.into()));
    for g in groups {
        a.push(("beneficiary_groups", g.to_string()));
    }
    a
}

fn calendar(mail: &OutgoingMail) -> String {
    assert_eq!(mail.attachments.len(), 1, "one calendar file");
    let file = &mail.attachments[0];
    assert_eq!(file.filename, "interview.ics");
    file.content.replace("\r\n ", "")
}

#[tokio::test]
async fn a_full_cycle_with_changes_and_an_interview_ends_in_the_right_exports() {
    let app = spawn_app().await;
    app.seed_register(REGISTER).await;
    let (admin, admin_csrf) = staff(&app, "admin").await;

    // The campaign is opened from the workspace for the three pledges.
    let response = app
        .post_form(
            "/review/campaigns",
            &admin,
            &[
                ("_csrf", &admin_csrf),
                ("name", "Update round 2026"),
                ("deadline", "2099-01-15"),
                ("scope", "chosen"),
                ("confirm", "yes"),
                ("pledge", "CLA-2025-0101"),
                ("pledge", "CLA-2025-0102"),
                ("pledge", "CLA-2025-0103"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let dashboard = response.headers()["location"].to_str().unwrap().to_string();
    assert!(dashboard.starts_with("/review/campaigns/"), "{dashboard}");
    let mails = app.deliver_mail(3).await;
    let title = |reference: &str| match reference {
        "CLA-2025-0101" => "Welcome centre for newcomers",
        "CLA-2025-0102" => "Jobs for migrant workers",
        _ => "Shelter for displaced families",
    };
    let subject = |locale: Locale, key: &str, reference: &str| {
        messages(locale).fill(key, &[("title", &title(reference))])
    };
    // Each officer is invited in their own language.
    let invitation_marie = newest(
        &mails,
        "marie@montreal.example.org",
        &subject(Locale::Fr, "email.invitation.subject", "CLA-2025-0101"),
    )
    .clone();
    let invitation_ana = newest(
        &mails,
        "ana@bogota.example.org",
        &subject(Locale::Es, "email.invitation.subject", "CLA-2025-0102"),
    )
    .clone();
    let invitation_rui = newest(
        &mails,
        "rui@beira.example.org",
        &subject(Locale::Pt, "email.invitation.subject", "CLA-2025-0103"),
    )
    .clone();

    // Marie submits; the reviewer asks for changes on two fields.
    let id = officer_submits(&app, &invitation_marie, &complete_answers()).await;
    let (reviewer, csrf) = staff(&app, "reviewer").await;
    let review = format!("/review/requests/{id}");
    post_ok(
        &app,
        &reviewer,
        &format!("{review}/changes"),
        &[
            ("_csrf", &csrf),
            ("field.1", "beneficiaries_total"),
            ("message.1", "Households or people?"),
            ("field.2", "lessons_learned"),
            ("message.2", "One concrete lesson, please."),
        ],
    )
    .await;
    let mails = app.deliver_mail(5).await;
    let changes = newest(
        &mails,
        "marie@montreal.example.org",
        &subject(Locale::Fr, "email.changes.subject", "CLA-2025-0101"),
    );
    assert!(changes.text.contains("Households or people?") && changes.text.contains("One concrete lesson"));
    let mut revised = complete_answers();
    revised.retain(|(k, _)| *k != "lessons_learned");
    revised.push(("lessons_learned", "Hire refugee liaisons first.".into()));
    assert_eq!(officer_submits(&app, changes, &revised).await, id);

    // An interview is requested: approval waits for it.
    post_ok(
        &app,
        &reviewer,
        &format!("{review}/interviews"),
        &[("_csrf", &csrf)],
    )
    .await;
    let refused = app
        .post_form(&format!("{review}/approve"), &reviewer, &[("_csrf", &csrf)])
        .await;
    assert_eq!(refused.status().as_u16(), 409);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("an interview is still open")
    );
    let (_, page) = app.get_with(&review, &reviewer).await;
    assert!(
        page.contains("Approval waits for the interview")
            && !page.contains("<button type=\"submit\">Approve</button>"),
        "the page says why instead of offering the button"
    );
    let interview_id = interview::Entity::find()
        .filter(interview::Column::UpdateRequestId.eq(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let schedule = |time: &'static str| {
        vec![
            ("date", "2099-01-06"),
            ("time", time),
            ("timezone", "America/Toronto"),
            ("duration_minutes", "45"),
            ("mode", "video"),
            ("interviewer", "Sam Reviewer"),
            ("meeting_link", "https://meet.example.org/pledge-0101"),
        ]
    };
    let mut pairs = vec![("_csrf", csrf.as_str())];
    pairs.extend(schedule("10:00"));
    post_ok(
        &app,
        &reviewer,
        &format!("/review/interviews/{interview_id}/schedule"),
        &pairs,
    )
    .await;
    let mails = app.deliver_mail(7).await;
    let invite = newest(
        &mails,
        "marie@montreal.example.org",
        &subject(Locale::Fr, "email.interview.subject", "CLA-2025-0101"),
    );
    let ics = calendar(invite);
    for line in [
        "METHOD:REQUEST",
        "SEQUENCE:0",
        // 10:00 in Montréal in January is 15:00 UTC.
        "DTSTART:20990106T150000Z",
        "DTEND:20990106T154500Z",
        "ATTENDEE;CN=\"Marie Agente\";ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:marie@montreal.example.org",
        "LOCATION:https://meet.example.org/pledge-0101",
    ] {
        assert!(ics.contains(&format!("\r\n{line}\r\n")), "{line} in {ics}");
    }
    assert!(invite.attachments[0].content_type.contains("method=REQUEST"));
    assert!(invite.text.contains("10:00 (America/Toronto)") && invite.text.contains("Visioconférence"));
    let uid = ics.lines().find(|l| l.starts_with("UID:")).unwrap().to_string();

    // Rescheduling keeps the UID and raises SEQUENCE.
    let mut pairs = vec![("_csrf", csrf.as_str())];
    pairs.extend(schedule("11:30"));
    post_ok(
        &app,
        &reviewer,
        &format!("/review/interviews/{interview_id}/schedule"),
        &pairs,
    )
    .await;
    let mails = app.deliver_mail(8).await;
    let moved = newest(
        &mails,
        "marie@montreal.example.org",
        &subject(Locale::Fr, "email.interview.subject_rescheduled", "CLA-2025-0101"),
    );
    let ics = calendar(moved);
    assert!(ics.contains("\r\nSEQUENCE:1\r\n") && ics.contains("\r\nDTSTART:20990106T163000Z\r\n"));
    assert!(ics.contains(&format!("{uid}\r\n")), "same UID");

    // Held, then validated: approval and publication go through.
    let refused = app
        .post_form(
            &format!("/review/interviews/{interview_id}/validated"),
            &reviewer,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 409, "validate before it was held");
    post_ok(
        &app,
        &reviewer,
        &format!("/review/interviews/{interview_id}/held"),
        &[
            ("_csrf", &csrf),
            ("notes", "People, not households; figures confirmed."),
        ],
    )
    .await;
    post_ok(
        &app,
        &reviewer,
        &format!("/review/interviews/{interview_id}/validated"),
        &[("_csrf", &csrf)],
    )
    .await;
    post_ok(&app, &reviewer, &format!("{review}/approve"), &[("_csrf", &csrf)]).await;
    let mails = app.deliver_mail(9).await;
    newest(
        &mails,
        "marie@montreal.example.org",
        &subject(Locale::Fr, "email.approved.subject", "CLA-2025-0101"),
    );
    post_ok(&app, &reviewer, &format!("{review}/publish"), &[("_csrf", &csrf)]).await;

    // The GCM pledge and the IDP-only pledge go through without changes.
    for (mail, scope, groups) in [
        (&invitation_ana, "GCM", &["migrants"][..]),
        (&invitation_rui, "IDP_ONLY", &["idps"][..]),
    ] {
        let other = officer_submits(&app, mail, &answers_for(scope, groups)).await;
        post_ok(
            &app,
            &reviewer,
            &format!("/review/requests/{other}/approve"),
            &[("_csrf", &csrf)],
        )
        .await;
        post_ok(
            &app,
            &reviewer,
            &format!("/review/requests/{other}/publish"),
            &[("_csrf", &csrf)],
        )
        .await;
    }

    // Every step is on the timeline.
    let (_, page) = app.get_with(&review, &reviewer).await;
    for action in [
        "request.issued",
        "request.submitted",
        "request.changes_requested",
        "interview.requested",
        "interview.scheduled",
        "interview.rescheduled",
        "interview.held",
        "interview.validated",
        "request.approved",
        "request.published",
    ] {
        assert!(page.contains(action), "{action} on the timeline");
    }
    let staff_actions = audit_event::Entity::find()
        .filter(audit_event::Column::Entity.eq("update_request"))
        .filter(audit_event::Column::EntityId.eq(id.to_string()))
        .filter(audit_event::Column::ActorKind.eq("staff"))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let actions: Vec<&str> = staff_actions.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "request.issued",
            "request.changes_requested",
            "interview.requested",
            "interview.scheduled",
            "interview.rescheduled",
            "interview.held",
            "interview.validated",
            "request.approved",
            "request.published"
        ]
    );

    // Public pages show all three; the UN exports follow the register scope.
    let (_, public) = app.get_text("/public/updates").await;
    for reference in ["CLA-2025-0101", "CLA-2025-0102", "CLA-2025-0103"] {
        assert!(public.contains(reference), "{reference} is public");
    }
    let export = |target: &'static str| {
        let app = &app;
        let reviewer = reviewer.clone();
        async move {
            let (status, body) = app
                .get_with(&format!("/review/exports/updates.csv?target={target}"), &reviewer)
                .await;
            assert_eq!(status, 200);
            body
        }
    };
    let gcr = export("gcr").await;
    let gcm = export("gcm").await;
    let all = export("all").await;
    assert!(
        gcr.contains("CLA-2025-0101") && !gcr.contains("CLA-2025-0102") && !gcr.contains("CLA-2025-0103")
    );
    assert!(gcm.contains("CLA-2025-0101") && gcm.contains("CLA-2025-0102") && !gcm.contains("CLA-2025-0103"));
    assert!(all.contains("CLA-2025-0101") && all.contains("CLA-2025-0102") && all.contains("CLA-2025-0103"));

    // The dashboard's figures come from the approved updates: 3 × 5,000 people.
    let (_, page) = app.get_with(&dashboard, &reviewer).await;
    assert!(page.contains("<strong>3</strong> pledges updated"), "{page}");
    assert!(page.contains("<strong>15,000</strong> people reached"));
    assert!(page.contains("<strong>1,800,000</strong> USD mobilized"));
    assert!(page.contains("<strong>33%</strong> Mirror pledges"));
}

#[tokio::test]
async fn cancelling_a_scheduled_interview_sends_a_calendar_cancel() {
    let app = spawn_app().await;
    app.seed_register(REGISTER).await;
    app.open_campaign("Cancel round", &["CLA-2025-0102"]).await;
    let mails = app.deliver_mail(1).await;
    let id = officer_submits(&app, &mails[0], &answers_for("GCM", &["migrants"])).await;
    let (reviewer, csrf) = staff(&app, "reviewer").await;
    post_ok(
        &app,
        &reviewer,
        &format!("/review/requests/{id}/interviews"),
        &[("_csrf", &csrf)],
    )
    .await;
    // A second interview while one is open is refused.
    let again = app
        .post_form(
            &format!("/review/requests/{id}/interviews"),
            &reviewer,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status().as_u16(), 409);
    // The campaign's "needs you" panel: the update waits for review, the interview for a date.
    let campaign_id = update_request::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .campaign_id;
    let (_, dashboard) = app
        .get_with(&format!("/review/campaigns/{campaign_id}"), &reviewer)
        .await;
    assert!(
        dashboard.contains(">1 to review</a>") && dashboard.contains(">1 interviews to schedule</a>"),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("CLA-2025-0102</a> ") && dashboard.contains("waiting 0 days"),
        "{dashboard}"
    );
    let interview_id = interview::Entity::find().one(&app.db).await.unwrap().unwrap().id;
    let schedule = format!("/review/interviews/{interview_id}/schedule");
    // Bad input is a 422 naming the field, and nothing changes.
    for (field, value, expected) in [
        ("timezone", "Mars/Olympus", "Time zone `Mars/Olympus`"),
        ("date", "06/01/2099", "Date `06/01/2099`"),
        (
            "date",
            "2020-01-06",
            "Date: 2020-01-06 09:00 America/Bogota has already passed.",
        ),
        ("meeting_link", "javascript:alert(1)", "Meeting link"),
    ] {
        let mut pairs = vec![
            ("_csrf", csrf.as_str()),
            ("date", "2099-01-06"),
            ("time", "09:00"),
            ("timezone", "America/Bogota"),
            ("mode", "video"),
            ("interviewer", "Sam"),
            ("meeting_link", "https://meet.example.org/x"),
        ];
        pairs.retain(|(k, _)| *k != field);
        pairs.push((field, value));
        let response = app.post_form(&schedule, &reviewer, &pairs).await;
        assert_eq!(response.status().as_u16(), 422, "{field}");
        let page = response.text().await.unwrap();
        assert!(page.contains(expected), "{page}");
        // The page comes back with everything the reviewer typed still in the form.
        assert!(
            page.contains("value=\"Sam\"") && page.contains("value=\"09:00\""),
            "typed values kept"
        );
        // The zone is chosen from the list: what was typed, or the LRG's own if that was no zone.
        let chosen = page
            .split("<option selected>")
            .nth(1)
            .and_then(|s| s.split('<').next());
        if field == "timezone" {
            assert!(
                chosen.is_some_and(|z| z.parse::<chrono_tz::Tz>().is_ok()),
                "{chosen:?}"
            );
        } else {
            assert_eq!(chosen, Some("America/Bogota"), "the typed zone stays chosen");
        }
    }
    assert_eq!(
        interview::Entity::find_by_id(interview_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .state,
        interview::StoredInterviewState::Requested
    );
    post_ok(
        &app,
        &reviewer,
        &schedule,
        &[
            ("_csrf", &csrf),
            ("date", "2099-01-06"),
            ("time", "09:00"),
            ("timezone", "America/Bogota"),
            ("mode", "phone"),
            ("interviewer", "Sam"),
        ],
    )
    .await;
    post_ok(
        &app,
        &reviewer,
        &format!("/review/interviews/{interview_id}/cancel"),
        &[("_csrf", &csrf)],
    )
    .await;
    let mails = app.deliver_mail(4).await;
    let cancel = newest(
        &mails,
        "ana@bogota.example.org",
        &messages(Locale::Es).fill(
            "email.interview.subject_cancelled",
            &[("title", &"Jobs for migrant workers")],
        ),
    );
    let ics = calendar(cancel);
    assert!(
        ics.contains("\r\nMETHOD:CANCEL\r\n")
            && ics.contains("\r\nSEQUENCE:1\r\n")
            && ics.contains("\r\nSTATUS:CANCELLED\r\n")
    );
    assert!(cancel.text.contains("09:00 (America/Bogota)"), "{}", cancel.text);
    // With the interview cancelled, approval is possible again.
    post_ok(
        &app,
        &reviewer,
        &format!("/review/requests/{id}/approve"),
        &[("_csrf", &csrf)],
    )
    .await;
}

/// `2099-01-12T11:30:00Z` → the instant.
fn at(instant: &str) -> chrono::DateTime<chrono::Utc> {
    instant.parse().expect("an RFC 3339 instant")
}

#[tokio::test]
async fn interviews_are_reminded_the_day_before_to_the_officer_and_the_interviewer() {
    use pledgeflow::entities::outbox_mail;
    let app = spawn_app().await;
    app.seed_register(REGISTER).await;
    app.open_campaign("Interview round", &["CLA-2025-0102"]).await;
    let mails = app.deliver_mail(1).await;
    let id = officer_submits(&app, &mails[0], &answers_for("GCM", &["migrants"])).await;
    let (reviewer, csrf) = staff(&app, "reviewer").await;
    post_ok(
        &app,
        &reviewer,
        &format!("/review/requests/{id}/interviews"),
        &[("_csrf", &csrf)],
    )
    .await;
    let interview_id = interview::Entity::find().one(&app.db).await.unwrap().unwrap().id;
    // Next week, on a real date: the test moves the app's clock, not the calendar to 2099.
    let day = (app.clock.now() + chrono::Duration::days(7)).date_naive();
    post_ok(
        &app,
        &reviewer,
        &format!("/review/interviews/{interview_id}/schedule"),
        &[
            ("_csrf", &csrf),
            ("date", &day.to_string()),
            ("time", "09:00"),
            ("timezone", "America/Bogota"),
            ("mode", "phone"),
            ("interviewer", "Sam Reviewer"),
            ("interviewer_email", "sam@secretariat.example.org"),
        ],
    )
    .await;
    app.run_mail().await;
    let (_, page) = app.get_with("/review/interviews", &reviewer).await;
    assert!(
        page.contains("CLA-2025-0102") && page.contains(&format!("{day} 09:00 America/Bogota")),
        "the interview is listed as upcoming: {page}"
    );
    // 09:00 in Bogotá is 14:00 UTC: nothing 25 hours before, two reminders 23 hours before.
    let day_before = |hour: u32| day.pred_opt().unwrap().and_hms_opt(hour, 0, 0).unwrap().and_utc();
    assert_eq!(app.run_scheduler_at(day_before(13)).await.interview_reminders, 0);
    assert_eq!(app.run_scheduler_at(day_before(15)).await.interview_reminders, 2);
    assert_eq!(
        app.run_scheduler_at(day_before(16)).await.interview_reminders,
        0,
        "once"
    );
    let reminders = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq("interview_reminder"))
        .order_by_asc(outbox_mail::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let to: Vec<(&str, &str)> = reminders
        .iter()
        .map(|m| (m.recipient.as_str(), m.locale.as_str()))
        .collect();
    assert_eq!(
        to,
        [
            ("ana@bogota.example.org", "es"),
            ("sam@secretariat.example.org", "en")
        ]
    );
    assert_eq!(
        reminders[0].subject,
        messages(Locale::Es).fill(
            "email.interview.subject_reminder",
            &[("title", &"Jobs for migrant workers")]
        )
    );
    assert!(
        reminders[0].text_body.contains("9:00") || reminders[0].text_body.contains("09:00 (America/Bogota)")
    );
}

#[tokio::test]
async fn a_campaign_keeps_its_own_reminder_policy_and_the_dashboard_shows_what_comes_next() {
    use pledgeflow::entities::{campaign, contact};
    let app = spawn_app().await;
    app.seed_register(REGISTER).await;
    let (admin, csrf) = staff(&app, "admin").await;
    let open = |steps: &'static str| {
        let app = &app;
        let (admin, csrf) = (admin.clone(), csrf.clone());
        async move {
            app.post_form(
                "/review/campaigns",
                &admin,
                &[
                    ("_csrf", csrf.as_str()),
                    ("name", "Rolling round"),
                    ("deadline", "2099-01-15"),
                    ("scope", "chosen"),
                    ("confirm", "yes"),
                    ("pledge", "CLA-2025-0101"),
                    ("steps", steps),
                    ("changes_steps", "+2d"),
                    ("window", "06:00-07:00"),
                    ("weekdays", "mon,tue,wed,thu,fri,sat,sun"),
                ],
            )
            .await
        }
    };
    // A policy that does not parse comes back with the reason and what was typed.
    let refused = open("-3 days").await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Reminder policy:")
            && page.contains("value=\"-3 days\"")
            && page.contains("value=\"Rolling round\""),
        "{page}"
    );
    assert!(page.contains("value=\"CLA-2025-0101\" checked"));
    let opened = open("-3d, +1d escalate").await;
    assert_eq!(opened.status().as_u16(), 303);
    let dashboard = opened.headers()["location"]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let stored = campaign::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!(
        stored.reminder_policy.contains("-3d, +1d escalate"),
        "{}",
        stored.reminder_policy
    );
    app.deliver_mail(1).await;
    app.run_mail().await;

    let (_, page) = app.get_with(&dashboard, &admin).await;
    assert!(page.contains("steps -3d, +1d escalate"), "the policy is shown");
    assert!(
        page.contains("Next: 2099-01-12"),
        "the next reminder is three days before: {page}"
    );

    // Montréal is UTC−5 in January: 06:30 local is 11:30 UTC, inside this campaign's window
    // and outside the default 09:00–17:00.
    let report = app.run_scheduler_at(at("2099-01-12T11:30:00Z")).await;
    assert_eq!(report.mails, 1, "{report:?}");
    // The app's clock is in 2099 now: yesterday's staff session has long expired.
    let (admin, _) = staff(&app, "admin").await;
    let (_, page) = app.get_with(&format!("{dashboard}?q=0101"), &admin).await;
    assert!(page.contains("Next: 2099-01-16 (escalation)"), "{page}");

    // Every contact bounced: the dashboard says nobody can be reached.
    contact::Entity::update_many()
        .col_expr(
            contact::Column::BouncedAt,
            sea_orm::sea_query::Expr::value(Some(chrono::Utc::now())),
        )
        .filter(contact::Column::Email.eq("marie@montreal.example.org"))
        .exec(&app.db)
        .await
        .unwrap();
    let (_, page) = app.get_with(&dashboard, &admin).await;
    assert!(page.contains("1 request(s) cannot reach anyone"), "{page}");
    // The "needs you" panel lists it, linked to the filtered list, with the overdue request.
    assert!(
        page.contains("state=unreachable#requests\">1 unreachable: add a contact</a>"),
        "{page}"
    );
}
