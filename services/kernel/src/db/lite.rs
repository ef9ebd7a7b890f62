//! SQLite through rusqlite: reads on the calling thread, writes on one writer thread with
//! group commit. Every read and write of a SQLite file goes through here (sqlx's SQLite
//! pool only runs migrations and the checkpointer's passive passes).
//!
//! Why not sqlx's SQLite driver: it gives each connection a thread of its own and hands
//! every statement to it, and its rows back, over channels. A SQLite statement on a
//! page-cached file takes a few microseconds, less than one such hand-off, so here it
//! runs right where it is asked for, through rusqlite on the same SQLite library sqlx
//! links.
//!
//! - Reads ([`Lite::read`]) take a connection from a small stack and never wait: under
//!   WAL a reader sees the last commit and does not block on writers.
//! - Writes ([`Lite::write`]) are queued; the file's writer thread, the only writer of
//!   the process, runs everything queued in one `BEGIN IMMEDIATE` transaction on the one
//!   writer connection (group commit), each change in a savepoint of its own.
//! - WAL restarts ([`Lite::restart_wal`], asked for by the checkpointer) run on that
//!   writer connection too, in the writer thread's turn, between two batches.
//!
//! Reads block the calling (async) thread for the statements' duration, tens of
//! microseconds; writes block only the writer thread. Nothing in a closure may wait on
//! anything else.
//!
//! SQL texts are the portable ones PostgreSQL runs: SQLite reads `$1` as a parameter
//! named `$1`, so [`super::conn`] binds by name, never by position (a `$2` written before
//! `$1` is the first positional parameter).

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    path::{Path, PathBuf},
    sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags};

use super::{
    conn::{complete_now, Conn},
    DbError, AUTOCHECKPOINT_FRAMES, BUSY_TIMEOUT_MS,
};

/// Idle read connections kept; more are opened when more threads read at once.
const IDLE_READERS: usize = 8;

/// Direct access to one SQLite database file (see the module docs).
pub struct Lite {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    /// Shared with the writer thread, which owns the writer connection.
    writes: Arc<Writes>,
}

/// Changes waiting for the writer thread (see [`Lite::write`]), and its wake-up call.
struct Writes {
    queue: Mutex<Queue>,
    /// Signalled when a change is queued while the writer thread waits for one.
    queued: Condvar,
}

impl std::fmt::Debug for Lite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lite").field("path", &self.path).finish()
    }
}

impl Lite {
    /// Access to the file at `path`, which sqlx has created.
    pub(super) fn new(path: PathBuf) -> Self {
        Lite {
            path,
            readers: Mutex::new(Vec::new()),
            writes: Arc::new(Writes {
                queue: Mutex::new(Queue::default()),
                queued: Condvar::new(),
            }),
        }
    }

    /// Runs the read `f` on a read connection on this thread, to completion in one poll
    /// (see [`complete_now`]).
    pub(super) fn read<T, E: From<DbError>>(
        &self,
        f: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.with_reader(|conn| {
            let mut conn = Conn::lite(conn);
            complete_now(f(&mut conn))
        })
    }

    fn with_reader<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&Mutex<Connection>) -> Result<T, E>,
    ) -> Result<T, E> {
        let idle = lock(&self.readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path, true).map_err(DbError::from)?,
        };
        // A mutex as on the writer (see `run_queue`): moving the handle in and out is
        // free, and `Conn` needs it.
        let conn = Mutex::new(conn);
        let out = f(&conn);
        let conn = conn.into_inner().unwrap_or_else(PoisonError::into_inner);
        let mut idle = lock(&self.readers);
        if idle.len() < IDLE_READERS && conn.is_autocommit() {
            idle.push(conn);
        }
        out
    }

    /// Runs `f` as part of one `BEGIN IMMEDIATE` transaction on the writer connection,
    /// inside a savepoint: its changes stay when it returns `Ok` and are rolled back when
    /// it returns `Err`. The answer comes once the transaction has committed.
    ///
    /// Group commit: the change is queued, and the writer thread runs every queued
    /// change in one transaction per turn. Under load one commit (one
    /// append to the WAL, one invalidation of the readers' page caches) serves many
    /// changes, and pages they share (an index leaf, the last page of a table keyed by
    /// time-ordered ids) are written once.
    ///
    /// The writer is a thread of its own, not one of the callers nor an async task: a
    /// task would hold one of the runtime's few worker threads for the whole batch, and
    /// through any wait on the disk in it, while the requests queued on that worker
    /// waited. Dropping the returned future does not withdraw the change. The change runs
    /// to completion in one poll ([`complete_now`]).
    pub(super) async fn write<T, E, F>(self: &Arc<Self>, f: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&mut Conn<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.enqueue(move |conn| {
            let mut conn = Conn::lite(conn);
            complete_now(f(&mut conn))
        })
        .await
    }

    async fn enqueue<T, E>(
        self: &Arc<Self>,
        f: impl FnOnce(&Mutex<Connection>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn| {
            let out = match conn {
                Ok(conn) => f(conn),
                Err(refused) => Err(E::from(refused.error())),
            };
            let keep = out.is_ok();
            let deliver: Deliver = Box::new(move |failed| {
                let out = match failed {
                    None => out,
                    // A change that succeeded is lost with its transaction.
                    Some(why) => {
                        out.and_then(|_| Err(E::from(DbError::NotCommitted(why.to_owned()))))
                    }
                };
                // The caller may be gone (its request dropped): nobody to tell.
                let _ = answer.send(out);
            });
            (keep, deliver)
        });
        self.submit(Work::Change(job));
        answered.await.unwrap_or_else(|_| {
            Err(E::from(DbError::NotCommitted(
                "the write batch was abandoned".to_owned(),
            )))
        })
    }

    /// Checkpoints the whole WAL on the writer connection, in the writer's next turn, so
    /// that the next commit starts the WAL over (`wal_checkpoint(RESTART)`), waiting at
    /// most [`RESTART_READER_WAIT_MS`] for readers still on the old WAL.
    ///
    /// In the writer thread because a restart blocks every writer anyway, and there it
    /// costs no hand-off to another connection's thread and back.
    pub(super) async fn restart_wal(self: &Arc<Self>) -> Result<Restarted, DbError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.submit(Work::Restart(answer));
        answered.await.unwrap_or_else(|_| {
            Err(DbError::NotCommitted(
                "the WAL restart was abandoned".to_owned(),
            ))
        })
    }

    /// Queues `work` for the writer thread, waking or starting it.
    fn submit(&self, work: Work) {
        let mut queue = lock(&self.writes.queue);
        let mut superseded = None;
        match work {
            Work::Change(job) => queue.jobs.push(job),
            Work::Restart(answer) => superseded = queue.restart.replace(answer),
        }
        if let Some(earlier) = superseded {
            // The restart now asked for does the earlier one's work.
            let _ = earlier.send(Ok(Restarted::Superseded));
        }
        let mut refused = None;
        match queue.writer {
            Writer::Waiting => {
                queue.writer = Writer::Busy;
                self.writes.queued.notify_one();
            }
            Writer::Busy => {}
            Writer::None => {
                let writes = Arc::clone(&self.writes);
                let path = self.path.clone();
                let started = std::thread::Builder::new()
                    .name("sqlite-writer".to_owned())
                    .spawn(move || write_loop(&writes, &path));
                match started {
                    Ok(_) => queue.writer = Writer::Busy,
                    Err(e) => {
                        refused = Some((e, std::mem::take(&mut queue.jobs), queue.restart.take()))
                    }
                }
            }
        }
        drop(queue);
        if let Some((e, jobs, restart)) = refused {
            let why = format!("cannot start the SQLite writer thread: {e}");
            if let Some(answer) = restart {
                let _ = answer.send(Err(DbError::NotCommitted(why.clone())));
            }
            fail_all(&why, jobs, Vec::new());
        }
    }
}

impl Drop for Lite {
    /// Tells the writer thread to end once the queue is empty.
    fn drop(&mut self) {
        lock(&self.writes.queue).closed = true;
        self.writes.queued.notify_one();
    }
}

/// The writer thread: one batch of queued changes at a time, until the [`Lite`] is
/// dropped. It owns the writer connection, opened on the first batch and again after a
/// batch failed by panicking (dropping it rolled its transaction back).
fn write_loop(writes: &Writes, path: &Path) {
    let mut conn: Option<Connection> = None;
    loop {
        {
            let mut queue = lock(&writes.queue);
            while queue.jobs.is_empty() && queue.restart.is_none() {
                if queue.closed {
                    queue.writer = Writer::None;
                    return;
                }
                queue.writer = Writer::Waiting;
                queue = writes
                    .queued
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            queue.writer = Writer::Busy;
        }
        let turn = catch_unwind(AssertUnwindSafe(|| run_queue(writes, path, &mut conn)));
        if turn.is_err() {
            // A change panicked (its callers, and those of the rest of its batch, hear
            // the batch was abandoned): start afresh.
            conn = None;
            tracing::error!("a SQLite write batch panicked; its changes were rolled back");
        }
    }
}

/// Runs every queued change in one transaction and answers each.
fn run_queue(writes: &Writes, path: &Path, conn: &mut Option<Connection>) {
    let (jobs, restart) = {
        let mut queue = lock(&writes.queue);
        (std::mem::take(&mut queue.jobs), queue.restart.take())
    };
    if jobs.is_empty() && restart.is_none() {
        return;
    }
    let writer = match conn.take() {
        Some(writer) => writer,
        None => match open(path, false) {
            Ok(writer) => writer,
            Err(e) => {
                let why = e.to_string();
                if let Some(answer) = restart {
                    let _ = answer.send(Err(DbError::NotCommitted(why.clone())));
                }
                return fail_all(&why, jobs, Vec::new());
            }
        },
    };
    // A failed restart may have left the short busy timeout behind: the next batch then
    // opens a fresh connection.
    let mut keep = true;
    if let Some(answer) = restart {
        // Before the batch: its commit is then the one that starts the WAL over.
        let started = std::time::Instant::now();
        let restarted = restart_wal(&writer);
        tracing::debug!(
            outcome = ?restarted,
            took_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "WAL restart in the writer's turn"
        );
        keep = restarted.is_ok();
        let _ = answer.send(restarted);
    }
    if jobs.is_empty() {
        *conn = keep.then_some(writer);
        return;
    }
    // Behind a mutex while the jobs run, so that a change holding it across its (never
    // pending) awaits stays `Send`. A panicking job unwinds past the put-back below: the
    // connection is closed, its open transaction rolled back, and the next batch opens a
    // new one.
    let writer = Mutex::new(writer);
    run_batch(&writer, jobs);
    *conn = keep.then(|| writer.into_inner().unwrap_or_else(PoisonError::into_inner));
}

/// What the writer thread is asked to do.
enum Work {
    Change(Job),
    Restart(tokio::sync::oneshot::Sender<Result<Restarted, DbError>>),
}

/// How a [`Lite::restart_wal`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restarted {
    /// Every frame is in the database file: the next commit starts the WAL over.
    /// `frames`: the WAL's length before.
    Done { frames: i64 },
    /// A reader still used the old WAL after [`RESTART_READER_WAIT_MS`]; the frames it
    /// could copy are copied, and the WAL goes on growing until a later restart.
    ReaderInTheWay { frames: i64 },
    /// Another restart asked for later took this one's place.
    Superseded,
}

/// How long a WAL restart waits for readers of the old WAL, with every writer of the
/// process waiting behind it; a reader still there after that only postpones the
/// restart to a later one.
const RESTART_READER_WAIT_MS: u64 = 50;

/// `wal_checkpoint(RESTART)` on the writer connection, with its busy handler cut to
/// [`RESTART_READER_WAIT_MS`]: under the usual 10 s, a long read (an export, say) would
/// hold every write. Call between transactions, on the writer thread.
fn restart_wal(conn: &Connection) -> Result<Restarted, DbError> {
    conn.busy_timeout(Duration::from_millis(RESTART_READER_WAIT_MS))?;
    // (busy, frames in the WAL, frames copied)
    let done = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    });
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS.into()))?;
    let (busy, frames) = done?;
    Ok(if busy == 0 {
        Restarted::Done { frames }
    } else {
        Restarted::ReaderInTheWay { frames }
    })
}

/// Changes waiting for the writer thread, and what that thread is doing.
#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    writer: Writer,
    /// The [`Lite`] was dropped: the writer thread ends once the queue is empty.
    closed: bool,
    /// A WAL restart asked for (see [`Lite::restart_wal`]), and who to tell how it went.
    restart: Option<tokio::sync::oneshot::Sender<Result<Restarted, DbError>>>,
}

/// The writer thread's state, as the queue sees it.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Writer {
    /// Not started, or ended.
    #[default]
    None,
    /// Waiting for a change: signal `queued`.
    Waiting,
    /// Running a batch, or about to: it will find what is queued.
    Busy,
}

/// Why a queued change was not run: its batch failed before it ran.
#[derive(Clone, Copy)]
struct Refusal<'a>(&'a str);

impl Refusal<'_> {
    fn error(self) -> DbError {
        DbError::NotCommitted(self.0.to_owned())
    }
}

/// A queued change: runs on the writer connection (or, refused, fails without running)
/// and says whether its changes stay, and how to answer once the batch ends.
type Job = Box<dyn FnOnce(Result<&Mutex<Connection>, Refusal<'_>>) -> (bool, Deliver) + Send>;
/// Answers a change: `None` when its batch committed, else why it did not.
type Deliver = Box<dyn FnOnce(Option<&str>) + Send>;

/// One transaction for all `jobs`, each in a savepoint (rolled back alone when its job
/// fails); answers every job after the commit.
fn run_batch(conn: &Mutex<Connection>, jobs: Vec<Job>) {
    let changes = jobs.len();
    if let Err(e) = step(conn, "BEGIN IMMEDIATE") {
        return fail_all(&e.to_string(), jobs, Vec::new());
    }
    let mut delivers = Vec::with_capacity(changes);
    let mut jobs = jobs.into_iter();
    while let Some(job) = jobs.next() {
        if let Err(e) = step(conn, "SAVEPOINT change") {
            rollback(conn);
            return fail_all(
                &e.to_string(),
                std::iter::once(job).chain(jobs).collect(),
                delivers,
            );
        }
        let (keep, deliver) = job(Ok(conn));
        delivers.push(deliver);
        let ended = if keep {
            step(conn, "RELEASE change")
        } else {
            step(conn, "ROLLBACK TO change").and_then(|()| step(conn, "RELEASE change"))
        };
        if let Err(e) = ended {
            rollback(conn);
            return fail_all(&e.to_string(), jobs.collect(), delivers);
        }
    }
    match step(conn, "COMMIT") {
        Ok(()) => {
            tracing::trace!(changes, "SQLite write batch committed");
            delivers.into_iter().for_each(|d| d(None));
        }
        Err(e) => {
            rollback(conn);
            fail_all(&e.to_string(), Vec::new(), delivers)
        }
    }
}

/// One of the batch's own statements, kept prepared (they run several times a batch).
fn step(conn: &Mutex<Connection>, sql: &str) -> rusqlite::Result<()> {
    lock(conn).prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Ends a failed batch's transaction; the writer thread is the only writer, so nothing
/// else sees or writes in between.
fn rollback(conn: &Mutex<Connection>) {
    let conn = lock(conn);
    if !conn.is_autocommit() {
        if let Err(e) = conn.execute_batch("ROLLBACK") {
            tracing::error!(error = %e, "rolling back a failed SQLite write batch failed");
        }
    }
}

/// Answers every change of a batch that did not commit: those that ran, and those that
/// did not run.
fn fail_all(why: &str, not_run: Vec<Job>, ran: Vec<Deliver>) {
    tracing::error!(
        error = why,
        changes = not_run.len() + ran.len(),
        "SQLite write batch failed"
    );
    for deliver in ran {
        deliver(Some(why));
    }
    for job in not_run {
        let (_, deliver) = job(Err(Refusal(why)));
        deliver(Some(why));
    }
}

fn open(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    // Each connection is used by one thread at a time (behind a mutex): SQLite's own
    // per-connection mutex would be pure overhead.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The same settings as the sqlx pool's connections (journal_mode is the file's).
    conn.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_FRAMES};"
    ))?;
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS.into()))?;
    if read_only {
        // A write through a read connection would bypass the writer thread.
        conn.pragma_update(None, "query_only", true)?;
    }
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// A panic in a closure cannot leave the connection list half-changed (one push or pop),
/// nor the writer connection mid-transaction (rusqlite rolls back on drop), so a poisoned
/// lock is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
