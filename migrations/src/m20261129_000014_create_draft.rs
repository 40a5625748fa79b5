use sea_orm_migration::prelude::*;

use crate::m20261129_000010_create_update_request::UpdateRequest;

/// Every saved version of an update's draft. The newest row is the draft; older rows are the
/// base versions a concurrent save is merged against (three-way merge by field).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DraftVersion::Table)
                    .col(ColumnDef::new(DraftVersion::UpdateRequestId).integer().not_null())
                    .col(ColumnDef::new(DraftVersion::Version).integer().not_null())
                    .col(ColumnDef::new(DraftVersion::Answers).text().not_null())
                    .col(ColumnDef::new(DraftVersion::SavedByContactId).integer().null())
                    .col(
                        ColumnDef::new(DraftVersion::SavedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(DraftVersion::UpdateRequestId)
                            .col(DraftVersion::Version),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DraftVersion::Table, DraftVersion::UpdateRequestId)
                            .to(UpdateRequest::Table, UpdateRequest::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DraftVersion::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum DraftVersion {
    Table,
    UpdateRequestId,
    Version,
    Answers,
    SavedByContactId,
    SavedAt,
}
