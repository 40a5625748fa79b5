//! Persistence, by aggregate. Functions take `&impl ConnectionTrait` so they work inside or
//! outside a transaction; they decide nothing that `domain` can decide.
pub mod attachments;
pub mod audit;
pub mod backup;
pub mod campaign;
pub mod dashboard;
pub mod drafts;
pub mod exports;
pub mod interviews;
pub mod links;
pub mod manage;
pub mod outbox;
pub mod reference;
pub mod register;
pub mod register_query;
pub mod reminders;
pub mod requests;
pub mod review;
pub mod staff;
pub mod throttle;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseSettings;

/// Why a store action did not happen, the one error every action returns. The edges map it
/// once: `AppError::from` for pages, and through it the API's JSON shape.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// A rule refuses it in the current state, with the reason (409).
    #[error("{0}")]
    Refused(String),
    /// Someone else changed the same thing first (409).
    #[error("{0}")]
    Conflict(String),
    /// The input is not acceptable, with what to fix (422).
    #[error("{0}")]
    Invalid(String),
    /// Nothing there by that id (404).
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<crate::domain::request::TransitionError> for ActionError {
    fn from(refusal: crate::domain::request::TransitionError) -> ActionError {
        ActionError::Refused(refusal.to_string())
    }
}

/// Opens the pool. SQLite gets WAL, `synchronous=NORMAL`, foreign keys and a busy timeout
/// (the URL cannot set these, and sea-orm's defaults are several times slower); a missing
/// SQLite file and its folder are created.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let url = settings.url.expose();
    if let Some(path) = sqlite_path(url)
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbErr::Custom(format!("cannot create the folder {}: {e}", parent.display())))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// The file path of a `sqlite:` URL, if it names a file.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then_some(path)
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    // Looked at without writing first: a command run beside a busy `serve` must not need
    // SQLite's write lock (inside a transaction that read first, SQLite refuses it at once
    // instead of waiting) when there is nothing to migrate.
    if !Migrator::get_pending_migrations_read_only(db).await?.is_empty() {
        Migrator::up(db, None).await?;
    }
    reference::sync_reference_items(db).await
}

/// Starts a transaction that will write. On SQLite it takes the write lock at BEGIN
/// (IMMEDIATE): a deferred transaction that reads first cannot upgrade once another writer
/// (the mail worker, say) has committed, and fails with "database is locked" instead of
/// waiting. PostgreSQL ignores the mode.
///
/// On SQLite the writers of this process also wait their turn in a first-come, first-served
/// queue before BEGIN. SQLite has one writer at a time, and its busy handler lets waiters
/// retry after growing sleeps, in no order: with 16 officers saving at once the unlucky ones
/// waited over a second (autosave p99 1.12 s at 100,000 pledges) while each write takes about
/// a millisecond. Other processes (the CLI) still meet SQLite's own lock and busy timeout.
pub async fn write_txn(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    let turn = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => Some(writer_turn(db).await?),
        _ => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTxn { txn, _turn: turn })
}

/// How long a writer waits for its turn before giving up, as SQLite's busy timeout would
/// have; a write takes milliseconds, so only a stuck writer makes anyone wait this long.
const WRITER_TURN_TIMEOUT: Duration = Duration::from_secs(30);

/// This process's turn to write to the SQLite file behind `db` (one queue per file: the tests
/// run many databases in one process).
async fn writer_turn(db: &DatabaseConnection) -> Result<tokio::sync::OwnedSemaphorePermit, DbErr> {
    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, Mutex};
    use tokio::sync::Semaphore;
    static QUEUES: LazyLock<Mutex<HashMap<std::path::PathBuf, Arc<Semaphore>>>> =
        LazyLock::new(Default::default);
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let queue = QUEUES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(file)
        .or_insert_with(|| Arc::new(Semaphore::new(1)))
        .clone();
    // Tokio's semaphore is fair: writers are served in the order they asked.
    match tokio::time::timeout(WRITER_TURN_TIMEOUT, queue.acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_closed)) => Err(DbErr::Custom("the writers' queue is closed".into())),
        Err(_elapsed) => Err(DbErr::Custom(
            "database is locked: no turn to write within 30 s".into(),
        )),
    }
}

/// A transaction from `write_txn`: on SQLite it holds the process's turn to write until it
/// commits, rolls back or is dropped (which rolls back).
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// Reads an update request that the transaction is about to change, locking its row until the
/// transaction ends (`SELECT … FOR UPDATE` on PostgreSQL). A second click waits for the first
/// to commit and then reads the state it left, so it is refused like a late click instead of
/// both winning under READ COMMITTED. (SQLite's immediate write transaction already serialises
/// writers; sea-query writes no lock clause there.)
pub async fn lock_request(
    txn: &impl ConnectionTrait,
    request_id: i32,
) -> Result<crate::entities::update_request::Model, DbErr> {
    use sea_orm::{EntityTrait, QuerySelect};
    crate::entities::update_request::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("update request {request_id}")))
}

/// `rows` of entity `E` in owned groups, each as large as one multi-row INSERT may carry:
/// SQLite binds at most 32,766 parameters in a statement, one per column of each row.
pub fn insert_batches<E: sea_orm::EntityTrait, T>(rows: Vec<T>) -> impl Iterator<Item = Vec<T>> {
    use sea_orm::Iterable;
    const SQLITE_MAX_PARAMETERS: usize = 32_766;
    let per_statement = SQLITE_MAX_PARAMETERS / E::Column::iter().count().max(1);
    let mut rows = rows.into_iter();
    std::iter::from_fn(move || {
        let batch: Vec<T> = rows.by_ref().take(per_statement).collect();
        (!batch.is_empty()).then_some(batch)
    })
}

/// From this many rows written at once, `refresh_statistics` is worth its cost.
pub const BULK_ROWS: usize = 1_000;

/// Refreshes the planner's statistics of `tables` after a bulk write (a register import, a
/// campaign for every pledge). Without them a planner believes the tables as small as they
/// were: at 100,000 requests PostgreSQL's dashboard anti-join ran 17 s instead of 7 ms, and
/// SQLite read a page's last mails through the index on the mail's state (every sent mail,
/// 148 ms) instead of the one on its request (0.1 ms).
pub async fn refresh_statistics(db: &impl ConnectionTrait, tables: &[&str]) -> Result<(), DbErr> {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            db.execute_unprepared(&format!("ANALYZE {}", tables.join(", ")))
                .await?;
        }
        _ => {
            // SQLite analyses one table per statement.
            for table in tables {
                db.execute_unprepared(&format!("ANALYZE {table}")).await?;
            }
        }
    }
    Ok(())
}

/// Keeps SQLite's statistics current as the tables grow by everyday use (PostgreSQL's
/// autovacuum does this there): `PRAGMA optimize` analyses only the tables that changed much
/// since their last analysis, and costs next to nothing otherwise. Run at start and by each
/// scheduler pass.
pub async fn optimize(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA optimize").await?;
    }
    Ok(())
}

/// A cheap round trip, for readiness checks.
pub async fn ping(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;

    #[test]
    fn sqlite_paths_are_found_in_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/pledgeflow.db"),
            Some("data/pledgeflow.db")
        );
        assert_eq!(sqlite_path("sqlite:///tmp/x.db?mode=rwc"), Some("/tmp/x.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x"), None);
    }
}
