//! The append-only audit trail.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, NotSet};

use crate::entities::audit_event;

/// Who did it.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Staff(i32),
    Contact(i32),
    System,
}

impl Actor {
    fn parts(self) -> (&'static str, Option<i32>) {
        match self {
            Actor::Staff(id) => ("staff", Some(id)),
            Actor::Contact(id) => ("contact", Some(id)),
            Actor::System => ("system", None),
        }
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: Actor,
    action: &str,
    entity: &str,
    entity_id: Option<String>,
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    record_each(db, at, actor, action, entity, vec![(entity_id, detail)]).await
}

/// `record` for many entities at once (the requests of a new campaign): one statement per few
/// hundred events.
pub async fn record_each(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: Actor,
    action: &str,
    entity: &str,
    events: Vec<(Option<String>, serde_json::Value)>,
) -> Result<(), DbErr> {
    let (actor_kind, actor_id) = actor.parts();
    let rows: Vec<audit_event::ActiveModel> = events
        .into_iter()
        .map(|(entity_id, detail)| audit_event::ActiveModel {
            id: NotSet,
            at: Set(at),
            actor_kind: Set(actor_kind.into()),
            actor_id: Set(actor_id),
            action: Set(action.into()),
            entity: Set(entity.into()),
            entity_id: Set(entity_id),
            detail: Set(detail.to_string()),
        })
        .collect();
    for batch in super::insert_batches::<audit_event::Entity, _>(rows) {
        audit_event::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The newest of `actions` recorded for one entity (e.g. what the last opening of a campaign
/// left out), if any.
pub async fn latest(
    db: &impl ConnectionTrait,
    entity: &str,
    entity_id: &str,
    actions: &[&str],
) -> Result<Option<audit_event::Model>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    audit_event::Entity::find()
        .filter(audit_event::Column::Entity.eq(entity))
        .filter(audit_event::Column::EntityId.eq(entity_id))
        .filter(audit_event::Column::Action.is_in(actions.iter().copied()))
        .order_by_desc(audit_event::Column::Id)
        .one(db)
        .await
}
