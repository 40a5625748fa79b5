//! Two clicks at once. On PostgreSQL (READ COMMITTED) a read-then-write without a lock lets
//! both win; every change of a request's state locks its row first, so exactly one wins and the
//! other gets the refusal a late click gets. The same tests run on SQLite.
use pledgeflow::entities::{audit_event, outbox_mail, revision};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::complete_answers;
use crate::officer::{Journey, form};

/// How many times each race is run: a race that is only sometimes lost must still be seen.
const TRIALS: usize = 4;

/// A journey with the update of CLA-2025-0001 submitted, and an admin signed in.
async fn submitted() -> (Journey, i32, String, String) {
    let j = Journey::start().await;
    let id = j.submit_complete("CLA-2025-0001", "jane@arua.example.org").await;
    let (admin, admin_csrf) = j.app.sign_in("admin").await;
    (j, id, admin, admin_csrf)
}

async fn post(j: &Journey, cookie: &str, path: &str, pairs: &[(&str, &str)]) -> u16 {
    j.app.post_form(path, cookie, pairs).await.status().as_u16()
}

async fn state(j: &Journey, id: i32) -> String {
    j.request_state(&format!("/updates/{id}")).await
}

async fn audit_count(j: &Journey, action: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .count(&j.app.db)
        .await
        .unwrap()
}

async fn mails_of_kind(j: &Journey, kind: &str) -> u64 {
    outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Kind.eq(kind))
        .count(&j.app.db)
        .await
        .unwrap()
}

fn one_wins(a: u16, b: u16) -> bool {
    let mut both = [a, b];
    both.sort();
    both == [303, 409]
}

#[tokio::test]
async fn withdraw_twice_at_once_withdraws_once() {
    for _ in 0..TRIALS {
        let (j, id, admin, csrf) = submitted().await;
        let path = format!("/review/requests/{id}/withdraw");
        // Each click carries the state its page showed, as the request page's forms do.
        let pairs = [
            ("_csrf", csrf.as_str()),
            ("_seen", "submitted"),
            ("confirm", "yes"),
        ];
        let (a, b) = tokio::join!(post(&j, &admin, &path, &pairs), post(&j, &admin, &path, &pairs));
        assert!(one_wins(a, b), "both answered {a} and {b}");
        assert_eq!(state(&j, id).await, "withdrawn");
        assert_eq!(audit_count(&j, "request.withdrawn").await, 1, "one audit row");
    }
}

#[tokio::test]
async fn approve_and_withdraw_at_once_end_in_one_state_with_its_mail() {
    for _ in 0..TRIALS {
        let (j, id, admin, csrf) = submitted().await;
        let pairs = [
            ("_csrf", csrf.as_str()),
            ("_seen", "submitted"),
            ("confirm", "yes"),
        ];
        let (approve_path, withdraw_path) = (
            format!("/review/requests/{id}/approve"),
            format!("/review/requests/{id}/withdraw"),
        );
        let (approve, withdraw) = tokio::join!(
            post(&j, &admin, &approve_path, &pairs),
            post(&j, &admin, &withdraw_path, &pairs)
        );
        assert!(
            one_wins(approve, withdraw),
            "approve {approve}, withdraw {withdraw}"
        );
        let approval_mails = mails_of_kind(&j, "approved").await;
        match state(&j, id).await.as_str() {
            "approved" => {
                assert_eq!(approve, 303);
                assert!(approval_mails > 0, "the approval is announced");
                assert_eq!(audit_count(&j, "request.withdrawn").await, 0);
            }
            "withdrawn" => {
                assert_eq!(withdraw, 303);
                assert_eq!(approval_mails, 0, "no approval mail for a withdrawn update");
                assert_eq!(audit_count(&j, "request.approved").await, 0);
            }
            other => panic!("ended {other}"),
        }
    }
}

#[tokio::test]
async fn changes_and_approve_at_once_end_in_one_state() {
    for _ in 0..TRIALS {
        let (j, id, admin, csrf) = submitted().await;
        let (changes_path, approve_path) = (
            format!("/review/requests/{id}/changes"),
            format!("/review/requests/{id}/approve"),
        );
        let comment = [
            ("_csrf", csrf.as_str()),
            ("_seen", "submitted"),
            ("field.1", "lessons_learned"),
            ("message.1", "One concrete lesson, please."),
        ];
        let only_csrf = [("_csrf", csrf.as_str()), ("_seen", "submitted")];
        let (changes, approve) = tokio::join!(
            post(&j, &admin, &changes_path, &comment),
            post(&j, &admin, &approve_path, &only_csrf)
        );
        assert!(one_wins(changes, approve), "changes {changes}, approve {approve}");
        let end = state(&j, id).await;
        let (approved, sent_back) = (
            audit_count(&j, "request.approved").await,
            mails_of_kind(&j, "changes").await,
        );
        match end.as_str() {
            "approved" => assert_eq!((approve, sent_back), (303, 0), "no change request mailed"),
            "changes_requested" => assert_eq!((changes, approved), (303, 0)),
            other => panic!("ended {other}"),
        }
    }
}

#[tokio::test]
async fn submit_twice_at_once_answers_both_and_makes_one_revision() {
    for _ in 0..TRIALS {
        let j = Journey::start().await;
        let (officer, path, csrf, version) = j.officer("CLA-2025-0001", "jane@arua.example.org").await;
        let answers = complete_answers();
        let pairs = form(&csrf, &version, "submit", &answers);
        let (a, b) = tokio::join!(
            j.app.post_form(&path, &officer, &pairs),
            j.app.post_form(&path, &officer, &pairs)
        );
        let (a, b) = (a.status().as_u16(), b.status().as_u16());
        assert_eq!((a, b), (303, 303), "a repeated submit answers like the first");
        let id: i32 = path.rsplit('/').next().unwrap().parse().unwrap();
        let revisions = revision::Entity::find()
            .filter(revision::Column::UpdateRequestId.eq(id))
            .count(&j.app.db)
            .await
            .unwrap();
        assert_eq!(revisions, 1);
        assert_eq!(mails_of_kind(&j, "confirmation").await, 1, "one confirmation");
    }
}

#[tokio::test]
async fn withdrawing_needs_the_box_ticked_and_the_decision_sits_at_the_top() {
    let (j, id, admin, csrf) = submitted().await;
    let path = format!("/review/requests/{id}");
    // The decision comes before the update's long answers.
    let (_, page) = j.app.get_with(&path, &admin).await;
    let decision = page.find("id=\"actions-title\"").expect("a decision section");
    let answers = page
        .find("Findings at submission")
        .or_else(|| page.find("id=\"interviews-title\""))
        .unwrap();
    assert!(decision < answers, "the decision buttons are at the top");
    // One stray click does not withdraw.
    let refused = j
        .app
        .post_form(
            &format!("{path}/withdraw"),
            &admin,
            &[("_csrf", csrf.as_str()), ("_seen", "submitted")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("tick the box to confirm the withdrawal")
    );
    assert_eq!(state(&j, id).await, "submitted");
    let pairs = [
        ("_csrf", csrf.as_str()),
        ("_seen", "submitted"),
        ("confirm", "yes"),
    ];
    assert_eq!(post(&j, &admin, &format!("{path}/withdraw"), &pairs).await, 303);
    assert_eq!(state(&j, id).await, "withdrawn");
}

/// On SQLite, writers that arrive while another writes wait their turn, first come first
/// served, instead of racing in SQLite's busy handler and failing after its 5 s timeout with
/// "database is locked". Twenty writers that each hold the write lock for 300 ms (6 s in all,
/// longer than the busy timeout) all commit, in the order they asked. (PostgreSQL writes rows
/// concurrently; there is no queue to test there.)
#[tokio::test]
async fn writers_that_queue_on_sqlite_all_commit_in_the_order_they_asked() {
    use sea_orm::QueryOrder;
    let app = crate::helpers::spawn_app().await;
    if app.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..20 {
        let db = app.db.clone();
        writers.spawn(async move {
            let txn = pledgeflow::store::write_txn(&db).await?;
            pledgeflow::store::audit::record(
                &txn,
                chrono::Utc::now(),
                pledgeflow::store::audit::Actor::System,
                "test.wrote",
                "test",
                Some(format!("{n:02}")),
                serde_json::json!({}),
            )
            .await?;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            txn.commit().await
        });
        // Each writer asks after the one before.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap().expect("every writer commits");
    }
    let order: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("test.wrote"))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entity_id.unwrap_or_default())
        .collect();
    let asked: Vec<String> = (0..20).map(|n| format!("{n:02}")).collect();
    assert_eq!(order, asked, "the writers committed in the order they asked");
}
