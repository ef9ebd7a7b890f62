//! The one connection type every store function takes, on either database.
//!
//! Statements are [`Sql`] values (portable text with `$n` placeholders), rows come back
//! as [`Row`]s read by column index with [`Row::get`]. The methods are `async` for
//! PostgreSQL (a sqlx connection); on SQLite every call runs right here through rusqlite
//! and completes without waiting, which is what lets [`Database::write`] run a whole
//! change in one poll on the writer thread.
//!
//! [`Database::write`]: super::Database::write

use std::{
    future::Future,
    pin::pin,
    sync::{LazyLock, Mutex, PoisonError},
    task::{Context, Poll, Waker},
};

use rusqlite::types::Value;
use sqlx::{any::AnyRow, AnyConnection, Row as _};

use super::{
    sql::{Arg, Sql, MAX_PARAMS},
    DbError,
};

/// Where a read's or a change's statements run. Only the kernel makes one (in
/// [`Database::read`](super::Database::read) and [`Database::write`](super::Database::write)).
pub struct Conn<'c>(Inner<'c>);

enum Inner<'c> {
    /// The SQLite writer connection (inside a batch's savepoint) or a read connection,
    /// behind a mutex so that a change holding it across its (never pending) awaits is
    /// `Send` like one holding a sqlx connection.
    Lite(&'c Mutex<rusqlite::Connection>),
    /// A PostgreSQL transaction or pooled connection.
    Sqlx(&'c mut AnyConnection),
}

impl<'c> Conn<'c> {
    pub(crate) fn lite(conn: &'c Mutex<rusqlite::Connection>) -> Self {
        Conn(Inner::Lite(conn))
    }

    pub(crate) fn sqlx(conn: &'c mut AnyConnection) -> Self {
        Conn(Inner::Sqlx(conn))
    }
}

impl Conn<'_> {
    /// Runs a statement; returns the number of rows it changed.
    pub async fn execute(&mut self, sql: &Sql<'_>) -> Result<u64, DbError> {
        match &mut self.0 {
            Inner::Lite(conn) => run(conn, sql, |statement| Ok(statement.raw_execute()? as u64)),
            Inner::Sqlx(conn) => Ok(sql.query().execute(&mut **conn).await?.rows_affected()),
        }
    }

    /// Runs a query and returns every row.
    pub async fn fetch_all(&mut self, sql: &Sql<'_>) -> Result<Vec<Row>, DbError> {
        match &mut self.0 {
            Inner::Lite(conn) => lite_rows(conn, sql, usize::MAX),
            Inner::Sqlx(conn) => Ok(sql
                .query()
                .fetch_all(&mut **conn)
                .await?
                .into_iter()
                .map(Row::Sqlx)
                .collect()),
        }
    }

    /// Runs a query and returns its first row, if any.
    pub async fn fetch_optional(&mut self, sql: &Sql<'_>) -> Result<Option<Row>, DbError> {
        match &mut self.0 {
            Inner::Lite(conn) => Ok(lite_rows(conn, sql, 1)?.pop()),
            Inner::Sqlx(conn) => Ok(sql
                .query()
                .fetch_optional(&mut **conn)
                .await?
                .map(Row::Sqlx)),
        }
    }

    /// Runs a query that must return a row (an `UPDATE … RETURNING` on a row known to
    /// exist, an aggregate).
    pub async fn fetch_one(&mut self, sql: &Sql<'_>) -> Result<Row, DbError> {
        self.fetch_optional(sql)
            .await?
            .ok_or(DbError::Sqlx(sqlx::Error::RowNotFound))
    }

    /// Runs a query and reads column 0 of its first row as `T` (a count, an aggregate).
    pub async fn fetch_scalar<T: Column>(&mut self, sql: &Sql<'_>) -> Result<T, DbError> {
        self.fetch_one(sql).await?.get(0)
    }
}

/// The `$n` parameter names, made once.
static PARAM_NAMES: LazyLock<Vec<String>> =
    LazyLock::new(|| (1..=MAX_PARAMS).map(|n| format!("${n}")).collect());

/// Prepares `sql`, binds its arguments and hands the statement to `f`.
fn run<T>(
    conn: &Mutex<rusqlite::Connection>,
    sql: &Sql<'_>,
    f: impl FnOnce(&mut rusqlite::Statement<'_>) -> Result<T, DbError>,
) -> Result<T, DbError> {
    // Only one change uses a connection at a time: the lock is never contended.
    let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
    if sql.is_persistent() {
        let mut statement = conn.prepare_cached(sql.text())?;
        bind(&mut statement, sql)?;
        f(&mut statement)
    } else {
        // Text that varies with the input (a list of values) would only push the
        // statements that repeat out of the cache.
        let mut statement = conn.prepare(sql.text())?;
        bind(&mut statement, sql)?;
        f(&mut statement)
    }
}

/// Binds by name: SQLite reads `$1` as a parameter named `$1`, whose position is that of
/// its first appearance in the text, which need not be argument order.
fn bind(statement: &mut rusqlite::Statement<'_>, sql: &Sql<'_>) -> Result<(), DbError> {
    let args = sql.args();
    if statement.parameter_count() != args.len() {
        return Err(DbError::Encode(format!(
            "statement has {} parameters but {} arguments: {}",
            statement.parameter_count(),
            args.len(),
            sql.text()
        )));
    }
    for (i, arg) in args.iter().enumerate() {
        let owned;
        let name = match PARAM_NAMES.get(i) {
            Some(name) => name.as_str(),
            None => {
                owned = format!("${}", i + 1);
                owned.as_str()
            }
        };
        let Some(index) = statement.parameter_index(name)? else {
            return Err(DbError::Encode(format!(
                "statement does not use parameter {name}: {}",
                sql.text()
            )));
        };
        match arg {
            Arg::Int(v) => statement.raw_bind_parameter(index, v)?,
            Arg::Text(v) => statement.raw_bind_parameter(index, v)?,
            Arg::NullInt | Arg::NullText => {
                statement.raw_bind_parameter(index, rusqlite::types::Null)?
            }
        }
    }
    Ok(())
}

/// The first `limit` rows of `sql` on a lite connection.
fn lite_rows(
    conn: &Mutex<rusqlite::Connection>,
    sql: &Sql<'_>,
    limit: usize,
) -> Result<Vec<Row>, DbError> {
    run(conn, sql, |statement| {
        let width = statement.column_count();
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        while out.len() < limit {
            match rows.next()? {
                Some(row) => out.push(lite_row(row, width)?),
                None => break,
            }
        }
        Ok(out)
    })
}

fn lite_row(row: &rusqlite::Row<'_>, width: usize) -> Result<Row, DbError> {
    let mut values = Vec::with_capacity(width);
    for i in 0..width {
        values.push(row.get::<_, Value>(i)?);
    }
    Ok(Row::Lite(values))
}

/// A result row from either database, read by column index. By index, not by name: a
/// lookup by name compares the wanted name with every column's.
pub enum Row {
    Lite(Vec<Value>),
    Sqlx(AnyRow),
}

impl Row {
    /// Column `index` as `T`: `i64`, `String`, `bool` (an integer flag), or an `Option`
    /// of them for a nullable column.
    pub fn get<T: Column>(&self, index: usize) -> Result<T, DbError> {
        T::read(self, index)
    }

    pub fn int(&self, index: usize) -> Result<i64, DbError> {
        self.get(index)
    }

    pub fn opt_int(&self, index: usize) -> Result<Option<i64>, DbError> {
        self.get(index)
    }

    pub fn text(&self, index: usize) -> Result<String, DbError> {
        self.get(index)
    }

    pub fn opt_text(&self, index: usize) -> Result<Option<String>, DbError> {
        self.get(index)
    }

    /// An integer column holding a 0/1 flag.
    pub fn flag(&self, index: usize) -> Result<bool, DbError> {
        self.get(index)
    }
}

/// A column type [`Row::get`] reads.
pub trait Column: Sized {
    fn read(row: &Row, index: usize) -> Result<Self, DbError>;
}

impl Column for Option<i64> {
    fn read(row: &Row, index: usize) -> Result<Self, DbError> {
        match row {
            Row::Lite(values) => match values.get(index) {
                Some(Value::Integer(v)) => Ok(Some(*v)),
                Some(Value::Null) => Ok(None),
                _ => Err(unexpected(index, "not an integer")),
            },
            Row::Sqlx(row) => Ok(row.try_get(index)?),
        }
    }
}

impl Column for Option<String> {
    fn read(row: &Row, index: usize) -> Result<Self, DbError> {
        match row {
            Row::Lite(values) => match values.get(index) {
                Some(Value::Text(v)) => Ok(Some(v.clone())),
                Some(Value::Null) => Ok(None),
                _ => Err(unexpected(index, "not text")),
            },
            Row::Sqlx(row) => Ok(row.try_get(index)?),
        }
    }
}

impl Column for i64 {
    fn read(row: &Row, index: usize) -> Result<Self, DbError> {
        Option::<i64>::read(row, index)?.ok_or_else(|| unexpected(index, "NULL"))
    }
}

impl Column for String {
    fn read(row: &Row, index: usize) -> Result<Self, DbError> {
        Option::<String>::read(row, index)?.ok_or_else(|| unexpected(index, "NULL"))
    }
}

impl Column for bool {
    fn read(row: &Row, index: usize) -> Result<Self, DbError> {
        Ok(i64::read(row, index)? != 0)
    }
}

impl Column for Option<bool> {
    fn read(row: &Row, index: usize) -> Result<Self, DbError> {
        Ok(Option::<i64>::read(row, index)?.map(|v| v != 0))
    }
}

fn unexpected(index: usize, what: &str) -> DbError {
    DbError::Decode(format!("column {index}: unexpected value: {what}"))
}

/// Runs a read or change on a SQLite connection to completion right here. It never waits
/// (every statement runs on the calling thread), so one poll finishes it; one that does
/// wait on something else is a bug, reported as an error rather than blocking the thread
/// (for a change, the writer).
pub(crate) fn complete_now<T, E: From<DbError>>(
    change: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let mut change = pin!(change);
    match change
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => Err(E::from(DbError::NotCommitted(
            "a SQLite read or write waited on something other than its statements".to_owned(),
        ))),
    }
}
