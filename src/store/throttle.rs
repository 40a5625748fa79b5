//! Throttles on guessing (sign-in, personal links, API tokens) kept in the database, so that
//! several instances behind one proxy count against one limit: each counted attempt is a row,
//! a key is blocked while it has `max` rows within the window. Rows older than any window are
//! purged by the scheduler. Keys are stored hashed.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    NotSet, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::entities::throttle_hit;

/// The longest window of any throttle: older rows count for nothing.
pub const LONGEST_WINDOW: Duration = Duration::minutes(15);

/// One throttle: at most `max` counted attempts per key within `window`.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub scope: &'static str,
    pub max: u32,
    pub window: Duration,
}

/// Unknown personal links tried from one address.
pub const LINK_GUESSES: Throttle = Throttle {
    scope: "link",
    max: 20,
    window: Duration::minutes(10),
};
/// Wrong passwords and unknown API tokens from one address.
pub const ADDRESS_FAILURES: Throttle = Throttle {
    scope: "address",
    max: 20,
    window: LONGEST_WINDOW,
};
/// Sign-in attempts on one account (counted before the check, given back on success).
pub const ACCOUNT_ATTEMPTS: Throttle = Throttle {
    scope: "account",
    max: 5,
    window: LONGEST_WINDOW,
};

/// An attempt counted in advance; `refund` it when the attempt succeeds.
#[must_use = "refund the reservation when the attempt succeeds"]
pub struct Reserved(i32);

impl Throttle {
    /// The times of the key's attempts within the window, oldest first (at most `max + 1`).
    async fn recent(
        &self,
        db: &impl ConnectionTrait,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, DbErr> {
        throttle_hit::Entity::find()
            .select_only()
            .column(throttle_hit::Column::At)
            .filter(throttle_hit::Column::Scope.eq(self.scope))
            .filter(throttle_hit::Column::KeyHash.eq(key_hash))
            .filter(throttle_hit::Column::At.gt(now - self.window))
            .order_by_asc(throttle_hit::Column::At)
            .limit(u64::from(self.max) + 1)
            .into_tuple()
            .all(db)
            .await
    }

    /// Seconds to wait when `recent` holds `max` attempts or more.
    fn wait(&self, recent: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<i64> {
        crate::domain::throttle::seconds_blocked(
            self.max,
            self.window,
            recent.len(),
            recent.first().copied(),
            now,
        )
    }

    async fn insert(
        &self,
        db: &impl ConnectionTrait,
        key_hash: String,
        now: DateTime<Utc>,
    ) -> Result<i32, DbErr> {
        let row = throttle_hit::ActiveModel {
            id: NotSet,
            scope: Set(self.scope.to_string()),
            key_hash: Set(key_hash),
            at: Set(now),
        };
        Ok(throttle_hit::Entity::insert(row).exec(db).await?.last_insert_id)
    }

    /// Seconds until `key` may try again, if it is blocked now.
    pub async fn blocked_for(
        &self,
        db: &impl ConnectionTrait,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, DbErr> {
        let recent = self.recent(db, &hash(key), now).await?;
        Ok(self.wait(&recent, now))
    }

    /// Counts a failed attempt.
    pub async fn record_failure(
        &self,
        db: &impl ConnectionTrait,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        self.insert(db, hash(key), now).await.map(|_| ())
    }

    /// Counts an attempt before it is checked; Err is the seconds to wait when the key has
    /// used them all. Count and insert happen under a lock on the key (PostgreSQL: an
    /// advisory lock for the transaction; SQLite: its single writer), so of a burst of
    /// simultaneous attempts on any number of instances exactly `max` pass.
    pub async fn reserve(
        &self,
        db: &DatabaseConnection,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<Reserved, i64>, DbErr> {
        let key_hash = hash(key);
        let txn = super::write_txn(db).await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                [format!("throttle:{}:{key_hash}", self.scope).into()],
            ))
            .await?;
        }
        let recent = self.recent(&txn, &key_hash, now).await?;
        if let Some(wait) = self.wait(&recent, now) {
            txn.rollback().await?;
            return Ok(Err(wait));
        }
        let id = self.insert(&txn, key_hash, now).await?;
        txn.commit().await?;
        Ok(Ok(Reserved(id)))
    }

    /// The attempt succeeded: it does not count.
    pub async fn refund(&self, db: &impl ConnectionTrait, reserved: Reserved) -> Result<(), DbErr> {
        throttle_hit::Entity::delete_by_id(reserved.0)
            .exec(db)
            .await
            .map(|_| ())
    }
}

fn hash(key: &str) -> String {
    crate::tokens::sha256_hex(key.as_bytes())
}

/// Forgets attempts older than every window; returns how many.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let gone = throttle_hit::Entity::delete_many()
        .filter(throttle_hit::Column::At.lte(now - LONGEST_WINDOW))
        .exec(db)
        .await?;
    Ok(gone.rows_affected)
}
