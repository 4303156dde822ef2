//! What the tests that run the built binary share: starting `serve` and reading the address it
//! prints, stopping it with SIGTERM, and running a command with its standard input.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
