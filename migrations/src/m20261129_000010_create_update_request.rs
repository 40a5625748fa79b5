use sea_orm_migration::prelude::*;

use crate::m20261129_000003_create_pledge::Pledge;
use crate::m20261129_000009_create_campaign::Campaign;

/// One pledge asked for an update in one campaign. `overdue` is derived, never stored.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UpdateRequest::Table)
                    .col(
                        ColumnDef::new(UpdateRequest::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(UpdateRequest::CampaignId).integer().not_null())
                    .col(ColumnDef::new(UpdateRequest::PledgeId).integer().not_null())
                    .col(ColumnDef::new(UpdateRequest::State).string_len(24).not_null())
                    .col(
                        ColumnDef::new(UpdateRequest::OutOfUnScope)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(UpdateRequest::DeadlineOverride).date().null())
                    .col(ColumnDef::new(UpdateRequest::AssignedReviewerId).integer().null())
                    .col(
                        ColumnDef::new(UpdateRequest::SubmittedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(UpdateRequest::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UpdateRequest::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UpdateRequest::Table, UpdateRequest::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UpdateRequest::Table, UpdateRequest::PledgeId)
                            .to(Pledge::Table, Pledge::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_update_request_campaign_pledge")
                    .table(UpdateRequest::Table)
                    .col(UpdateRequest::CampaignId)
                    .col(UpdateRequest::PledgeId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UpdateRequest::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum UpdateRequest {
    Table,
    Id,
    CampaignId,
    PledgeId,
    State,
    OutOfUnScope,
    DeadlineOverride,
    AssignedReviewerId,
    SubmittedAt,
    CreatedAt,
    UpdatedAt,
}
