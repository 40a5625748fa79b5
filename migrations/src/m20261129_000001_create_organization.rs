use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organization::Table)
                    .col(
                        ColumnDef::new(Organization::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Organization::Name)
                            .string_len(200)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Organization::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Organization::AdminLevel).string_len(32).null())
                    .col(ColumnDef::new(Organization::Country).string_len(100).not_null())
                    .col(ColumnDef::new(Organization::CountryCode).string_len(2).null())
                    .col(ColumnDef::new(Organization::Region).string_len(32).not_null())
                    .col(ColumnDef::new(Organization::Timezone).string_len(64).not_null())
                    .col(ColumnDef::new(Organization::Locale).string_len(2).not_null())
                    .col(ColumnDef::new(Organization::Population).big_integer().null())
                    .col(
                        ColumnDef::new(Organization::GcmChampionCountry)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Organization::SearchText)
                            .string_len(400)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Organization::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Organization::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Organization::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Organization {
    Table,
    Id,
    Name,
    Kind,
    AdminLevel,
    Country,
    CountryCode,
    Region,
    Timezone,
    Locale,
    Population,
    GcmChampionCountry,
    SearchText,
    CreatedAt,
    UpdatedAt,
}
