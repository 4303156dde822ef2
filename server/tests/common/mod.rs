//! What the tests that run the built binary share: a database per test (`Store`), starting
//! `serve` and reading the address it prints, stopping it with SIGTERM, and running a command
//! with its standard input.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};

/// The built server.
pub const BIN: &str = env!("CARGO_BIN_EXE_ecabinet");

/// The command line with its data directory, quiet.
pub fn ecabinet(data: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("ECABINET_DATA", data).env("RUST_LOG", "warn");
    cmd
}

pub const SECRET: &str = "exit-test-secret-exit-test-secret-0123456789";

/// One database for one test: SQLite in the data directory, or a PostgreSQL database of its
/// own, dropped at the end.
pub struct Store {
    pub data: tempfile::TempDir,
    pub pg: Option<(String, String)>,
}

impl Store {
    pub fn sqlite() -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            pg: None,
        }
    }

    pub fn postgres() -> Self {
        let base = std::env::var("PG_TEST_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("ecabinet_exit_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&base).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap();
        let (prefix, _) = base.rsplit_once('/').unwrap();
        Self {
            data: tempfile::tempdir().unwrap(),
            pg: Some((base.clone(), format!("{prefix}/{name}"))),
        }
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env("ECABINET_DATA", self.data.path())
            .env("ECABINET_AUTH__JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn");
        if let Some((_, url)) = &self.pg {
            cmd.env("ECABINET_DATABASE_URL", url);
        }
        cmd
    }

    pub fn log(&self) -> std::path::PathBuf {
        self.data.path().join("serve.log")
    }

    /// The last lines `serve` wrote to standard error.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// An admin (first) and `members` members, written straight into the database, with an
    /// access token each: (user id, token).
    pub fn people(&self, members: usize) -> Vec<(String, String)> {
        let tokens = ecabinet::auth::tokens::TokenService::new(
            SECRET.as_bytes(),
            &ecabinet::config::AuthSettings::default(),
        );
        let mut people = Vec::new();
        for i in 0..=members {
            let id = ecabinet::db::new_id();
            let (role, name) = if i == 0 {
                (ecabinet::users::Role::Admin, "admin")
            } else {
                (ecabinet::users::Role::Member, "member")
            };
            self.execute(&format!(
                "INSERT INTO users (id, username, display_name, role, password_hash, created_at) \
                 VALUES ('{id}', 'u{i}', 'Đại biểu {i}', '{name}', 'x', CURRENT_TIMESTAMP)"
            ));
            people.push((id.clone(), tokens.issue(&id, role, "test").unwrap()));
        }
        people
    }

    pub fn execute(&self, sql: &str) {
        match &self.pg {
            Some((_, url)) => {
                let mut c = PgConnection::establish(url).unwrap();
                diesel::sql_query(sql).execute(&mut c).unwrap();
            }
            None => {
                let path = self.data.path().join("ecabinet.db");
                let mut c = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
                diesel::sql_query(sql).execute(&mut c).unwrap();
            }
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some((base, url)) = &self.pg {
            let name = url.rsplit('/').next().unwrap_or_default();
            if let Ok(mut c) = PgConnection::establish(base) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c);
            }
        }
    }
}

/// Spawns `cmd` (a `serve` command line) and returns the child with the address it printed.
/// Its standard error goes nowhere unless the caller set it.
pub fn spawn_serving(cmd: &mut Command) -> (Child, String) {
    spawn_serving_to(cmd, Stdio::null())
}

/// As `spawn_serving`, with its standard error sent to `stderr`.
pub fn spawn_serving_to(cmd: &mut Command, stderr: Stdio) -> (Child, String) {
    let mut child = cmd.stdout(Stdio::piped()).stderr(stderr).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no address printed: {printed:?}"));
        if let Some(at) = line.find("http://") {
            let url = line[at..].split_whitespace().next().unwrap();
            return (child, url.trim_end_matches('/').to_owned());
        }
        printed.push(line);
    }
}

/// SIGTERM, then the exit status (the server has 30 s to stop).
pub fn stop(mut child: Child) -> ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `cmd` with `input` on its standard input; its output once it ended.
pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}
