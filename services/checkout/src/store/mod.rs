//! All SQL of checkout. One portable text per statement, run on SQLite and PostgreSQL
//! alike: `$n` placeholders, TEXT ids, BIGINT money and Unix-ms timestamps, 0/1 booleans,
//! JSON as TEXT. Functions take a [`Conn`](emporium_kernel::db::Conn) so that one service
//! call can run several of them in one read or one write.

mod orders;

pub(crate) use orders::*;

use emporium_kernel::db::{Database, DbError};

use crate::error::{CheckoutError, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

/// A stored value that does not fit the domain: a corrupted row, not a caller's mistake.
pub(crate) fn corrupt(column: &str, value: &str) -> CheckoutError {
    CheckoutError::Database(DbError::Decode(format!(
        "{column}: unexpected stored value `{value}`"
    )))
}
