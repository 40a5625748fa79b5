use sea_orm_migration::prelude::*;

use crate::m20261129_000010_create_update_request::UpdateRequest;

/// A file attached to an update. The bytes live in the attachment store under `storage_key`;
/// the name the officer gave is kept for display and download only.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Attachment::Table)
                    .col(
                        ColumnDef::new(Attachment::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Attachment::UpdateRequestId).integer().not_null())
                    .col(ColumnDef::new(Attachment::Filename).string_len(200).not_null())
                    .col(ColumnDef::new(Attachment::ContentType).string_len(100).not_null())
                    .col(ColumnDef::new(Attachment::SizeBytes).big_integer().not_null())
                    .col(ColumnDef::new(Attachment::Sha256).string_len(64).not_null())
                    .col(ColumnDef::new(Attachment::Caption).string_len(500).not_null())
                    .col(ColumnDef::new(Attachment::Credit).string_len(300).not_null())
                    .col(
                        ColumnDef::new(Attachment::StorageKey)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Attachment::UploadedByContactId).integer().null())
                    .col(
                        ColumnDef::new(Attachment::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attachment::Table, Attachment::UpdateRequestId)
                            .to(UpdateRequest::Table, UpdateRequest::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attachment::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Attachment {
    Table,
    Id,
    UpdateRequestId,
    Filename,
    ContentType,
    SizeBytes,
    Sha256,
    Caption,
    Credit,
    StorageKey,
    UploadedByContactId,
    CreatedAt,
}
