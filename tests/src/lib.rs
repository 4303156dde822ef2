//! The test harness: starts the real ecabinet server on a free loopback port, each test with
//! its own fresh database (a SQLite file in a temporary directory, or a uniquely named
//! PostgreSQL database created on 127.0.0.1:5432 and dropped afterwards), and talks to it over
//! real HTTP.
//!
//! PostgreSQL is found at `PG_TEST_URL` (default `postgres://postgres@127.0.0.1:5432/test`).

pub mod http;
pub mod live;
pub mod pdfs;
pub mod proxy;

use std::sync::mpsc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use ecabinet::config::Settings;
use ecabinet::startup::Application;
use ecabinet::users::Role;
use ecabinet::users::handlers::{CreateUser, create_user};
use serde_json::{Value, json};

/// The secret the test servers sign tokens with, so tests can forge bad ones.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Backend)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}

fn pg_base_url() -> String {
    std::env::var("PG_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A PostgreSQL database that exists for one test.
#[derive(Debug)]
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create() -> anyhow::Result<Self> {
        let base = pg_base_url();
        let name = format!("ecabinet_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&base)?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn)?;
        let (prefix, _) = base
            .rsplit_once('/')
            .ok_or_else(|| anyhow::anyhow!("bad PG_TEST_URL"))?;
        Ok(Self {
            url: format!("{prefix}/{name}"),
            name,
        })
    }

    /// The URL with another host:port, e.g. to go through a proxy.
    pub fn url_via(&self, host_port: &str) -> String {
        let rest = self
            .url
            .split_once('@')
            .map(|(_, r)| r)
            .unwrap_or(&self.url);
        let (_, path) = rest.split_once('/').unwrap_or((rest, ""));
        let user = self
            .url
            .split_once("://")
            .and_then(|(_, r)| r.split_once('@'))
            .map(|(u, _)| u);
        match user {
            Some(u) => format!("postgres://{u}@{host_port}/{path}"),
            None => format!("postgres://{host_port}/{path}"),
        }
    }

    /// The TCP address of the server, `host:port`.
    pub fn host_port(&self) -> String {
        let rest = self
            .url
            .split_once('@')
            .map(|(_, r)| r)
            .unwrap_or(&self.url);
        let rest = rest.trim_start_matches("postgres://");
        rest.split_once('/')
            .map(|(h, _)| h.to_owned())
            .unwrap_or_else(|| rest.to_owned())
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&pg_base_url()) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// Where a test's data lives; kept across server restarts within the test.
#[derive(Debug)]
pub struct TestEnv {
    pub backend: Backend,
    pub data: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

#[derive(diesel::QueryableByName)]
struct OneText {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

impl TestEnv {
    /// Runs `sql` (selecting one text column named `v`) on this environment's database, as an
    /// outsider reading the tables would.
    pub fn query_strings(&self, sql: &str) -> Vec<String> {
        let rows: Vec<OneText> = match &self.pg {
            Some(pg) => {
                let mut c =
                    PgConnection::establish(&pg.url).unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
                diesel::sql_query(sql)
                    .load(&mut c)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            None => {
                let path = self.data.path().join("ecabinet.db");
                let mut c = diesel::SqliteConnection::establish(&path.to_string_lossy())
                    .unwrap_or_else(|e| panic!("SQLite: {e}"));
                diesel::sql_query(sql)
                    .load(&mut c)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        };
        rows.into_iter().map(|r| r.v).collect()
    }

    pub fn new(backend: Backend) -> Self {
        let pg = match backend {
            Backend::Postgres => Some(
                PgDatabase::create()
                    .unwrap_or_else(|e| panic!("PostgreSQL for tests at {}: {e}", pg_base_url())),
            ),
            Backend::Sqlite => None,
        };
        Self {
            backend,
            data: tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")),
            pg,
        }
    }

    /// Where a server on this environment keeps documents' files on disk: `<data>/blobs` on
    /// SQLite; on PostgreSQL (files kept in the database) the instance's local copies, which
    /// the instance that stored a file keeps from the start.
    pub fn blob_dir(&self) -> std::path::PathBuf {
        match self.backend {
            Backend::Sqlite => self.data.path().join("blobs"),
            Backend::Postgres => self.data.path().join("blob-cache"),
        }
    }

    /// Settings for a server on this environment: free port, quiet, known secret.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.bind = "127.0.0.1:0".parse().unwrap_or(s.bind);
        s.data = self.data.path().to_path_buf();
        s.database_url = self.pg.as_ref().map(|p| p.url.clone());
        s.database.pool_size = 4;
        s.database.acquire_timeout_ms = 2_000;
        s.auth.jwt_secret = Some(TEST_JWT_SECRET.into());
        s.auth.leeway_secs = 0;
        s.auth.login_burst_per_username = 1_000;
        s.auth.login_burst_per_address = 10_000;
        s.documents.checker = Some(vec![
            pdf_checker().to_string_lossy().into_owned(),
            "pdf-check".into(),
        ]);
        s
    }
}

/// The `pdf-check` binary of this crate, which cargo builds beside the test binaries (a test
/// process is not `ecabinet`, so the server cannot run itself as the checker).
pub fn pdf_checker() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe
        .parent()
        .map(|d| {
            if d.ends_with("deps") {
                d.parent().unwrap_or(d)
            } else {
                d
            }
        })
        .unwrap_or(std::path::Path::new("."));
    dir.join("pdf-check")
}

/// A running server.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The metrics listener's port, when `metrics.bind` is set.
    pub metrics_port: Option<u16>,
    pub client: reqwest::Client,
    pub state: actix_web::web::Data<ecabinet::state::AppState>,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    /// Starts a server with `settings` in its own thread and actix system.
    pub fn start(settings: Settings) -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match Application::build(settings).await {
                    Ok(app) => {
                        let _ = tx.send(Ok((
                            app.port(),
                            app.metrics_port(),
                            app.handle(),
                            app.state(),
                        )));
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })
        });
        let (port, metrics_port, handle, state) = rx.recv_timeout(Duration::from_secs(60))??;
        Ok(Self {
            address: format!("http://127.0.0.1:{port}"),
            port,
            metrics_port,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            state,
            handle,
            thread: Some(thread),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Stops the server gracefully and waits for its thread.
    pub async fn stop(mut self) {
        ecabinet::startup::shutdown(&self.state.hub, &self.handle).await;
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }

    /// Creates a user directly (setup, not the behaviour under test).
    pub async fn user(&self, username: &str, role: Role) -> Value {
        let body = CreateUser {
            username: username.into(),
            password: PASSWORD.into(),
            role,
            display_name: Some(format!("Người dùng {username}")),
            email: None,
        };
        let user = create_user(&self.state.db, body)
            .await
            .unwrap_or_else(|e| panic!("user: {e}"));
        serde_json::to_value(user).unwrap_or_default()
    }

    pub async fn login_raw(&self, username: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("login request: {e}"))
    }

    /// Signs in and returns the login answer (panics unless 200).
    pub async fn login(&self, username: &str) -> Value {
        let res = self.login_raw(username, PASSWORD).await;
        assert_eq!(res.status(), 200, "login of {username}");
        res.json().await.unwrap_or_default()
    }

    /// Creates a user of `role` and returns (user, access token).
    pub async fn signed_in(&self, username: &str, role: Role) -> (Value, String) {
        let user = self.user(username, role).await;
        let login = self.login(username).await;
        (
            user,
            login["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command at once; the server's own thread finishes it.
        drop(self.handle.stop(false));
    }
}

/// A fresh environment and a server on it.
pub async fn spawn_app(backend: Backend) -> (TestEnv, TestApp) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap_or_else(|e| panic!("server start: {e:#}"));
    (env, app)
}

/// Reads a problem document and checks its shape and code.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status for expected {code}");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let body: Value = res.json().await.unwrap_or_default();
    assert_eq!(body["code"], code, "problem {body}");
    assert_eq!(body["status"], status);
    for key in ["type", "title", "detail"] {
        assert!(body[key].is_string(), "problem lacks {key}: {body}");
    }
    body
}
