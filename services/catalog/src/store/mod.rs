//! All SQL of the catalog. One portable text per statement, run on SQLite and PostgreSQL
//! alike: `$n` placeholders, TEXT ids, BIGINT money and Unix-ms timestamps, and only the
//! value types both carry (i64, text, NULL). Functions take the kernel's [`Conn`] so that
//! a service call can run several of them in one read or one write transaction.

pub(crate) mod category;
pub(crate) mod collection;
pub(crate) mod listing;
pub(crate) mod pricing;
pub(crate) mod product;

pub(crate) use emporium_kernel::db::{Arg, Sql};
use emporium_kernel::{
    db::{Conn, Database, DbError},
    money::Currency,
};

use crate::{error::CatalogError, ProductStatus, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

/// Inserts `rows` with multi-row statements (see the kernel's `insert_rows`); a unique
/// violation becomes a field-named conflict.
pub(crate) async fn insert_rows(
    conn: &mut Conn<'_>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg<'_>>>,
) -> Result<()> {
    emporium_kernel::db::sql::insert_rows(conn, table, columns, rows)
        .await
        .map_err(unique_as_conflict)
}

/// Maps a unique (or foreign-key) violation that slipped past the service's own checks
/// (two requests racing for one handle or SKU) to `Conflict`, naming the field when the
/// constraint says which it was.
pub(crate) fn unique_as_conflict(err: DbError) -> CatalogError {
    if err.is_foreign_key_violation() {
        // The service checked the reference in this transaction; another request deleted
        // the row in between (possible on PostgreSQL under read committed).
        return CatalogError::Conflict {
            field: "references".to_owned(),
            message: "a referenced product, category or collection was deleted meanwhile: reload and retry"
                .to_owned(),
        };
    }
    if !err.is_unique_violation() {
        return err.into();
    }
    // The message names the constraint (PostgreSQL: `products_handle_key`) or its
    // columns (SQLite: `products.handle`).
    let detail = err.to_string();
    let field = if detail.contains("sku") {
        "sku"
    } else if detail.contains("handle") {
        "handle"
    } else {
        "id"
    };
    CatalogError::Conflict {
        field: field.to_owned(),
        message: "is already taken: choose another value".to_owned(),
    }
}

/// A stored value that does not fit the domain: a corrupted row, not a caller's mistake.
pub(crate) fn corrupt(column: &str, value: &str) -> CatalogError {
    CatalogError::Database(DbError::Decode(format!(
        "column {column}: unexpected stored value `{value}`"
    )))
}

pub(crate) fn parse_status(value: &str) -> Result<ProductStatus> {
    ProductStatus::parse(value).ok_or_else(|| corrupt("status", value))
}

pub(crate) fn parse_currency(value: &str) -> Result<Currency> {
    Currency::parse(value).map_err(|_| corrupt("currency", value))
}

/// Which table a handle lives in. A closed set: table names are never taken from input.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HandleTable {
    Products,
    Categories,
    Collections,
}

impl HandleTable {
    fn name(self) -> &'static str {
        match self {
            HandleTable::Products => "products",
            HandleTable::Categories => "categories",
            HandleTable::Collections => "collections",
        }
    }
}

/// Whether `handle` is used by a row other than `except_id`.
pub(crate) async fn handle_taken(
    conn: &mut Conn<'_>,
    table: HandleTable,
    handle: &str,
    except_id: Option<&str>,
) -> Result<bool> {
    let mut sql = Sql::new(format!(
        "SELECT COUNT(*) FROM {} WHERE handle = ",
        table.name()
    ));
    sql.bind(handle);
    if let Some(id) = except_id {
        sql.push(" AND id <> ").bind(id);
    }
    Ok(conn.fetch_scalar::<i64>(&sql).await? > 0)
}

/// Handles equal to `base` or of the form `base-…`, to pick a free suffix from.
pub(crate) async fn handles_like(
    conn: &mut Conn<'_>,
    table: HandleTable,
    base: &str,
) -> Result<Vec<String>> {
    // Handles hold only [a-z0-9-], so `base` contains no LIKE wildcards.
    let mut sql = Sql::new(format!(
        "SELECT handle FROM {} WHERE handle = ",
        table.name()
    ));
    sql.bind(base)
        .push(" OR handle LIKE ")
        .bind(format!("{base}-%"));
    conn.fetch_all(&sql)
        .await?
        .iter()
        .map(|r| Ok(r.get(0)?))
        .collect()
}
