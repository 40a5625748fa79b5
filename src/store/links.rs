//! Personal links and the officer sessions opened from them.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, QueryFilter,
};

use crate::entities::{access_link, contact, officer_session, update_request};
use crate::tokens;

/// Why a link or session does not open the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Expired,
    Revoked,
    Withdrawn,
}

/// An officer's way into one update request.
#[derive(Debug, Clone)]
pub struct OfficerAccess {
    pub session_id: i32,
    pub csrf_token: String,
    pub link: access_link::Model,
    pub request: update_request::Model,
    pub contact: contact::Model,
}

fn check_link(
    link: &access_link::Model,
    request: &update_request::Model,
    now: DateTime<Utc>,
) -> Result<(), LinkProblem> {
    if link.revoked_at.is_some() {
        Err(LinkProblem::Revoked)
    } else if link.expires_at <= now {
        Err(LinkProblem::Expired)
    } else if request.request_state() == crate::domain::request::RequestState::Withdrawn {
        Err(LinkProblem::Withdrawn)
    } else {
        Ok(())
    }
}

async fn link_parts(
    db: &impl ConnectionTrait,
    link: &access_link::Model,
) -> Result<Option<(update_request::Model, contact::Model)>, DbErr> {
    let request = update_request::Entity::find_by_id(link.update_request_id)
        .one(db)
        .await?;
    let contact = contact::Entity::find_by_id(link.contact_id).one(db).await?;
    Ok(request.zip(contact))
}

/// Exchanges a link token for a new session. Returns the session cookie value (shown once).
pub async fn open_session(
    db: &impl ConnectionTrait,
    token: &str,
    session_hours: i64,
    now: DateTime<Utc>,
) -> Result<Result<(String, OfficerAccess), LinkProblem>, DbErr> {
    let Some(link) = access_link::Entity::find()
        .filter(access_link::Column::TokenHash.eq(tokens::hash(token)))
        .one(db)
        .await?
    else {
        return Ok(Err(LinkProblem::Unknown));
    };
    let Some((request, contact)) = link_parts(db, &link).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if let Err(problem) = check_link(&link, &request, now) {
        return Ok(Err(problem));
    }
    let session_token = tokens::new_token();
    let csrf_token = tokens::new_token();
    let session = officer_session::ActiveModel {
        id: NotSet,
        session_hash: Set(tokens::hash(&session_token)),
        access_link_id: Set(link.id),
        csrf_token: Set(csrf_token.clone()),
        expires_at: Set(now + Duration::hours(session_hours)),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let mut used: access_link::ActiveModel = link.clone().into();
    used.last_used_at = Set(Some(now));
    let link = used.update(db).await?;
    Ok(Ok((
        session_token,
        OfficerAccess {
            session_id: session.id,
            csrf_token,
            link,
            request,
            contact,
        },
    )))
}

/// The access behind a session cookie, while the session and its link are valid.
pub async fn find_session(
    db: &impl ConnectionTrait,
    session_token: &str,
    now: DateTime<Utc>,
) -> Result<Result<OfficerAccess, LinkProblem>, DbErr> {
    let Some(session) = officer_session::Entity::find()
        .filter(officer_session::Column::SessionHash.eq(tokens::hash(session_token)))
        .one(db)
        .await?
    else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if session.expires_at <= now {
        return Ok(Err(LinkProblem::Expired));
    }
    let Some(link) = access_link::Entity::find_by_id(session.access_link_id)
        .one(db)
        .await?
    else {
        return Ok(Err(LinkProblem::Unknown));
    };
    let Some((request, contact)) = link_parts(db, &link).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if let Err(problem) = check_link(&link, &request, now) {
        return Ok(Err(problem));
    }
    Ok(Ok(OfficerAccess {
        session_id: session.id,
        csrf_token: session.csrf_token,
        link,
        request,
        contact,
    }))
}

/// Revokes every live link of a contact for a request (and so their sessions).
pub async fn revoke_links(
    db: &impl ConnectionTrait,
    request_id: i32,
    contact_id: i32,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = access_link::Entity::update_many()
        .col_expr(
            access_link::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(access_link::Column::UpdateRequestId.eq(request_id))
        .filter(access_link::Column::ContactId.eq(contact_id))
        .filter(access_link::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Re-sending a link rotates it: the old ones stop working, a new token is issued.
pub async fn rotate_link(
    db: &impl ConnectionTrait,
    request_id: i32,
    contact_id: i32,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    revoke_links(db, request_id, contact_id, now).await?;
    super::campaign::issue_link(db, request_id, contact_id, expires_at, now).await
}
