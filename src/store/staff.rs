//! Secretariat accounts.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, QueryFilter,
};

use crate::domain::pledge::StaffRole;
use crate::entities::staff_user;

/// Creates the account, or updates name, role and password of an existing one (so a lost
/// password is reset with the same command). Returns (id, created).
pub async fn add_or_update_staff(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    role: StaffRole,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<(i32, bool), DbErr> {
    let existing = staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email))
        .one(db)
        .await?;
    match existing {
        Some(model) => {
            let id = model.id;
            let mut active: staff_user::ActiveModel = model.into();
            active.name = Set(name.into());
            active.role = Set(role.as_str().into());
            active.password_hash = Set(password_hash);
            active.active = Set(true);
            active.updated_at = Set(now);
            active.update(db).await?;
            Ok((id, false))
        }
        None => {
            let model = staff_user::ActiveModel {
                id: NotSet,
                email: Set(email.into()),
                name: Set(name.into()),
                role: Set(role.as_str().into()),
                password_hash: Set(password_hash),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            Ok((model.id, true))
        }
    }
}

pub async fn find_staff(db: &impl ConnectionTrait, email: &str) -> Result<Option<staff_user::Model>, DbErr> {
    staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email))
        .one(db)
        .await
}
