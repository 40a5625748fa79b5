use sea_orm_migration::prelude::*;

/// Mail to send. Written in the same transaction as the change that causes it; the worker
/// claims due rows with a lease and sends after commit. `dedup_key` makes a second row for
/// the same reason impossible.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxMail::Table)
                    .col(
                        ColumnDef::new(OutboxMail::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OutboxMail::DedupKey)
                            .string_len(200)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(OutboxMail::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(OutboxMail::UpdateRequestId).integer().null())
                    .col(ColumnDef::new(OutboxMail::ContactId).integer().null())
                    .col(ColumnDef::new(OutboxMail::Recipient).string_len(254).not_null())
                    .col(ColumnDef::new(OutboxMail::RecipientName).string_len(200).null())
                    .col(ColumnDef::new(OutboxMail::Locale).string_len(2).not_null())
                    .col(ColumnDef::new(OutboxMail::Subject).string_len(300).not_null())
                    .col(ColumnDef::new(OutboxMail::TextBody).text().not_null())
                    .col(ColumnDef::new(OutboxMail::HtmlBody).text().null())
                    .col(ColumnDef::new(OutboxMail::MessageId).string_len(100).not_null())
                    .col(ColumnDef::new(OutboxMail::State).string_len(16).not_null())
                    .col(
                        ColumnDef::new(OutboxMail::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(OutboxMail::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxMail::LeaseUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(OutboxMail::LeaseOwner).string_len(64).null())
                    .col(ColumnDef::new(OutboxMail::LastError).text().null())
                    .col(
                        ColumnDef::new(OutboxMail::SentAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(OutboxMail::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_mail_due")
                    .table(OutboxMail::Table)
                    .col(OutboxMail::State)
                    .col(OutboxMail::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutboxMail::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum OutboxMail {
    Table,
    Id,
    DedupKey,
    Kind,
    UpdateRequestId,
    ContactId,
    Recipient,
    RecipientName,
    Locale,
    Subject,
    TextBody,
    HtmlBody,
    MessageId,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LeaseOwner,
    LastError,
    SentAt,
    CreatedAt,
}
