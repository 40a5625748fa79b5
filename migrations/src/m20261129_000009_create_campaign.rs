use sea_orm_migration::prelude::*;

/// A round of update requests with one deadline (a date: end of day in each recipient's zone).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(
                        ColumnDef::new(Campaign::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Campaign::Name)
                            .string_len(200)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Campaign::OpensAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Campaign::Deadline).date().not_null())
                    .col(ColumnDef::new(Campaign::State).string_len(16).not_null())
                    .col(ColumnDef::new(Campaign::ProfileVersions).text().not_null())
                    .col(ColumnDef::new(Campaign::ReminderPolicy).text().not_null())
                    .col(
                        ColumnDef::new(Campaign::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Campaign::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Campaign {
    Table,
    Id,
    Name,
    OpensAt,
    Deadline,
    State,
    ProfileVersions,
    ReminderPolicy,
    CreatedAt,
}
