//! All SQL of checkout. One portable text per query, run through sqlx's `Any` driver on
//! SQLite and PostgreSQL alike: `$n` placeholders, TEXT ids, BIGINT money and Unix-ms
//! timestamps, 0/1 booleans, JSON as TEXT, and only the value types the `Any` driver
//! carries (i64, String, NULL). Functions take a `&mut AnyConnection` so that one service
//! call can run several of them in one transaction.

mod orders;

pub(crate) use orders::*;

use emporium_kernel::db::Database;
use sqlx::migrate::Migrator;

use crate::error::{CheckoutError, Result};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

/// A stored value that does not fit the domain: a corrupted row, not a caller's mistake.
pub(crate) fn corrupt(column: &str, value: &str) -> CheckoutError {
    CheckoutError::from(sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("unexpected stored value `{value}`").into(),
    })
}
