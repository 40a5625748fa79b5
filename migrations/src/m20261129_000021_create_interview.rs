use sea_orm_migration::prelude::*;

use crate::m20261129_000010_create_update_request::UpdateRequest;

/// An interview that confirms the facts of an update. `ics_uid` stays fixed for the
/// interview's life; `ics_sequence` is the SEQUENCE of the last calendar message sent.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Interview::Table)
                    .col(
                        ColumnDef::new(Interview::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Interview::UpdateRequestId).integer().not_null())
                    .col(ColumnDef::new(Interview::State).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Interview::ScheduledAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Interview::Timezone).string_len(64).null())
                    .col(ColumnDef::new(Interview::DurationMinutes).integer().null())
                    .col(ColumnDef::new(Interview::Mode).string_len(16).null())
                    .col(ColumnDef::new(Interview::Interviewer).string_len(200).null())
                    .col(ColumnDef::new(Interview::MeetingLink).string_len(500).null())
                    .col(ColumnDef::new(Interview::Notes).text().null())
                    .col(ColumnDef::new(Interview::Outcome).text().null())
                    .col(ColumnDef::new(Interview::IcsUid).string_len(100).not_null())
                    .col(ColumnDef::new(Interview::IcsSequence).integer().not_null())
                    .col(ColumnDef::new(Interview::RequestedByStaffId).integer().null())
                    .col(
                        ColumnDef::new(Interview::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Interview::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Interview::Table, Interview::UpdateRequestId)
                            .to(UpdateRequest::Table, UpdateRequest::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_interview_request")
                    .table(Interview::Table)
                    .col(Interview::UpdateRequestId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Interview::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Interview {
    Table,
    Id,
    UpdateRequestId,
    State,
    ScheduledAt,
    Timezone,
    DurationMinutes,
    Mode,
    Interviewer,
    MeetingLink,
    Notes,
    Outcome,
    IcsUid,
    IcsSequence,
    RequestedByStaffId,
    CreatedAt,
    UpdatedAt,
}
