use sea_orm_migration::prelude::*;

/// Secretariat accounts. `password_hash` is an argon2id PHC string, never a password.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StaffUser::Table)
                    .col(
                        ColumnDef::new(StaffUser::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StaffUser::Email)
                            .string_len(254)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(StaffUser::Name).string_len(200).not_null())
                    .col(ColumnDef::new(StaffUser::Role).string_len(16).not_null())
                    .col(ColumnDef::new(StaffUser::PasswordHash).string_len(200).not_null())
                    .col(
                        ColumnDef::new(StaffUser::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(StaffUser::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StaffUser::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StaffUser::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum StaffUser {
    Table,
    Id,
    Email,
    Name,
    Role,
    PasswordHash,
    Active,
    CreatedAt,
    UpdatedAt,
}
