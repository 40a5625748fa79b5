//! Attachment rows. The bytes are in the `FileStore`; a row exists only for a stored file.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    NotSet, QueryFilter, QueryOrder,
};

use crate::domain::attachments::{Accepted, Received, Refused, check_upload};
use crate::entities::attachment;

pub async fn list(db: &impl ConnectionTrait, request_id: i32) -> Result<Vec<attachment::Model>, DbErr> {
    attachment::Entity::find()
        .filter(attachment::Column::UpdateRequestId.eq(request_id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    request_id: i32,
    id: i32,
) -> Result<Option<attachment::Model>, DbErr> {
    attachment::Entity::find_by_id(id)
        .filter(attachment::Column::UpdateRequestId.eq(request_id))
        .one(db)
        .await
}

pub struct NewAttachment<'a> {
    pub request_id: i32,
    pub raw_filename: &'a str,
    pub file: &'a Received,
    pub caption: &'a str,
    pub credit: &'a str,
    pub storage_key: &'a str,
    pub contact_id: i32,
}

/// Checks the limits against what the update has now and records the stored file, under the
/// write lock so two uploads at once cannot both squeeze past the limit.
pub async fn add(
    db: &DatabaseConnection,
    new: &NewAttachment<'_>,
    now: DateTime<Utc>,
) -> Result<Result<attachment::Model, Refused>, DbErr> {
    let txn = super::write_txn(db).await?;
    let existing = list(&txn, new.request_id).await?;
    let total: u64 = existing.iter().map(|a| a.size_bytes.max(0) as u64).sum();
    let Accepted {
        filename,
        content_type,
    } = match check_upload(
        new.raw_filename,
        new.file,
        new.caption,
        new.credit,
        existing.len(),
        total,
    ) {
        Ok(a) => a,
        Err(refused) => return Ok(Err(refused)),
    };
    let row = attachment::ActiveModel {
        id: NotSet,
        update_request_id: Set(new.request_id),
        filename: Set(filename),
        content_type: Set(content_type.into()),
        size_bytes: Set(new.file.size as i64),
        sha256: Set(new.file.sha256.clone()),
        caption: Set(new.caption.trim().into()),
        credit: Set(new.credit.trim().into()),
        storage_key: Set(new.storage_key.into()),
        uploaded_by_contact_id: Set(Some(new.contact_id)),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    super::audit::record(
        &txn,
        now,
        super::audit::Actor::Contact(new.contact_id),
        "attachment.added",
        "update_request",
        Some(new.request_id.to_string()),
        serde_json::json!({ "attachment": row.id, "filename": row.filename, "bytes": row.size_bytes }),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(row))
}

/// Removes the row, with its audit row; returns its storage key so the caller can delete the
/// bytes (after the commit: no file IO inside the transaction).
pub async fn remove(
    db: &DatabaseConnection,
    request_id: i32,
    id: i32,
    contact_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let txn = super::write_txn(db).await?;
    let Some(row) = find(&txn, request_id, id).await? else {
        return Ok(None);
    };
    let key = row.storage_key.clone();
    attachment::Entity::delete_by_id(row.id).exec(&txn).await?;
    super::audit::record(
        &txn,
        now,
        super::audit::Actor::Contact(contact_id),
        "attachment.removed",
        "update_request",
        Some(request_id.to_string()),
        serde_json::json!({ "attachment": row.id, "filename": row.filename }),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(key))
}
