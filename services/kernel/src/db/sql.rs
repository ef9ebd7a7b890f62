//! SQL assembled piece by piece with numbered placeholders, for the queries whose shape
//! depends on input (optional filters, multi-row inserts). `$n` works on both SQLite and
//! PostgreSQL through sqlx's `Any` driver.

use std::fmt::Write as _;

use sqlx::{any::AnyArguments, query::Query, Any, AnyConnection};

/// A value to bind. Owned, so that SQL can be assembled piece by piece. Only the value
/// types the `Any` driver carries on both databases: integers, text and NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Int(i64),
    Text(String),
    NullInt,
    NullText,
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        v.map_or(Arg::NullText, Arg::Text)
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Arg::NullText, |v| Arg::Text(v.to_owned()))
    }
}

impl From<Option<&String>> for Arg {
    fn from(v: Option<&String>) -> Self {
        v.map_or(Arg::NullText, |v| Arg::Text(v.clone()))
    }
}

impl From<&i64> for Arg {
    fn from(v: &i64) -> Self {
        Arg::Int(*v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Int(i64::from(v))
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::NullInt, Arg::Int)
    }
}

/// SQL text with its arguments, numbered `$1, $2, …` as they are bound.
#[derive(Debug)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
    /// Whether the prepared statement is worth keeping for the next call.
    persistent: bool,
}

impl Default for Sql {
    fn default() -> Self {
        Sql::new("")
    }
}

/// A fixed SQL text with its arguments: `sql!("… $1 … $2", a, b)`. The arguments are
/// anything [`Arg`] converts from, in `$n` order.
#[macro_export]
macro_rules! sql {
    ($text:expr $(, $arg:expr)* $(,)?) => {
        $crate::db::sql::Sql::with($text, vec![$($crate::db::sql::Arg::from($arg)),*])
    };
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
            persistent: true,
        }
    }

    /// A text that already holds its placeholders, `$1` for `args[0]` and so on.
    pub fn with(text: &str, args: Vec<Arg>) -> Self {
        Sql {
            text: text.to_owned(),
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

    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Self {
        self.args.push(arg.into());
        let _ = write!(self.text, "${}", self.args.len());
        self
    }

    /// Adds `arg` without writing its placeholder and returns the placeholder (`$n`), for
    /// a value the text refers to more than once (a constant column of a multi-row insert).
    pub fn param(&mut self, arg: impl Into<Arg>) -> String {
        self.args.push(arg.into());
        format!("${}", self.args.len())
    }

    /// Appends `$a, $b, …` for each item (the caller writes the parentheses).
    pub fn bind_list<A: Into<Arg>>(&mut self, items: impl IntoIterator<Item = A>) -> &mut Self {
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(item);
        }
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for arg in &self.args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.as_str()),
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
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<(), sqlx::Error> {
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
