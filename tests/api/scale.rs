//! Sizes past SQLite's 32,766 bound parameters: a campaign of 40,000 requests still gets its
//! reminder pass and its dashboard (both used to bind one parameter per request and fail).
use pledgeflow::entities::{reminder_log, update_request};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, Iterable, PaginatorTrait, QueryFilter};

use crate::officer::Journey;

const SIZE: i64 = 40_000;

/// Copies row `id` of `table` SIZE times in one statement, `column = expression` replacing
/// what differs (`i` counts 1..=SIZE); the rest is copied as it is.
async fn copy_row<C: Iterable + sea_orm::ColumnTrait>(
    db: &sea_orm::DatabaseConnection,
    table: &str,
    id: i32,
    replace: &[(&str, String)],
) {
    let columns: Vec<String> = C::iter().map(|c| c.to_string()).filter(|c| c != "id").collect();
    let values: Vec<String> = columns
        .iter()
        .map(|c| {
            replace
                .iter()
                .find(|(name, _)| name == c)
                .map(|(_, expression)| expression.clone())
                .unwrap_or_else(|| format!("t.{c}"))
        })
        .collect();
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {SIZE}) \
         INSERT INTO {table} ({}) SELECT {} FROM {table} t, n WHERE t.id = {id}",
        quoted.join(", "),
        values.join(", ")
    );
    db.execute_unprepared(&sql).await.unwrap();
}

#[tokio::test]
async fn a_campaign_of_40000_requests_gets_its_reminders_and_its_dashboard() {
    use pledgeflow::entities::{pledge, revision};
    let j = Journey::start().await;
    let app = &j.app;
    let model = j.submit_complete("CLA-2025-0001", "jane@arua.example.org").await;
    let request = update_request::Entity::find_by_id(model)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // 40,000 more pledges of the same organization, each with a request in the campaign.
    copy_row::<pledge::Column>(
        &app.db,
        "pledge",
        request.pledge_id,
        &[
            ("reference", "'SCALE-' || i".into()),
            ("title", "'Scale pledge ' || i".into()),
        ],
    )
    .await;
    let first_copy = pledge::Entity::find()
        .filter(pledge::Column::Reference.eq("SCALE-1"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    copy_row::<update_request::Column>(
        &app.db,
        "update_request",
        model,
        &[
            ("pledge_id", format!("{first_copy} + i - 1")),
            ("state", "'issued'".into()),
            ("submitted_at", "NULL".into()),
        ],
    )
    .await;
    let in_campaign = update_request::Entity::find()
        .filter(update_request::Column::CampaignId.eq(request.campaign_id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(in_campaign as i64, SIZE + 3);

    // Three of them are due a reminder (14 days before their deadline), on a Monday morning
    // in Arua; the 39,997 others are not due yet.
    let due: Vec<i32> = update_request::Entity::find()
        .filter(update_request::Column::PledgeId.is_in([first_copy, first_copy + 1, first_copy + 2]))
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    update_request::Entity::update_many()
        .col_expr(
            update_request::Column::DeadlineOverride,
            sea_orm::sea_query::Expr::value(chrono::NaiveDate::from_ymd_opt(2026, 12, 21)),
        )
        .filter(update_request::Column::Id.is_in(due.clone()))
        .exec(&app.db)
        .await
        .unwrap();
    let monday = "2026-12-07T08:00:00Z".parse().unwrap();
    let report = app.run_scheduler_at(monday).await;
    let reminded: std::collections::BTreeSet<i32> = reminder_log::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|l| l.update_request_id)
        .collect();
    assert_eq!(reminded, due.iter().copied().collect(), "{report:?}");
    assert!(report.mails >= 1);

    // Every one of them approved, with its revision: the dashboard adds them all up.
    update_request::Entity::update_many()
        .col_expr(
            update_request::Column::State,
            sea_orm::sea_query::Expr::value("approved"),
        )
        .filter(update_request::Column::CampaignId.eq(request.campaign_id))
        .exec(&app.db)
        .await
        .unwrap();
    let revision = revision::Entity::find()
        .filter(revision::Column::UpdateRequestId.eq(model))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let first_request = update_request::Entity::find()
        .filter(update_request::Column::PledgeId.eq(first_copy))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    copy_row::<revision::Column>(
        &app.db,
        "revision",
        revision.id,
        &[("update_request_id", format!("{first_request} + i - 1"))],
    )
    .await;
    let (reviewer, _) = app.sign_in("viewer").await;
    let (status, page) = app
        .get_with(&format!("/review/campaigns/{}", request.campaign_id), &reviewer)
        .await;
    assert_eq!(status, 200, "{}", &page[..page.len().min(500)]);
    assert!(
        page.contains("40,001") || page.contains("40001"),
        "the pledges updated are counted"
    );
}

/// The lookups by request and by pledge that every form view and save makes have an index
/// whose first column is the one looked up (without one each scans its whole table).
#[tokio::test]
async fn lookups_by_request_and_pledge_have_an_index() {
    let app = crate::helpers::spawn_app().await;
    let backend = app.db.get_database_backend();
    for (table, column, index) in [
        ("update_request", "pledge_id", "ix_update_request_pledge"),
        (
            "change_request",
            "update_request_id",
            "ix_change_request_update_request",
        ),
        ("attachment", "update_request_id", "ix_attachment_update_request"),
        (
            "outbox_mail",
            "update_request_id",
            "ix_outbox_mail_update_request",
        ),
        (
            "access_link",
            "update_request_id",
            "ix_access_link_request_contact",
        ),
        // The worker's claim: pending mail in the order it is claimed.
        ("outbox_mail", "state", "ix_outbox_mail_claim"),
    ] {
        let definition_sql = match backend {
            sea_orm::DbBackend::Postgres => format!(
                "SELECT indexdef FROM pg_indexes WHERE tablename = '{table}' AND indexname = '{index}'"
            ),
            _ => format!("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = '{index}'"),
        };
        let definition: String = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(backend, definition_sql))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no index {index}"))
            .try_get_by_index(0)
            .unwrap();
        let columns = definition.split('(').nth(1).unwrap_or_default().replace('"', "");
        assert!(
            definition.contains(table) && columns.trim_start().starts_with(column),
            "{index}: {definition}"
        );
    }
}

/// A bulk write of more rows than one statement may bind (a campaign's audit events: 8 columns,
/// so 10,000 rows would be 80,000 parameters) is split by `store::insert_batches` and lands
/// whole, on SQLite as on PostgreSQL.
#[tokio::test]
async fn a_bulk_insert_past_the_parameter_limit_is_split_and_lands_whole() {
    use pledgeflow::entities::audit_event;
    let app = crate::helpers::spawn_app().await;
    let events: Vec<(Option<String>, serde_json::Value)> = (0..10_000)
        .map(|i| (Some(i.to_string()), serde_json::json!({ "n": i })))
        .collect();
    pledgeflow::store::audit::record_each(
        &app.db,
        chrono::Utc::now(),
        pledgeflow::store::audit::Actor::System,
        "test.bulk",
        "test",
        events,
    )
    .await
    .expect("the events are written in statements SQLite accepts");
    let written = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("test.bulk"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(written, 10_000);
}
