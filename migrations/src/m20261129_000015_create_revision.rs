use sea_orm_migration::prelude::*;

use crate::m20261129_000010_create_update_request::UpdateRequest;

/// An immutable submitted update. (update_request, draft_version) is unique, so submitting
/// the same draft twice yields one revision.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Revision::Table)
                    .col(
                        ColumnDef::new(Revision::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Revision::UpdateRequestId).integer().not_null())
                    .col(ColumnDef::new(Revision::Number).integer().not_null())
                    .col(ColumnDef::new(Revision::DraftVersion).integer().not_null())
                    .col(ColumnDef::new(Revision::Answers).text().not_null())
                    .col(ColumnDef::new(Revision::Findings).text().not_null())
                    .col(ColumnDef::new(Revision::ProfileVersions).text().not_null())
                    .col(ColumnDef::new(Revision::SubmittedByContactId).integer().null())
                    .col(
                        ColumnDef::new(Revision::SubmittedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Revision::Table, Revision::UpdateRequestId)
                            .to(UpdateRequest::Table, UpdateRequest::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_revision_request_number")
                    .table(Revision::Table)
                    .col(Revision::UpdateRequestId)
                    .col(Revision::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_revision_request_draft_version")
                    .table(Revision::Table)
                    .col(Revision::UpdateRequestId)
                    .col(Revision::DraftVersion)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Revision::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Revision {
    Table,
    Id,
    UpdateRequestId,
    Number,
    DraftVersion,
    Answers,
    Findings,
    ProfileVersions,
    SubmittedByContactId,
    SubmittedAt,
}
