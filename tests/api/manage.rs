//! The secretariat looking after one request: reviewer, comments, deadline, links, contacts.
use pledgeflow::entities::{access_link, contact, update_request};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::link_token;
use crate::officer::Journey;

async fn request_id(j: &Journey, reference: &str) -> i32 {
    let pledge = pledgeflow::entities::pledge::Entity::find()
        .filter(pledgeflow::entities::pledge::Column::Reference.eq(reference))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    update_request::Entity::find()
        .filter(update_request::Column::PledgeId.eq(pledge.id))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn contact_id(j: &Journey, email: &str) -> i32 {
    contact::Entity::find()
        .filter(contact::Column::Email.eq(email))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn resending_revokes_the_old_link_and_mails_a_new_one() {
    let j = Journey::start().await;
    let id = request_id(&j, "CLA-2025-0002").await;
    let marie = contact_id(&j, "marie@montreal.example.org").await;
    let old = j.token("CLA-2025-0002", "marie@montreal.example.org");
    let (reviewer, csrf) = j.app.sign_in("reviewer").await;
    let response = j
        .app
        .post_form(
            &format!("/review/requests/{id}/contacts/{marie}/resend"),
            &reviewer,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let mails = j.app.deliver_mail(6).await;
    let fresh = mails.last().unwrap();
    assert_eq!(fresh.to, "marie@montreal.example.org");
    assert!(
        fresh.subject.starts_with("Mise à jour"),
        "in Marie's language: {}",
        fresh.subject
    );
    assert_eq!(
        j.app.get(&format!("/u/{old}")).await.status().as_u16(),
        410,
        "the old link is closed"
    );
    let (_, path) = j.app.open_link(&link_token(fresh)).await;
    assert_eq!(path, format!("/updates/{id}"));
    // The page says when the last mail went out and that one link is open.
    j.app.run_mail().await;
    let (_, page) = j.app.get_with(&format!("/review/requests/{id}"), &reviewer).await;
    assert!(
        page.contains("link.resent") && page.contains("invitation, 20"),
        "{page}"
    );

    // Revoking closes every link the contact holds.
    let response = j
        .app
        .post_form(
            &format!("/review/requests/{id}/contacts/{marie}/revoke"),
            &reviewer,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let open = access_link::Entity::find()
        .filter(access_link::Column::UpdateRequestId.eq(id))
        .filter(access_link::Column::RevokedAt.is_null())
        .all(&j.app.db)
        .await
        .unwrap();
    assert!(open.is_empty());
    assert_eq!(
        j.app
            .get(&format!("/u/{}", link_token(fresh)))
            .await
            .status()
            .as_u16(),
        410
    );
}

#[tokio::test]
async fn a_later_deadline_extends_the_links_and_an_earlier_one_is_refused() {
    let j = Journey::start().await;
    let id = request_id(&j, "CLA-2025-0002").await;
    let (admin, csrf) = j.app.sign_in("admin").await;
    let path = format!("/review/requests/{id}/deadline");
    let earlier = j
        .app
        .post_form(&path, &admin, &[("_csrf", &csrf), ("deadline", "2098-12-01")])
        .await;
    assert_eq!(earlier.status().as_u16(), 422);
    assert!(
        earlier
            .text()
            .await
            .unwrap()
            .contains("is not later than the current deadline 2099-01-15")
    );
    let garbled = j
        .app
        .post_form(&path, &admin, &[("_csrf", &csrf), ("deadline", "soon")])
        .await;
    assert_eq!(garbled.status().as_u16(), 422);
    let later = j
        .app
        .post_form(&path, &admin, &[("_csrf", &csrf), ("deadline", "2099-03-31")])
        .await;
    assert_eq!(later.status().as_u16(), 303);
    let request = update_request::Entity::find_by_id(id)
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.deadline_override.unwrap().to_string(), "2099-03-31");
    let link = access_link::Entity::find()
        .filter(access_link::Column::UpdateRequestId.eq(id))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        link.expires_at.date_naive() > request.deadline_override.unwrap(),
        "the link outlives the new deadline"
    );
    let (_, page) = j.app.get_with(&format!("/review/requests/{id}"), &admin).await;
    assert!(page.contains("Deadline 2099-03-31") && page.contains("request.deadline_extended"));
}

#[tokio::test]
async fn contacts_are_added_with_an_invitation_and_deactivated_with_their_links() {
    let j = Journey::start().await;
    let id = request_id(&j, "CLA-2025-0002").await;
    let (admin, csrf) = j.app.sign_in("admin").await;
    let add = format!("/review/requests/{id}/contacts");
    let bad = j
        .app
        .post_form(
            &add,
            &admin,
            &[
                ("_csrf", &csrf),
                ("name", "Luc"),
                ("email", "luc at montreal"),
                ("locale", "fr"),
                ("role", "alternate"),
            ],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    let page = bad.text().await.unwrap();
    assert!(
        page.contains("Email: `luc at montreal` is not an e-mail address.") && page.contains("value=\"Luc\""),
        "the field is named, what was typed stays: {page}"
    );
    // Two addresses in one pass a shape check, not the mailer's own parser.
    let two = j
        .app
        .post_form(
            &add,
            &admin,
            &[
                ("_csrf", &csrf),
                ("name", "Luc"),
                ("email", "a,b@evil.example"),
                ("locale", "fr"),
                ("role", "alternate"),
            ],
        )
        .await;
    assert_eq!(two.status().as_u16(), 422);
    let ok = j
        .app
        .post_form(
            &add,
            &admin,
            &[
                ("_csrf", &csrf),
                ("name", "Luc Adjoint"),
                ("email", "Luc@Montreal.example.org"),
                ("locale", "fr"),
                ("role", "alternate"),
            ],
        )
        .await;
    assert_eq!(ok.status().as_u16(), 303);
    let mails = j.app.deliver_mail(6).await;
    let invitation = mails
        .iter()
        .find(|m| m.to == "luc@montreal.example.org")
        .expect("Luc is invited");
    assert!(invitation.text.contains("Luc Adjoint"));
    let again = j
        .app
        .post_form(
            &add,
            &admin,
            &[
                ("_csrf", &csrf),
                ("name", "Luc"),
                ("email", "luc@montreal.example.org"),
                ("locale", "fr"),
                ("role", "alternate"),
            ],
        )
        .await;
    assert_eq!(
        again.status().as_u16(),
        409,
        "an active contact is not added twice"
    );

    let luc = contact_id(&j, "luc@montreal.example.org").await;
    let response = j
        .app
        .post_form(
            &format!("/review/requests/{id}/contacts/{luc}/deactivate"),
            &admin,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let luc_row = contact::Entity::find_by_id(luc)
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!luc_row.active);
    assert_eq!(
        j.app
            .get(&format!("/u/{}", link_token(invitation)))
            .await
            .status()
            .as_u16(),
        410
    );
    let resend = j
        .app
        .post_form(
            &format!("/review/requests/{id}/contacts/{luc}/resend"),
            &admin,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(resend.status().as_u16(), 409, "no link for a deactivated contact");
    // A contact of another organization is not reachable through this request.
    let jane = contact_id(&j, "jane@arua.example.org").await;
    let foreign = j
        .app
        .post_form(
            &format!("/review/requests/{id}/contacts/{jane}/revoke"),
            &admin,
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(foreign.status().as_u16(), 404);
}

#[tokio::test]
async fn reviewers_are_assigned_and_comments_join_the_timeline() {
    let j = Journey::start().await;
    let id = request_id(&j, "CLA-2025-0001").await;
    let (reviewer, csrf) = j.app.sign_in("reviewer").await;
    let me = pledgeflow::store::staff::find_staff(&j.app.db, "reviewer@secretariat.example.org")
        .await
        .unwrap()
        .unwrap();
    let response = j
        .app
        .post_form(
            &format!("/review/requests/{id}/assign"),
            &reviewer,
            &[("_csrf", &csrf), ("reviewer", &me.id.to_string())],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let request = update_request::Entity::find_by_id(id)
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.assigned_reviewer_id, Some(me.id));
    let (viewer, _) = j.app.sign_in("viewer").await;
    let viewer_id = pledgeflow::store::staff::find_staff(&j.app.db, "viewer@secretariat.example.org")
        .await
        .unwrap()
        .unwrap()
        .id;
    let not_a_reviewer = j
        .app
        .post_form(
            &format!("/review/requests/{id}/assign"),
            &reviewer,
            &[("_csrf", &csrf), ("reviewer", &viewer_id.to_string())],
        )
        .await;
    assert_eq!(not_a_reviewer.status().as_u16(), 422);
    let comment = "Check the figure <b>against</b> the 2024 report";
    let response = j
        .app
        .post_form(
            &format!("/review/requests/{id}/comment"),
            &reviewer,
            &[("_csrf", &csrf), ("text", comment)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = j.app.get_with(&format!("/review/requests/{id}"), &viewer).await;
    assert!(
        page.contains("Check the figure &#60;b&#62;against&#60;/b&#62; the 2024 report")
            || page.contains("Check the figure &lt;b&gt;against&lt;/b&gt; the 2024 report"),
        "escaped: {page}"
    );
    let (_, queue) = j.app.get_with("/review?mine=1", &reviewer).await;
    assert!(
        queue.contains("CLA-2025-0001") && !queue.contains("CLA-2025-0002"),
        "{queue}"
    );
}

/// A pledge has one open request: a new campaign leaves it out and says where it is, unless
/// `--move` brings the request (draft and links included) into the new campaign.
#[tokio::test]
async fn a_pledge_with_an_open_request_is_left_out_or_moved_not_asked_twice() {
    let j = Journey::start().await;
    let id = request_id(&j, "CLA-2025-0001").await;
    // The officer has started a draft in the first campaign.
    let (cookie, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
    let saved = j
        .app
        .post_form(
            &path,
            &cookie,
            &crate::officer::form(&csrf, &version, "save", &[("results_summary", "Half way".into())]),
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);

    let out = j.app.cli(
        &[
            "campaign",
            "open",
            "--name",
            "Second round",
            "--deadline",
            "2099-03-01",
            "--pledge",
            "CLA-2025-0001",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", crate::helpers::text(&out.stderr));
    let said = crate::helpers::text(&out.stdout);
    assert!(
        said.contains(&format!(
            "left out: CLA-2025-0001 already has an open request (#{id}, draft) in campaign `Test round` (use --move to move it here)"
        )),
        "{said}"
    );
    // The workspace says the same on the new campaign's page.
    let (admin, admin_csrf) = j.app.sign_in("admin").await;
    let opened = j
        .app
        .post_form(
            "/review/campaigns",
            &admin,
            &[
                ("_csrf", admin_csrf.as_str()),
                ("name", "Workspace round"),
                ("deadline", "2099-03-15"),
                ("scope", "chosen"),
                ("confirm", "yes"),
                ("pledge", "CLA-2025-0001"),
            ],
        )
        .await;
    assert_eq!(opened.status().as_u16(), 303);
    let dashboard = opened.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = j.app.get_with(&dashboard, &admin).await;
    assert!(
        page.contains(
            "Left out, each with an open request elsewhere: CLA-2025-0001 already has an open request"
        ),
        "{page}"
    );
    let requests = update_request::Entity::find()
        .filter(update_request::Column::State.ne("withdrawn"))
        .all(&j.app.db)
        .await
        .unwrap();
    assert_eq!(requests.len(), 3, "no second request for the pledge");

    let out = j.app.cli(
        &[
            "campaign",
            "open",
            "--name",
            "Third round",
            "--deadline",
            "2099-04-01",
            "--pledge",
            "CLA-2025-0001",
            "--move",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", crate::helpers::text(&out.stderr));
    assert!(crate::helpers::text(&out.stdout).contains("moved here: CLA-2025-0001 (from `Test round`)"));
    let moved = update_request::Entity::find_by_id(id)
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    let third = pledgeflow::entities::campaign::Entity::find()
        .filter(pledgeflow::entities::campaign::Column::Name.eq("Third round"))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.campaign_id, third.id);
    assert_eq!(moved.request_state().as_str(), "draft", "the draft moved with it");
    let link = access_link::Entity::find()
        .filter(access_link::Column::UpdateRequestId.eq(id))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(link.expires_at.date_naive() > chrono::NaiveDate::from_ymd_opt(2099, 4, 1).unwrap());
    let (status, html) = j.app.get_with(&path, &cookie).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Half way"),
        "the officer finds the draft where they left it"
    );
    let audit = pledgeflow::entities::audit_event::Entity::find()
        .filter(pledgeflow::entities::audit_event::Column::Action.eq("request.moved"))
        .one(&j.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(audit.detail.contains("Third round"));
}
