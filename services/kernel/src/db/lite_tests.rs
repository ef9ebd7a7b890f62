//! The SQLite writer thread and the checkpointer: batching, failures inside a batch,
//! writes nobody waits for, and WAL restarts beside readers.

use std::{sync::mpsc, time::Duration};

use super::{lite::Restarted, Database, DbError};
use crate::sql;

struct TestFile {
    db: Database,
    file: String,
    _dir: tempfile::TempDir,
}

async fn sqlite_with_table() -> TestFile {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("test.db");
    let db = Database::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    db.write(async |conn| {
        conn.execute(&sql!("CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)"))
            .await
    })
    .await
    .unwrap_or_else(|e: DbError| panic!("create: {e}"));
    TestFile {
        db,
        file: path.display().to_string(),
        _dir: dir,
    }
}

fn count(t: &TestFile) -> i64 {
    let conn = rusqlite::Connection::open(&t.file).unwrap_or_else(|e| panic!("{e}"));
    conn.query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn insert_note(db: &Database, id: String, body: String) -> Result<(), DbError> {
    db.write(async move |conn| {
        conn.execute(&sql!(
            "INSERT INTO notes (id, body) VALUES ($1, $2)",
            &id,
            &body
        ))
        .await
        .map(|_| ())
    })
    .await
}

/// Keeps the writer thread busy until the returned sender is dropped or sent to, so that
/// the writes queued meanwhile wait and run as one batch.
async fn hold_writer(db: &Database) -> (mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
    let (release, released) = mpsc::channel::<()>();
    let (started, running) = tokio::sync::oneshot::channel();
    let db2 = db.clone();
    let holder = tokio::spawn(async move {
        db2.write(async move |_conn| {
            let _ = started.send(());
            // Blocking here is the point: it occupies the writer thread.
            let _ = released.recv();
            Ok::<_, DbError>(())
        })
        .await
        .unwrap_or_else(|e| panic!("holder: {e}"));
    });
    running
        .await
        .unwrap_or_else(|e| panic!("holder start: {e}"));
    (release, holder)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_queued_together_commit_together_and_a_failing_one_alone_rolls_back() {
    let t = sqlite_with_table().await;
    let (release, holder) = hold_writer(&t.db).await;
    let mut writes = Vec::new();
    for i in 0..20 {
        let db = t.db.clone();
        writes.push(tokio::spawn(async move {
            db.write(async move |conn| {
                conn.execute(&sql!(
                    "INSERT INTO notes (id, body) VALUES ($1, 'ok')",
                    format!("n{i}")
                ))
                .await?;
                if i == 7 {
                    // After its own insert, so the rollback of this change alone is seen.
                    conn.execute(&sql!("INSERT INTO notes (id, body) VALUES ('n7', 'dup')"))
                        .await?;
                }
                Ok::<_, DbError>(i)
            })
            .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(count(&t), 0, "nothing commits while the writer is busy");
    drop(release);
    holder.await.unwrap_or_else(|e| panic!("join: {e}"));

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
        "the failing change left nothing, the others stayed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_write_commits_even_when_its_caller_stops_waiting() {
    let t = sqlite_with_table().await;
    let (release, holder) = hold_writer(&t.db).await;
    let gave_up = tokio::time::timeout(
        Duration::from_millis(50),
        insert_note(&t.db, "q".to_owned(), "queued".to_owned()),
    )
    .await;
    assert!(
        gave_up.is_err(),
        "the write could not finish while the writer was busy"
    );
    drop(release);
    holder.await.unwrap_or_else(|e| panic!("join: {e}"));
    for _ in 0..100 {
        if count(&t) == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the queued change never committed: {} rows", count(&t));
}

/// `writers` tasks, each inserting `writes_each` rows of `body` bytes, a commit every
/// millisecond or so in all, never pausing long enough for a checkpoint to finish. Each
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
                let mut slowest = Duration::ZERO;
                for i in 0..writes_each {
                    let id = format!("{w}-{i}");
                    let body = format!("{id}:{}", "x".repeat(body));
                    let started = std::time::Instant::now();
                    insert_note(&db, id, body)
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
    let wal = std::path::PathBuf::from(format!("{}-wal", t.file));

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
    // Never started over, the WAL would hold every page written (over 28,000 frames);
    // the restart comes at 16,384, and a loaded machine may let a few thousand more in
    // before the writer's next batch runs it.
    assert!(
        largest < 26_500 * FRAME,
        "the WAL grew to {} frames: it was not started over",
        largest / FRAME
    );
}

/// A connection inside a read transaction that has read (and so holds a snapshot of)
/// the notes, and how many it saw.
fn reading(t: &TestFile) -> (rusqlite::Connection, i64) {
    let reader = rusqlite::Connection::open(&t.file).unwrap_or_else(|e| panic!("{e}"));
    reader
        .execute_batch("BEGIN")
        .unwrap_or_else(|e| panic!("{e}"));
    let seen = reader
        .query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    (reader, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_read_does_not_hold_writes_while_the_wal_is_started_over() {
    // A read transaction stays open on the old WAL while about 21,000 frames are
    // written: each restart the checkpointer tries waits for it only briefly and leaves
    // the WAL for the next pass, instead of holding every write until the reader ends,
    // which here is after the writes.
    let t = sqlite_with_table().await;
    let (reader, seen) = reading(&t);
    assert_eq!(seen, 0);

    let writers = spawn_unpaused_writers(&t.db, 4, 330, 64 * 1024);
    let mut slowest = Duration::ZERO;
    for w in writers {
        slowest = slowest.max(w.await.unwrap_or_else(|e| panic!("join: {e}")));
    }
    reader
        .execute_batch("COMMIT")
        .unwrap_or_else(|e| panic!("{e}"));
    drop(reader);
    assert_eq!(count(&t), 4 * 330);
    assert!(
        slowest < Duration::from_secs(2),
        "a write waited {slowest:?}: the WAL restart held the writer for the reader"
    );
}

/// Frames in the WAL now (a PASSIVE pass reports them).
fn wal_frames(t: &TestFile) -> i64 {
    let conn = rusqlite::Connection::open(&t.file).unwrap_or_else(|e| panic!("{e}"));
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wal_restart_in_the_writers_turn_starts_the_wal_over_unless_a_reader_holds_it() {
    let t = sqlite_with_table().await;
    let lite = t.db.lite.clone().unwrap_or_else(|| panic!("a SQLite file"));
    let note = |id: &str| insert_note(&t.db, id.to_owned(), "x".repeat(8 * 1024));
    for i in 0..40 {
        note(&format!("a{i}"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let before = wal_frames(&t);
    assert!(before >= 80, "40 rows of 8 KiB wrote only {before} frames");

    let done = lite
        .restart_wal()
        .await
        .unwrap_or_else(|e| panic!("restart: {e}"));
    assert_eq!(done, Restarted::Done { frames: before });
    note("b").await.unwrap_or_else(|e| panic!("{e}"));
    let after = wal_frames(&t);
    assert!(
        after < 10,
        "the commit after the restart left {after} frames: the WAL was not started over"
    );

    // A read transaction on the current WAL: the restart waits for it only briefly,
    // reports it, and writes go on.
    let (reader, seen) = reading(&t);
    assert_eq!(seen, 41);
    note("c").await.unwrap_or_else(|e| panic!("{e}"));
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
    note("d").await.unwrap_or_else(|e| panic!("{e}"));
    reader
        .execute_batch("COMMIT")
        .unwrap_or_else(|e| panic!("{e}"));
    drop(reader);
    assert_eq!(count(&t), 43);
}
