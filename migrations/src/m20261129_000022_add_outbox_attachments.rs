use sea_orm_migration::prelude::*;

use crate::m20261129_000013_create_outbox_mail::OutboxMail;

/// Files sent with a mail (the interview's .ics), as JSON `[{filename, content_type, content}]`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxMail::Table)
                    .add_column(ColumnDef::new(Alias::new("attachments")).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxMail::Table)
                    .drop_column(Alias::new("attachments"))
                    .to_owned(),
            )
            .await
    }
}
