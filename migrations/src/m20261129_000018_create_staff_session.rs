use sea_orm_migration::prelude::*;

use crate::m20261129_000008_create_staff_user::StaffUser;

/// A signed-in secretariat browser. Only the SHA-256 of the cookie value is stored.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StaffSession::Table)
                    .col(
                        ColumnDef::new(StaffSession::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StaffSession::SessionHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(StaffSession::StaffUserId).integer().not_null())
                    .col(ColumnDef::new(StaffSession::CsrfToken).string_len(64).not_null())
                    .col(
                        ColumnDef::new(StaffSession::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StaffSession::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffSession::Table, StaffSession::StaffUserId)
                            .to(StaffUser::Table, StaffUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StaffSession::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum StaffSession {
    Table,
    Id,
    SessionHash,
    StaffUserId,
    CsrfToken,
    ExpiresAt,
    CreatedAt,
}
