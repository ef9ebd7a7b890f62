//! The database: one way to read, one way to write, on SQLite or PostgreSQL.
//!
//! ```text
//! let cart = db.read(async |conn| store::cart::find(conn, &id).await).await?;
//! db.write(async move |conn| store::cart::insert(conn, &row).await).await?;
//! ```
//!
//! - [`Database::write`] runs a change as one transaction: all its statements commit, or
//!   (when it returns `Err`) none. On PostgreSQL it is a transaction on a pooled
//!   connection; on SQLite the change is queued for the file's writer thread, which runs
//!   every queued change in one transaction (group commit), each in a savepoint of its
//!   own. The closure must own what it uses (`async move`) and may only run statements:
//!   on SQLite it runs to completion in one poll, on the writer thread.
//! - [`Database::read`] runs reads on one connection: a pooled one on PostgreSQL, a read
//!   connection on the calling thread on SQLite (under WAL it sees the last commit and
//!   never waits for the writer).
//! - Both hand the closure a [`Conn`], the one connection type store functions take.
//!   Statements are [`Sql`] values: portable text with `$1` placeholders (the same on
//!   both databases), built with [`sql!`](crate::sql) or piece by piece; rows are read by
//!   column index with [`Row::get`].
//!
//! Migrations are kept per backend because DDL differs (types, collations). Each service
//! numbers its migrations in its own range (catalog 1000–1999, inventory 2000–2999, …)
//! because all services share sqlx's one `_sqlx_migrations` table; each migrator ignores
//! the versions that belong to the other services.

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
    AnyPool, Executor,
};

pub mod conn;
mod lite;
#[cfg(test)]
mod lite_tests;
pub mod sql;

pub use conn::{Column, Conn, Row};
pub use sql::{Arg, Sql};

/// Which engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL `{0}`: use sqlite://PATH (a file) or postgres://…")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Lite(#[from] rusqlite::Error),
    #[error("cannot encode {0}")]
    Encode(String),
    #[error("cannot decode {0}")]
    Decode(String),
    #[error("the write was not committed: {0}")]
    NotCommitted(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl DbError {
    /// Whether this error is a unique-constraint violation (a duplicate handle, SKU, …).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlx(e) => e
                .as_database_error()
                .is_some_and(|e| matches!(e.kind(), sqlx::error::ErrorKind::UniqueViolation)),
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

    /// Whether this error is a foreign-key violation (a reference to a missing row).
    pub fn is_foreign_key_violation(&self) -> bool {
        match self {
            DbError::Sqlx(e) => e
                .as_database_error()
                .is_some_and(|e| matches!(e.kind(), sqlx::error::ErrorKind::ForeignKeyViolation)),
            DbError::Lite(e) => matches!(
                e.sqlite_error().map(|e| e.extended_code),
                Some(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
            ),
            _ => false,
        }
    }
}

/// A SQLite file or a PostgreSQL database (see the module docs).
#[derive(Clone, Debug)]
pub struct Database {
    /// PostgreSQL: every statement. SQLite: migrations and passive checkpoints only.
    pool: AnyPool,
    /// SQLite only: every read and write (see [`lite`]).
    lite: Option<Arc<lite::Lite>>,
}

impl Database {
    /// Connects to `url`: `sqlite://path/to/file.db` (created if missing, WAL, foreign
    /// keys on) or `postgres://user@host/db`. An in-memory SQLite database is refused:
    /// the read connections could not open it.
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
                    // Migrations and the checkpointer only.
                    .max_connections(2)
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
        let lite = match backend {
            Backend::Sqlite => {
                // The file as SQLite resolved it; empty for an in-memory database.
                let file: String =
                    sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                        .fetch_one(&pool)
                        .await?;
                if file.is_empty() {
                    pool.close().await;
                    return Err(DbError::UnsupportedUrl(redact(&url)));
                }
                let file = std::path::PathBuf::from(file);
                let lite = Arc::new(lite::Lite::new(file.clone()));
                tokio::spawn(checkpoints(pool.clone(), lite.clone(), file));
                Some(lite)
            }
            Backend::Postgres => None,
        };
        Ok(Database { pool, lite })
    }

    pub fn backend(&self) -> Backend {
        match self.lite {
            Some(_) => Backend::Sqlite,
            None => Backend::Postgres,
        }
    }

    /// Runs `change` as one write transaction (see the module docs): committed when it
    /// returns `Ok`, rolled back when it returns `Err`. On SQLite it runs on the writer
    /// thread, so it owns what it uses and must not wait on anything but its statements;
    /// dropping the returned future does not withdraw a change already queued.
    pub async fn write<T, E, F>(&self, change: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&mut Conn<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        if let Some(lite) = &self.lite {
            return lite.write(change).await;
        }
        let mut tx = self.pool.begin().await.map_err(DbError::from)?;
        let out = change(&mut Conn::sqlx(&mut tx)).await;
        match out {
            Ok(value) => {
                tx.commit().await.map_err(DbError::from)?;
                Ok(value)
            }
            Err(e) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "rolling back a failed change failed");
                }
                Err(e)
            }
        }
    }

    /// Runs `read` on one connection (see the module docs). Its statements must only
    /// read; on SQLite the connection refuses writes.
    pub async fn read<T, E, F>(&self, read: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&mut Conn<'_>) -> Result<T, E>,
        E: From<DbError>,
    {
        if let Some(lite) = &self.lite {
            return lite.read(read);
        }
        let mut conn = self.pool.acquire().await.map_err(DbError::from)?;
        read(&mut Conn::sqlx(&mut conn)).await
    }

    /// Refreshes the query planner's statistics after a bulk load. On PostgreSQL fresh
    /// tables have none until autovacuum reaches them (about a minute), and until then
    /// the planner may scan whole tables; SQLite plans well without them.
    pub async fn refresh_statistics(&self) -> Result<(), DbError> {
        if self.backend() == Backend::Postgres {
            sqlx::query("ANALYZE").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// A trivial round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.read(async |conn| conn.fetch_scalar::<i64>(&crate::sql!("SELECT 1")).await)
            .await
            .map(|_| ())
    }

    /// Runs one service's migrations: `sqlite` or `postgres` depending on the backend.
    pub async fn migrate(&self, sqlite: &Migrator, postgres: &Migrator) -> Result<(), DbError> {
        let migrator = match self.backend() {
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
/// handler): another process's writer, or the checkpointer.
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
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, with
/// an fsync of the WAL and of the database file, and every change queued behind it waits
/// for the disk. A PASSIVE checkpoint on its own connection blocks no reader and no
/// writer, but under continuous writes it never finishes (the writer appends while it
/// copies), and only a finished checkpoint lets the next commit start the WAL over. So
/// once the WAL is long, right after a PASSIVE pass (and [`preflush`]) the checkpointer
/// has the writer thread run a RESTART checkpoint between two batches
/// ([`lite::Lite::restart_wal`]): what is left to copy and fsync is what was written
/// since that pass, and the next commit starts the WAL over.
async fn checkpoints(pool: AnyPool, lite: Arc<lite::Lite>, file: std::path::PathBuf) {
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
/// restart, off the writer thread.
///
/// A PASSIVE pass that the writer outruns copies frames into the database file but does
/// not sync it: SQLite syncs the file only when a checkpoint reaches the end of the WAL.
/// Without this, everything the passes copied since the last restart would be synced by
/// the restart itself, with every write of the process waiting. SQLite still syncs both
/// files in the restart (this changes no durability); it only finds little left to write.
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
    use sqlx::Row as _;

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
            .execute(&admin.pool)
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
                .fetch_all(&admin.pool)
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
                    .execute(&admin.pool)
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
        db.write(async |conn| {
            conn.execute(&crate::sql!("CREATE TABLE t (v INTEGER)"))
                .await?;
            conn.execute(&crate::sql!("INSERT INTO t VALUES (1)")).await
        })
        .await
        .map_err(|e: DbError| e)
        .expect("create and insert");
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
