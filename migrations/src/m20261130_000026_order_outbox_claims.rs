use sea_orm_migration::prelude::*;

/// The mail worker claims the oldest due mails a few at a time. With an index on (state,
/// next_attempt_at) alone, "ORDER BY id LIMIT 8" sorted every pending mail on each claim: a
/// campaign's 100,000 invitations went out at 55 mails/s. Claims now order by (next_attempt_at,
/// id), which this index serves in order, stopping after the few it needs.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_mail_claim")
                    .table(Alias::new("outbox_mail"))
                    .col(Alias::new("state"))
                    .col(Alias::new("next_attempt_at"))
                    .col(Alias::new("id"))
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_outbox_mail_due")
                    .table(Alias::new("outbox_mail"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_mail_due")
                    .table(Alias::new("outbox_mail"))
                    .col(Alias::new("state"))
                    .col(Alias::new("next_attempt_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_outbox_mail_claim")
                    .table(Alias::new("outbox_mail"))
                    .to_owned(),
            )
            .await
    }
}
