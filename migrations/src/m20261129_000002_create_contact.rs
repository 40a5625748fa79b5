use sea_orm_migration::prelude::*;

use crate::m20261129_000001_create_organization::Organization;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contact::Table)
                    .col(
                        ColumnDef::new(Contact::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Contact::OrganizationId).integer().not_null())
                    .col(ColumnDef::new(Contact::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Contact::Email).string_len(254).not_null())
                    .col(ColumnDef::new(Contact::Locale).string_len(2).not_null())
                    .col(ColumnDef::new(Contact::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Contact::Active).boolean().not_null().default(true))
                    .col(
                        ColumnDef::new(Contact::BouncedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Contact::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Contact::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contact::Table, Contact::OrganizationId)
                            .to(Organization::Table, Organization::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_contact_organization_email")
                    .table(Contact::Table)
                    .col(Contact::OrganizationId)
                    .col(Contact::Email)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Contact::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Contact {
    Table,
    Id,
    OrganizationId,
    Name,
    Email,
    Locale,
    Role,
    Active,
    BouncedAt,
    CreatedAt,
    UpdatedAt,
}
