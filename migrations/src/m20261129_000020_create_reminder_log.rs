use sea_orm_migration::prelude::*;

use crate::m20261129_000010_create_update_request::UpdateRequest;

/// Every reminder step that went out (or was skipped) for a request and a contact. The unique
/// index is what makes "never twice" hold even with several schedulers on one database.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReminderLog::Table)
                    .col(
                        ColumnDef::new(ReminderLog::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ReminderLog::UpdateRequestId).integer().not_null())
                    .col(ColumnDef::new(ReminderLog::Step).string_len(16).not_null())
                    .col(ColumnDef::new(ReminderLog::ContactId).integer().not_null())
                    .col(ColumnDef::new(ReminderLog::State).string_len(16).not_null())
                    .col(
                        ColumnDef::new(ReminderLog::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReminderLog::Table, ReminderLog::UpdateRequestId)
                            .to(UpdateRequest::Table, UpdateRequest::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_reminder_log_request_step_contact")
                    .table(ReminderLog::Table)
                    .col(ReminderLog::UpdateRequestId)
                    .col(ReminderLog::Step)
                    .col(ReminderLog::ContactId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReminderLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum ReminderLog {
    Table,
    Id,
    UpdateRequestId,
    Step,
    ContactId,
    State,
    CreatedAt,
}
