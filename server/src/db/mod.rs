//! Persistence: one diesel connection type over SQLite and PostgreSQL, the pool, the embedded
//! migrations, and the two ways domain code touches the database (`Db::read`, `Db::write`),
//! both run on the blocking pool so the async executor never waits on I/O.
//!
//! Domain modules never open transactions themselves: `Db::write` opens one (`BEGIN IMMEDIATE`
//! on SQLite so writers queue on the busy timeout instead of failing on a lock upgrade) and
//! commits only when the closure succeeds.

pub mod schema;

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use scheduled_thread_pool::{OnPoolDropBehavior, ScheduledThreadPool};

use crate::config::DatabaseSettings;
use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// A connection to whichever database the URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// Opens connections of the backend the URL selects, never guessing by trial.
#[derive(Debug)]
pub struct Manager {
    url: String,
    backend: Backend,
    open: Arc<()>,
}

/// A pooled connection, and a token it holds until the connection itself is closed.
///
/// r2d2 closes its idle connections wherever its last handle is dropped (often an HTTP worker
/// thread nobody joins), and only after it released the thread pool: the token is what tells
/// `PoolThreads::quiesce` that no connection is still being closed inside libpq. Fields drop in
/// order, so the token goes after the connection.
pub struct Pooled {
    conn: DbConnection,
    _open: Arc<()>,
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let conn = match self.backend {
            Backend::Postgres => DbConnection::Postgresql(PgConnection::establish(&self.url)?),
            Backend::Sqlite => DbConnection::Sqlite(SqliteConnection::establish(&self.url)?),
        };
        Ok(Pooled {
            conn,
            _open: self.open.clone(),
        })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.conn.is_broken()
    }
}

/// Per-connection SQLite settings: WAL, foreign keys, busy timeout.
#[derive(Debug)]
struct SqlitePragmas {
    busy_timeout_ms: u64,
}

impl SqlitePragmas {
    fn apply(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON;",
            self.busy_timeout_ms
        ))
        .map_err(r2d2::Error::QueryError)
    }
}

impl CustomizeConnection<Pooled, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut Pooled) -> Result<(), r2d2::Error> {
        self.apply(conn)
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// Handle to the database shared by all handlers.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    acquire_timeout: Duration,
    threads: PoolThreads,
}

/// How many threads open and close the pool's connections.
const POOL_THREADS: usize = 2;

/// The threads on which r2d2 opens connections (and closes them, when the pool's last handle
/// is dropped there). r2d2 never joins them: a process that returns from `main` while one of
/// them is inside libpq runs libpq's and OpenSSL's exit-time cleanup under that thread, which
/// then crashes (SIGSEGV in libc, `r2d2-worker-N`). `quiesce` is how a process waits for them
/// before it exits (docs/architecture.md, "Shutting down").
#[derive(Clone)]
pub struct PoolThreads {
    pool: Arc<ScheduledThreadPool>,
    /// One reference per open connection (`Pooled`), the manager's and the handles'.
    open: Arc<()>,
    count: usize,
}

impl std::fmt::Debug for PoolThreads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolThreads")
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl PoolThreads {
    fn new(count: usize) -> Self {
        let pool = ScheduledThreadPool::builder()
            .num_threads(count)
            .thread_name_pattern("r2d2-worker-{}")
            // Retries and the reaper hold only weak references to a dropped pool: nothing
            // pending is worth running at exit.
            .on_drop_behavior(OnPoolDropBehavior::DiscardPendingScheduled)
            .build();
        Self {
            pool: Arc::new(pool),
            open: Arc::new(()),
            count,
        }
    }

    /// Waits, at most `timeout`, until every `Db` handle, the pool and every connection are
    /// gone and no job runs on the threads (one parked on each thread proves the jobs before
    /// it have finished: an establish in flight). Then tells the threads to end. True when
    /// that point was reached; false means a connection was still being opened or closed, or
    /// a handle kept (the caller logs it).
    pub fn quiesce(self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        // Ours are the references left once every `Db`, r2d2's own pool and its connections
        // are dropped. r2d2 lets go of the thread pool before it closes its connections, so
        // the connections' count is what says libpq is done.
        while Arc::strong_count(&self.pool) > 1 || Arc::strong_count(&self.open) > 1 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let parked = Arc::new((Mutex::new((0usize, false)), Condvar::new()));
        for _ in 0..self.count {
            let parked = parked.clone();
            self.pool.execute(move || {
                let (lock, cvar) = &*parked;
                let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
                state.0 += 1;
                cvar.notify_all();
                while !state.1 {
                    state = cvar.wait(state).unwrap_or_else(PoisonError::into_inner);
                }
            });
        }
        let (lock, cvar) = &*parked;
        let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while state.0 < self.count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = cvar
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let quiet = state.0 == self.count;
        state.1 = true;
        cvar.notify_all();
        quiet
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Connects, runs pending migrations and builds the pool. Fails when the database cannot
    /// be reached at start: a server that cannot migrate must not serve.
    pub fn connect(url: &str, settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let backend = Backend::from_url(url);
        let threads = PoolThreads::new(POOL_THREADS);
        let manager = Manager {
            url: url.to_owned(),
            backend,
            open: threads.open.clone(),
        };
        let mut first = manager.connect()?;
        if backend == Backend::Sqlite {
            SqlitePragmas {
                busy_timeout_ms: settings.sqlite_busy_timeout_ms,
            }
            .apply(&mut first)?;
        }
        run_migrations(&mut first)?;
        drop(first);

        let acquire_timeout = Duration::from_millis(settings.acquire_timeout_ms);
        let mut builder = r2d2::Pool::builder()
            .thread_pool(threads.pool.clone())
            .max_size(settings.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(acquire_timeout)
            .test_on_check_out(backend == Backend::Postgres);
        if backend == Backend::Sqlite {
            builder = builder.connection_customizer(Box::new(SqlitePragmas {
                busy_timeout_ms: settings.sqlite_busy_timeout_ms,
            }));
        }
        let pool = builder.build_unchecked(manager);
        Ok(Self {
            pool,
            backend,
            acquire_timeout,
            threads,
        })
    }

    /// The pool's connection threads, to wait for at exit (`PoolThreads::quiesce`).
    pub fn threads(&self) -> PoolThreads {
        self.threads.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `f` with a pooled connection on the blocking pool, outside any transaction.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let timeout = self.acquire_timeout;
        actix_web::web::block(move || {
            let mut conn = pool.get_timeout(timeout)?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs `f` inside one write transaction; commits when it returns `Ok`.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.read(move |conn| write_transaction(conn, f)).await
    }

    /// A pooled connection for code already on a blocking thread (the blob store's calls,
    /// which the document code makes inside `web::block`).
    pub fn blocking(&self) -> Result<r2d2::PooledConnection<Manager>, ApiError> {
        Ok(self.pool.get_timeout(self.acquire_timeout)?)
    }

    /// True when a connection can be had and answers a trivial query.
    pub async fn ping(&self) -> bool {
        let pool = self.pool.clone();
        let timeout = self.acquire_timeout.min(Duration::from_secs(2));
        actix_web::web::block(move || {
            pool.get_timeout(timeout)
                .map(|mut c| c.ping().is_ok())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }
}

/// One write transaction on either backend.
pub fn write_transaction<T, F>(conn: &mut DbConnection, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError>,
{
    match conn {
        DbConnection::Postgresql(_) => conn.transaction(f),
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            let outcome = f(conn);
            let DbConnection::Sqlite(inner) = conn else {
                return Err(ApiError::internal(anyhow::anyhow!(
                    "connection changed backend"
                )));
            };
            match outcome {
                Ok(value) => {
                    <AnsiTransactionManager as TransactionManager<SqliteConnection>>::commit_transaction(inner)?;
                    Ok(value)
                }
                Err(err) => {
                    <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(inner)?;
                    Err(err)
                }
            }
        }
    }
}

/// Applies the embedded migrations of the connection's backend.
///
/// On SQLite they run with foreign keys off: changing a constraint there means rebuilding the
/// table, and dropping the old one with foreign keys on would cascade into its children. The
/// references are checked once the migrations are done, and foreign keys turned back on.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<()> {
    let result = match conn {
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(drop),
        DbConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA foreign_keys = OFF;")?;
            let migrated = c.run_pending_migrations(SQLITE_MIGRATIONS).map(drop);
            let broken: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM pragma_foreign_key_check)",
            ))
            .get_result(c)?;
            c.batch_execute("PRAGMA foreign_keys = ON;")?;
            anyhow::ensure!(
                broken == 0,
                "after migrating, {broken} rows refer to rows that do not exist"
            );
            migrated
        }
    };
    result.map_err(|e| anyhow::anyhow!("running migrations: {e}"))
}

/// The versions of the migrations this binary embeds for `backend`, as diesel records them.
pub fn migration_versions(backend: Backend) -> Vec<String> {
    use diesel::migration::MigrationSource;
    fn versions<DB: diesel::backend::Backend>(source: &impl MigrationSource<DB>) -> Vec<String> {
        source
            .migrations()
            .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default()
    }
    match backend {
        Backend::Postgres => versions::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS),
        Backend::Sqlite => versions::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS),
    }
}

/// Current time as stored in the database: UTC, microsecond precision (PostgreSQL's).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now();
    let micros = now.timestamp_micros();
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or(now)
        .naive_utc()
}

/// A new random-but-ordered id (UUID v7) as stored in the database.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
