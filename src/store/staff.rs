//! Secretariat accounts.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, QueryFilter,
};

use super::ActionError;
use super::audit::{self, Actor};
use crate::domain::pledge::StaffRole;
use crate::entities::{api_token, staff_session, staff_user};

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
            active.role = Set(role.into());
            active.password_hash = Set(password_hash);
            active.active = Set(true);
            active.updated_at = Set(now);
            active.update(db).await?;
            // A new password ends the sessions opened with the old one.
            end_sessions(db, id).await?;
            Ok((id, false))
        }
        None => {
            let model = staff_user::ActiveModel {
                id: NotSet,
                email: Set(email.into()),
                name: Set(name.into()),
                role: Set(role.into()),
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

/// A signed-in member of the secretariat.
#[derive(Debug, Clone)]
pub struct StaffAccess {
    pub user: staff_user::Model,
    pub session_id: i32,
    pub csrf_token: String,
}

/// Opens a session for `user`; returns the cookie value (shown once) and the access.
/// Opens a session for a signed-in staff member, with its audit row, in one transaction.
pub async fn open_session(
    db: &sea_orm::DatabaseConnection,
    user: staff_user::Model,
    hours: i64,
    now: DateTime<Utc>,
) -> Result<(String, StaffAccess), DbErr> {
    let txn = super::write_txn(db).await?;
    let token = crate::tokens::new_token();
    let csrf_token = crate::tokens::new_token();
    let session = staff_session::ActiveModel {
        id: NotSet,
        session_hash: Set(crate::tokens::hash(&token)),
        staff_user_id: Set(user.id),
        csrf_token: Set(csrf_token.clone()),
        expires_at: Set(now + chrono::Duration::hours(hours)),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    super::audit::record(
        &txn,
        now,
        super::audit::Actor::Staff(user.id),
        "staff.signed_in",
        "staff_user",
        Some(user.id.to_string()),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok((
        token,
        StaffAccess {
            user,
            session_id: session.id,
            csrf_token,
        },
    ))
}

/// The staff member behind a session cookie, while the session lasts and the account is active.
pub async fn find_session(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<StaffAccess>, DbErr> {
    let Some(session) = staff_session::Entity::find()
        .filter(staff_session::Column::SessionHash.eq(crate::tokens::hash(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if session.expires_at <= now {
        return Ok(None);
    }
    let user = staff_user::Entity::find_by_id(session.staff_user_id)
        .one(db)
        .await?
        .filter(|u| u.active);
    Ok(user.map(|user| StaffAccess {
        user,
        session_id: session.id,
        csrf_token: session.csrf_token,
    }))
}

pub async fn close_session(db: &impl ConnectionTrait, session_id: i32) -> Result<(), DbErr> {
    staff_session::Entity::delete_by_id(session_id)
        .exec(db)
        .await
        .map(|_| ())
}

/// Makes a new API token for the account; returns it (the only time it exists in clear).
pub async fn create_api_token(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = format!("pf_{}", crate::tokens::new_token());
    api_token::ActiveModel {
        id: NotSet,
        token_hash: Set(crate::tokens::hash(&token)),
        staff_user_id: Set(user_id),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The account behind an API token, if the token exists and is not revoked. Marks it used
/// (at most once a minute, so a busy client does not write on every call).
pub async fn find_api_token(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<staff_user::Model>, DbErr> {
    use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter};
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(crate::tokens::hash(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .filter(api_token::Column::CreatedAt.gt(now - API_TOKEN_LIFETIME))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let user_id = row.staff_user_id;
    if row
        .last_used_at
        .is_none_or(|at| now - at > chrono::Duration::minutes(1))
    {
        let mut active: api_token::ActiveModel = row.into();
        active.last_used_at = Set(Some(now));
        active.update(db).await?;
    }
    // A deactivated account's tokens stop working with it.
    Ok(staff_user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.active))
}

pub use crate::domain::access::API_TOKEN_LIFETIME;

/// An account's API tokens (every account's with `None`), newest first.
pub async fn api_tokens(
    db: &impl ConnectionTrait,
    staff_user_id: Option<i32>,
) -> Result<Vec<api_token::Model>, DbErr> {
    use sea_orm::QueryOrder;
    let mut query = api_token::Entity::find();
    if let Some(id) = staff_user_id {
        query = query.filter(api_token::Column::StaffUserId.eq(id));
    }
    query.order_by_desc(api_token::Column::Id).all(db).await
}

/// Revokes one of an account's API tokens; false when the account has no such token.
pub async fn revoke_api_token(
    db: &impl ConnectionTrait,
    staff_user_id: i32,
    token_id: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(api_token::Column::Id.eq(token_id))
        .filter(api_token::Column::StaffUserId.eq(staff_user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Deletes the staff and officer sessions that ended before `now` (a session is checked on
/// every request anyway; this keeps the tables from growing with every sign-in for good).
/// Returns how many rows went.
pub async fn purge_expired_sessions(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let staff = staff_session::Entity::delete_many()
        .filter(staff_session::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected;
    let officers = crate::entities::officer_session::Entity::delete_many()
        .filter(crate::entities::officer_session::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected;
    Ok(staff + officers)
}

/// Signs an account out everywhere.
pub async fn end_sessions(db: &impl ConnectionTrait, staff_user_id: i32) -> Result<u64, DbErr> {
    Ok(staff_session::Entity::delete_many()
        .filter(staff_session::Column::StaffUserId.eq(staff_user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deactivates an account: it can no longer sign in, its sessions end and its API tokens are
/// revoked. `None` when there is no such account.
pub async fn deactivate(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<staff_user::Model>, DbErr> {
    let Some(user) = staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut active: staff_user::ActiveModel = user.clone().into();
    active.active = Set(false);
    active.updated_at = Set(now);
    let user = active.update(db).await?;
    end_sessions(db, user.id).await?;
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(api_token::Column::StaffUserId.eq(user.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(Some(user))
}

/// Every account, by e-mail.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<staff_user::Model>, DbErr> {
    use sea_orm::QueryOrder;
    staff_user::Entity::find()
        .order_by_asc(staff_user::Column::Email)
        .all(db)
        .await
}

// The account changes that the command line and the admin page make: each with its audit
// row, in one transaction.

/// Creates an account or resets its name, role and password (which ends its other sessions).
/// A deactivated account comes back only when `reactivate` says so. Returns (id, created).
#[allow(clippy::too_many_arguments)]
pub async fn save_account(
    db: &sea_orm::DatabaseConnection,
    email: &str,
    name: &str,
    role: StaffRole,
    password_hash: String,
    reactivate: bool,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(i32, bool), ActionError> {
    let txn = super::write_txn(db).await?;
    if find_staff(&txn, email).await?.is_some_and(|u| !u.active) && !reactivate {
        return Err(ActionError::Refused(format!(
            "{email} was deactivated; bringing the account back must be asked for on purpose"
        )));
    }
    let (id, created) = add_or_update_staff(&txn, email, name, role, password_hash, now).await?;
    audit::record(
        &txn,
        now,
        actor,
        if created { "staff.created" } else { "staff.updated" },
        "staff_user",
        Some(id.to_string()),
        serde_json::json!({ "email": email, "role": role.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok((id, created))
}

/// Deactivates an account, audited (see `deactivate`).
pub async fn deactivate_account(
    db: &sea_orm::DatabaseConnection,
    email: &str,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<staff_user::Model, ActionError> {
    let txn = super::write_txn(db).await?;
    let user = deactivate(&txn, email, now)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("there is no account {email}")))?;
    audit::record(
        &txn,
        now,
        actor,
        "staff.deactivated",
        "staff_user",
        Some(user.id.to_string()),
        serde_json::json!({ "email": email }),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// A new API token for an account, audited; the token is returned once and stored hashed.
pub async fn issue_api_token(
    db: &sea_orm::DatabaseConnection,
    staff_user_id: i32,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let txn = super::write_txn(db).await?;
    let token = create_api_token(&txn, staff_user_id, now).await?;
    audit::record(
        &txn,
        now,
        actor,
        "staff.api_token_created",
        "staff_user",
        Some(staff_user_id.to_string()),
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// Ends one working API token of an account, audited.
pub async fn end_api_token(
    db: &sea_orm::DatabaseConnection,
    staff_user_id: i32,
    token_id: i32,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let txn = super::write_txn(db).await?;
    if !revoke_api_token(&txn, staff_user_id, token_id, now).await? {
        return Err(ActionError::NotFound(format!(
            "no working token {token_id} for this account"
        )));
    }
    audit::record(
        &txn,
        now,
        actor,
        "staff.api_token_revoked",
        "staff_user",
        Some(staff_user_id.to_string()),
        serde_json::json!({ "token": token_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
