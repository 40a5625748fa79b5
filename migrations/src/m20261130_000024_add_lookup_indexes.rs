use sea_orm_migration::prelude::*;

/// Indexes for the lookups every form view, save and review makes by request or pledge: without
/// them each one scans its table (the form page ran 13 times slower at 100,000 pledges).
#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, columns)
const INDEXES: &[(&str, &str, &[&str])] = &[
    ("ix_update_request_pledge", "update_request", &["pledge_id"]),
    (
        "ix_change_request_update_request",
        "change_request",
        &["update_request_id"],
    ),
    (
        "ix_attachment_update_request",
        "attachment",
        &["update_request_id"],
    ),
    (
        "ix_outbox_mail_update_request",
        "outbox_mail",
        &["update_request_id"],
    ),
    (
        "ix_access_link_request_contact",
        "access_link",
        &["update_request_id", "contact_id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table(Alias::new(*table)).if_not_exists();
            for column in *columns {
                index.col(Alias::new(*column));
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(*name).table(Alias::new(*table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
