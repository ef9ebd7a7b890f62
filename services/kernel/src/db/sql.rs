//! Statements: SQL text with numbered placeholders and owned or borrowed arguments.
//! `$n` works on both databases: sqlx's `Any` driver passes it to PostgreSQL, and
//! SQLite reads it as a parameter named `$n` (bound by name, see [`super::conn`]).

use std::{borrow::Cow, fmt::Write as _};

use sqlx::{any::AnyArguments, query::Query, Any};

use super::{conn::Conn, DbError};

/// A value to bind: only the types that work the same on both databases (integers,
/// text, NULL). Text is borrowed where the caller has it, so binding a row's fields
/// copies nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg<'a> {
    Int(i64),
    Text(Cow<'a, str>),
    NullInt,
    NullText,
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<&i64> for Arg<'_> {
    fn from(v: &i64) -> Self {
        Arg::Int(*v)
    }
}

impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Int(i64::from(v))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::NullInt, Arg::Int)
    }
}

impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(Cow::Owned(v))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Cow::Borrowed(v))
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(v))
    }
}

impl<'a> From<&&'a str> for Arg<'a> {
    fn from(v: &&'a str) -> Self {
        Arg::Text(Cow::Borrowed(v))
    }
}

impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        v.map_or(Arg::NullText, |v| Arg::Text(Cow::Owned(v)))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Arg::NullText, |v| Arg::Text(Cow::Borrowed(v)))
    }
}

impl<'a> From<Option<&'a String>> for Arg<'a> {
    fn from(v: Option<&'a String>) -> Self {
        v.map_or(Arg::NullText, |v| Arg::Text(Cow::Borrowed(v)))
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().into()
    }
}

impl From<&Option<i64>> for Arg<'_> {
    fn from(v: &Option<i64>) -> Self {
        (*v).into()
    }
}

/// One statement: SQL text with `$1, $2, …` placeholders and its arguments. The one way
/// to say what to run on a [`Conn`]: a fixed text with [`sql!`](crate::sql), or text
/// assembled piece by piece (optional filters, multi-row inserts) with [`Sql::push`]
/// and [`Sql::bind`].
#[derive(Debug)]
pub struct Sql<'a> {
    text: Cow<'a, str>,
    args: Vec<Arg<'a>>,
    /// Whether the prepared statement is worth keeping for the next call.
    persistent: bool,
}

impl Default for Sql<'_> {
    fn default() -> Self {
        Sql::new("")
    }
}

/// A fixed SQL text with its arguments: `sql!("… $1 … $2", a, b)`. The arguments are
/// anything [`Arg`] converts from, in `$n` order.
#[macro_export]
macro_rules! sql {
    ($text:expr $(, $arg:expr)* $(,)?) => {
        $crate::db::sql::Sql::with($text, ::std::vec![$($crate::db::sql::Arg::from($arg)),*])
    };
}

impl<'a> Sql<'a> {
    pub fn new(text: impl Into<Cow<'a, str>>) -> Self {
        Sql {
            text: text.into(),
            args: Vec::new(),
            persistent: true,
        }
    }

    /// A text that already holds its placeholders, `$1` for `args[0]` and so on.
    pub fn with(text: impl Into<Cow<'a, str>>, args: Vec<Arg<'a>>) -> Self {
        Sql {
            text: text.into(),
            args,
            persistent: true,
        }
    }

    /// Marks a statement whose text varies with the input (a list of values): it is not
    /// kept prepared, where it would only push out the statements that repeat.
    pub fn transient(&mut self) -> &mut Self {
        self.persistent = false;
        self
    }

    pub fn is_persistent(&self) -> bool {
        self.persistent
    }

    pub fn args(&self) -> &[Arg<'a>] {
        &self.args
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.to_mut().push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg<'a>>) -> &mut Self {
        self.args.push(arg.into());
        let _ = write!(self.text.to_mut(), "${}", self.args.len());
        self
    }

    /// Appends a placeholder for a `LIKE` pattern that matches `text` anywhere, and the
    /// `ESCAPE` clause under which `%`, `_` and `\` in `text` match themselves (a
    /// search for "50%" must not match every price). Use after `… LIKE `.
    pub fn bind_contains(&mut self, text: &str) -> &mut Self {
        let mut pattern = String::with_capacity(text.len() + 2);
        pattern.push('%');
        for c in text.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        self.bind(pattern).push(" ESCAPE '\\'")
    }

    /// Adds `arg` without writing its placeholder and returns the placeholder (`$n`), for
    /// a value the text refers to more than once (a constant column of a multi-row insert).
    pub fn param(&mut self, arg: impl Into<Arg<'a>>) -> String {
        self.args.push(arg.into());
        format!("${}", self.args.len())
    }

    /// Appends `$a, $b, …` for each item (the caller writes the parentheses).
    pub fn bind_list<A: Into<Arg<'a>>>(&mut self, items: impl IntoIterator<Item = A>) -> &mut Self {
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.text.to_mut().push_str(", ");
            }
            self.bind(item);
        }
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The statement as a sqlx query (PostgreSQL, and SQLite's migrations and checks).
    pub(crate) fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text).persistent(self.persistent);
        for arg in &self.args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.as_ref()),
                Arg::NullInt => query.bind(None::<i64>),
                Arg::NullText => query.bind(None::<String>),
            };
        }
        query
    }
}

/// Most parameters in one statement. Kept small on purpose: SQLite looks up `$n`
/// parameter names with a linear scan while parsing, so a statement with n parameters
/// costs O(n²). Seeding 4,000 variants took about 3 s in 8,000-parameter statements and
/// about a tenth of that in 250-parameter ones; more statements cost little.
pub const MAX_PARAMS: usize = 250;

/// Inserts `rows` with multi-row `INSERT … VALUES (…), (…)` statements of at most
/// [`MAX_PARAMS`] parameters. `table` and `columns` are the caller's constants, never
/// input.
pub async fn insert_rows(
    conn: &mut Conn<'_>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg<'_>>>,
) -> Result<(), DbError> {
    let per_statement = (MAX_PARAMS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(format!(
            "INSERT INTO {table} ({}) VALUES ",
            columns.join(", ")
        ));
        for (i, row) in rows.by_ref().take(per_statement).enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind_list(row);
            sql.push(")");
        }
        sql.transient();
        conn.execute(&sql).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_bind_order() {
        let mut sql = Sql::new("SELECT * FROM t WHERE a = ");
        sql.bind(1)
            .push(" AND b IN (")
            .bind_list(["x", "y"])
            .push(")");
        assert_eq!(sql.text(), "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)");
    }

    #[test]
    fn a_shared_param_is_numbered_once_and_can_be_written_many_times() {
        let mut sql = Sql::new("INSERT INTO t (k, v) VALUES ");
        let k = sql.param("shared");
        sql.push(&format!("({k}, "))
            .bind(1)
            .push(&format!("), ({k}, "))
            .bind(2)
            .push(")");
        assert_eq!(sql.text(), "INSERT INTO t (k, v) VALUES ($1, $2), ($1, $3)");
        assert_eq!(sql.args.len(), 3);
    }
}
