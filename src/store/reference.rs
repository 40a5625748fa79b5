//! Keeps the `reference_item` table in step with `domain::reference`.
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::domain::reference::Scheme;
use crate::entities::reference_item;

pub async fn sync_reference_items(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let items = Scheme::ALL.iter().flat_map(|scheme| {
        scheme
            .items()
            .iter()
            .enumerate()
            .map(|(position, (code, label))| reference_item::ActiveModel {
                scheme: Set(scheme.as_str().into()),
                code: Set((*code).into()),
                position: Set(position as i32 + 1),
                label: Set((*label).into()),
            })
    });
    reference_item::Entity::insert_many(items)
        .on_conflict(
            OnConflict::columns([reference_item::Column::Scheme, reference_item::Column::Code])
                .update_columns([reference_item::Column::Position, reference_item::Column::Label])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}
