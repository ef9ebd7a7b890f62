//! All SQL of the accounts service. One portable text per statement, run on SQLite and
//! PostgreSQL alike: `$n` placeholders, TEXT ids, Unix-ms timestamps, booleans as 0/1.
//! Functions take a `&mut Conn` so one service call can run several in one read or one
//! write.

pub(crate) mod addresses;
pub(crate) mod customers;
pub(crate) mod groups;
pub(crate) mod sessions;
pub(crate) mod tokens;

use emporium_kernel::db::{Database, DbError};

use crate::{error::AccountError, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

/// A stored value that does not fit the domain: a corrupted row, not a caller's mistake.
/// Names the column, never the value (it may be an email address).
pub(crate) fn corrupt(column: &str) -> AccountError {
    AccountError::Database(DbError::Decode(format!(
        "column {column}: unexpected stored value"
    )))
}
