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

/// Most parameters in one statement. Kept small on purpose: SQLite looks up `$n`
/// parameter names with a linear scan while parsing, so a statement with n parameters
/// costs O(n²). Seeding 4,000 variants took about 3 s in 8,000-parameter statements and
/// takes about a tenth of that in 250-parameter ones; more statements cost little.
pub(crate) const MAX_PARAMS: usize = 250;

/// Inserts `rows` with multi-row `INSERT … VALUES (…), (…)` statements.
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<()> {
    let per_statement = (MAX_PARAMS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(&format!(
            "INSERT INTO {table} ({}) VALUES ",
            columns.join(", ")
        ));
        for (i, row) in rows.by_ref().take(per_statement).enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind_list(row);
            sql.push(")");
        }
        // Statements with a varying number of rows are not worth a prepared-statement slot.
        sql.query().persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// A stored value or state that the constraints should have made impossible: a corrupted
/// row, not a caller's mistake (reported as a database error, 5xx).
pub(crate) fn corrupt(what: &str, value: &str) -> InventoryError {
    InventoryError::from(sqlx::Error::ColumnDecode {
        index: what.to_owned(),
        source: format!("unexpected stored value `{value}`").into(),
    })
}
