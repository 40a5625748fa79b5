use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// A version per campaign that changes whenever what its dashboard counts may have changed,
/// kept by triggers (no code path can forget one). Row 0 is the register's: pledges,
/// organizations, classifications and contacts feed every campaign's counts. A dashboard
/// keeps its counts while both versions stay the same: they are read in the snapshot the
/// counts are computed in, and every writer bumps them under the row's lock, in commit order,
/// so equal versions mean equal data (on any number of instances).
///
/// On PostgreSQL the bump is a deferred constraint trigger: it runs at commit, after every
/// row lock the transaction takes, so it cannot deadlock with a transaction that locks a
/// request first; and once per transaction (`bumped_by`), so a 100,000-row campaign open does
/// not stack 100,000 versions of one row. Left: two transactions that each move requests
/// between the same two campaigns, in opposite directions, at the same moment could meet on the
/// two version rows at commit (PostgreSQL then aborts one); no page or command does that today.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// (trigger, table, event, campaign expression(s) of the changed row, condition).
const SOURCES: &[(&str, &str, &str, &[&str], &str)] = &[
    (
        "request_added",
        "update_request",
        "INSERT",
        &["NEW.campaign_id"],
        "1 = 1",
    ),
    (
        "request_removed",
        "update_request",
        "DELETE",
        &["OLD.campaign_id"],
        "1 = 1",
    ),
    (
        "request_changed",
        "update_request",
        "UPDATE",
        &["OLD.campaign_id", "NEW.campaign_id"],
        "OLD.state IS DISTINCT FROM NEW.state OR OLD.deadline_override IS DISTINCT FROM NEW.deadline_override \
         OR OLD.pledge_id <> NEW.pledge_id OR OLD.campaign_id <> NEW.campaign_id",
    ),
    (
        "revision_added",
        "revision",
        "INSERT",
        &["(SELECT campaign_id FROM update_request WHERE id = NEW.update_request_id)"],
        "1 = 1",
    ),
    (
        "revision_changed",
        "revision",
        "UPDATE",
        &["(SELECT campaign_id FROM update_request WHERE id = NEW.update_request_id)"],
        "1 = 1",
    ),
    (
        "pledge_changed",
        "pledge",
        "UPDATE",
        &["0"],
        "OLD.compact_scope IS DISTINCT FROM NEW.compact_scope OR OLD.organization_id <> NEW.organization_id",
    ),
    (
        "organization_changed",
        "organization",
        "UPDATE",
        &["0"],
        "OLD.region IS DISTINCT FROM NEW.region OR OLD.timezone IS DISTINCT FROM NEW.timezone \
         OR OLD.locale IS DISTINCT FROM NEW.locale",
    ),
    (
        "classification_added",
        "pledge_classification",
        "INSERT",
        &["0"],
        "1 = 1",
    ),
    (
        "classification_removed",
        "pledge_classification",
        "DELETE",
        &["0"],
        "1 = 1",
    ),
    (
        "classification_changed",
        "pledge_classification",
        "UPDATE",
        &["0"],
        "1 = 1",
    ),
    ("contact_added", "contact", "INSERT", &["0"], "1 = 1"),
    ("contact_removed", "contact", "DELETE", &["0"], "1 = 1"),
    (
        "contact_changed",
        "contact",
        "UPDATE",
        &["0"],
        "OLD.active IS DISTINCT FROM NEW.active OR OLD.bounced_at IS DISTINCT FROM NEW.bounced_at \
         OR OLD.organization_id <> NEW.organization_id",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let table = if postgres {
            "CREATE TABLE dashboard_version (campaign_id INTEGER PRIMARY KEY, version BIGINT NOT NULL DEFAULT 0, bumped_by xid8)"
        } else {
            "CREATE TABLE dashboard_version (campaign_id INTEGER PRIMARY KEY, version BIGINT NOT NULL DEFAULT 0)"
        };
        db.execute_unprepared(table).await?;
        db.execute_unprepared(
            "INSERT INTO dashboard_version (campaign_id) SELECT 0 UNION SELECT id FROM campaign",
        )
        .await?;
        if postgres {
            db.execute_unprepared(
                "CREATE FUNCTION bump_dashboard_version(campaign integer) RETURNS void AS $$
                 BEGIN
                   INSERT INTO dashboard_version (campaign_id) VALUES (campaign) ON CONFLICT DO NOTHING;
                   UPDATE dashboard_version SET version = version + 1, bumped_by = pg_current_xact_id()
                    WHERE campaign_id = campaign AND bumped_by IS DISTINCT FROM pg_current_xact_id();
                 END $$ LANGUAGE plpgsql",
            )
            .await?;
        }
        for (name, table, event, campaigns, condition) in SOURCES {
            if postgres {
                let row = if *event == "DELETE" { "OLD" } else { "NEW" };
                let calls: String = campaigns
                    .iter()
                    .map(|c| format!("PERFORM bump_dashboard_version({c});"))
                    .collect();
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION dashboard_{name}() RETURNS trigger AS $$
                     BEGIN {calls} RETURN {row}; END $$ LANGUAGE plpgsql"
                ))
                .await?;
                let when = if *event == "UPDATE" {
                    format!("WHEN ({condition})")
                } else {
                    String::new()
                };
                db.execute_unprepared(&format!(
                    "CREATE CONSTRAINT TRIGGER dashboard_{name} AFTER {event} ON {table}
                     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {when}
                     EXECUTE FUNCTION dashboard_{name}()"
                ))
                .await?;
            } else {
                let bumps: String = campaigns
                    .iter()
                    .map(|c| {
                        format!(
                            "INSERT OR IGNORE INTO dashboard_version (campaign_id) VALUES ({c});
                             UPDATE dashboard_version SET version = version + 1 WHERE campaign_id = {c};"
                        )
                    })
                    .collect();
                let condition = condition.replace("IS DISTINCT FROM", "IS NOT");
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER dashboard_{name} AFTER {event} ON {table}
                     FOR EACH ROW WHEN {condition} BEGIN {bumps} END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, table, ..) in SOURCES {
            db.execute_unprepared(&format!(
                "DROP TRIGGER IF EXISTS dashboard_{name}{}",
                if postgres {
                    format!(" ON {table}")
                } else {
                    String::new()
                }
            ))
            .await?;
            if postgres {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS dashboard_{name}()"))
                    .await?;
            }
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS bump_dashboard_version(integer)")
                .await?;
        }
        db.execute_unprepared("DROP TABLE dashboard_version").await?;
        Ok(())
    }
}
