//! Backup and restore of a SQLite database and its attachments. (PostgreSQL has `pg_dump` and
//! `pg_restore`; the commands say so.)
//!
//! `serve` holds a shared lock on `DB.lock` while it runs; `restore` takes it exclusively, so a
//! restore never replaces a database under a running service, and a `kill -9` (which drops
//! the lock with the process) never blocks one.
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

/// The lock `serve` holds for as long as the value lives.
#[derive(Debug)]
pub struct ServingLock {
    _file: File,
}

fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    db.with_file_name(name)
}

fn lock_file(db: &Path) -> std::io::Result<File> {
    if let Some(folder) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(sibling(db, ".lock"))
}

/// Taken by `serve` on a SQLite file: refused only while a restore is replacing the file.
pub fn hold_while_serving(db: &Path) -> Result<ServingLock, String> {
    let file = lock_file(db).map_err(|e| format!("cannot open {}: {e}", sibling(db, ".lock").display()))?;
    match file.try_lock_shared() {
        Ok(()) => Ok(ServingLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(format!(
            "a restore is replacing {}; start again when it has finished",
            db.display()
        )),
        Err(TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", db.display())),
    }
}

/// The folder beside a backup file that holds the attachments.
pub fn attachments_beside(backup: &Path) -> PathBuf {
    sibling(backup, ".attachments")
}

/// A consistent copy of a SQLite database (`VACUUM INTO`: one read transaction, so writers
/// carry on and the copy is what was committed when it started).
pub async fn backup_sqlite(db: &DatabaseConnection, file: &Path) -> Result<(), DbErr> {
    let path = file
        .to_str()
        .ok_or_else(|| DbErr::Custom(format!("{} is not a UTF-8 path", file.display())))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [path.into()],
    ))
    .await
    .map(|_| ())
}

/// Copies the files of `from` that `to` does not have yet (attachments are never changed in
/// place: a key names one content for good). Returns how many were copied.
pub fn copy_new_files(from: &Path, to: &Path) -> std::io::Result<usize> {
    if !from.is_dir() {
        return Ok(0);
    }
    std::fs::create_dir_all(to)?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        // Half-written uploads (`.KEY.tmp`) are not attachments yet.
        if name.to_string_lossy().starts_with('.') || !entry.file_type()?.is_file() {
            continue;
        }
        let target = to.join(&name);
        if !target.exists() {
            let partial = to.join(format!(".{}.restoring", name.to_string_lossy()));
            std::fs::copy(entry.path(), &partial)?;
            std::fs::rename(&partial, &target)?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// Why a restore did not happen. Nothing was changed in each case.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("{0}")]
    BadBackup(String),
    #[error("`pledgeflow serve` is running on {0}; stop it first (the restore replaces the file under it)")]
    Serving(PathBuf),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The database as it was before, kept under these names (data file first, then its WAL).
    pub kept_aside: Vec<PathBuf>,
    pub attachments_copied: usize,
}

/// SQLite's own verdict on an open database ("ok" when whole).
pub async fn integrity_check(db: &DatabaseConnection) -> Result<String, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("integrity_check returned nothing".into()))?;
    row.try_get_by_index::<String>(0)
}

/// Checks that `backup` is a whole pledgeflow database: SQLite's integrity check passes and
/// it carries our migrations table.
pub async fn check_backup(backup: &Path) -> Result<(), RestoreError> {
    let bad = |why: String| RestoreError::BadBackup(format!("{}: {why}", backup.display()));
    if !backup.is_file() {
        return Err(bad("no such file".into()));
    }
    let path = backup.to_str().ok_or_else(|| bad("not a UTF-8 path".into()))?;
    let db = Database::connect(format!("sqlite:{path}?mode=ro"))
        .await
        .map_err(|e| bad(format!("not a SQLite database ({e})")))?;
    let verdict = integrity_check(&db)
        .await
        .map_err(|e| bad(format!("not a SQLite database ({e})")))?;
    if verdict != "ok" {
        return Err(bad(format!("damaged: {verdict}")));
    }
    db.query_one_raw(Statement::from_string(
        DbBackend::Sqlite,
        "SELECT count(*) FROM seaql_migrations",
    ))
    .await
    .map_err(|_| bad("not a pledgeflow database (it has no migrations table)".into()))?;
    db.close().await?;
    Ok(())
}

/// Puts `backup` in place of the SQLite database `db_path` and brings back the attachments
/// saved beside it. The current database is not deleted: it is renamed to
/// `DB.before-restore-STAMP` together with its WAL, which must not stay beside the restored
/// file (SQLite would replay a stale WAL into it: "malformed database schema"). The shared
/// memory index (`-shm`) is only a cache and is removed.
pub async fn restore_sqlite(
    backup: &Path,
    db_path: &Path,
    attachments_dir: &Path,
    stamp: &str,
) -> Result<Restored, RestoreError> {
    check_backup(backup).await?;
    let lock = lock_file(db_path)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(RestoreError::Serving(db_path.to_path_buf())),
        Err(TryLockError::Error(e)) => return Err(e.into()),
    }
    // The copy is made and synced under a temporary name first: a crash now leaves the
    // current database untouched.
    let incoming = sibling(db_path, ".restoring");
    std::fs::copy(backup, &incoming)?;
    File::open(&incoming)?.sync_all()?;

    let mut kept_aside = Vec::new();
    let aside = sibling(db_path, &format!(".before-restore-{stamp}"));
    for (suffix, keep) in [("", true), ("-wal", true), ("-shm", false)] {
        let current = sibling(db_path, suffix);
        if !current.exists() {
            continue;
        }
        if keep {
            let to = sibling(&aside, suffix);
            std::fs::rename(&current, &to)?;
            kept_aside.push(to);
        } else {
            std::fs::remove_file(&current)?;
        }
    }
    std::fs::rename(&incoming, db_path)?;
    let attachments_copied = copy_new_files(&attachments_beside(backup), attachments_dir)?;
    drop(lock);
    Ok(Restored {
        kept_aside,
        attachments_copied,
    })
}
