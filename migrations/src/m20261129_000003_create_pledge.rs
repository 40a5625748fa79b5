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
                    .table(Pledge::Table)
                    .col(
                        ColumnDef::new(Pledge::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Pledge::Reference)
                            .string_len(16)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Pledge::GcrPledgeId).string_len(16).null())
                    .col(ColumnDef::new(Pledge::GcmPledgeRef).string_len(300).null())
                    .col(ColumnDef::new(Pledge::Title).string_len(300).not_null())
                    .col(ColumnDef::new(Pledge::Description).text().not_null())
                    .col(ColumnDef::new(Pledge::OrganizationId).integer().not_null())
                    .col(ColumnDef::new(Pledge::CompactScope).string_len(16).not_null())
                    .col(ColumnDef::new(Pledge::PledgeYear).integer().not_null())
                    .col(ColumnDef::new(Pledge::TimelineStart).string_len(10).null())
                    .col(ColumnDef::new(Pledge::TimelineEnd).string_len(10).null())
                    .col(
                        ColumnDef::new(Pledge::Status)
                            .string_len(16)
                            .not_null()
                            .default("active"),
                    )
                    .col(ColumnDef::new(Pledge::SearchText).text().not_null())
                    .col(
                        ColumnDef::new(Pledge::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Pledge::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Pledge::Table, Pledge::OrganizationId)
                            .to(Organization::Table, Organization::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_pledge_organization")
                    .table(Pledge::Table)
                    .col(Pledge::OrganizationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Pledge::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)] // column names, fixed by the schema
pub enum Pledge {
    Table,
    Id,
    Reference,
    GcrPledgeId,
    GcmPledgeRef,
    Title,
    Description,
    OrganizationId,
    CompactScope,
    PledgeYear,
    TimelineStart,
    TimelineEnd,
    Status,
    SearchText,
    CreatedAt,
    UpdatedAt,
}
