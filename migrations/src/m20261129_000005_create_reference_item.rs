use sea_orm_migration::prelude::*;

/// The reference sets (priorities, GCM objectives and principles, GCR objectives and focus
/// areas, SDGs, beneficiary groups). The application keeps this table in step with
/// `domain::reference` at start-up, so exports and SQL consumers can read the labels.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReferenceItem::Table)
                    .col(ColumnDef::new(ReferenceItem::Scheme).string_len(32).not_null())
                    .col(ColumnDef::new(ReferenceItem::Code).string_len(32).not_null())
                    .col(ColumnDef::new(ReferenceItem::Position).integer().not_null())
                    .col(ColumnDef::new(ReferenceItem::Label).string_len(300).not_null())
                    .primary_key(
                        Index::create()
                            .col(ReferenceItem::Scheme)
                            .col(ReferenceItem::Code),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReferenceItem::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum ReferenceItem {
    Table,
    Scheme,
    Code,
    Position,
    Label,
}
