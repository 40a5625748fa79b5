//! The secretariat over HTTP: sign-in, the review cycle, who may do what.
use pledgeflow::entities::{audit_event, update_request};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::complete_answers;
use crate::helpers::{STAFF_PASSWORD, form_tokens, link_token, spawn_app};
use crate::officer::{Journey, form};

#[tokio::test]
async fn staff_sign_in_with_csrf_and_wrong_passwords_are_refused() {
    let app = spawn_app().await;
    let (cookie, _) = app.sign_in("reviewer").await;
    let (status, html) = app.get_with("/review", &cookie).await;
    assert_eq!(status, 200);
    assert!(html.contains("Review queue") && html.contains("reviewer@secretariat.example.org"));
    let wrong = app
        .login("reviewer@secretariat.example.org", "not the password")
        .await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("The e-mail address or the password is wrong.")
    );
    let unknown = app.login("nobody@secretariat.example.org", STAFF_PASSWORD).await;
    assert_eq!(unknown.status().as_u16(), 401);
    // No CSRF pair: refused.
    let response = app
        .post_form(
            "/login",
            "",
            &[
                ("email", "reviewer@secretariat.example.org"),
                ("password", STAFF_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
    // Signing out ends the session.
    let response = app
        .post_form(
            "/logout",
            &cookie,
            &[("_csrf", &crate::helpers::form_tokens_staff(&html).0)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let response = app
        .client
        .get(format!("{}/review", app.address))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/login");
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_account() {
    let app = spawn_app().await;
    app.sign_in("admin").await;
    for _ in 0..5 {
        assert_eq!(
            app.login("admin@secretariat.example.org", "guess")
                .await
                .status()
                .as_u16(),
            401
        );
    }
    let response = app.login("admin@secretariat.example.org", STAFF_PASSWORD).await;
    assert_eq!(response.status().as_u16(), 429, "even the right password waits");
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
            > 0
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Too many failed attempts")
    );
}

#[tokio::test]
async fn a_full_cycle_through_http_submit_changes_resubmit_approve_publish() {
    let j = Journey::start().await;
    let (officer, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let answers = complete_answers();
    assert_eq!(
        j.app
            .post_form(&path, &officer, &form(&csrf, &version, "submit", &answers))
            .await
            .status()
            .as_u16(),
        303
    );
    let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();

    let (reviewer, staff_csrf) = j.app.sign_in("reviewer").await;
    let (_, queue) = j.app.get_with("/review", &reviewer).await;
    assert!(
        queue.contains(&format!("/review/requests/{id}\">CLA-2025-0001"))
            && queue.contains("1 submitted update(s)")
    );
    let (_, page) = j.app.get_with(&format!("/review/requests/{id}"), &reviewer).await;
    assert!(page.contains("revision 1") && page.contains("People reached in total"));

    let response = j
        .app
        .post_form(
            &format!("/review/requests/{id}/changes"),
            &reviewer,
            &[
                ("_csrf", &staff_csrf),
                ("field.1", "beneficiaries_total"),
                ("message.1", "Households or people?"),
                ("field.2", "lessons_learned"),
                ("message.2", "One concrete lesson, please."),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(j.request_state(&path).await, "changes_requested");
    let mails = j.app.deliver_mail(5 + 1 + 2).await;
    let to_jane = mails
        .iter()
        .rev()
        .find(|m| m.to == "jane@arua.example.org" && m.subject.starts_with("Changes requested"))
        .unwrap();
    assert!(to_jane.text.contains("Households or people?") && to_jane.text.contains("One concrete lesson"));

    // The officer revises through the new link and submits again.
    let (officer, path) = j.app.open_link(&link_token(to_jane)).await;
    let (_, html) = j.app.get_with(&path, &officer).await;
    let (csrf, version) = form_tokens(&html);
    let mut revised = complete_answers();
    revised.retain(|(k, _)| *k != "lessons_learned");
    revised.push(("lessons_learned", "Hire refugee liaisons first.".into()));
    assert_eq!(
        j.app
            .post_form(&path, &officer, &form(&csrf, &version, "submit", &revised))
            .await
            .status()
            .as_u16(),
        303
    );

    // The reviewer sees what changed, approves and publishes.
    let (_, page) = j.app.get_with(&format!("/review/requests/{id}"), &reviewer).await;
    assert!(
        page.contains("Changes since the previous revision") && page.contains("Hire refugee liaisons first."),
        "{page}"
    );
    assert_eq!(
        j.app
            .post_form(
                &format!("/review/requests/{id}/approve"),
                &reviewer,
                &[("_csrf", &staff_csrf)]
            )
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        j.app
            .post_form(
                &format!("/review/requests/{id}/publish"),
                &reviewer,
                &[("_csrf", &staff_csrf)]
            )
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(j.request_state(&path).await, "published");
    let actions: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::EntityId.eq(id.to_string()))
        .all(&j.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "request.issued",
        "request.submitted",
        "request.changes_requested",
        "request.approved",
        "request.published",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} missing from {actions:?}"
        );
    }
    // An illegal transition is a 409 with a message.
    let response = j
        .app
        .post_form(
            &format!("/review/requests/{id}/approve"),
            &reviewer,
            &[("_csrf", &staff_csrf)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("this update is published; it cannot be approved now")
    );
}

#[tokio::test]
async fn approval_needs_consent_to_publish() {
    let j = Journey::start().await;
    let (officer, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let mut answers = complete_answers();
    answers.retain(|(k, _)| *k != "consent_to_publish");
    assert_eq!(
        j.app
            .post_form(&path, &officer, &form(&csrf, &version, "submit", &answers))
            .await
            .status()
            .as_u16(),
        303
    );
    let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
    let (reviewer, staff_csrf) = j.app.sign_in("reviewer").await;
    // The page says what is missing and how to ask for it, instead of an Approve button.
    let (_, page) = j.app.get_with(&format!("/review/requests/{id}"), &reviewer).await;
    assert!(
        page.contains("id=\"consent-missing\"") && page.contains("Send back for changes"),
        "{page}"
    );
    assert!(!page.contains(&format!("action=\"/review/requests/{id}/approve\"")));
    // A forged click is still refused.
    let response = j
        .app
        .post_form(
            &format!("/review/requests/{id}/approve"),
            &reviewer,
            &[("_csrf", &staff_csrf)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("the officer has not given consent to publish")
    );
}

/// Every secretariat route, tried as nobody, as an officer, and in each role.
#[tokio::test]
async fn authorization_matrix_and_csrf() {
    let j = Journey::start().await;
    let (officer, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    j.app
        .post_form(
            &path,
            &officer,
            &form(&csrf, &version, "submit", &complete_answers()),
        )
        .await;
    let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
    let viewer = j.app.sign_in("viewer").await;
    let reviewer = j.app.sign_in("reviewer").await;
    let admin = j.app.sign_in("admin").await;

    // Fixtures the routes act on: an interview waiting to be scheduled, Jane's contact,
    // the campaign, a sent mail.
    let interview = pledgeflow::store::interviews::request_interview(&j.app.db, id, None, chrono::Utc::now())
        .await
        .unwrap();
    let jane = pledgeflow::entities::contact::Entity::find()
        .filter(pledgeflow::entities::contact::Column::Email.eq("jane@arua.example.org"))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let campaign = pledgeflow::entities::campaign::Entity::find()
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let mail = pledgeflow::entities::outbox_mail::Entity::find()
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap()
        .id;

    // (method, path, [anonymous, officer, viewer, reviewer, admin]); 303 to /login = not
    // signed in; 422 = allowed, but the empty form is refused; 409 = allowed, but not now.
    let review = format!("/review/requests/{id}");
    let interview = format!("/review/interviews/{interview}");
    let contact = format!("{review}/contacts/{jane}");
    let page = [303, 303, 200, 200, 200];
    let cases: Vec<(&str, String, [u16; 5])> = vec![
        ("GET", "/review".into(), page),
        ("GET", review.clone(), page),
        ("GET", "/review/campaigns".into(), page),
        ("GET", format!("/review/campaigns/{campaign}"), page),
        ("GET", "/review/interviews".into(), page),
        ("GET", "/review/outbox".into(), page),
        ("GET", "/review/exports/updates.csv".into(), page),
        ("POST", "/review/campaigns".into(), [303, 303, 403, 403, 422]),
        (
            "POST",
            format!("/review/campaigns/{campaign}/pledges"),
            [303, 303, 403, 403, 422],
        ),
        ("POST", format!("{review}/changes"), [303, 303, 403, 422, 422]),
        ("POST", format!("{review}/assign"), [303, 303, 403, 303, 303]),
        ("POST", format!("{review}/comment"), [303, 303, 403, 422, 422]),
        ("POST", format!("{review}/deadline"), [303, 303, 403, 403, 422]),
        ("POST", format!("{review}/contacts"), [303, 303, 403, 403, 422]),
        // The update is submitted: it no longer waits on the officer, so no new link.
        ("POST", format!("{contact}/resend"), [303, 303, 403, 409, 409]),
        ("POST", format!("{contact}/revoke"), [303, 303, 403, 303, 303]),
        ("POST", format!("{review}/interviews"), [303, 303, 403, 409, 409]),
        ("POST", format!("{interview}/schedule"), [303, 303, 403, 422, 422]),
        ("POST", format!("{interview}/held"), [303, 303, 403, 422, 422]),
        (
            "POST",
            format!("{interview}/validated"),
            [303, 303, 403, 409, 409],
        ),
        ("POST", format!("{interview}/no-show"), [303, 303, 403, 409, 409]),
        ("POST", format!("{interview}/cancel"), [303, 303, 403, 303, 409]),
        (
            "POST",
            format!("/review/outbox/{mail}/retry"),
            [303, 303, 403, 403, 409],
        ),
        ("POST", format!("{contact}/deactivate"), [303, 303, 403, 403, 303]),
        // An admin may withdraw; without the confirmation box the form comes back (422).
        ("POST", format!("{review}/withdraw"), [303, 303, 403, 403, 422]),
        // The API takes bearer tokens only: no session cookie opens it.
        ("GET", "/api/v1/campaigns".into(), [401; 5]),
        ("GET", format!("/api/v1/requests/{id}"), [401; 5]),
    ];
    for (method, route, expected) in cases {
        let sessions: [(&str, &str); 5] = [
            ("", ""),
            (&officer, &csrf),
            (&viewer.0, &viewer.1),
            (&reviewer.0, &reviewer.1),
            (&admin.0, &admin.1),
        ];
        for ((cookie, token), want) in sessions.iter().zip(expected) {
            let url = format!("{}{route}", j.app.address);
            let response = if method == "GET" {
                j.app
                    .client
                    .get(url)
                    .header("cookie", *cookie)
                    .send()
                    .await
                    .unwrap()
            } else {
                j.app
                    .client
                    .post(url)
                    .header("cookie", *cookie)
                    .form(&[("_csrf", *token)])
                    .send()
                    .await
                    .unwrap()
            };
            assert_eq!(
                response.status().as_u16(),
                want,
                "{method} {route} as {cookie:.12}"
            );
            if want == 403 {
                assert!(response.text().await.unwrap().contains("does not allow this"));
            }
        }
    }
    // CSRF: missing or wrong → 403, and nothing happens.
    for route in [
        format!("{review}/approve"),
        format!("{review}/comment"),
        format!("{interview}/schedule"),
        "/review/campaigns".to_string(),
    ] {
        for token in ["", "f00d"] {
            let response = j
                .app
                .post_form(&route, &admin.0, &[("_csrf", token), ("text", "hello")])
                .await;
            assert_eq!(response.status().as_u16(), 403, "csrf {token:?} on {route}");
        }
    }
    let state = update_request::Entity::find_by_id(id)
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap()
        .request_state();
    assert_eq!(
        state.as_str(),
        "submitted",
        "no withdrawal without its confirmation, and nothing from a forged form"
    );
}

#[tokio::test]
async fn approval_writes_what_the_update_confirmed_back_to_the_register() {
    let j = Journey::start().await;
    let (officer, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let mut answers: Vec<(&str, String)> = complete_answers()
        .into_iter()
        .filter(|(k, _)| !["compact_scope", "gcr_objectives", "gcr_focus_areas"].contains(k))
        .collect();
    answers.extend([
        ("title", "Arua Welcome Centre".to_string()),
        ("compact_scope", "GCM".to_string()),
        ("gcr_objectives", String::new()),
        ("gcr_focus_areas", String::new()),
        ("timeline_end", "ongoing".to_string()),
        ("gcr_pledge_id", "GRF-01547".to_string()),
        (
            "justification.base.scope.changed.gcm",
            "Refugees are now served by another programme.".to_string(),
        ),
        (
            "justification.base.scope.groups",
            "Refugees still come, but the pledge targets migrants.".to_string(),
        ),
        (
            "justification.gcm.measurable",
            "The centre runs without an end date.".to_string(),
        ),
    ]);
    let response = j
        .app
        .post_form(&path, &officer, &form(&csrf, &version, "submit", &answers))
        .await;
    let status = response.status().as_u16();
    assert_eq!(status, 303, "{}", response.text().await.unwrap());
    let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();

    let (reviewer, staff_csrf) = j.app.sign_in("reviewer").await;
    let (_, page) = j.app.get_with(&format!("/review/requests/{id}"), &reviewer).await;
    assert!(
        page.contains("Approving also updates the register"),
        "the reviewer sees the diff first"
    );
    assert!(
        page.contains("<td>Arua Welcome Centre</td>") && page.contains("<td>GCM</td>"),
        "{page}"
    );
    let approved = j
        .app
        .post_form(
            &format!("/review/requests/{id}/approve"),
            &reviewer,
            &[("_csrf", &staff_csrf)],
        )
        .await;
    assert_eq!(approved.status().as_u16(), 303);

    let pledge = pledgeflow::entities::pledge::Entity::find()
        .filter(pledgeflow::entities::pledge::Column::Reference.eq("CLA-2025-0001"))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pledge.title, "Arua Welcome Centre");
    assert_eq!(pledge.scope(), pledgeflow::domain::pledge::CompactScope::Gcm);
    assert_eq!(pledge.timeline_end, None, "ongoing");
    assert_eq!(pledge.gcr_pledge_id.as_deref(), Some("GRF-01547"));
    let audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("pledge.confirmed_by_update"))
        .one(&j.app.db)
        .await
        .unwrap()
        .expect("the register change is audited");
    assert!(
        audit.detail.contains("\"field\":\"compact_scope\"") && audit.detail.contains("\"after\":\"GCM\""),
        "{}",
        audit.detail
    );
    let (_, public) = j.app.get_text("/register?q=welcome+centre").await;
    assert!(
        public.contains("Arua Welcome Centre"),
        "the register shows the confirmed title"
    );
}

/// Every action on an id that does not exist answers 404, never a 500 or a 409. The routes are
/// read from the router itself, so a new action route is walked too.
#[tokio::test]
async fn every_action_on_a_missing_id_is_a_404() {
    let app = crate::helpers::spawn_app().await;
    let (admin, csrf) = app.sign_in("admin").await;
    let router = std::fs::read_to_string("src/http/mod.rs").unwrap();
    let mut routes: Vec<String> = Vec::new();
    let mut rest = router.as_str();
    while let Some(start) = rest.find(".route(") {
        rest = &rest[start + 7..];
        let path = rest.split('"').nth(1).unwrap_or_default().to_string();
        let call = &rest[..rest.find(".route(").unwrap_or(rest.len())];
        if path.starts_with("/review/") && path.contains("{id}") && call.contains("post(") {
            // Every parameter of the path names a missing row.
            let missing: Vec<String> = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        "99999".to_string()
                    } else {
                        segment.to_string()
                    }
                })
                .collect();
            routes.push(missing.join("/"));
        }
    }
    assert!(routes.len() >= 18, "{routes:?}");
    // Plausible form fields, so that a form check cannot answer before the id is looked up.
    let fields = [
        ("_csrf", csrf.as_str()),
        ("message.1", "Please say more."),
        ("field.1", ""),
        ("text", "A comment."),
        ("reviewer", ""),
        ("deadline", "2099-12-31"),
        ("name", "Ana Ruiz"),
        ("email", "ana@example.org"),
        ("locale", "es"),
        ("role", "alternate"),
        ("date", "2099-01-06"),
        ("time", "10:00"),
        ("timezone", "America/Bogota"),
        ("duration_minutes", "45"),
        ("mode", "video"),
        ("interviewer", "Sam Reviewer"),
        ("notes", "Facts confirmed."),
        ("outcome", "Facts confirmed."),
        ("reason", "Not needed."),
        ("pledge", "CLA-2025-0001"),
    ];
    let mut wrong = Vec::new();
    for route in &routes {
        let status = app.post_form(route, &admin, &fields).await.status().as_u16();
        if status != 404 {
            wrong.push(format!("{route} → {status}"));
        }
    }
    assert!(wrong.is_empty(), "not 404: {wrong:?}");
}

/// A request state this build does not know is an error when read, never a silent fallback
/// (it used to read as withdrawn).
#[tokio::test]
async fn an_unknown_stored_state_is_an_error_not_a_fallback() {
    use sea_orm::ConnectionTrait;
    let j = Journey::start().await;
    let id = update_request::Entity::find()
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    j.app
        .db
        .execute_unprepared(&format!(
            "UPDATE update_request SET state = 'archived' WHERE id = {id}"
        ))
        .await
        .unwrap();
    let read = update_request::Entity::find_by_id(id).one(&j.app.db).await;
    assert!(read.is_err(), "{read:?}");
    let (reviewer, _) = j.app.sign_in("reviewer").await;
    let (status, _) = j.app.get_with(&format!("/review/requests/{id}"), &reviewer).await;
    assert_eq!(
        status, 500,
        "the page says something is wrong instead of showing a made-up state"
    );
}

/// The same for roles, scopes and mail states: each used to fall back to a guess (an unknown
/// role read as viewer, an unknown scope as Mirror in one place and GCM in another).
#[tokio::test]
async fn unknown_stored_roles_scopes_and_mail_states_are_errors() {
    use sea_orm::ConnectionTrait;
    let j = Journey::start().await;
    let request = update_request::Entity::find()
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    let (reviewer, _) = j.app.sign_in("reviewer").await;
    let page = format!("/review/requests/{}", request.id);
    let (status, _) = j.app.get_with(&page, &reviewer).await;
    assert_eq!(status, 200);
    let corruptions = [
        (
            format!(
                "UPDATE pledge SET compact_scope = 'BOTH' WHERE id = {}",
                request.pledge_id
            ),
            format!(
                "UPDATE pledge SET compact_scope = 'GCM' WHERE id = {}",
                request.pledge_id
            ),
            page.clone(),
        ),
        (
            "UPDATE outbox_mail SET state = 'lost'".to_string(),
            "UPDATE outbox_mail SET state = 'pending'".to_string(),
            "/review/outbox".to_string(),
        ),
        (
            "UPDATE staff_user SET role = 'owner' WHERE email LIKE 'reviewer%'".to_string(),
            "UPDATE staff_user SET role = 'reviewer' WHERE email LIKE 'reviewer%'".to_string(),
            page.clone(),
        ),
    ];
    for (corrupt, repair, page) in corruptions {
        j.app.db.execute_unprepared(&corrupt).await.unwrap();
        let (status, _) = j.app.get_with(&page, &reviewer).await;
        assert_eq!(status, 500, "after `{corrupt}`, {page} must not guess");
        j.app.db.execute_unprepared(&repair).await.unwrap();
        let (status, _) = j.app.get_with(&page, &reviewer).await;
        assert_eq!(status, 200, "after `{repair}`");
    }
}

#[tokio::test]
async fn after_sign_in_the_user_returns_to_the_page_they_asked_for() {
    let app = spawn_app().await;
    app.sign_in("reviewer").await; // creates the account
    let asked = "/review/campaigns?state=open&x=1";
    let response = app.get(asked).await;
    assert_eq!(response.status().as_u16(), 303);
    let login = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(login, "/login?next=%2Freview%2Fcampaigns%3Fstate%3Dopen%26x%3D1");
    let signed_in = app
        .login_from(&login, "reviewer@secretariat.example.org", STAFF_PASSWORD)
        .await;
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(signed_in.headers()["location"], asked);
    // Never to another site: an outside address falls back to the workspace.
    for outside in [
        "https%3A%2F%2Fevil.example",
        "%2F%2Fevil.example%2Freview",
        "%2Freview%5C%5Cevil",
    ] {
        let response = app
            .login_from(
                &format!("/login?next={outside}"),
                "reviewer@secretariat.example.org",
                STAFF_PASSWORD,
            )
            .await;
        assert_eq!(response.headers()["location"], "/review", "{outside}");
    }
}

/// The demo register in one campaign with every state, some deadlines passed, invitations
/// sent, some pledges without a priority and some organizations nobody can be written to.
async fn mixed_campaign() -> (crate::helpers::TestApp, pledgeflow::entities::campaign::Model) {
    use pledgeflow::entities::{campaign, contact, update_request};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let app = crate::helpers::spawn_app_with_demo().await;
    let opened = app.open_campaign("Counted", &[]).await;
    let campaign = campaign::Entity::find_by_id(opened.campaign_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let requests = update_request::Entity::find()
        .order_by_asc(update_request::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert!(requests.len() > 50, "{} requests", requests.len());
    use pledgeflow::entities::update_request::StoredRequestState as S;
    for (i, request) in requests.into_iter().enumerate() {
        let mut row: update_request::ActiveModel = request.into();
        row.state = Set([S::Issued, S::Draft, S::Submitted, S::Approved, S::Withdrawn][i % 5]);
        if i % 7 == 0 {
            // An earlier deadline for some: overdue by their own date.
            row.deadline_override = Set(Some(chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap()));
        }
        row.update(&app.db).await.unwrap();
    }
    // Some pledges serve no priority at all: counted under "none".
    use pledgeflow::entities::pledge_classification as class;
    let first_pledges: Vec<i32> = update_request::Entity::find()
        .order_by_asc(update_request::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .take(3)
        .map(|r| r.pledge_id)
        .collect();
    class::Entity::delete_many()
        .filter(class::Column::Scheme.eq("priority"))
        .filter(class::Column::PledgeId.is_in(first_pledges))
        .exec(&app.db)
        .await
        .unwrap();
    app.run_mail().await;
    // Some requests have had no mail yet (sorted first by "last mail", as none is).
    use pledgeflow::entities::outbox_mail;
    let without_mail: Vec<i32> = update_request::Entity::find()
        .order_by_asc(update_request::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .step_by(4)
        .map(|r| r.id)
        .collect();
    outbox_mail::Entity::delete_many()
        .filter(outbox_mail::Column::UpdateRequestId.is_in(without_mail))
        .exec(&app.db)
        .await
        .unwrap();
    // Nobody can be written to at a few organizations.
    let some_contacts: Vec<i32> = contact::Entity::find()
        .order_by_asc(contact::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .step_by(9)
        .map(|c| c.organization_id)
        .collect();
    contact::Entity::update_many()
        .col_expr(contact::Column::Active, sea_orm::sea_query::Expr::value(false))
        .filter(contact::Column::OrganizationId.is_in(some_contacts))
        .exec(&app.db)
        .await
        .unwrap();
    (app, campaign)
}

/// The dashboard's counts come from GROUP BY queries; they must say what counting the
/// requests one by one says, for every breakdown, with deadlines moved and states mixed, on
/// the demo register (regions, scopes, languages, pledges with several priorities or none).
#[tokio::test]
async fn the_counts_of_the_database_match_the_requests_counted_one_by_one() {
    use pledgeflow::domain::dashboard::{self, Dimension, Group};
    let (app, campaign) = mixed_campaign().await;
    let now = chrono::Utc::now();
    let policy = pledgeflow::domain::reminders::Policy::default();
    let rows = pledgeflow::store::dashboard::rows(&app.db, &campaign, None, &policy, now)
        .await
        .unwrap();
    let one_by_one = |dimension: Option<Dimension>| {
        let groups = rows.iter().flat_map(|r| {
            let values: Vec<Option<String>> = match dimension {
                None => vec![None],
                Some(Dimension::Region) => vec![Some(r.region.clone())],
                Some(Dimension::Scope) => vec![Some(r.scope.clone())],
                Some(Dimension::Locale) => vec![Some(r.locale.clone())],
                Some(Dimension::Priority) if r.priorities.is_empty() => vec![None],
                Some(Dimension::Priority) => r.priorities.iter().cloned().map(Some).collect(),
            };
            values.into_iter().map(|value| Group {
                value,
                state: r.state,
                deadline: r.deadline,
                timezone: r.timezone,
                requests: 1,
            })
        });
        dashboard::tallies(dimension, groups.collect::<Vec<_>>(), now)
    };
    let cache = pledgeflow::store::dashboard::SummaryCache::default();
    let summary = pledgeflow::store::dashboard::summary(&app.db, &cache, &campaign)
        .await
        .unwrap();
    let total = summary.tally(now);
    assert_eq!(total, one_by_one(None)[0].1);
    assert!(total.overdue() > 0 && total.of(pledgeflow::domain::request::RequestState::Approved) > 0);
    for (dimension, counted) in summary.breakdowns(now) {
        assert_eq!(counted, one_by_one(Some(dimension)), "{dimension:?}");
        if dimension == Dimension::Priority {
            assert_eq!(counted[0].0, "none");
        }
        assert!(counted.len() > 1, "{dimension:?} has several values");
    }
}

/// The dashboard keeps a campaign's counts while nothing they count changes, and counts again
/// after any change, made by this process or another (here: written to the database directly,
/// as another instance or the CLI would). Each kind of change is checked: a request's state,
/// its deadline, a pledge's scope, a priority, an organization's time zone, a contact bounced.
#[tokio::test]
async fn the_kept_counts_follow_every_change_written_by_anyone() {
    use pledgeflow::entities::{contact, organization, pledge, pledge_classification};
    use pledgeflow::store::dashboard::{Summary, SummaryCache, summary};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, QueryOrder};
    let (app, campaign) = mixed_campaign().await;
    let now = chrono::Utc::now();
    let kept = SummaryCache::default();
    let seen = |s: &Summary| {
        (
            s.tally(now),
            s.breakdowns(now),
            s.unreachable_owed,
            s.glance.clone(),
            s.zones.clone(),
        )
    };
    let first = summary(&app.db, &kept, &campaign).await.unwrap();
    let again = summary(&app.db, &kept, &campaign).await.unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "unchanged data: the kept counts"
    );
    let mut before = seen(&first);
    let request = update_request::Entity::find()
        .filter(update_request::Column::CampaignId.eq(campaign.id))
        .filter(update_request::Column::State.eq("issued"))
        .order_by_asc(update_request::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let pledge_row = pledge::Entity::find_by_id(request.pledge_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let organization_id = pledge_row.organization_id;
    let set_zone = |zone: &'static str| {
        organization::Entity::update_many()
            .col_expr(
                organization::Column::Timezone,
                sea_orm::sea_query::Expr::value(zone),
            )
            .filter(organization::Column::Id.eq(organization_id))
            .exec(&app.db)
    };
    for change in ["state", "deadline", "scope", "priority", "time zone", "bounce"] {
        match change {
            "state" => {
                let mut row: update_request::ActiveModel = request.clone().into();
                row.state = Set(update_request::StoredRequestState::Approved);
                row.update(&app.db).await.unwrap();
            }
            "deadline" => {
                let mut row: update_request::ActiveModel = update_request::Entity::find_by_id(request.id)
                    .one(&app.db)
                    .await
                    .unwrap()
                    .unwrap()
                    .into();
                // Due the day before today in Kiritimati (UTC+14): overdue there, not yet in
                // Pago Pago (UTC-11), where the organization is for now.
                let kiritimati = now.with_timezone(&chrono_tz::Pacific::Kiritimati).date_naive();
                row.state = Set(update_request::StoredRequestState::Issued);
                row.deadline_override = Set(kiritimati.pred_opt());
                row.update(&app.db).await.unwrap();
                set_zone("Pacific/Pago_Pago").await.unwrap();
            }
            "scope" => {
                let mut row: pledge::ActiveModel = pledge_row.clone().into();
                let scope = if pledge_row.compact_scope == pledge::StoredScope::Gcr {
                    pledge::StoredScope::Gcm
                } else {
                    pledge::StoredScope::Gcr
                };
                row.compact_scope = Set(scope);
                row.update(&app.db).await.unwrap();
            }
            "priority" => {
                pledge_classification::ActiveModel {
                    pledge_id: Set(request.pledge_id),
                    scheme: Set("priority".into()),
                    code: Set("3".into()),
                }
                .insert(&app.db)
                .await
                .unwrap();
            }
            "time zone" => {
                set_zone("Pacific/Kiritimati").await.unwrap();
            }
            _ => {
                // An organization with an issued request that mail still reaches.
                let mut reachable = None;
                for r in update_request::Entity::find()
                    .filter(update_request::Column::CampaignId.eq(campaign.id))
                    .filter(update_request::Column::State.eq("issued"))
                    .all(&app.db)
                    .await
                    .unwrap()
                {
                    let p = pledge::Entity::find_by_id(r.pledge_id)
                        .one(&app.db)
                        .await
                        .unwrap()
                        .unwrap();
                    let reached = contact::Entity::find()
                        .filter(contact::Column::OrganizationId.eq(p.organization_id))
                        .filter(contact::Column::Active.eq(true))
                        .filter(contact::Column::BouncedAt.is_null())
                        .one(&app.db)
                        .await
                        .unwrap();
                    if reached.is_some() {
                        reachable = Some(p.organization_id);
                        break;
                    }
                }
                contact::Entity::update_many()
                    .col_expr(
                        contact::Column::BouncedAt,
                        sea_orm::sea_query::Expr::value(chrono::Utc::now()),
                    )
                    .filter(contact::Column::OrganizationId.eq(reachable.expect("a reachable organization")))
                    .exec(&app.db)
                    .await
                    .unwrap();
            }
        }
        let counted_again = seen(
            &summary(&app.db, &SummaryCache::default(), &campaign)
                .await
                .unwrap(),
        );
        assert_ne!(counted_again, before, "the {change} changed what is counted");
        let kept_now = seen(&summary(&app.db, &kept, &campaign).await.unwrap());
        assert_eq!(kept_now, counted_again, "the kept counts follow the {change}");
        before = counted_again;
    }
}

/// The request list is filtered, sorted and paged by the database; it must show what the
/// domain's `select` shows over every row, for every filter and sort, both ways.
#[tokio::test]
async fn the_list_of_the_database_matches_the_domain_select() {
    use pledgeflow::domain::dashboard::{self, ListQuery, SORT_KEYS};
    let (app, campaign) = mixed_campaign().await;
    let now = chrono::Utc::now();
    let policy = pledgeflow::domain::reminders::Policy::default();
    let rows = pledgeflow::store::dashboard::rows(&app.db, &campaign, None, &policy, now)
        .await
        .unwrap();
    let region = rows[0].region.clone();
    let zones = pledgeflow::store::dashboard::summary(
        &app.db,
        &pledgeflow::store::dashboard::SummaryCache::default(),
        &campaign,
    )
    .await
    .unwrap()
    .zones
    .clone();
    let filters: Vec<ListQuery> = vec![
        ListQuery::default(),
        ListQuery {
            state: Some("overdue".into()),
            ..Default::default()
        },
        ListQuery {
            state: Some("unreachable".into()),
            ..Default::default()
        },
        ListQuery {
            state: Some("draft".into()),
            ..Default::default()
        },
        ListQuery {
            region: Some(region),
            ..Default::default()
        },
        ListQuery {
            scope: Some("GCR".into()),
            ..Default::default()
        },
        ListQuery {
            search: Some("CLA-2022".into()),
            ..Default::default()
        },
        ListQuery {
            search: Some("city 202".into()),
            ..Default::default()
        },
    ];
    let mut compared = 0;
    for filter in filters {
        for sort in SORT_KEYS {
            for descending in [false, true] {
                let q = ListQuery {
                    sort: Some(sort.into()),
                    descending,
                    ..filter.clone()
                };
                let expected: Vec<i32> = dashboard::select(&rows, &q, now)
                    .iter()
                    .map(|r| r.request_id)
                    .collect();
                let (matching, page) = pledgeflow::store::dashboard::list(
                    &app.db,
                    &campaign,
                    &q,
                    Some((3, 10)),
                    &zones,
                    &policy,
                    now,
                )
                .await
                .unwrap();
                assert_eq!(matching as usize, expected.len(), "{q:?}");
                let got: Vec<i32> = page.iter().map(|r| r.request_id).collect();
                let want: Vec<i32> = expected.iter().skip(3).take(10).copied().collect();
                assert_eq!(got, want, "{q:?}");
                compared += usize::from(!want.is_empty());
            }
        }
    }
    assert!(compared > 60, "{compared} non-empty pages compared");
    let unreachable = pledgeflow::store::dashboard::summary(
        &app.db,
        &pledgeflow::store::dashboard::SummaryCache::default(),
        &campaign,
    )
    .await
    .unwrap()
    .unreachable_owed;
    assert_eq!(unreachable, dashboard::needs_you(&rows, now).unreachable.len());
    assert!(unreachable > 0);
}
