//! All SQL of the inventory. One portable text per query, run through sqlx's `Any` driver
//! on SQLite and PostgreSQL alike: `$n` placeholders, TEXT ids, BIGINT quantities and
//! Unix-ms timestamps, and only the value types the `Any` driver carries (i64, String,
//! NULL). Functions take a `&mut AnyConnection` so that a service call runs several of
//! them in one transaction.
//!
//! Stock changes are conditional UPDATEs (`… WHERE on_hand - reserved >= $q`), never a
//! read followed by a write: the database decides atomically, so concurrent callers
//! cannot oversell on either backend.

pub(crate) mod level;
pub(crate) mod movement;
pub(crate) mod reservation;

pub(crate) use emporium_kernel::db::sql::{Arg, Sql};
use emporium_kernel::db::Database;
use sqlx::{migrate::Migrator, AnyConnection};

use crate::{InventoryError, Result};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

pub(crate) use emporium_kernel::db::sql::MAX_PARAMS;

/// Inserts `rows` with multi-row statements (see the kernel's `insert_rows`).
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<()> {
    Ok(emporium_kernel::db::sql::insert_rows(conn, table, columns, rows).await?)
}

/// A stored value or state that the constraints should have made impossible: a corrupted
/// row, not a caller's mistake (reported as a database error, 5xx).
pub(crate) fn corrupt(what: &str, value: &str) -> InventoryError {
    InventoryError::from(sqlx::Error::ColumnDecode {
        index: what.to_owned(),
        source: format!("unexpected stored value `{value}`").into(),
    })
}
