//! Schema migrations. One migration per file: sea-orm-migration names a migration after its
//! file stem, so two in one file would silently skip the second. Every migration runs on
//! SQLite and PostgreSQL, and every ALTER does one thing (SQLite refuses more).
pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_organization;
mod m20261129_000002_create_contact;
mod m20261129_000003_create_pledge;
mod m20261129_000004_create_pledge_organization;
mod m20261129_000005_create_reference_item;
mod m20261129_000006_create_pledge_classification;
mod m20261129_000007_create_audit_event;
mod m20261129_000008_create_staff_user;
mod m20261129_000009_create_campaign;
mod m20261129_000010_create_update_request;
mod m20261129_000011_create_access_link;
mod m20261129_000012_create_officer_session;
mod m20261129_000013_create_outbox_mail;
mod m20261129_000014_create_draft;
mod m20261129_000015_create_revision;
mod m20261129_000016_create_change_request;
mod m20261129_000017_create_attachment;
mod m20261129_000018_create_staff_session;
mod m20261129_000019_create_api_token;
mod m20261129_000020_create_reminder_log;
mod m20261129_000021_create_interview;
mod m20261129_000022_add_outbox_attachments;
mod m20261129_000023_add_interviewer_email;
mod m20261130_000024_add_lookup_indexes;
mod m20261130_000025_create_throttle_hit;
mod m20261130_000026_order_outbox_claims;
mod m20261130_000027_count_dashboard_changes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_organization::Migration),
            Box::new(m20261129_000002_create_contact::Migration),
            Box::new(m20261129_000003_create_pledge::Migration),
            Box::new(m20261129_000004_create_pledge_organization::Migration),
            Box::new(m20261129_000005_create_reference_item::Migration),
            Box::new(m20261129_000006_create_pledge_classification::Migration),
            Box::new(m20261129_000007_create_audit_event::Migration),
            Box::new(m20261129_000008_create_staff_user::Migration),
            Box::new(m20261129_000009_create_campaign::Migration),
            Box::new(m20261129_000010_create_update_request::Migration),
            Box::new(m20261129_000011_create_access_link::Migration),
            Box::new(m20261129_000012_create_officer_session::Migration),
            Box::new(m20261129_000013_create_outbox_mail::Migration),
            Box::new(m20261129_000014_create_draft::Migration),
            Box::new(m20261129_000015_create_revision::Migration),
            Box::new(m20261129_000016_create_change_request::Migration),
            Box::new(m20261129_000017_create_attachment::Migration),
            Box::new(m20261129_000018_create_staff_session::Migration),
            Box::new(m20261129_000019_create_api_token::Migration),
            Box::new(m20261129_000020_create_reminder_log::Migration),
            Box::new(m20261129_000021_create_interview::Migration),
            Box::new(m20261129_000022_add_outbox_attachments::Migration),
            Box::new(m20261129_000023_add_interviewer_email::Migration),
            Box::new(m20261130_000024_add_lookup_indexes::Migration),
            Box::new(m20261130_000025_create_throttle_hit::Migration),
            Box::new(m20261130_000026_order_outbox_claims::Migration),
            Box::new(m20261130_000027_count_dashboard_changes::Migration),
        ]
    }
}
