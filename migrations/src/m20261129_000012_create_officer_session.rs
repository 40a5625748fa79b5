use sea_orm_migration::prelude::*;

use crate::m20261129_000011_create_access_link::AccessLink;

/// A browser session opened from a personal link, bound to that link's one update request.
/// Only the SHA-256 of the cookie value is stored; `csrf_token` guards its forms.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OfficerSession::Table)
                    .col(
                        ColumnDef::new(OfficerSession::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OfficerSession::SessionHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(OfficerSession::AccessLinkId).integer().not_null())
                    .col(
                        ColumnDef::new(OfficerSession::CsrfToken)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OfficerSession::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OfficerSession::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OfficerSession::Table, OfficerSession::AccessLinkId)
                            .to(AccessLink::Table, AccessLink::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OfficerSession::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum OfficerSession {
    Table,
    Id,
    SessionHash,
    AccessLinkId,
    CsrfToken,
    ExpiresAt,
    CreatedAt,
}
