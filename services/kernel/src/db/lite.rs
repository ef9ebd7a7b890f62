//! SQLite statements run on the calling thread, for the hottest paths (a cart change and
//! the reads it needs), beside the sqlx pool that serves everything else.
//!
//! sqlx's SQLite driver gives each connection a thread of its own and hands every
//! statement to it, and its rows back, over channels. On two cores shared with the load
//! generator, those hand-offs were the largest cost of adding to a cart: perf put about
//! half of all CPU time in the kernel's context switching, five statements meant about
//! ten switches, and the two in the writer slot held every other writer of the process
//! back while they waited to be scheduled. A SQLite statement on a page-cached file
//! takes a few microseconds, less than one switch, so here it runs right where it is
//! asked for, through rusqlite on the same SQLite library sqlx links.
//!
//! - Reads ([`Lite::read`]) take a connection from a small stack and never wait: under
//!   WAL a reader sees the last commit and does not block on writers.
//! - Writes ([`Lite::write`]) first wait for the process's writer slot, the same FIFO
//!   queue sqlx writes go through (see [`super::Database::begin_write`]), and then run as
//!   one `BEGIN IMMEDIATE` transaction on the one writer connection.
//!
//! Both block the calling (async) thread for the statements' duration, tens of
//! microseconds; nothing in a closure may wait on anything else.
//!
//! SQL texts are the portable ones of the sqlx path: SQLite reads `$1` as a parameter
//! named `$1`, so bind by name ([`rusqlite::named_params`]), never by position (a `$2`
//! written before `$1` is the first positional parameter).

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use super::{DbError, WRITER_WAIT};

pub use rusqlite;

/// Idle read connections kept; more are opened when more threads read at once.
const IDLE_READERS: usize = 8;

/// Direct access to one SQLite database file (see the module docs).
pub struct Lite {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    /// Opened on the first write; used only by the holder of `slot`.
    writer: Mutex<Option<Connection>>,
    slot: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Lite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lite").field("path", &self.path).finish()
    }
}

impl Lite {
    /// Access to the file at `path`, which sqlx has created and migrated; `slot` is the
    /// process's writer slot for this file.
    pub(super) fn new(path: PathBuf, slot: Arc<tokio::sync::Mutex<()>>) -> Self {
        Lite {
            path,
            readers: Mutex::new(Vec::new()),
            writer: Mutex::new(None),
            slot,
        }
    }

    /// Runs `f` on a read connection on this thread. `f` must only read.
    pub fn read<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let idle = lock(&self.readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path, true).map_err(DbError::from)?,
        };
        let out = f(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < IDLE_READERS && conn.is_autocommit() {
            idle.push(conn);
        }
        out
    }

    /// Waits for the writer slot, then runs `f` in one `BEGIN IMMEDIATE` transaction
    /// that commits when `f` returns `Ok` and rolls back when it returns `Err`.
    pub async fn write<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let _slot = tokio::time::timeout(WRITER_WAIT, self.slot.lock())
            .await
            .map_err(|_| DbError::Busy(WRITER_WAIT))?;
        let mut writer = lock(&self.writer);
        if writer.is_none() {
            *writer = Some(open(&self.path, false).map_err(DbError::from)?);
        }
        let Some(conn) = writer.as_mut() else {
            unreachable!("the writer connection was opened just above");
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(DbError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(DbError::from)?;
        Ok(out)
    }
}

fn open(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    // Each connection is used by one thread at a time (behind a mutex): SQLite's own
    // per-connection mutex would be pure overhead.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The same settings as the sqlx pool's connections (journal_mode is the file's).
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA wal_autocheckpoint = 20000;",
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    if read_only {
        // A write through a read connection would bypass the writer slot.
        conn.pragma_update(None, "query_only", true)?;
    }
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// A panic in a closure cannot leave the connection list half-changed (one push or pop),
/// nor the writer connection mid-transaction (rusqlite rolls back on drop), so a poisoned
/// lock is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
