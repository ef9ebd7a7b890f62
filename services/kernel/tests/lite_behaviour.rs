//! SQLite statements on the calling thread (`Database::lite`) beside the sqlx pool.

use std::time::Duration;

use emporium_kernel::db::{
    lite::rusqlite::{self, named_params},
    testing, Database, DbError,
};

async fn sqlite_with_table() -> testing::TestDatabase {
    let t = testing::sqlite().await;
    sqlx::query("CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        .execute(t.db.pool())
        .await
        .unwrap_or_else(|e| panic!("create table: {e}"));
    t
}

fn count(t: &testing::TestDatabase) -> i64 {
    let lite =
        t.db.lite()
            .unwrap_or_else(|| panic!("a SQLite file has lite access"));
    lite.read(|c| Ok::<_, DbError>(c.query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0))?))
        .unwrap_or_else(|e| panic!("count: {e}"))
}

#[tokio::test]
async fn writes_commit_and_both_drivers_see_them() {
    let t = sqlite_with_table().await;
    let lite = t.db.lite().unwrap_or_else(|| panic!("lite"));
    lite.write(|tx| {
        tx.execute(
            "INSERT INTO notes (id, body) VALUES ($1, $2)",
            named_params! {"$1": "a", "$2": "from lite"},
        )?;
        Ok::<_, DbError>(())
    })
    .await
    .unwrap_or_else(|e| panic!("lite write: {e}"));
    sqlx::query("INSERT INTO notes (id, body) VALUES ('b', 'from sqlx')")
        .execute(&mut *t.db.write_conn().await.unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("sqlx write: {e}"));

    assert_eq!(count(&t), 2, "lite reads see both writes");
    let via_sqlx: String = sqlx::query_scalar("SELECT body FROM notes WHERE id = 'a'")
        .fetch_one(t.db.pool())
        .await
        .unwrap_or_else(|e| panic!("sqlx read: {e}"));
    assert_eq!(via_sqlx, "from lite");
}

#[tokio::test]
async fn a_write_that_fails_leaves_nothing_behind() {
    let t = sqlite_with_table().await;
    let lite = t.db.lite().unwrap_or_else(|| panic!("lite"));
    let failed = lite
        .write(|tx| {
            tx.execute("INSERT INTO notes (id, body) VALUES ('a', 'first')", [])?;
            // The same key again: a constraint violation after a successful statement.
            tx.execute("INSERT INTO notes (id, body) VALUES ('a', 'again')", [])?;
            Ok::<_, DbError>(())
        })
        .await;
    let err = failed
        .err()
        .unwrap_or_else(|| panic!("a duplicate key must fail"));
    assert!(err.is_unique_violation(), "reported as a duplicate: {err}");
    assert_eq!(count(&t), 0, "the first insert was rolled back");

    // The writer connection is usable afterwards.
    lite.write(|tx| {
        tx.execute("INSERT INTO notes (id, body) VALUES ('a', 'ok')", [])?;
        Ok::<_, DbError>(())
    })
    .await
    .unwrap_or_else(|e| panic!("write after a failed one: {e}"));
    assert_eq!(count(&t), 1);
}

#[tokio::test]
async fn read_connections_refuse_writes() {
    let t = sqlite_with_table().await;
    let lite = t.db.lite().unwrap_or_else(|| panic!("lite"));
    let err = lite
        .read(|c| {
            c.execute("INSERT INTO notes (id, body) VALUES ('x', 'y')", [])?;
            Ok::<_, DbError>(())
        })
        .err()
        .unwrap_or_else(|| panic!("a write on a read connection must fail"));
    assert!(
        matches!(&err, DbError::Lite(rusqlite::Error::SqliteFailure(..))),
        "{err}"
    );
    assert_eq!(count(&t), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lite_write_waits_for_the_writer_slot() {
    let t = sqlite_with_table().await;
    // A sqlx transaction holds the slot (and SQLite's write lock) for a while.
    let mut tx = t.db.begin_write().await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("INSERT INTO notes (id, body) VALUES ('first', 'sqlx')")
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let db = t.db.clone();
    let waiting = tokio::spawn(async move {
        let lite = db.lite().unwrap_or_else(|| panic!("lite"));
        lite.write(|tx| {
            // Runs only after the sqlx transaction committed: it sees its row.
            let seen: i64 =
                tx.query_row("SELECT COUNT(*) FROM notes WHERE id = 'first'", [], |r| {
                    r.get(0)
                })?;
            tx.execute("INSERT INTO notes (id, body) VALUES ('second', 'lite')", [])?;
            Ok::<_, DbError>(seen)
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "the lite write waited for the slot");
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

    let seen = waiting
        .await
        .unwrap_or_else(|e| panic!("join: {e}"))
        .unwrap_or_else(|e| panic!("lite write: {e}"));
    assert_eq!(
        seen, 1,
        "the lite write ran after the commit, in queue order"
    );
    assert_eq!(count(&t), 2);
}

#[tokio::test]
async fn postgres_has_no_lite_access() {
    let Some(url) = testing::postgres_url() else {
        // Without PostgreSQL (never in CI: `postgres_url` is set there) nothing to check.
        return;
    };
    let t = testing::postgres(&url).await;
    assert!(t.db.lite().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_commit_together_and_a_failing_one_alone_rolls_back() {
    let t = sqlite_with_table().await;
    // Hold the slot so the writes below queue up and run as one batch.
    let held = t.db.write_conn().await.unwrap_or_else(|e| panic!("{e}"));
    let mut writes = Vec::new();
    for i in 0..20 {
        let db = t.db.clone();
        writes.push(tokio::spawn(async move {
            let lite = db.lite().unwrap_or_else(|| panic!("lite"));
            lite.write(move |tx| {
                tx.execute(
                    "INSERT INTO notes (id, body) VALUES ($1, 'ok')",
                    named_params! {"$1": format!("n{i}")},
                )?;
                if i == 7 {
                    // After its own insert, so the rollback of this change alone is seen.
                    tx.execute("INSERT INTO notes (id, body) VALUES ('n7', 'dup')", [])?;
                }
                Ok::<_, DbError>(i)
            })
            .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(count(&t), 0, "nothing commits while the slot is held");
    drop(held);

    let mut ok = Vec::new();
    for w in writes {
        match w.await.unwrap_or_else(|e| panic!("join: {e}")) {
            Ok(i) => ok.push(i),
            Err(e) => assert!(e.is_unique_violation(), "only the duplicate fails: {e}"),
        }
    }
    ok.sort_unstable();
    let expected: Vec<i32> = (0..20).filter(|i| *i != 7).collect();
    assert_eq!(ok, expected, "every other change succeeded");
    assert_eq!(
        count(&t),
        19,
        "the failing change left nothing, the others all stayed"
    );
    let n7 =
        t.db.lite()
            .unwrap_or_else(|| panic!("lite"))
            .read(|c| {
                Ok::<_, DbError>(c.query_row(
                    "SELECT COUNT(*) FROM notes WHERE id = 'n7'",
                    [],
                    |r| r.get::<_, i64>(0),
                )?)
            })
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n7, 0, "the failing change's first insert was rolled back");
}

#[tokio::test]
async fn a_queued_write_commits_even_when_its_caller_stops_waiting() {
    let t = sqlite_with_table().await;
    let lite = t.db.lite().unwrap_or_else(|| panic!("lite"));
    // A sqlx transaction holds the writer slot, so the change stays queued.
    let mut held = t.db.begin_write().await.unwrap_or_else(|e| panic!("{e}"));
    let gave_up = tokio::time::timeout(
        Duration::from_millis(50),
        lite.write(|tx| {
            tx.execute("INSERT INTO notes (id, body) VALUES ('q', 'queued')", [])?;
            Ok::<_, DbError>(())
        }),
    )
    .await;
    assert!(
        gave_up.is_err(),
        "the write could not finish while the slot was held"
    );
    sqlx::query("INSERT INTO notes (id, body) VALUES ('s', 'sqlx')")
        .execute(&mut *held)
        .await
        .unwrap_or_else(|e| panic!("sqlx write: {e}"));
    held.commit()
        .await
        .unwrap_or_else(|e| panic!("commit: {e}"));

    // The leader runs the queued change once the slot is free; nobody is waiting for it.
    for _ in 0..100 {
        if count(&t) == 2 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the queued change never committed: {} rows", count(&t));
}

#[tokio::test]
async fn a_change_that_panics_does_not_stop_later_writes() {
    let t = sqlite_with_table().await;
    let lite = t.db.lite().unwrap_or_else(|| panic!("lite"));
    let panicked = lite
        .write(|_tx| -> Result<(), DbError> { panic!("a bug in a change") })
        .await;
    assert!(
        panicked.is_err(),
        "the caller hears that its change was lost"
    );
    lite.write(|tx| {
        tx.execute("INSERT INTO notes (id, body) VALUES ('after', 'ok')", [])?;
        Ok::<_, DbError>(())
    })
    .await
    .unwrap_or_else(|e| panic!("a write after the panic: {e}"));
    assert_eq!(count(&t), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkpointer_starts_the_wal_over_while_writes_never_pause() {
    // About 30,000 WAL frames of writes, without a pause, from four writers: below SQLite's
    // own checkpoint (40,000 frames), so only the checkpointer can start the WAL over,
    // and without it the WAL file would hold all 30,000 frames.
    const WRITERS: usize = 4;
    const WRITES_EACH: usize = 440;
    const BODY: usize = 64 * 1024;
    const FRAME: u64 = 4096 + 24;
    let t = sqlite_with_table().await;
    let file: String =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(t.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let wal = std::path::PathBuf::from(format!("{file}-wal"));

    let writers = spawn_unpaused_writers(&t.db, WRITERS, WRITES_EACH, BODY);
    let mut largest = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for w in writers {
        w.await.unwrap_or_else(|e| panic!("join: {e}"));
    }
    largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    assert_eq!(count(&t), (WRITERS * WRITES_EACH) as i64);
    let written = (WRITERS * WRITES_EACH * BODY) as u64 / 4096;
    assert!(written > 28_000, "the test writes {written} pages");
    assert!(
        largest < 24_000 * FRAME,
        "the WAL grew to {} frames: it was not started over",
        largest / FRAME
    );
}

/// `writers` tasks, each inserting `writes_each` rows of `body` bytes, a commit every
/// millisecond or so in all (about 100 MB/s of WAL with 64 KiB bodies, as under the
/// add-to-cart benchmark), never pausing long enough for a checkpoint to finish. Each
/// answers with its slowest write.
fn spawn_unpaused_writers(
    db: &Database,
    writers: usize,
    writes_each: usize,
    body: usize,
) -> Vec<tokio::task::JoinHandle<Duration>> {
    (0..writers)
        .map(|w| {
            let db = db.clone();
            tokio::spawn(async move {
                let lite = db.lite().unwrap_or_else(|| panic!("lite"));
                let mut slowest = Duration::ZERO;
                for i in 0..writes_each {
                    let id = format!("{w}-{i}");
                    let body = format!("{id}:{}", "x".repeat(body));
                    let started = std::time::Instant::now();
                    lite.write(move |tx| {
                        tx.execute(
                            "INSERT INTO notes (id, body) VALUES ($1, $2)",
                            named_params! {"$1": id, "$2": body},
                        )?;
                        Ok::<_, DbError>(())
                    })
                    .await
                    .unwrap_or_else(|e| panic!("write {w}-{i}: {e}"));
                    slowest = slowest.max(started.elapsed());
                    tokio::time::sleep(Duration::from_millis(4)).await;
                }
                slowest
            })
        })
        .collect()
}

/// A pooled connection inside a read transaction that has read (and so holds a snapshot
/// of) the notes, and how many it saw.
async fn reading(t: &testing::TestDatabase) -> (sqlx::pool::PoolConnection<sqlx::Any>, i64) {
    let mut reader =
        t.db.pool()
            .acquire()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("BEGIN")
        .execute(&mut *reader)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notes")
        .fetch_one(&mut *reader)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (reader, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_read_does_not_hold_writes_while_the_wal_is_started_over() {
    // A read transaction stays open on the old WAL while about 21,000 frames are
    // written: each restart the checkpointer tries (in the writer slot) waits for it only
    // briefly and leaves the WAL for the next pass, instead of holding every write until
    // the reader ends, which here is after the writes.
    let t = sqlite_with_table().await;
    let (mut reader, seen) = reading(&t).await;
    assert_eq!(seen, 0);

    let writers = spawn_unpaused_writers(&t.db, 4, 330, 64 * 1024);
    let mut slowest = Duration::ZERO;
    for w in writers {
        slowest = slowest.max(w.await.unwrap_or_else(|e| panic!("join: {e}")));
    }
    sqlx::query("COMMIT")
        .execute(&mut *reader)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drop(reader);
    assert_eq!(count(&t), 4 * 330);
    assert!(
        slowest < Duration::from_secs(2),
        "a write waited {slowest:?}: the WAL restart held the writer slot for the reader"
    );
}

async fn insert_note(lite: &std::sync::Arc<emporium_kernel::db::lite::Lite>, id: &str) {
    let id = id.to_owned();
    lite.write(move |tx| {
        tx.execute(
            "INSERT INTO notes (id, body) VALUES ($1, $2)",
            named_params! {"$1": id, "$2": "x".repeat(8 * 1024)},
        )?;
        Ok::<_, DbError>(())
    })
    .await
    .unwrap_or_else(|e| panic!("write: {e}"));
}

/// Frames in the WAL now (a PASSIVE pass reports them).
async fn wal_frames(t: &testing::TestDatabase) -> i64 {
    let (_, frames, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(t.db.pool())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wal_restart_in_the_writers_turn_starts_the_wal_over_unless_a_reader_holds_it() {
    use emporium_kernel::db::lite::Restarted;
    let t = sqlite_with_table().await;
    let lite = t.db.lite().unwrap_or_else(|| panic!("lite"));
    for i in 0..40 {
        insert_note(lite, &format!("a{i}")).await;
    }
    let before = wal_frames(&t).await;
    assert!(before >= 80, "40 rows of 8 KiB wrote only {before} frames");

    let done = lite
        .restart_wal()
        .await
        .unwrap_or_else(|e| panic!("restart: {e}"));
    assert_eq!(done, Restarted::Done { frames: before });
    insert_note(lite, "b").await;
    let after = wal_frames(&t).await;
    assert!(
        after < 10,
        "the commit after the restart left {after} frames: the WAL was not started over"
    );

    // A read transaction on the current WAL: the restart waits for it only briefly,
    // reports it, and writes go on.
    let (mut reader, seen) = reading(&t).await;
    assert_eq!(seen, 41);
    insert_note(lite, "c").await;
    let started = std::time::Instant::now();
    let held = lite
        .restart_wal()
        .await
        .unwrap_or_else(|e| panic!("restart: {e}"));
    assert!(
        matches!(held, Restarted::ReaderInTheWay { frames } if frames > 0),
        "{held:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the restart waited {:?} for the reader",
        started.elapsed()
    );
    insert_note(lite, "d").await;
    sqlx::query("COMMIT")
        .execute(&mut *reader)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drop(reader);
    assert_eq!(count(&t), 43);
}
