use sea_orm_migration::prelude::*;

use crate::m20261129_000010_create_update_request::UpdateRequest;
use crate::m20261129_000015_create_revision::Revision;

/// A reviewer's request for a change, anchored to a field of a revision (or general when
/// `field` is null); resolved by the next revision the officer submits.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeRequest::Table)
                    .col(
                        ColumnDef::new(ChangeRequest::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ChangeRequest::UpdateRequestId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChangeRequest::RevisionId).integer().not_null())
                    .col(ColumnDef::new(ChangeRequest::Field).string_len(100).null())
                    .col(ColumnDef::new(ChangeRequest::Message).text().not_null())
                    .col(ColumnDef::new(ChangeRequest::CreatedByStaffId).integer().null())
                    .col(
                        ColumnDef::new(ChangeRequest::ResolvedInRevisionId)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ChangeRequest::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChangeRequest::Table, ChangeRequest::UpdateRequestId)
                            .to(UpdateRequest::Table, UpdateRequest::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChangeRequest::Table, ChangeRequest::RevisionId)
                            .to(Revision::Table, Revision::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeRequest::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum ChangeRequest {
    Table,
    Id,
    UpdateRequestId,
    RevisionId,
    Field,
    Message,
    CreatedByStaffId,
    ResolvedInRevisionId,
    CreatedAt,
}
