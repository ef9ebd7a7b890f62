//! All SQL of the cart. One portable text per statement, run on SQLite and PostgreSQL
//! alike: `$n` placeholders, TEXT ids, BIGINT money and Unix-ms timestamps, booleans as
//! 0/1, addresses as JSON text. Functions take a `&mut Conn` so one service call can run
//! several in one read or one write.

pub(crate) mod cart;
pub(crate) mod discount;
pub(crate) mod region;

use emporium_kernel::{
    db::{Database, DbError},
    money::Currency,
};

use crate::{error::CartError, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

/// A stored value that does not fit the domain: a corrupted row, not a caller's mistake.
pub(crate) fn corrupt(column: &str, value: &str) -> CartError {
    CartError::Database(DbError::Decode(format!(
        "column {column}: unexpected stored value `{value}`"
    )))
}

pub(crate) fn parse_currency(value: &str) -> Result<Currency> {
    Currency::parse(value).map_err(|_| corrupt("currency", value))
}
