use sea_orm_migration::prelude::*;

/// Append-only record of who did what; `detail` is a JSON document.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(
                        ColumnDef::new(AuditEvent::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditEvent::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvent::ActorKind).string_len(16).not_null())
                    .col(ColumnDef::new(AuditEvent::ActorId).integer().null())
                    .col(ColumnDef::new(AuditEvent::Action).string_len(64).not_null())
                    .col(ColumnDef::new(AuditEvent::Entity).string_len(32).not_null())
                    .col(ColumnDef::new(AuditEvent::EntityId).string_len(64).null())
                    .col(ColumnDef::new(AuditEvent::Detail).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_event_entity")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::Entity)
                    .col(AuditEvent::EntityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvent::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum AuditEvent {
    Table,
    Id,
    At,
    ActorKind,
    ActorId,
    Action,
    Entity,
    EntityId,
    Detail,
}
