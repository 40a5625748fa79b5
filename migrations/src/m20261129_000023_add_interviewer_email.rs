use sea_orm_migration::prelude::*;

use crate::m20261129_000021_create_interview::Interview;

/// Where the interviewer's reminder goes (the interviewer may be outside the secretariat).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Interview::Table)
                    .add_column(
                        ColumnDef::new(Alias::new("interviewer_email"))
                            .string_len(254)
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Interview::Table)
                    .drop_column(Alias::new("interviewer_email"))
                    .to_owned(),
            )
            .await
    }
}
