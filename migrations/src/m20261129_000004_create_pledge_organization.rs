use sea_orm_migration::prelude::*;

use crate::m20261129_000001_create_organization::Organization;
use crate::m20261129_000003_create_pledge::Pledge;

/// Co-pledgers of a joint pledge (the lead organization is `pledge.organization_id`).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PledgeOrganization::Table)
                    .col(ColumnDef::new(PledgeOrganization::PledgeId).integer().not_null())
                    .col(
                        ColumnDef::new(PledgeOrganization::OrganizationId)
                            .integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(PledgeOrganization::PledgeId)
                            .col(PledgeOrganization::OrganizationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PledgeOrganization::Table, PledgeOrganization::PledgeId)
                            .to(Pledge::Table, Pledge::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PledgeOrganization::Table, PledgeOrganization::OrganizationId)
                            .to(Organization::Table, Organization::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PledgeOrganization::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum PledgeOrganization {
    Table,
    PledgeId,
    OrganizationId,
}
