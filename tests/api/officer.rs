//! The officer's journey over HTTP: personal links, the form, autosave, submission.
use pledgeflow::entities::{access_link, draft_version, outbox_mail, revision, update_request};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use crate::helpers::complete_answers;
use crate::helpers::{TestApp, form_tokens, link_token, spawn_app};

pub const REGISTER: &str = "reference,title,organization,organization_kind,country,country_code,region,timezone,locale,compact_scope,beneficiary_groups,priorities,gcm_objectives,gcr_objectives,pledge_year,timeline_start,timeline_end,contact_name,contact_email,contact_locale
CLA-2025-0001,Welcome centre for newcomers,Arua,lrg,Uganda,UG,sub_saharan_africa,Africa/Kampala,en,MIRROR,migrants;refugees,1,23,1,2025,2023,2027,Jane Officer,jane@arua.example.org,en
CLA-2025-0002,Accès aux services,Montréal,lrg,Canada,CA,north_america,America/Toronto,fr,GCM,migrants,4,15,,2025,2022,ongoing,Marie Agente,marie@montreal.example.org,fr
CLA-2025-0003,Market access for refugees,Arua,lrg,Uganda,UG,sub_saharan_africa,Africa/Kampala,en,MIRROR,migrants;refugees,5,16,2,2025,2023,2026,Joe Officer,joe@arua.example.org,en";

pub struct Journey {
    pub app: TestApp,
    /// (request id, token) per (pledge reference, recipient).
    pub links: Vec<(String, String, String)>,
}

impl Journey {
    pub async fn start() -> Journey {
        Journey::start_on(spawn_app().await).await
    }

    /// The journey on an app the caller started.
    pub async fn start_on(app: TestApp) -> Journey {
        app.seed_register(REGISTER).await;
        let opened = app.open_campaign("Test round", &[]).await;
        assert_eq!(
            (opened.requests, opened.invitations),
            (3, 5),
            "Arua's two contacts get both Arua pledges"
        );
        let mails = app.deliver_mail(5).await;
        app.run_mail().await;
        let links = mails
            .iter()
            .map(|m| {
                let reference = ["CLA-2025-0001", "CLA-2025-0002", "CLA-2025-0003"]
                    .into_iter()
                    .find(|r| m.text.contains(r))
                    .unwrap();
                (reference.to_string(), m.to.clone(), link_token(m))
            })
            .collect();
        Journey { app, links }
    }

    pub fn token(&self, reference: &str, recipient: &str) -> String {
        self.links
            .iter()
            .find(|(r, to, _)| r == reference && to == recipient)
            .map(|(_, _, t)| t.clone())
            .unwrap()
    }

    /// (cookie, request path, csrf, version) for an officer's form.
    pub async fn officer(&self, reference: &str, recipient: &str) -> (String, String, String, String) {
        let (cookie, path) = self.app.open_link(&self.token(reference, recipient)).await;
        let (status, html) = self.app.get_with(&path, &cookie).await;
        assert_eq!(status, 200, "{html}");
        let (csrf, version) = form_tokens(&html);
        (cookie, path, csrf, version)
    }

    /// The officer of `reference` submits the complete update; returns the request id.
    pub async fn submit_complete(&self, reference: &str, recipient: &str) -> i32 {
        let (officer, path, csrf, version) = self.officer(reference, recipient).await;
        let response = self
            .app
            .post_form(
                &path,
                &officer,
                &form(&csrf, &version, "submit", &complete_answers()),
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
        path.rsplit('/').next().unwrap().parse().unwrap()
    }

    pub async fn request_state(&self, path: &str) -> String {
        let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
        update_request::Entity::find_by_id(id)
            .one(&self.app.db)
            .await
            .unwrap()
            .unwrap()
            .request_state()
            .as_str()
            .to_string()
    }
}

pub fn form<'a>(
    csrf: &'a str,
    version: &'a str,
    action: &'a str,
    answers: &'a [(&'a str, String)],
) -> Vec<(&'a str, &'a str)> {
    let mut pairs = vec![("_csrf", csrf), ("_version", version), ("_action", action)];
    pairs.extend(answers.iter().map(|(k, v)| (*k, v.as_str())));
    pairs
}

#[tokio::test]
async fn a_link_becomes_a_session_and_the_token_leaves_the_address_bar() {
    let j = Journey::start().await;
    let token = j.token("CLA-2025-0001", "jane@arua.example.org");
    let response = j.app.get(&format!("/u/{token}")).await;
    assert_eq!(response.status().as_u16(), 303);
    let headers = response.headers();
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!headers["location"].to_str().unwrap().contains(&token));
    let stored = access_link::Entity::find().all(&j.app.db).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|l| l.token_hash.len() == 64 && l.token_hash != token),
        "only hashes are stored"
    );
    let sent = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::State.eq("sent"))
        .all(&j.app.db)
        .await
        .unwrap();
    assert!(
        sent.iter().all(|m| !m.text_body.contains(&token)),
        "sent mail keeps no working link"
    );

    let (_, path, _, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let (status, html) = j.app.get_with(&path, cookie.split(';').next().unwrap()).await;
    assert_eq!(status, 200);
    assert!(html.contains("Welcome centre for newcomers") && html.contains("name=\"_csrf\""));
}

#[tokio::test]
async fn unknown_expired_and_revoked_links_get_a_friendly_page() {
    let j = Journey::start().await;
    let (status, page) = j.app.get_text(&format!("/u/{}", "ab".repeat(32))).await;
    assert_eq!(status, 404);
    assert!(
        page.contains("This link does not work") && page.contains("pledges@example.org"),
        "{page}"
    );
    assert_eq!(j.app.get_text("/u/not-a-token").await.0, 404);

    // Expiry: the link and the sessions opened from it stop working.
    let token = j.token("CLA-2025-0001", "jane@arua.example.org");
    let (cookie, path) = j.app.open_link(&token).await;
    let link = access_link::Entity::find()
        .filter(access_link::Column::TokenHash.eq(pledgeflow::tokens::hash(&token)))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut expired: access_link::ActiveModel = link.into();
    expired.expires_at = Set(chrono::Utc::now() - chrono::Duration::hours(1));
    expired.update(&j.app.db).await.unwrap();
    let (status, page) = j.app.get_text(&format!("/u/{token}")).await;
    assert_eq!(status, 410);
    assert!(page.contains("This link has expired"));
    assert_eq!(j.app.get_with(&path, &cookie).await.0, 410);

    // Revocation, in French for a French officer's browser.
    let token = j.token("CLA-2025-0002", "marie@montreal.example.org");
    let (cookie, path) = j.app.open_link(&token).await;
    let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
    let contact = access_link::Entity::find()
        .filter(access_link::Column::UpdateRequestId.eq(id))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap()
        .contact_id;
    pledgeflow::store::links::revoke_links(&j.app.db, id, contact, chrono::Utc::now())
        .await
        .unwrap();
    let (status, page) = j.app.get_text(&format!("/u/{token}?lang=fr")).await;
    assert_eq!(status, 410);
    assert!(page.contains("Ce lien a été remplacé"), "{page}");
    assert_eq!(
        j.app.get_with(&path, &cookie).await.0,
        410,
        "an open session ends with its link"
    );
}

#[tokio::test]
async fn resending_rotates_the_link() {
    let j = Journey::start().await;
    let old = j.token("CLA-2025-0001", "jane@arua.example.org");
    let link = access_link::Entity::find()
        .filter(access_link::Column::TokenHash.eq(pledgeflow::tokens::hash(&old)))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    let new = pledgeflow::store::links::rotate_link(
        &j.app.db,
        link.update_request_id,
        link.contact_id,
        link.expires_at,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_ne!(old, new);
    assert_eq!(j.app.get_text(&format!("/u/{old}")).await.0, 410);
    j.app.open_link(&new).await;
}

#[tokio::test]
async fn guessing_tokens_is_rate_limited() {
    let app = spawn_app().await;
    for i in 0..20 {
        assert_eq!(app.get_text(&format!("/u/{:064x}", i)).await.0, 404);
    }
    let response = app.get(&format!("/u/{:064x}", 99)).await;
    assert_eq!(response.status().as_u16(), 429);
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn an_officer_cannot_reach_another_request() {
    let j = Journey::start().await;
    let (cookie, own, csrf, version) = j.officer("CLA-2025-0002", "marie@montreal.example.org").await;
    let (_, other, _, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    assert_ne!(own, other);
    let draft = format!("{other}/draft");
    assert_eq!(j.app.get_with(&other, &cookie).await.0, 404);
    assert_eq!(
        j.app
            .post_form(
                &other,
                &cookie,
                &[("_csrf", &csrf), ("_version", &version), ("results_summary", "x")]
            )
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        j.app
            .post_json(
                &draft,
                &cookie,
                &csrf,
                &json!({"version": 0, "answers": {"results_summary": "x"}})
            )
            .await
            .0,
        404
    );
    assert_eq!(j.app.get_with("/updates/999999", &cookie).await.0, 404);
    // Without any session, every officer route is closed.
    assert_eq!(j.app.get_text(&own).await.0, 404);
    assert_eq!(
        j.app
            .post_json(
                &format!("{own}/draft"),
                "",
                "",
                &json!({"version": 0, "answers": {}})
            )
            .await
            .0,
        404
    );
    let id: i32 = other.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(
        draft_version::Entity::find()
            .filter(draft_version::Column::UpdateRequestId.eq(id))
            .count(&j.app.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn autosave_keeps_versions_and_merges_edits_to_different_fields() {
    let j = Journey::start().await;
    let (jane, path, jane_csrf, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let (joe, _, joe_csrf, _) = j.officer("CLA-2025-0001", "joe@arua.example.org").await;
    let draft = format!("{path}/draft");
    let (status, body) = j
        .app
        .post_json(
            &draft,
            &jane,
            &jane_csrf,
            &json!({"version": 0, "answers": {"results_summary": "Jane's results"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 1);
    assert!(
        body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "base.stage.required")
    );
    assert_eq!(j.request_state(&path).await, "draft");
    // Joe still works from version 0 and changes another field: merged.
    let (status, body) = j
        .app
        .post_json(
            &draft,
            &joe,
            &joe_csrf,
            &json!({"version": 0, "answers": {"lessons_learned": "Joe's lesson", "results_summary": ""}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 2);
    let (_, html) = j.app.get_with(&path, &jane).await;
    assert!(
        html.contains("Jane&#39;s results") && html.contains("Joe&#39;s lesson"),
        "both edits kept"
    );
    // A version that never existed: the same JSON error shape as every other refusal.
    let (status, body) = j
        .app
        .post_json(
            &draft,
            &joe,
            &joe_csrf,
            &json!({"version": 999, "answers": {"lessons_learned": "Lost?"}}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reload the page"),
        "{body}"
    );
}

#[tokio::test]
async fn the_same_field_changed_by_two_officers_is_a_409_with_both_values() {
    let j = Journey::start().await;
    let (jane, path, jane_csrf, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let (joe, _, joe_csrf, _) = j.officer("CLA-2025-0001", "joe@arua.example.org").await;
    let draft = format!("{path}/draft");
    j.app
        .post_json(
            &draft,
            &jane,
            &jane_csrf,
            &json!({"version": 0, "answers": {"results_summary": "Jane's text"}}),
        )
        .await;
    let (status, body) = j
        .app
        .post_json(
            &draft,
            &joe,
            &joe_csrf,
            &json!({"version": 0, "answers": {"results_summary": "Joe's text"}}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["version"], 1);
    assert_eq!(body["conflicts"][0]["field"], "results_summary");
    assert_eq!(body["conflicts"][0]["theirs"], "Jane's text");
    assert_eq!(body["conflicts"][0]["yours"], "Joe's text");
    // The no-JavaScript form shows the same conflict, keeping Joe's words in the field.
    let (_, html) = j.app.get_with(&path, &joe).await;
    let (csrf, _) = form_tokens(&html);
    let response = j
        .app
        .post_form(
            &path,
            &joe,
            &[
                ("_csrf", &csrf),
                ("_version", "0"),
                ("_action", "save"),
                ("results_summary", "Joe again"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(">Joe again</textarea>") && page.contains("Jane&#39;s text"),
        "{page}"
    );
    // Jane's text is what is stored.
    let (_, html) = j.app.get_with(&path, &jane).await;
    assert!(html.contains("Jane&#39;s text") && !html.contains("Joe again"));
}

#[tokio::test]
async fn the_form_saves_without_javascript_and_checks_csrf() {
    let j = Journey::start().await;
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let response = j
        .app
        .post_form(
            &path,
            &cookie,
            &[
                ("_csrf", &csrf),
                ("_version", &version),
                ("_action", "save"),
                ("results_summary", "Saved the old way"),
                ("sdgs", ""),
                ("sdgs", "4"),
                ("sdgs", "10"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], format!("{path}?saved=1"));
    let (_, html) = j.app.get_with(&format!("{path}?saved=1"), &cookie).await;
    assert!(html.contains("Your draft is saved.") && html.contains(">Saved the old way</textarea>"));
    assert!(html.contains("value=\"10\" checked"));
    for bad_csrf in ["", "0".repeat(64).as_str()] {
        let response = j
            .app
            .post_form(
                &path,
                &cookie,
                &[("_csrf", bad_csrf), ("_version", "1"), ("results_summary", "x")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 403);
    }
    let (status, _) = j
        .app
        .post_json(
            &format!("{path}/draft"),
            &cookie,
            "wrong",
            &json!({"version": 1, "answers": {}}),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn bad_input_gets_a_precise_4xx_and_the_draft_stays_intact() {
    let j = Journey::start().await;
    let (cookie, path, csrf, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let draft = format!("{path}/draft");
    let (status, body) = j
        .app
        .post_json(
            &draft,
            &cookie,
            &csrf,
            &json!({"version": 0, "answers": {"results_summary": "Keep me", "lessons_learned": "And me"}}),
        )
        .await;
    assert_eq!((status, body["version"].as_i64()), (200, Some(1)));
    let big = "x".repeat(1_048_576);
    for (answers, field, message) in [
        (
            json!({"beneficiaries_total": "lots"}),
            "beneficiaries_total",
            "“lots” is not a whole number of 0 or more",
        ),
        (
            json!({"beneficiaries_total": "-5"}),
            "beneficiaries_total",
            "“-5” is not a whole number",
        ),
        (
            json!({"beneficiaries_total": 5000}),
            "beneficiaries_total",
            "must be a text",
        ),
        (
            json!({"funding.1.currency": "XYZ"}),
            "funding.1.currency",
            "is not a currency code",
        ),
        (
            json!({"funding.1.amount": "1e400"}),
            "funding.1.amount",
            "is not a number of 0 or more",
        ),
        (
            json!({"metric.1.year": "3000"}),
            "metric.1.year",
            "is not a year between 1990 and 2100",
        ),
        (json!({"sdgs": ["18"]}), "sdgs", "“18” is not one of the choices"),
        (
            json!({"implementation_stage": "finished"}),
            "implementation_stage",
            "is not one of the choices",
        ),
        (
            json!({"results_summary": big}),
            "results_summary",
            "is longer than 10000 characters",
        ),
        (
            json!({"favourite_colour": "blue"}),
            "favourite_colour",
            "is not a field of this form",
        ),
        (
            json!({"justification.no.such.rule": "x"}),
            "justification.no.such.rule",
            "is not a field",
        ),
    ] {
        let (status, body) = j
            .app
            .post_json(&draft, &cookie, &csrf, &json!({"version": 1, "answers": answers}))
            .await;
        assert_eq!(status, 422, "{field}: {body}");
        assert_eq!(body["errors"][0]["field"], field);
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains(message),
            "{field}: {body}"
        );
    }
    for raw in [
        "not json",
        "{\"version\": 1}",
        "{\"version\": \"one\", \"answers\": {}}",
        "{\"version\": 1, \"answers\": {}, \"extra\": 1}",
    ] {
        let response = j
            .app
            .client
            .post(format!("{}{draft}", j.app.address))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{raw}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("the body is not a valid autosave document"),
            "{body}"
        );
    }
    // The form: the typed value comes back with its message, 422, nothing saved.
    let response = j
        .app
        .post_form(
            &path,
            &cookie,
            &[
                ("_csrf", &csrf),
                ("_version", "1"),
                ("_action", "save"),
                ("beneficiaries_total", "about 40"),
                ("challenges_text", "Typed but not lost"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("value=\"about 40\"") && page.contains(">Typed but not lost</textarea>"),
        "typed values are shown again"
    );
    assert!(
        page.contains("href=\"#f-beneficiaries_total\""),
        "the error summary links to the field"
    );
    // Invalid UTF-8 in a form body.
    let response = j
        .app
        .client
        .post(format!("{}{path}", j.app.address))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={csrf}&_version=1&results_summary=%FF%FE"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("is not valid text (UTF-8)")
    );
    // After all that, version 1 is still the draft, unchanged.
    let versions = draft_version::Entity::find().all(&j.app.db).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert!(versions[0].answers.contains("Keep me") && versions[0].answers.contains("And me"));
}

#[tokio::test]
async fn submission_is_refused_with_errors_and_needs_justified_warnings() {
    let j = Journey::start().await;
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    // Errors: refused, shown next to the fields and in the summary.
    let response = j
        .app
        .post_form(
            &path,
            &cookie,
            &[
                ("_csrf", &csrf),
                ("_version", &version),
                ("_action", "submit"),
                ("results_summary", "Only this"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Before you can submit") && page.contains("Choose the stage your pledge has reached.")
    );
    assert_eq!(j.request_state(&path).await, "draft");
    assert_eq!(revision::Entity::find().count(&j.app.db).await.unwrap(), 0);

    // A warning (breakdown does not add up): refused until justified.
    let mut answers = complete_answers();
    answers.retain(|(k, _)| *k != "breakdown.2.count");
    answers.push(("breakdown.2.count", "1990".into()));
    let (_, html) = j.app.get_with(&path, &cookie).await;
    let (_, version) = form_tokens(&html);
    let response = j
        .app
        .post_form(&path, &cookie, &form(&csrf, &version, "submit", &answers))
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Please confirm these points")
            && page.contains("name=\"justification.base.breakdown.sum\""),
        "{page}"
    );
    let (_, version) = form_tokens(&page);
    answers.push((
        "justification.base.breakdown.sum",
        "Ten children were counted twice.".into(),
    ));
    let response = j
        .app
        .post_form(&path, &cookie, &form(&csrf, &version, "submit", &answers))
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "{}",
        response.text().await.unwrap()
    );
    assert_eq!(j.request_state(&path).await, "submitted");
    let revisions = revision::Entity::find().all(&j.app.db).await.unwrap();
    assert_eq!(revisions.len(), 1);
    assert!(
        revisions[0].findings.contains("base.breakdown.sum")
            && revisions[0].profile_versions.contains("unhcr-gcr")
    );
    assert!(revisions[0].answers.contains("Ten children were counted twice."));

    // After submission: a read-only view, and the form no longer accepts edits.
    let (_, view) = j.app.get_with(&format!("{path}?submitted=1"), &cookie).await;
    assert!(
        view.contains("Your update was submitted")
            && view.contains("Submitted, awaiting review")
            && !view.contains("<textarea")
    );
    let (status, body) = j
        .app
        .post_json(
            &format!("{path}/draft"),
            &cookie,
            &csrf,
            &json!({"version": 0, "answers": {"results_summary": "late edit"}}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["error"]["message"],
        "this update is submitted; it cannot be edited now"
    );

    // The confirmation mail summarises what was submitted.
    let mails = j.app.deliver_mail(6).await;
    let confirmation = mails
        .iter()
        .find(|m| m.subject.starts_with("Update received"))
        .expect("a confirmation");
    assert_eq!(confirmation.to, "jane@arua.example.org");
    assert!(
        confirmation.text.contains("People reached in total: 5,000")
            && confirmation.text.contains("revision 1"),
        "{}",
        confirmation.text
    );
}

#[tokio::test]
async fn a_double_submit_makes_one_revision_and_one_confirmation() {
    let j = Journey::start().await;
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let answers = complete_answers();
    let pairs = form(&csrf, &version, "submit", &answers);
    let (a, b) = tokio::join!(
        j.app.post_form(&path, &cookie, &pairs),
        j.app.post_form(&path, &cookie, &pairs)
    );
    let statuses = [a.status().as_u16(), b.status().as_u16()];
    assert_eq!(statuses, [303, 303], "both clicks answer like the first");
    let retried = j.app.post_form(&path, &cookie, &pairs).await;
    assert_eq!(
        retried.status().as_u16(),
        303,
        "a retried POST lands on the submitted view"
    );
    assert_eq!(revision::Entity::find().count(&j.app.db).await.unwrap(), 1);
    let confirmations = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq("confirmation"))
        .count(&j.app.db)
        .await
        .unwrap();
    assert_eq!(confirmations, 1);
}

#[tokio::test]
async fn the_form_speaks_the_officers_language_and_can_switch() {
    let j = Journey::start().await;
    let (cookie, path) = j
        .app
        .open_link(&j.token("CLA-2025-0002", "marie@montreal.example.org"))
        .await;
    let mails = j.app.mailer.sent();
    let invitation = mails
        .iter()
        .find(|m| m.to == "marie@montreal.example.org")
        .unwrap();
    assert!(
        invitation
            .subject
            .starts_with("Mise à jour de votre engagement demandée")
    );
    // Marie's contact language is French: the form opens in French without asking.
    let response = j
        .app
        .get(&format!(
            "/u/{}",
            j.token("CLA-2025-0002", "marie@montreal.example.org")
        ))
        .await;
    let lang = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("lang="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(lang, "lang=fr");
    let page = j
        .app
        .client
        .get(format!("{}{path}", j.app.address))
        .header("cookie", format!("{cookie}; {lang}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Mise à jour de votre engagement")
            && page.contains("Étape de mise en œuvre")
            && page.contains("4. Éducation de qualité")
            && !page.contains("Quality Education"),
        "{page}"
    );
    let page = j
        .app
        .client
        .get(format!("{}{path}?lang=es", j.app.address))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Actualización de su compromiso"));
}

#[tokio::test]
async fn requested_changes_reopen_the_form_with_the_fields_highlighted() {
    let j = Journey::start().await;
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let answers = complete_answers();
    assert_eq!(
        j.app
            .post_form(&path, &cookie, &form(&csrf, &version, "submit", &answers))
            .await
            .status()
            .as_u16(),
        303
    );
    let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
    let items = [
        pledgeflow::store::review::ChangeItem {
            field: Some("beneficiaries_total".into()),
            message: "Is 5,000 households or people?".into(),
        },
        pledgeflow::store::review::ChangeItem {
            field: Some("lessons_learned".into()),
            message: "Please add one concrete lesson.".into(),
        },
        pledgeflow::store::review::ChangeItem {
            field: None,
            message: "Thank you, nearly there.".into(),
        },
    ];
    pledgeflow::store::review::request_changes(
        &j.app.db,
        id,
        None,
        None,
        &items,
        &j.app.address,
        30,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(j.request_state(&path).await, "changes_requested");

    // Jane and Joe each get the comments and a fresh link; the old link is rotated out.
    let mails = j.app.deliver_mail(5 + 1 + 2).await;
    let to_jane = mails
        .iter()
        .find(|m| m.to == "jane@arua.example.org" && m.subject.starts_with("Changes requested"))
        .unwrap();
    assert!(
        to_jane
            .text
            .contains("People reached in total: Is 5,000 households or people?")
            && to_jane.text.contains("General: Thank you"),
        "{}",
        to_jane.text
    );
    assert_eq!(
        j.app
            .get_text(&format!(
                "/u/{}",
                j.token("CLA-2025-0001", "jane@arua.example.org")
            ))
            .await
            .0,
        410
    );
    let (cookie, path) = j.app.open_link(&link_token(to_jane)).await;
    let (status, html) = j.app.get_with(&path, &cookie).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("The secretariat asked for changes") && html.contains("href=\"#f-lessons_learned\"")
    );
    assert!(
        html.contains("requested\" data-field=\"beneficiaries_total\"")
            && html.contains("Reviewer: Please add one concrete lesson."),
        "{html}"
    );
    assert!(
        html.contains("Welcome centre opened"),
        "the submitted answers are there to revise"
    );

    // Revise and submit again: revision 2, the requests are resolved.
    let (csrf, version) = form_tokens(&html);
    let mut revised = complete_answers();
    revised.retain(|(k, _)| *k != "lessons_learned");
    revised.push((
        "lessons_learned",
        "Hire two refugee community liaisons before opening.".into(),
    ));
    assert_eq!(
        j.app
            .post_form(&path, &cookie, &form(&csrf, &version, "submit", &revised))
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(j.request_state(&path).await, "submitted");
    assert_eq!(
        revision::Entity::find()
            .filter(revision::Column::UpdateRequestId.eq(id))
            .count(&j.app.db)
            .await
            .unwrap(),
        2
    );
    assert!(
        pledgeflow::store::review::open_change_requests(&j.app.db, id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_next_campaign_starts_from_the_last_approved_update() {
    let j = Journey::start().await;
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let answers = complete_answers();
    j.app
        .post_form(&path, &cookie, &form(&csrf, &version, "submit", &answers))
        .await;
    let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
    pledgeflow::store::review::approve(&j.app.db, id, None, None, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(j.request_state(&path).await, "approved");

    j.app.open_campaign("Next round", &["CLA-2025-0001"]).await;
    // 5 invitations, 1 confirmation, 2 approval notices, then the 2 new invitations.
    let mails = j.app.deliver_mail(5 + 1 + 2 + 2).await;
    let invitation = mails
        .iter()
        .rev()
        .find(|m| {
            m.to == "jane@arua.example.org"
                && m.subject.starts_with("Pledge update requested")
                && m.text.contains("CLA-2025-0001")
        })
        .unwrap();
    let (cookie, next_path) = j.app.open_link(&link_token(invitation)).await;
    assert_ne!(next_path, path);
    let (_, html) = j.app.get_with(&next_path, &cookie).await;
    assert!(
        html.contains(">A welcome centre opened and serves newcomers.</textarea>"),
        "results carried forward"
    );
    assert!(
        !html.contains("name=\"consent_to_publish\" value=\"true\" checked"),
        "consent is asked again"
    );

    // A big jump against the approved figure is flagged for an explanation.
    let (csrf, _) = form_tokens(&html);
    let (status, body) = j
        .app
        .post_json(
            &format!("{next_path}/draft"),
            &cookie,
            &csrf,
            &json!({"version": 0, "answers": {"beneficiaries_total": "20000"}}),
        )
        .await;
    assert_eq!(status, 200);
    let change = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "base.figures.change")
        .expect("a change warning");
    assert_eq!(
        change["message"],
        "Changed by more than half since the last approved update: 5000 → 20000 (300%). Please explain."
    );
}

mod attachments {
    use super::*;
    use reqwest::multipart::{Form, Part};

    async fn upload(
        j: &Journey,
        cookie: &str,
        path: &str,
        csrf: &str,
        name: &str,
        bytes: Vec<u8>,
        caption: &str,
    ) -> (u16, String) {
        let form = Form::new()
            .text("_csrf", csrf.to_string())
            .part("file", Part::bytes(bytes).file_name(name.to_string()))
            .text("caption", caption.to_string())
            .text("credit", "City of Arua".to_string());
        let response = j
            .app
            .client
            .post(format!("{}{path}/attachments", j.app.address))
            .header("cookie", cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    fn pdf(size: usize) -> Vec<u8> {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.resize(size, b'x');
        bytes
    }

    #[tokio::test]
    async fn files_are_attached_listed_downloaded_and_removed() {
        let j = Journey::start().await;
        let (cookie, path, csrf, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
        let (status, _) = upload(
            &j,
            &cookie,
            &path,
            &csrf,
            "Rapport annuel 2025.pdf",
            pdf(2048),
            "Annual report",
        )
        .await;
        assert_eq!(status, 303);
        let (_, html) = j.app.get_with(&format!("{path}?uploaded=1"), &cookie).await;
        assert!(
            html.contains("The file is attached.")
                && html.contains("Rapport annuel 2025.pdf</a> (2 KB) — Annual report · © City of Arua"),
            "{html}"
        );
        let href = html
            .split("href=\"")
            .find(|s| s.starts_with(&format!("{path}/attachments/")))
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let response = j
            .app
            .client
            .get(format!("{}{href}", j.app.address))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"Rapport annuel 2025.pdf\"")
        );
        assert_eq!(response.bytes().await.unwrap().to_vec(), pdf(2048));
        // Another officer's session cannot fetch it.
        let (other, _, _, _) = j.officer("CLA-2025-0002", "marie@montreal.example.org").await;
        assert_eq!(j.app.get_with(&href, &other).await.0, 404);
        // The secretariat opens it from the review page (and only under its own request).
        let id = path.trim_start_matches("/updates/");
        let (viewer, _) = j.app.sign_in("viewer").await;
        let (_, review) = j.app.get_with(&format!("/review/requests/{id}"), &viewer).await;
        let staff_href = review
            .split("href=\"")
            .find(|s| s.starts_with(&format!("/review/requests/{id}/attachments/")))
            .expect("the review page links the file")
            .split('"')
            .next()
            .unwrap()
            .to_string();
        assert!(review.contains(">Rapport annuel 2025.pdf</a> <span class=\"muted\">(2 KB)</span>"));
        let download = j
            .app
            .client
            .get(format!("{}{staff_href}", j.app.address))
            .header("cookie", &viewer)
            .send()
            .await
            .unwrap();
        assert_eq!(download.status().as_u16(), 200);
        assert_eq!(download.headers()["cache-control"], "no-store");
        assert_eq!(download.bytes().await.unwrap().to_vec(), pdf(2048));
        let file_id = staff_href.rsplit('/').next().unwrap();
        let elsewhere = format!(
            "/review/requests/{}/attachments/{file_id}",
            id.parse::<i32>().unwrap() + 1
        );
        assert_eq!(j.app.get_with(&elsewhere, &viewer).await.0, 404);
        assert_eq!(
            j.app.get(&staff_href).await.status().as_u16(),
            303,
            "sign in first"
        );
        // Removal needs the CSRF token, then deletes row and file.
        assert_eq!(
            j.app
                .post_form(&format!("{href}/delete"), &cookie, &[("_csrf", "wrong")])
                .await
                .status()
                .as_u16(),
            403
        );
        assert_eq!(
            j.app
                .post_form(&format!("{href}/delete"), &cookie, &[("_csrf", &csrf)])
                .await
                .status()
                .as_u16(),
            303
        );
        assert_eq!(j.app.get_with(&href, &cookie).await.0, 404);
        assert_eq!(
            std::fs::read_dir(j.app.files_dir.path()).unwrap().count(),
            0,
            "the bytes are gone too"
        );
        // Adding and removing a file are on the request's timeline.
        for action in ["attachment.added", "attachment.removed"] {
            let n = pledgeflow::entities::audit_event::Entity::find()
                .filter(pledgeflow::entities::audit_event::Column::Action.eq(action))
                .count(&j.app.db)
                .await
                .unwrap();
            assert_eq!(n, 1, "{action}");
        }
    }

    #[tokio::test]
    async fn uploads_outside_the_limits_are_refused_precisely_and_nothing_is_kept() {
        let j = Journey::start().await;
        let (cookie, path, csrf, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
        let (status, page) = upload(
            &j,
            &cookie,
            &path,
            &csrf,
            "setup.exe",
            b"MZ\x90\x00".to_vec(),
            "Installer",
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            page.contains("This type of file is not accepted. Accepted: pdf, txt"),
            "{page}"
        );
        let (status, page) = upload(
            &j,
            &cookie,
            &path,
            &csrf,
            "report.pdf",
            b"MZ not a pdf".to_vec(),
            "Report",
        )
        .await;
        assert_eq!(status, 422);
        assert!(page.contains("is not a real .pdf file"));
        let (status, page) = upload(&j, &cookie, &path, &csrf, "report.pdf", pdf(100), " ").await;
        assert_eq!(status, 422);
        assert!(page.contains("Give the file a caption."));
        // 25 MB in all: 13 MB fits, a second 13 MB does not.
        assert_eq!(
            upload(&j, &cookie, &path, &csrf, "big.pdf", pdf(13 * 1024 * 1024), "Big")
                .await
                .0,
            303
        );
        let (status, page) = upload(
            &j,
            &cookie,
            &path,
            &csrf,
            "big2.pdf",
            pdf(13 * 1024 * 1024),
            "Big 2",
        )
        .await;
        assert_eq!(status, 413);
        assert!(page.contains("may take 25 MB in all"), "{page}");
        // A request over the upload limit is refused before it is read, with an explanation.
        let (status, page) = upload(
            &j,
            &cookie,
            &path,
            &csrf,
            "huge.pdf",
            pdf(27 * 1024 * 1024),
            "Huge",
        )
        .await;
        assert_eq!(status, 413);
        assert!(page.contains("larger than the service accepts (26 MB)"), "{page}");
        // Five files at most.
        for i in 0..4 {
            assert_eq!(
                upload(
                    &j,
                    &cookie,
                    &path,
                    &csrf,
                    &format!("n{i}.txt"),
                    b"note".to_vec(),
                    "Note"
                )
                .await
                .0,
                303
            );
        }
        let (status, page) = upload(&j, &cookie, &path, &csrf, "n5.txt", b"note".to_vec(), "Note").await;
        assert_eq!(status, 422);
        assert!(page.contains("at most 5 files"));
        assert_eq!(
            std::fs::read_dir(j.app.files_dir.path()).unwrap().count(),
            5,
            "refused files never reach the store"
        );
        // Invalid UTF-8 in a text part, and a missing CSRF token.
        let form = Form::new()
            .text("_csrf", csrf.clone())
            .part("caption", Part::bytes(vec![0xFF, 0xFE]))
            .part("file", Part::bytes(b"x".to_vec()).file_name("a.txt"));
        let response = j
            .app
            .client
            .post(format!("{}{path}/attachments", j.app.address))
            .header("cookie", &cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("The Caption is not valid text (UTF-8).")
        );
        let form = Form::new()
            .part("file", Part::bytes(b"x".to_vec()).file_name("a.txt"))
            .text("caption", "c")
            .text("credit", "c");
        let response = j
            .app
            .client
            .post(format!("{}{path}/attachments", j.app.address))
            .header("cookie", &cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403);
    }

    /// Starts an upload by hand and stops in the middle of the file, as a slow or hostile
    /// client does: headers, the CSRF field, the start of a 20 MB file, then nothing.
    async fn stalled_upload(j: &Journey, cookie: &str, path: &str, csrf: &str) -> tokio::net::TcpStream {
        use tokio::io::AsyncWriteExt;
        let address = j.app.address.trim_start_matches("http://").to_string();
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "POST {path}/attachments HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 20000000\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&pdf(1024 * 1024)).await.unwrap();
        stream
    }

    fn temporary_files(j: &Journey) -> usize {
        std::fs::read_dir(j.app.files_dir.path())
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with(".tmp")
                })
                .count()
            })
            .unwrap_or(0)
    }

    async fn until(what: &str, check: impl Fn() -> bool) {
        let started = std::time::Instant::now();
        while !check() {
            assert!(started.elapsed().as_secs() < 10, "{what}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn a_forged_upload_is_refused_before_its_file_is_read_and_a_session_sends_two_at_once() {
        use tokio::io::AsyncReadExt;
        let j = Journey::start().await;
        let (cookie, path, csrf, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
        // A wrong token before the file: the answer comes at once, the 19 MB never sent.
        let mut forged = stalled_upload(&j, &cookie, &path, "forged-token").await;
        let mut answer = vec![0; 64];
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), forged.read(&mut answer)).await;
        let answer =
            String::from_utf8_lossy(&answer[..read.expect("answered before the body ended").unwrap()])
                .to_string();
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        assert_eq!(temporary_files(&j), 0, "not a byte of the file was stored");

        // Two uploads in flight from one session: they stream into temporary files…
        let first = stalled_upload(&j, &cookie, &path, &csrf).await;
        let second = stalled_upload(&j, &cookie, &path, &csrf).await;
        until("both uploads are being received", || temporary_files(&j) == 2).await;
        // …and a third waits its turn, with a reason in the officer's language.
        let (status, page) = upload(&j, &cookie, &path, &csrf, "note.txt", b"note".to_vec(), "Note").await;
        assert_eq!(status, 429);
        assert!(
            page.contains("Another file from this page is still being sent."),
            "{page}"
        );
        // Another officer's session is not held up.
        let (other, other_path, other_csrf, _) =
            j.officer("CLA-2025-0002", "marie@montreal.example.org").await;
        let (status, _) = upload(
            &j,
            &other,
            &other_path,
            &other_csrf,
            "n.txt",
            b"note".to_vec(),
            "Note",
        )
        .await;
        assert_eq!(status, 303);
        // The clients go away: their half files are removed and the slots come back.
        drop((first, second));
        until("half-received files are removed", || temporary_files(&j) == 0).await;
        let (status, _) = upload(&j, &cookie, &path, &csrf, "note.txt", b"note".to_vec(), "Note").await;
        assert_eq!(status, 303);
    }

    #[tokio::test]
    async fn a_failing_file_store_is_a_clear_error_and_the_draft_is_intact() {
        let j = Journey::start().await;
        let (cookie, path, csrf, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
        let (status, _) = j
            .app
            .post_json(
                &format!("{path}/draft"),
                &cookie,
                &csrf,
                &json!({"version": 0, "answers": {"results_summary": "Still here"}}),
            )
            .await;
        assert_eq!(status, 200);
        // Make the store unwritable: its folder becomes a plain file.
        let dir = j.app.files_dir.path().to_path_buf();
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::write(&dir, b"not a folder").unwrap();
        let (status, page) = upload(&j, &cookie, &path, &csrf, "report.pdf", pdf(100), "Report").await;
        assert_eq!(status, 503);
        assert!(
            page.contains("The file could not be stored right now; nothing was changed.")
                && page.contains(">Still here</textarea>")
        );
        std::fs::remove_file(&dir).unwrap();
        std::fs::create_dir(&dir).unwrap();
        assert_eq!(
            upload(&j, &cookie, &path, &csrf, "report.pdf", pdf(100), "Report")
                .await
                .0,
            303
        );
    }
}

/// Marie types numbers the French way: decimal commas and spaces between thousands are read as
/// she means them; "1,250" people could be 1 250 or 1,25 and is asked back, with what she typed
/// kept in the form.
#[tokio::test]
async fn numbers_are_read_in_the_officers_language_and_ambiguity_is_asked_back() {
    let j = Journey::start().await;
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0002", "marie@montreal.example.org").await;
    // Her browser asks for French (the language cookie the link set, here as the query).
    let french = format!("{path}?lang=fr");
    let typed = [
        ("metric.1.label", "Taux de satisfaction".to_string()),
        ("metric.1.value", "99,5".to_string()),
        ("metric.1.unit", "%".to_string()),
        ("funding.1.amount", "1 250 000,5".to_string()),
        ("funding.1.currency", "CAD".to_string()),
        ("beneficiaries_total", "1,250".to_string()),
    ];
    let refused = j
        .app
        .post_form(&french, &cookie, &form(&csrf, &version, "save", &typed))
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("peut se lire 1 250 ou 1,25"),
        "the two readings, in French: {html}"
    );
    assert!(html.contains("value=\"1,250\""), "what Marie typed is kept");
    assert!(html.contains("value=\"99,5\""));

    let mut fixed = typed.to_vec();
    fixed.retain(|(k, _)| *k != "beneficiaries_total");
    fixed.push(("beneficiaries_total", "1 250".into()));
    let saved = j
        .app
        .post_form(&french, &cookie, &form(&csrf, &version, "save", &fixed))
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    let stored = draft_version::Entity::find()
        .filter(
            draft_version::Column::UpdateRequestId.eq(path
                .rsplit('/')
                .next()
                .unwrap()
                .parse::<i32>()
                .unwrap()),
        )
        .all(&j.app.db)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .answers;
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["metric.1.value"], "99.5");
    assert_eq!(stored["funding.1.amount"], "1250000.5");
    assert_eq!(stored["beneficiaries_total"], "1250");
    // Shown back the French way, as she typed it.
    let (_, html) = j.app.get_with(&french, &cookie).await;
    assert!(
        html.contains("value=\"99,5\"") && html.contains("value=\"1250000,5\""),
        "{html}"
    );
}

/// Without JavaScript: rows in use and one blank row, "add another" saves and opens the next
/// row, up to 20.
#[tokio::test]
async fn repeating_rows_grow_with_add_another_without_javascript() {
    let j = Journey::start().await;
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let (_, html) = j.app.get_with(&path, &cookie).await;
    assert!(html.contains("id=\"f-partner-3-name\"") && !html.contains("id=\"f-partner-4-name\""));
    let partners: Vec<(&str, String)> = (1..=3)
        .map(|i| {
            let key: &'static str = Box::leak(format!("partner.{i}.name").into_boxed_str());
            (key, format!("Partner {i}"))
        })
        .collect();
    let added = j
        .app
        .post_form(&path, &cookie, &form(&csrf, &version, "add.partner", &partners))
        .await;
    assert_eq!(added.status().as_u16(), 303);
    assert!(
        added.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("#f-partner-4-name"),
        "the new row opens"
    );
    let (_, html) = j.app.get_with(&path, &cookie).await;
    assert!(html.contains("id=\"f-partner-4-name\"") && !html.contains("id=\"f-partner-5-name\""));
    assert!(html.contains("value=\"add.partner\""));
    // The server takes up to 20 rows and refuses a 21st.
    let (csrf, version) = form_tokens(&html);
    let over = [("partner.21.name", "One too many".to_string())];
    let refused = j
        .app
        .post_form(&path, &cookie, &form(&csrf, &version, "save", &over))
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let twenty = [("partner.20.name", "The twentieth".to_string())];
    let saved = j
        .app
        .post_form(&path, &cookie, &form(&csrf, &version, "save", &twenty))
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    let (_, html) = j.app.get_with(&path, &cookie).await;
    assert!(
        html.contains("id=\"f-partner-20-name\"") && !html.contains("value=\"add.partner\""),
        "20 is the cap"
    );
}

/// The form page with its CSS and JS crosses the wire compressed and small: a phone on a slow
/// network gets it in a fraction of its 70-odd KB (issue 13: under 20 KB).
#[tokio::test]
async fn the_form_page_is_sent_compressed() {
    let j = Journey::start().await;
    let (cookie, path, _, _) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let mut transferred = 0;
    for (encoding, address) in [
        ("br", path.as_str()),
        ("br", "/static/app.css"),
        ("br", "/static/form.js"),
        ("gzip", path.as_str()),
    ] {
        let response = j
            .app
            .client
            .get(format!("{}{address}", j.app.address))
            .header("cookie", &cookie)
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{address}");
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            Some(encoding),
            "{address}"
        );
        let bytes = response.bytes().await.unwrap().len();
        if encoding == "br" {
            transferred += bytes;
        }
    }
    println!("the form page with its CSS and JS, brotli: {transferred} bytes");
    assert!(
        transferred < 20_000,
        "the form page with its CSS and JS: {transferred} bytes"
    );
    // A client that asks for nothing gets plain text.
    let (_, plain) = j.app.get_with(&path, &cookie).await;
    assert!(plain.len() > 3 * transferred, "{} plain bytes", plain.len());
}

/// The `status-…` class of a section's entry in the form's task list.
fn section_status(html: &str, section: &str) -> String {
    let entry = format!("<a href=\"#section-{section}\">");
    let at = html
        .find(&entry)
        .unwrap_or_else(|| panic!("no task list entry for {section}"));
    let rest = &html[at..];
    let class = rest.find("class=\"status status-").unwrap() + "class=\"status status-".len();
    rest[class..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn the_form_is_calm_on_first_open_and_says_what_is_left_after_a_save_or_submit() {
    let j = Journey::start().await;
    // CLA-2025-0002 is a GCM pledge of Montréal: on first open, no finding, no summary.
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0002", "marie@montreal.example.org").await;
    let (_, first) = j.app.get_with(&format!("{path}?lang=en"), &cookie).await;
    assert!(
        !first.contains("class=\"msg error\""),
        "no red error on first open"
    );
    assert!(!first.contains("class=\"summary warnings\"") && !first.contains("name=\"justification."));
    assert!(!first.contains("Choose the stage your pledge has reached."));
    // A task list with each section's status; nothing answered yet except the prefill.
    assert_eq!(section_status(&first, "challenges"), "not_started");
    // Optional questions say so; asked ones do not.
    let label = |html: &str, id: &str| {
        let at = html.find(&format!("<label for=\"{id}\">")).unwrap();
        html[at..].split("</label>").next().unwrap().to_string()
    };
    assert!(label(&first, "f-joint_partners").contains("(optional)"));
    assert!(!label(&first, "f-results_summary").contains("(optional)"));

    // A save shows what the rules say, and the section's status follows.
    let saved = j
        .app
        .post_form(
            &path,
            &cookie,
            &form(
                &csrf,
                &version,
                "save",
                &[
                    ("compact_scope", "GCM".into()),
                    ("challenges", "funding_gaps".into()),
                ],
            ),
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    let shown = saved.headers()["location"].to_str().unwrap().to_string();
    let (_, after_save) = j.app.get_with(&shown, &cookie).await;
    assert!(
        after_save.contains("Choose the stage your pledge has reached."),
        "findings after a save"
    );
    assert_eq!(section_status(&after_save, "status"), "needs_attention");
    // The GCR's questions are hidden on a GCM update (their rows kept, not shown).
    let row = |html: &str, key: &str| {
        let at = html.find(&format!("data-field=\"{key}\"")).unwrap();
        html[at..].split('>').next().unwrap().to_string()
    };
    assert!(
        row(&after_save, "gcr_objectives").contains("hidden"),
        "{}",
        row(&after_save, "gcr_objectives")
    );
    assert!(row(&after_save, "refugee_participation").contains("hidden"));
    assert!(!row(&after_save, "gcm_objectives").contains("hidden"));

    // A refused submit: the summary takes the focus and the status says the draft was saved.
    let (_, version) = form_tokens(&after_save);
    let refused = j
        .app
        .post_form(
            &path,
            &cookie,
            &form(
                &csrf,
                &version,
                "submit",
                &[("results_summary", "A first result.".into())],
            ),
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("id=\"errors\" autofocus"),
        "the error summary is focused"
    );
    assert!(
        page.contains("Draft saved, not submitted yet"),
        "the save status tells the truth"
    );
    assert_eq!(
        section_status(&page, "results"),
        "complete",
        "{}",
        section_status(&page, "results")
    );
    let draft = draft_version::Entity::find()
        .order_by_desc(draft_version::Column::Version)
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        draft.answers.contains("A first result."),
        "the refused submit kept the draft"
    );
}
