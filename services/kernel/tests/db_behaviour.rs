//! The one way to read and write (`Database::read`, `Database::write`), on every database
//! the suite runs on: SQLite always, PostgreSQL when configured (always in CI).

use emporium_kernel::{
    db::{testing, Conn, Database, DbError, Sql},
    sql,
};

async fn with_tables(db: &Database) {
    db.write(async |conn| {
        conn.execute(&sql!(
            "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT, n BIGINT NOT NULL, UNIQUE (body))"
        ))
        .await?;
        conn.execute(&sql!(
            "CREATE TABLE tags (note_id TEXT NOT NULL REFERENCES notes (id), tag TEXT NOT NULL)"
        ))
        .await
    })
    .await
    .unwrap_or_else(|e: DbError| panic!("create tables: {e}"));
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
    db.read(async |conn| {
        let rows = conn
            .fetch_all(&sql!("SELECT id, body, n FROM notes ORDER BY id"))
            .await?;
        rows.iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .collect::<Result<Vec<_>, DbError>>()
    })
    .await
    .unwrap_or_else(|e| panic!("read: {e}"))
}

#[tokio::test]
async fn a_write_commits_its_statements_and_returns_what_it_read() {
    for t in testing::databases().await {
        with_tables(&t.db).await;
        let got =
            t.db.write(async |conn| {
                insert(conn, "a", Some("first"), 1).await?;
                insert(conn, "b", None, 2).await?;
                // `$2` written before `$1`: arguments bind by name, not position.
                let changed = conn
                    .execute(&sql!("UPDATE notes SET n = n + $2 WHERE id = $1", "a", 10))
                    .await?;
                let row = conn
                    .fetch_one(&sql!("SELECT n, body FROM notes WHERE id = $1", "a"))
                    .await?;
                Ok::<_, DbError>((changed, row.get::<i64>(0)?, row.get::<Option<String>>(1)?))
            })
            .await
            .unwrap_or_else(|e| panic!("{}: write: {e}", t.label));
        assert_eq!(got, (1, 11, Some("first".to_owned())), "{}", t.label);
        assert_eq!(
            all(&t.db).await,
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
async fn a_failing_write_leaves_nothing_and_reports_a_unique_violation() {
    for t in testing::databases().await {
        with_tables(&t.db).await;
        t.db.write(async |conn| insert(conn, "a", Some("taken"), 1).await)
            .await
            .unwrap_or_else(|e| panic!("{}: first: {e}", t.label));
        let failed =
            t.db.write(async |conn| {
                insert(conn, "b", Some("new"), 2).await?;
                insert(conn, "c", Some("taken"), 3).await
            })
            .await;
        match failed {
            Err(e) => assert!(e.is_unique_violation(), "{}: {e}", t.label),
            Ok(n) => panic!("{}: a duplicate body was accepted ({n})", t.label),
        }
        assert_eq!(
            all(&t.db).await,
            vec![("a".to_owned(), Some("taken".to_owned()), 1)],
            "{}: the failed write's first insert is rolled back too",
            t.label
        );
        // The database takes the next write as usual.
        t.db.write(async |conn| insert(conn, "d", Some("later"), 4).await)
            .await
            .unwrap_or_else(|e| panic!("{}: later: {e}", t.label));
        assert_eq!(all(&t.db).await.len(), 2, "{}", t.label);
    }
}

#[tokio::test]
async fn a_reference_to_a_missing_row_is_a_foreign_key_violation() {
    for t in testing::databases().await {
        with_tables(&t.db).await;
        let failed =
            t.db.write(async |conn| {
                conn.execute(&sql!(
                    "INSERT INTO tags (note_id, tag) VALUES ($1, $2)",
                    "missing",
                    "x"
                ))
                .await
            })
            .await;
        match failed {
            Err(e) => {
                assert!(e.is_foreign_key_violation(), "{}: {e}", t.label);
                assert!(!e.is_unique_violation(), "{}: {e}", t.label);
            }
            Ok(n) => panic!("{}: a dangling reference was accepted ({n})", t.label),
        }
    }
}

#[tokio::test]
async fn an_error_of_the_callers_own_type_rolls_the_write_back() {
    #[derive(Debug, PartialEq)]
    enum ShopError {
        SoldOut,
        Db(String),
    }
    impl From<DbError> for ShopError {
        fn from(e: DbError) -> Self {
            ShopError::Db(e.to_string())
        }
    }
    for t in testing::databases().await {
        with_tables(&t.db).await;
        let refused =
            t.db.write(async |conn| {
                insert(conn, "a", None, 1).await?;
                Err::<(), _>(ShopError::SoldOut)
            })
            .await;
        assert_eq!(refused, Err(ShopError::SoldOut), "{}", t.label);
        assert!(all(&t.db).await.is_empty(), "{}", t.label);
    }
}

#[tokio::test]
async fn statements_whose_text_varies_run_unprepared_with_many_rows() {
    for t in testing::databases().await {
        with_tables(&t.db).await;
        let inserted =
            t.db.write(async |conn| {
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
                conn.execute(&sql).await
            })
            .await
            .unwrap_or_else(|e| panic!("{}: insert: {e}", t.label));
        assert_eq!(inserted, 40, "{}", t.label);
        let rows = all(&t.db).await;
        assert_eq!(rows.len(), 40, "{}", t.label);
        assert_eq!(rows[39], ("k39".to_owned(), None, 39), "{}", t.label);
    }
}

#[tokio::test]
async fn many_rows_are_inserted_in_statements_of_bounded_size() {
    for t in testing::databases().await {
        with_tables(&t.db).await;
        // 3 columns a row: more rows than one statement of MAX_PARAMS parameters holds.
        let rows: Vec<Vec<emporium_kernel::db::Arg<'static>>> = (0..500_i64)
            .map(|i| vec![format!("r{i:03}").into(), None::<String>.into(), i.into()])
            .collect();
        t.db.write(async move |conn| {
            emporium_kernel::db::sql::insert_rows(conn, "notes", &["id", "body", "n"], rows).await
        })
        .await
        .unwrap_or_else(|e| panic!("{}: insert_rows: {e}", t.label));
        let rows = all(&t.db).await;
        assert_eq!(rows.len(), 500, "{}", t.label);
        assert_eq!(rows[499], ("r499".to_owned(), None, 499), "{}", t.label);
    }
}

#[tokio::test]
async fn a_statement_with_an_argument_it_does_not_use_is_refused() {
    for t in testing::databases().await {
        with_tables(&t.db).await;
        // On SQLite an unbound `$3` would silently be NULL.
        let refused =
            t.db.write(async |conn| {
                conn.execute(&sql!(
                    "INSERT INTO notes (id, body, n) VALUES ($1, $2, $3)",
                    "a",
                    "b"
                ))
                .await
            })
            .await;
        assert!(
            refused.is_err(),
            "{}: a missing argument must not silently bind NULL: {refused:?}",
            t.label
        );
        assert!(all(&t.db).await.is_empty(), "{}", t.label);
    }
}

#[tokio::test]
async fn reads_see_every_committed_write_and_a_scalar_reads_its_first_column() {
    for t in testing::databases().await {
        with_tables(&t.db).await;
        for i in 0..3 {
            t.db.write(async move |conn| insert(conn, &format!("n{i}"), None, i).await)
                .await
                .unwrap_or_else(|e| panic!("{}: write: {e}", t.label));
            let (count, total): (i64, Option<i64>) =
                t.db.read(async |conn| {
                    let count = conn
                        .fetch_scalar(&sql!("SELECT COUNT(*) FROM notes"))
                        .await?;
                    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast it back.
                    let total = conn
                        .fetch_scalar(&sql!("SELECT CAST(SUM(n) AS BIGINT) FROM notes"))
                        .await?;
                    Ok::<_, DbError>((count, total))
                })
                .await
                .unwrap_or_else(|e| panic!("{}: read: {e}", t.label));
            assert_eq!(count, i + 1, "{}", t.label);
            assert_eq!(total, Some((0..=i).sum()), "{}", t.label);
        }
        let none: Option<i64> =
            t.db.read(async |conn| {
                conn.fetch_scalar(&sql!("SELECT MAX(n) FROM notes WHERE n > $1", 100_i64))
                    .await
            })
            .await
            .unwrap_or_else(|e: DbError| panic!("{}: read: {e}", t.label));
        assert_eq!(none, None, "{}", t.label);
    }
}

#[tokio::test]
async fn a_read_on_sqlite_refuses_to_write() {
    let t = testing::sqlite().await;
    with_tables(&t.db).await;
    let refused =
        t.db.read(async |conn| insert(conn, "a", None, 1).await)
            .await;
    assert!(
        refused.is_err(),
        "a write through a read bypasses the writer: {refused:?}"
    );
    assert!(all(&t.db).await.is_empty());
}

#[tokio::test]
async fn a_write_on_sqlite_that_would_wait_on_something_else_is_an_error_not_a_hang() {
    let t = testing::sqlite().await;
    with_tables(&t.db).await;
    let refused =
        t.db.write(async |conn| {
            insert(conn, "a", None, 1).await?;
            tokio::task::yield_now().await;
            Ok::<_, DbError>(())
        })
        .await;
    assert!(
        matches!(refused, Err(DbError::NotCommitted(_))),
        "{refused:?}"
    );
    assert!(
        all(&t.db).await.is_empty(),
        "the waiting write left nothing"
    );
}

#[tokio::test]
async fn a_write_on_sqlite_that_panics_is_reported_and_later_writes_go_on() {
    let t = testing::sqlite().await;
    with_tables(&t.db).await;
    let panicked =
        t.db.write(async |conn| -> Result<(), DbError> {
            insert(conn, "lost", None, 1).await?;
            panic!("a bug in a change")
        })
        .await;
    assert!(panicked.is_err(), "the caller hears its change was lost");
    t.db.write(async |conn| insert(conn, "after", None, 2).await)
        .await
        .unwrap_or_else(|e| panic!("a write after the panic: {e}"));
    assert_eq!(all(&t.db).await, vec![("after".to_owned(), None, 2)]);
}

#[tokio::test]
async fn an_in_memory_sqlite_database_is_refused_with_a_clear_error() {
    let refused = Database::connect("sqlite::memory:").await;
    assert!(
        matches!(refused, Err(DbError::UnsupportedUrl(_))),
        "{:?}",
        refused.map(|_| ())
    );
}
