//! One pool type for both databases.
//!
//! Services write one portable SQL text per query (`$1` placeholders, integer money and
//! timestamps, TEXT ids) and run it through sqlx's `Any` driver, so the same code and the
//! same behaviour tests serve SQLite (the embedded default) and PostgreSQL (scale-out).
//! Migrations are kept per backend because DDL differs (types, collations).
//!
//! Each service numbers its migrations in its own range (catalog 1000–1999, inventory
//! 2000–2999, …) because all services share sqlx's one `_sqlx_migrations` table; each
//! migrator ignores the versions that belong to the other services.

use std::{str::FromStr, time::Duration};

use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
    AnyPool, Executor,
};

pub mod conn;
pub mod lite;
pub mod sql;

/// Runs one change, written once against [`conn::Conn`], as one write: on a SQLite file
/// a group-committed [`lite::Lite::change`] (the change runs on the writer connection
/// in its batch's turn), else a [`Database::begin_write`] transaction, committed when
/// the change returns `Ok` and rolled back when it returns `Err`.
///
/// `change!(db, ErrorType, |conn| some_change(conn, &owned).await)`: the body is an
/// expression on `conn: &mut Conn` whose value is a future of `Result<T, ErrorType>`
/// (the `.await` is written by the macro, not the caller: `|conn| f(conn, &x)`).
/// On SQLite it runs in a `move` closure, so what it uses must be owned; `ErrorType`
/// converts from [`DbError`]. The value is `Result<T, ErrorType>`.
#[macro_export]
macro_rules! change {
    ($db:expr, $err:ty, |$conn:ident| $body:expr) => {{
        let db: &$crate::db::Database = $db;
        match db.lite() {
            Some(lite) => {
                let lite = ::std::sync::Arc::clone(lite);
                lite.change(move |$conn| $crate::db::conn::complete_now::<_, $err>($body))
                    .await
            }
            None => match db.begin_write().await {
                Err(e) => Err(<$err>::from(e)),
                Ok(mut tx) => {
                    let out: ::std::result::Result<_, $err> = {
                        let $conn = &mut $crate::db::conn::Conn::Sqlx(&mut *tx);
                        $body.await
                    };
                    match out {
                        Ok(value) => match tx.commit().await {
                            Ok(()) => Ok(value),
                            Err(e) => Err(<$err>::from($crate::db::DbError::Sqlx(e))),
                        },
                        Err(e) => {
                            if let Err(rollback) = tx.rollback().await {
                                ::tracing::warn!(error = %rollback, "rolling back a failed change failed");
                            }
                            Err(e)
                        }
                    }
                }
            },
        }
    }};
}

pub use sqlx::{Any, AnyPool as Pool, Row};

/// A write transaction on either database. On SQLite it also holds this process's writer
/// slot (see [`Database::begin_write`]). Use `&mut *tx` wherever a connection is wanted.
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

/// A pooled connection for ONE write statement, which runs as its own (autocommit)
/// transaction. On SQLite it holds this process's writer slot like [`Tx`] does, without
/// the round trips of `BEGIN` and `COMMIT`. Use `&mut *conn` wherever a connection is
/// wanted; several statements that must commit together need [`Database::begin_write`].
pub struct WriteConn {
    inner: sqlx::pool::PoolConnection<Any>,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteConn {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

/// A change whose statements must run without other writers in between but need not
/// commit together (see [`Database::begin_serial`]). Use `&mut *w` wherever a connection
/// is wanted.
pub enum SerialWrite {
    /// PostgreSQL: a transaction, whose row locks order concurrent changes.
    Transaction(Tx),
    /// SQLite: the writer slot; each statement commits by itself.
    Slot(WriteConn),
}

impl SerialWrite {
    /// Commits the transaction (PostgreSQL); on SQLite every statement has committed.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            SerialWrite::Transaction(tx) => tx.commit().await,
            SerialWrite::Slot(_) => Ok(()),
        }
    }
}

impl std::ops::Deref for SerialWrite {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        match self {
            SerialWrite::Transaction(tx) => tx,
            SerialWrite::Slot(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for SerialWrite {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            SerialWrite::Transaction(tx) => tx,
            SerialWrite::Slot(conn) => conn,
        }
    }
}

/// How long a writer waits for its turn on SQLite before giving up with an error
/// (rather than hanging) — far above any real queue, so only a bug reaches it.
const WRITER_WAIT: Duration = Duration::from_secs(30);

/// Which engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Lite(#[from] rusqlite::Error),
    #[error("cannot encode {0}")]
    Encode(String),
    #[error("the write was not committed: {0}")]
    NotCommitted(String),
    #[error("the database stayed busy: no write slot within {0:?}")]
    Busy(Duration),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl DbError {
    /// Whether this error is a unique-constraint violation (a duplicate handle, SKU, …).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlx(e) => is_unique_violation(e),
            DbError::Lite(e) => matches!(
                e.sqlite_error().map(|e| e.extended_code),
                Some(
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                )
            ),
            _ => false,
        }
    }
}

/// Whether a sqlx error is a unique-constraint violation.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| matches!(e.kind(), sqlx::error::ErrorKind::UniqueViolation))
}

/// Whether a sqlx error is a foreign-key violation (a reference to a missing row).
pub fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| matches!(e.kind(), sqlx::error::ErrorKind::ForeignKeyViolation))
}

/// A pool of connections to SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    /// SQLite only: one writer at a time, queued in FIFO order in this process.
    writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    /// SQLite files only: statements on the calling thread (see [`lite`]).
    lite: Option<std::sync::Arc<lite::Lite>>,
}

impl Database {
    /// Connects to `url`: `sqlite://path/to/file.db` (created if missing, WAL, foreign
    /// keys on) or `postgres://user@host/db`.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl(redact(url)));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool_options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool = match backend {
            Backend::Sqlite => {
                pool_options
                    // Readers run in parallel under WAL; writers queue in the writer slot.
                    .max_connections(8)
                    // A file has no network to drop the connection: the ping sqlx sends
                    // before each hand-out would be a wasted round trip to the
                    // connection's worker thread (several per request).
                    .test_before_acquire(false)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // Checkpoints run beside the writers (see `checkpoints`); the
                            // automatic one stays as a backstop.
                            conn.execute(
                                format!(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; \
                                     PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_FRAMES};"
                                )
                                .as_str(),
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                pool_options
                    .max_connections(16)
                    .connect_with(options)
                    .await?
            }
        };
        tracing::debug!(backend = ?backend, "database connected");
        let writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>> =
            (backend == Backend::Sqlite).then(Default::default);
        let lite = match &writer {
            Some(slot) => {
                // The file as SQLite resolved it; empty for an in-memory database, which
                // other connections could not open.
                let file: String =
                    sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                        .fetch_one(&pool)
                        .await?;
                let file = (!file.is_empty()).then(|| std::path::PathBuf::from(file));
                file.map(|file| {
                    let lite = std::sync::Arc::new(lite::Lite::new(file.clone(), slot.clone()));
                    tokio::spawn(checkpoints(pool.clone(), lite.clone(), file));
                    lite
                })
            }
            None => None,
        };
        Ok(Database {
            pool,
            backend,
            writer,
            lite,
        })
    }

    /// On a SQLite file: statements that run on the calling thread, for hot paths (see
    /// [`lite`]). `None` on PostgreSQL.
    pub fn lite(&self) -> Option<&std::sync::Arc<lite::Lite>> {
        self.lite.as_ref()
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction for one service call that writes. On SQLite it first waits for this
    /// process's writer slot (a FIFO queue) and then takes the write lock up front
    /// (`BEGIN IMMEDIATE`). Without the queue, concurrent writers wait inside SQLite's
    /// busy handler, which sleeps in growing steps (up to 100 ms) and wrecks tail
    /// latency; and a deferred transaction that reads and then writes fails at once with
    /// "database is locked" when another writer got in between.
    pub async fn begin_write(&self) -> Result<Tx, DbError> {
        let writer = self.writer_slot().await?;
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            inner,
            _writer: writer,
        })
    }

    /// A connection for one write statement (see [`WriteConn`]). Every write of the
    /// process goes through this or [`Database::begin_write`]: on SQLite a write beside
    /// the writer slot would collide with its holder and wait in SQLite's busy handler,
    /// which sleeps up to 100 ms at a time.
    pub async fn write_conn(&self) -> Result<WriteConn, DbError> {
        let writer = self.writer_slot().await?;
        let inner = self.pool.acquire().await?;
        Ok(WriteConn {
            inner,
            _writer: writer,
        })
    }

    /// For a change whose statements are each safe to commit alone: a crash or an error
    /// between two of them leaves nothing a retry cannot put right (a cart touched but
    /// not yet changed), yet no other writer may come in between (the second statement
    /// relies on what the first checked). On SQLite the writer slot alone keeps other
    /// writers out, so the statements autocommit one by one, saving the round trips of
    /// `BEGIN` and `COMMIT`; on PostgreSQL, where writers run side by side, it is a
    /// transaction like [`Database::begin_write`]. Nothing is rolled back on SQLite: do
    /// not use it for statements that must all happen or none.
    pub async fn begin_serial(&self) -> Result<SerialWrite, DbError> {
        Ok(match self.backend {
            Backend::Sqlite => SerialWrite::Slot(self.write_conn().await?),
            Backend::Postgres => SerialWrite::Transaction(self.begin_write().await?),
        })
    }

    async fn writer_slot(&self) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>, DbError> {
        match &self.writer {
            Some(slot) => Ok(Some(
                tokio::time::timeout(WRITER_WAIT, slot.clone().lock_owned())
                    .await
                    .map_err(|_| DbError::Busy(WRITER_WAIT))?,
            )),
            None => Ok(None),
        }
    }

    /// Refreshes the query planner's statistics after a bulk load. On PostgreSQL fresh
    /// tables have none until autovacuum reaches them (about a minute), and until then
    /// the planner may scan whole tables; SQLite plans well without them.
    pub async fn refresh_statistics(&self) -> Result<(), DbError> {
        if self.backend == Backend::Postgres {
            sqlx::query("ANALYZE").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// A trivial round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Runs one service's migrations: `sqlite` or `postgres` depending on the backend.
    pub async fn migrate(&self, sqlite: &Migrator, postgres: &Migrator) -> Result<(), DbError> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        let migrator = Migrator {
            migrations: migrator.migrations.clone(),
            ignore_missing: true,
            locking: migrator.locking,
            no_tx: migrator.no_tx,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// How long a SQLite connection waits for a lock held by another connection (its busy
/// handler), on the pool's connections and the lite ones alike.
pub(super) const BUSY_TIMEOUT_MS: u32 = 10_000;
/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// WAL frames (pages) past which the checkpointer starts the WAL over (about 64 MiB).
const RESTART_AT_FRAMES: i64 = 16_384;
/// SQLite's own checkpoint, which the writer runs inside the commit that crosses it: a
/// backstop, well above [`RESTART_AT_FRAMES`], for when the checkpointer falls behind.
pub(super) const AUTOCHECKPOINT_FRAMES: i64 = 40_000;

/// Copies the WAL back into the database file every [`CHECKPOINT_EVERY`], until the pool
/// closes, and starts it over when it grows past [`RESTART_AT_FRAMES`].
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, i.e.
/// inside the writer slot, with an fsync of the WAL and of the database file, and every
/// writer queued behind it waits for the disk. A PASSIVE checkpoint on its own
/// connection blocks no reader and no writer; in three A/B rounds it gave 2–57 % more
/// adds/s and 13–75 % more orders/s. But under continuous writes it never finishes (the
/// writer appends while it copies), and only a finished checkpoint lets the next writer
/// start the WAL over: the WAL ran to the automatic threshold and the writer then
/// checkpointed in its turn after all, with up to 100 ms of WAL to fsync (an 8.7 ms
/// fsync seen under the add-to-cart benchmark). So once the WAL is long, right after a
/// PASSIVE pass (and [`preflush`]) the checkpointer has the writer thread run a RESTART
/// checkpoint in its next turn ([`lite::Lite::restart_wal`]): what is left to copy and
/// fsync is what was written since that pass, and the next commit starts the WAL over.
/// `file` is the database file; an in-memory database has no WAL and no checkpointer.
async fn checkpoints(pool: AnyPool, lite: std::sync::Arc<lite::Lite>, file: std::path::PathBuf) {
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if pool.is_closed() {
            return;
        }
        // (busy, frames in the WAL, frames copied); -1 frames when not in WAL mode.
        let passive: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await;
        let frames = match passive {
            Ok((_, frames, _)) => frames,
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpoint failed; SQLite's own checkpoint takes over");
                continue;
            }
        };
        if frames < RESTART_AT_FRAMES {
            continue;
        }
        // Two rounds of sync-then-copy: the first syncs what the passes copied since the
        // last restart, the second copies what the writer appended meanwhile and syncs
        // that. The restart is then left with the few frames written since.
        for round in 0..2 {
            if round > 0 {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::warn!(error = %e, "WAL checkpoint before a restart failed");
                }
            }
            if let Err(e) = preflush(file.clone()).await {
                tracing::warn!(error = %e, "flushing the database files before a WAL restart failed");
            }
        }
        match lite.restart_wal().await {
            Ok(lite::Restarted::ReaderInTheWay { frames }) => {
                tracing::debug!(frames, "WAL restart postponed: a reader still uses the WAL");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, frames, "WAL restart failed; SQLite's own checkpoint takes over");
            }
        }
    }
}

/// Writes the database file's dirty pages, and the WAL's, to the disk ahead of a WAL
/// restart, outside the writer slot.
///
/// A PASSIVE pass that the writer outruns copies frames into the database file but does
/// not sync it: SQLite syncs the file only when a checkpoint reaches the end of the WAL.
/// So everything the passes had copied since the last restart was left for the restart
/// to sync, inside the slot, with every write of the process waiting: 6–15 ms a restart
/// under the add-to-cart benchmark (2026-12-04), 2–4 ms after this. SQLite still syncs
/// both files in the restart itself (this changes no durability); it only finds little
/// left to write.
async fn preflush(file: std::path::PathBuf) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || {
        let mut wal = file.clone().into_os_string();
        wal.push("-wal");
        for path in [file.into_os_string(), wal] {
            // fdatasync works on a read-only handle; the pages are the file's, not the
            // handle's.
            std::fs::File::open(path)?.sync_data()?;
        }
        Ok(())
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Fresh databases for behaviour tests: one SQLite file always, and one new PostgreSQL
/// database when `TEST_POSTGRES_URL` is set (or `CI=true`, where PostgreSQL must run:
/// a CI run never silently skips it).
#[cfg(feature = "testing")]
pub mod testing {
    use super::*;

    /// A database made for one test, with a label for assertion messages.
    pub struct TestDatabase {
        pub label: &'static str,
        pub db: Database,
        /// Keeps the SQLite file's directory alive for the test's duration.
        _dir: Option<tempfile::TempDir>,
    }

    /// The PostgreSQL server URL to create test databases on, if tests should use one.
    pub fn postgres_url() -> Option<String> {
        match std::env::var("TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                Some("postgres://postgres@127.0.0.1:5432/postgres".to_owned())
            }
            _ => None,
        }
    }

    /// Every database the behaviour suite must pass on, each new and empty.
    pub async fn databases() -> Vec<TestDatabase> {
        let mut all = vec![sqlite().await];
        if let Some(url) = postgres_url() {
            all.push(postgres(&url).await);
        }
        all
    }

    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Database::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open test SQLite database: {e}"));
        TestDatabase {
            label: "sqlite",
            db,
            _dir: Some(dir),
        }
    }

    /// A new database on the PostgreSQL server at `server_url`. Databases that earlier
    /// runs left behind (named by a time-sortable id) are dropped once two hours old.
    pub async fn postgres(server_url: &str) -> TestDatabase {
        let admin = Database::connect(server_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL for tests is not reachable at {}: {e}",
                redact(server_url)
            )
        });
        drop_stale_test_databases(&admin).await;
        let name = crate::id::new_id("emporium_test");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(admin.pool())
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        admin.close().await;
        let mut url = url::Url::parse(server_url)
            .unwrap_or_else(|e| panic!("TEST_POSTGRES_URL is not a URL: {e}"));
        url.set_path(&name);
        let db = Database::connect(url.as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot connect to test database {name}: {e}"));
        TestDatabase {
            label: "postgres",
            db,
            _dir: None,
        }
    }

    async fn drop_stale_test_databases(admin: &Database) {
        let Ok(rows) =
            sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'emporium_test_%'")
                .fetch_all(admin.pool())
                .await
        else {
            return;
        };
        let cutoff = crate::clock::now_ms() - 2 * 60 * 60 * 1000;
        for row in rows {
            let Ok(name) = row.try_get::<String, _>(0) else {
                continue;
            };
            let created = name
                .strip_prefix("emporium_test_")
                .and_then(|ulid| ulid::Ulid::from_string(&ulid.to_ascii_uppercase()).ok())
                .map(|ulid| ulid.timestamp_ms() as i64);
            if created.is_some_and(|ms| ms < cutoff) {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(admin.pool())
                    .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn preflush_syncs_the_database_and_its_wal_and_says_when_it_cannot() {
        let dir = std::env::temp_dir().join(format!("emporium-preflush-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("shop.db");
        let db = Database::connect(&format!("sqlite://{}", file.display()))
            .await
            .expect("connect");
        sqlx::query("CREATE TABLE t (v INTEGER)")
            .execute(db.pool())
            .await
            .expect("create");
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(db.pool())
            .await
            .expect("insert");
        assert!(dir.join("shop.db-wal").exists(), "the write went to a WAL");
        preflush(file.clone()).await.expect("both files synced");
        db.close().await;

        let missing = preflush(dir.join("missing.db")).await;
        assert_eq!(
            missing.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::NotFound)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
