//! The operations commands as an IT team runs them: `backup` beside a running demo server,
//! `restore` into an empty directory (and not into a full one), the restored server serving
//! the same people; `doctor` on a healthy and on a broken installation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod common;

use common::ecabinet;

use std::process::Command;

fn login_status(base: &str) -> String {
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
            r#"{"username":"chutich","password":"demo1234"}"#,
            &format!("{base}/api/v1/auth/login"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn backup_beside_a_running_server_and_restore_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (child, base) =
        common::spawn_serving(ecabinet(&data).args(["serve", "--bind", "127.0.0.1:0", "--demo"]));
    assert_eq!(login_status(&base), "200");
    let archive = dir.path().join("ecabinet.backup");
    let out = ecabinet(&data)
        .args(["backup", "--out"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup written"));
    common::stop(child);

    // Not over the installation it came from.
    let out = ecabinet(&data)
        .args(["restore", "--from"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));

    let elsewhere = dir.path().join("restored");
    let out = ecabinet(&elsewhere)
        .args(["restore", "--from"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (child, base) =
        common::spawn_serving(ecabinet(&elsewhere).args(["serve", "--bind", "127.0.0.1:0"]));
    assert_eq!(login_status(&base), "200");
    common::stop(child);
    let out = ecabinet(&elsewhere)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn doctor_tells_a_healthy_installation_from_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (child, _) =
        common::spawn_serving(ecabinet(&data).args(["serve", "--bind", "127.0.0.1:0"]));
    common::stop(child);
    let out = ecabinet(&data).arg("doctor").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Cơ sở dữ liệu / database") && text.contains("migrated"),
        "{text}"
    );
    assert!(text.contains("HTTPS is off"), "{text}");

    let missing = dir.path().join("nothing-here");
    let out = ecabinet(&missing).arg("doctor").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("LỖI") && text.contains("nothing-here"),
        "{text}"
    );
}
