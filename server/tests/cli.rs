//! The binary as a newcomer runs it: `serve --demo` prints where to open it and a printed demo
//! account signs in; `user add` reads the password from stdin; SIGTERM stops it cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ecabinet");

fn ecabinet(data: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("ECABINET_DATA", data).env("RUST_LOG", "warn");
    cmd
}

/// Starts `serve` and returns the child and the address it printed.
fn serve(data: &std::path::Path, extra: &[&str]) -> (Child, String) {
    serve_with_env(data, extra, &[])
}

fn serve_with_env(data: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut child = ecabinet(data)
        .envs(env.iter().copied())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
            let url = line[at..]
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
            return (child, url);
        }
        printed.push(line);
    }
}

fn login(base: &str, username: &str, password: &str) -> u16 {
    let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "content-type: application/json",
            "-d",
            &body,
        ])
        .arg(format!("{base}/api/v1/auth/login"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0)
}

fn terminate(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit after SIGTERM: {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the server did not stop on SIGTERM");
}

#[test]
fn demo_serve_prints_address_and_demo_login_works_twice() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        // The second start finds the demo data there already and must not fail.
        let (child, base) = serve(dir.path(), &["--demo"]);
        assert_eq!(login(&base, "admin", ecabinet::demo::DEMO_PASSWORD), 200);
        assert_eq!(login(&base, "chutich", "wrong password"), 401);
        terminate(child);
    }
    assert!(dir.path().join("ecabinet.db").exists());
    assert!(dir.path().join("jwt-secret").exists());
}

#[test]
fn user_add_reads_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = ecabinet(dir.path())
        .args([
            "user",
            "add",
            "--username",
            "ThuKy2",
            "--role",
            "secretary",
            "--display-name",
            "Bùi Thị Hạnh",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"mat-khau-bi-mat\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("thuky2"));

    let (server, base) = serve(dir.path(), &[]);
    assert_eq!(login(&base, "thuky2", "mat-khau-bi-mat"), 200);
    assert_eq!(login(&base, "thuky2", "mat-khau-bi-mat\\n"), 401);
    terminate(server);

    // The same username again fails with a message, and a bad role is refused by the parser.
    let again = ecabinet(dir.path())
        .args(["user", "add", "--username", "thuky2", "--role", "member"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"another-password\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("username_taken"));
    let bad_role = ecabinet(dir.path())
        .args(["user", "add", "--username", "x1x", "--role", "chair"])
        .output()
        .unwrap();
    assert!(!bad_role.status.success());
}

#[test]
fn environment_mirrors_flags_and_bad_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ecabinet.toml");
    std::fs::write(&config, "[auth]\naccess_token_ttl = 5\n").unwrap();
    let out = ecabinet(dir.path())
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("access_token_ttl"));

    let out = ecabinet(dir.path())
        .env("ECABINET_BIND", "not-an-address")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn other_ecabinet_variables_do_not_stop_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (child, base) = serve_with_env(
        dir.path(),
        &["--demo"],
        &[
            ("ECABINET_BIN", "/somewhere/ecabinet"),
            ("ECABINET_LIVE__MAX_SESSIONS_PER_USER", "3"),
        ],
    );
    assert_eq!(login(&base, "admin", ecabinet::demo::DEMO_PASSWORD), 200);
    terminate(child);
    // A typo inside a known section still fails loudly.
    let mut typo = ecabinet(dir.path())
        .env("ECABINET_LIVE__MAX_SESIONS_PER_USER", "3")
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: a server that wrongly starts is killed rather than waited for.
    let mut status = None;
    for _ in 0..100 {
        status = typo.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = typo.kill();
    assert!(
        status.is_some_and(|s| !s.success()),
        "a typo in a known section must stop the server"
    );
}

/// `curl` with a bearer token; the body as JSON.
fn get_json(base: &str, token: &str, path: &str) -> serde_json::Value {
    let out = Command::new("curl")
        .args(["-sf", "-H", &format!("authorization: Bearer {token}")])
        .arg(format!("{base}{path}"))
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn token(base: &str, username: &str, password: &str) -> String {
    let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
    let out = Command::new("curl")
        .args(["-sf", "-H", "content-type: application/json", "-d", &body])
        .arg(format!("{base}/api/v1/auth/login"))
        .output()
        .unwrap();
    let login: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    login["access_token"].as_str().unwrap().to_owned()
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn a_server_killed_mid_upload_leaves_no_record_and_its_leftovers_are_swept() {
    let data = tempfile::tempdir().unwrap();
    let staging = data.path().join("blobs").join("staging");
    let (mut child, base) = serve(data.path(), &["--demo"]);
    let token = token(&base, "thuky", "demo1234");
    let meetings = get_json(&base, &token, "/api/v1/meetings");
    let meeting = meetings["meetings"][0]["id"].as_str().unwrap().to_owned();
    let documents = |base: &str, token: &str| {
        get_json(base, token, &format!("/api/v1/meetings/{meeting}"))["documents"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = documents(&base, &token);

    // An upload of 10 MB of which 1 MB has arrived when the server dies.
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /api/v1/meetings/{meeting}/documents?title=Half HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/pdf\r\n\
         Content-Length: 10000000\r\n\r\n%PDF-1.7\n"
    )
    .unwrap();
    stream.write_all(&vec![b' '; 1 << 20]).unwrap();
    let mut staged = false;
    for _ in 0..100 {
        if count_files(&staging) > 0 {
            staged = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(staged, "the upload never reached the staging area");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stream);
    assert_eq!(
        count_files(&staging),
        1,
        "the half upload is left behind by the crash"
    );

    // After a restart the half upload is swept (grace 0 here) and nothing was recorded.
    let (child, base) = serve_with_env(
        data.path(),
        &[],
        &[("ECABINET_DOCUMENTS__ORPHAN_GRACE_SECS", "0")],
    );
    let mut swept = false;
    for _ in 0..100 {
        if count_files(&staging) == 0 {
            swept = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(swept, "the half upload was not swept");
    let token = self::token(&base, "thuky", "demo1234");
    assert_eq!(documents(&base, &token), before);
    terminate(child);
}
