use sea_orm_migration::prelude::*;

use crate::m20261129_000002_create_contact::Contact;
use crate::m20261129_000010_create_update_request::UpdateRequest;

/// A personal link: only the SHA-256 of its token is stored.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessLink::Table)
                    .col(
                        ColumnDef::new(AccessLink::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AccessLink::UpdateRequestId).integer().not_null())
                    .col(ColumnDef::new(AccessLink::ContactId).integer().not_null())
                    .col(
                        ColumnDef::new(AccessLink::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(AccessLink::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AccessLink::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(AccessLink::LastUsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(AccessLink::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccessLink::Table, AccessLink::UpdateRequestId)
                            .to(UpdateRequest::Table, UpdateRequest::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccessLink::Table, AccessLink::ContactId)
                            .to(Contact::Table, Contact::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccessLink::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum AccessLink {
    Table,
    Id,
    UpdateRequestId,
    ContactId,
    TokenHash,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
    CreatedAt,
}
