//! All SQL of the cart. One portable text per query, run through sqlx's `Any` driver on
//! SQLite and PostgreSQL alike: `$n` placeholders, TEXT ids, BIGINT money and Unix-ms
//! timestamps, booleans as 0/1, addresses as JSON text. Functions take a
//! `&mut AnyConnection` so one service call can run several in one transaction.

pub(crate) mod cart;
pub(crate) mod discount;
pub(crate) mod region;

use emporium_kernel::{db::Database, money::Currency};
use sqlx::migrate::Migrator;

use crate::{error::CartError, Result};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

/// A stored value that does not fit the domain: a corrupted row, not a caller's mistake.
pub(crate) fn corrupt(column: &str, value: &str) -> CartError {
    CartError::from(sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("unexpected stored value `{value}`").into(),
    })
}

pub(crate) fn parse_currency(value: &str) -> Result<Currency> {
    Currency::parse(value).map_err(|_| corrupt("currency", value))
}
