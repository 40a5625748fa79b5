use sea_orm_migration::prelude::*;

/// Failed guesses (sign-in, personal link, API token) counted in the database rather than in
/// one process, so several instances behind a proxy share one limit. A row lives for the
/// throttle's window; the scheduler purges older ones. The key is a hash (an address or an
/// account is not kept in the clear).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ThrottleHit::Table)
                    .col(
                        ColumnDef::new(ThrottleHit::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ThrottleHit::Scope).string_len(16).not_null())
                    .col(ColumnDef::new(ThrottleHit::KeyHash).string_len(64).not_null())
                    .col(
                        ColumnDef::new(ThrottleHit::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_throttle_hit_scope_key_at")
                    .table(ThrottleHit::Table)
                    .col(ThrottleHit::Scope)
                    .col(ThrottleHit::KeyHash)
                    .col(ThrottleHit::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_throttle_hit_at")
                    .table(ThrottleHit::Table)
                    .col(ThrottleHit::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ThrottleHit::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum ThrottleHit {
    Table,
    Id,
    Scope,
    KeyHash,
    At,
}
