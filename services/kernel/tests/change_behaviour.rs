//! Changes written once against `Conn` (`change!`): the same statements on the SQLite
//! writer's group commit and in a sqlx transaction on PostgreSQL.

use emporium_kernel::{
    change,
    db::{
        conn::{complete_now, Conn, Row},
        sql::Sql,
        testing, Database, DbError,
    },
    sql,
};

async fn with_table(db: &Database) {
    sqlx::query(
        "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT, n BIGINT NOT NULL, \
         UNIQUE (body))",
    )
    .execute(db.pool())
    .await
    .unwrap_or_else(|e| panic!("create table: {e}"));
}

async fn insert(conn: &mut Conn<'_>, id: &str, body: Option<&str>, n: i64) -> Result<u64, DbError> {
    conn.execute(&sql!(
        "INSERT INTO notes (id, body, n) VALUES ($1, $2, $3)",
        id,
        body,
        n
    ))
    .await
}

async fn all(db: &Database) -> Vec<(String, Option<String>, i64)> {
    let mut conn = db.pool().acquire().await.unwrap_or_else(|e| panic!("{e}"));
    let rows = Conn::Sqlx(&mut conn)
        .fetch_all(&sql!("SELECT id, body, n FROM notes ORDER BY id"))
        .await
        .unwrap_or_else(|e| panic!("read: {e}"));
    rows.iter()
        .map(|r: &Row| {
            (
                r.text(0).unwrap_or_else(|e| panic!("{e}")),
                r.opt_text(1).unwrap_or_else(|e| panic!("{e}")),
                r.int(2).unwrap_or_else(|e| panic!("{e}")),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_change_commits_its_statements_and_returns_what_it_read() {
    for t in testing::databases().await {
        with_table(&t.db).await;
        let db = &t.db;
        let got = change!(db, DbError, |conn| async move {
            insert(conn, "a", Some("first"), 1).await?;
            insert(conn, "b", None, 2).await?;
            // `$2` written before `$1`: arguments bind by name, not position.
            let changed = conn
                .execute(&sql!("UPDATE notes SET n = n + $2 WHERE id = $1", "a", 10))
                .await?;
            let row = conn
                .fetch_one(&sql!("SELECT n, body FROM notes WHERE id = $1", "a"))
                .await?;
            Ok::<_, DbError>((changed, row.int(0)?, row.opt_text(1)?))
        })
        .unwrap_or_else(|e| panic!("{}: change: {e}", t.label));
        assert_eq!(got, (1, 11, Some("first".to_owned())), "{}", t.label);
        assert_eq!(
            all(db).await,
            vec![
                ("a".to_owned(), Some("first".to_owned()), 11),
                ("b".to_owned(), None, 2)
            ],
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn a_failing_change_leaves_nothing_and_reports_a_unique_violation() {
    for t in testing::databases().await {
        with_table(&t.db).await;
        let db = &t.db;
        change!(db, DbError, |conn| insert(conn, "a", Some("taken"), 1))
            .unwrap_or_else(|e| panic!("{}: first: {e}", t.label));
        let failed = change!(db, DbError, |conn| async move {
            insert(conn, "b", Some("new"), 2).await?;
            insert(conn, "c", Some("taken"), 3).await
        });
        match failed {
            Err(e) => assert!(e.is_unique_violation(), "{}: {e}", t.label),
            Ok(n) => panic!("{}: a duplicate body was accepted ({n})", t.label),
        }
        assert_eq!(
            all(db).await,
            vec![("a".to_owned(), Some("taken".to_owned()), 1)],
            "{}: the failed change's first insert is rolled back too",
            t.label
        );
        // The database takes the next change as usual.
        change!(db, DbError, |conn| insert(conn, "d", Some("later"), 4))
            .unwrap_or_else(|e| panic!("{}: later: {e}", t.label));
        assert_eq!(all(db).await.len(), 2, "{}", t.label);
    }
}

#[tokio::test]
async fn statements_whose_text_varies_run_unprepared_with_many_rows() {
    for t in testing::databases().await {
        with_table(&t.db).await;
        let db = &t.db;
        let mut sql = Sql::new("INSERT INTO notes (id, body, n) VALUES ");
        for i in 0..40_i64 {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(format!("k{i:02}"))
                .push(", ")
                .bind(None::<String>)
                .push(", ")
                .bind(i)
                .push(")");
        }
        sql.transient();
        let inserted = change!(db, DbError, |conn| conn.execute(&sql))
            .unwrap_or_else(|e| panic!("{}: insert: {e}", t.label));
        assert_eq!(inserted, 40, "{}", t.label);
        let rows = all(db).await;
        assert_eq!(rows.len(), 40, "{}", t.label);
        assert_eq!(rows[39], ("k39".to_owned(), None, 39), "{}", t.label);
    }
}

#[tokio::test]
async fn a_statement_with_an_argument_it_does_not_use_is_refused() {
    let t = testing::sqlite().await;
    with_table(&t.db).await;
    let db = &t.db;
    // sqlx refuses this on PostgreSQL too; on SQLite an unbound `$3` would be NULL.
    let refused = change!(db, DbError, |conn| conn.execute(&sql!(
        "INSERT INTO notes (id, body, n) VALUES ($1, $2, $3)",
        "a",
        "b"
    )));
    assert!(
        matches!(refused, Err(DbError::Encode(_))),
        "a missing argument must not silently bind NULL: {refused:?}"
    );
    assert!(all(db).await.is_empty());
}

#[test]
fn a_change_that_would_wait_is_an_error_not_a_hang() {
    let waits = async {
        std::future::pending::<()>().await;
        Ok::<(), DbError>(())
    };
    assert!(matches!(complete_now(waits), Err(DbError::NotCommitted(_))));
}
