use sea_orm_migration::prelude::*;

use crate::m20261129_000003_create_pledge::Pledge;
use crate::m20261129_000005_create_reference_item::ReferenceItem;

/// A pledge's multi-valued classifications, one row per (scheme, code): one table serves
/// every reference set, so filtering by any of them is the same query.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PledgeClassification::Table)
                    .col(
                        ColumnDef::new(PledgeClassification::PledgeId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PledgeClassification::Scheme)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PledgeClassification::Code)
                            .string_len(32)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(PledgeClassification::PledgeId)
                            .col(PledgeClassification::Scheme)
                            .col(PledgeClassification::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PledgeClassification::Table, PledgeClassification::PledgeId)
                            .to(Pledge::Table, Pledge::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(PledgeClassification::Table)
                            .from_col(PledgeClassification::Scheme)
                            .from_col(PledgeClassification::Code)
                            .to_tbl(ReferenceItem::Table)
                            .to_col(ReferenceItem::Scheme)
                            .to_col(ReferenceItem::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_pledge_classification_scheme_code")
                    .table(PledgeClassification::Table)
                    .col(PledgeClassification::Scheme)
                    .col(PledgeClassification::Code)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PledgeClassification::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum PledgeClassification {
    Table,
    PledgeId,
    Scheme,
    Code,
}
