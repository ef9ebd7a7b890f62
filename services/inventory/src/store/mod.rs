//! All SQL of the inventory. One portable text per statement, run on SQLite and
//! PostgreSQL alike: `$n` placeholders, TEXT ids, BIGINT quantities and Unix-ms
//! timestamps. Functions take the kernel's [`Conn`] so that a service call runs several
//! of them in one read or one write.
//!
//! Stock changes are conditional UPDATEs (`… WHERE on_hand - reserved >= $q`), never a
//! read followed by a write: the database decides atomically, so concurrent callers
//! cannot oversell on either backend.

pub(crate) mod level;
pub(crate) mod movement;
pub(crate) mod reservation;

use emporium_kernel::db::{Database, DbError};

use crate::{InventoryError, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

/// A stored value or state that the constraints should have made impossible: a corrupted
/// row, not a caller's mistake (reported as a database error, 5xx).
pub(crate) fn corrupt(what: &str, value: &str) -> InventoryError {
    InventoryError::Database(DbError::Decode(format!(
        "{what}: unexpected stored value `{value}`"
    )))
}
