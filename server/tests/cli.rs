//! The binary as a newcomer runs it: `serve --demo` prints where to open it and a printed demo
//! account signs in; `user add` reads the password from stdin; SIGTERM stops it cleanly;
//! `audit verify` tells an intact database from a tampered one; and a server killed with
//! SIGKILL in the middle of a burst of ballots loses none it acknowledged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod common;

use common::{BIN, ecabinet};

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Starts `serve` and returns the child and the address it printed.
fn serve(data: &std::path::Path, extra: &[&str]) -> (Child, String) {
    serve_with_env(data, extra, &[])
}

fn serve_with_env(data: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    common::spawn_serving(
        ecabinet(data)
            .envs(env.iter().copied())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra),
    )
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

fn terminate(child: Child) {
    let status = common::stop(child);
    assert!(status.success(), "exit after SIGTERM: {status}");
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
    let out = common::run_with_stdin(
        ecabinet(dir.path()).args([
            "user",
            "add",
            "--username",
            "ThuKy2",
            "--role",
            "secretary",
            "--display-name",
            "Bùi Thị Hạnh",
        ]),
        b"mat-khau-bi-mat\n",
    );
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

/// Runs `audit verify` with extra arguments: (success, stdout + stderr).
fn audit_verify(data: &std::path::Path, extra: &[&str]) -> (bool, String) {
    let out = ecabinet(data)
        .args(["audit", "verify"])
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn sqlite(data: &std::path::Path) -> diesel::SqliteConnection {
    use diesel::Connection;
    diesel::SqliteConnection::establish(data.join("ecabinet.db").to_str().unwrap()).unwrap()
}

#[derive(diesel::QueryableByName)]
struct One {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

#[test]
fn audit_verify_tells_intact_from_tampered() {
    use diesel::RunQueryDsl;
    let dir = tempfile::tempdir().unwrap();
    // The demo meeting's chain: two polls created, then scheduled, then its five documents.
    // (The demo's past meeting has a chain of its own.)
    let (child, _) = serve(dir.path(), &["--demo"]);
    terminate(child);
    let (ok, text) = audit_verify(dir.path(), &[]);
    assert!(ok, "{text}");
    let meeting = diesel::sql_query("SELECT id AS v FROM meetings WHERE title = $1")
        .bind::<diesel::sql_types::Text, _>(ecabinet::demo::MEETING_TITLE)
        .load::<One>(&mut sqlite(dir.path()))
        .unwrap()
        .remove(0)
        .v;
    assert!(
        text.contains(&format!("meeting {meeting}: 8 entries intact")),
        "{text}"
    );
    let (ok, text) = audit_verify(dir.path(), &["--meeting", &meeting]);
    assert!(ok, "{text}");
    let (ok, text) = audit_verify(dir.path(), &["--meeting", "no-such-meeting"]);
    assert!(!ok, "an unknown meeting is not intact: {text}");

    // Someone edits the second poll's majority in the database.
    let n = diesel::sql_query(
        "UPDATE audit_entries SET data = replace(data, '\"simple\"', '\"two_thirds\"') WHERE seq = 2 AND meeting_id = $1",
    )
    .bind::<diesel::sql_types::Text, _>(&meeting)
    .execute(&mut sqlite(dir.path()))
    .unwrap();
    assert_eq!(n, 1);
    let (ok, text) = audit_verify(dir.path(), &[]);
    assert!(!ok, "a tampered chain verified: {text}");
    assert!(
        text.contains(&format!("meeting {meeting} entry 2")),
        "{text}"
    );
    let (ok, _) = audit_verify(dir.path(), &["--meeting", &meeting]);
    assert!(!ok);

    // Put back, it verifies again; removing an entry breaks the chain after it.
    diesel::sql_query(
        "UPDATE audit_entries SET data = replace(data, '\"two_thirds\"', '\"simple\"') WHERE seq = 2 AND meeting_id = $1",
    )
    .bind::<diesel::sql_types::Text, _>(&meeting)
    .execute(&mut sqlite(dir.path()))
    .unwrap();
    assert!(audit_verify(dir.path(), &[]).0);
    diesel::sql_query("DELETE FROM audit_entries WHERE seq = 1 AND meeting_id = $1")
        .bind::<diesel::sql_types::Text, _>(&meeting)
        .execute(&mut sqlite(dir.path()))
        .unwrap();
    let (ok, text) = audit_verify(dir.path(), &[]);
    assert!(!ok && text.contains("entry 2"), "{text}");
}

const CRASH_SECRET: &str = "crash-test-secret-crash-test-secret-0123456789";

/// SIGKILL in the middle of 2,000 ballots: after a restart every acknowledged ballot is there,
/// none twice, each poll's tally equals its ballots, and the audit chain verifies.
#[test]
fn acknowledged_ballots_survive_sigkill() {
    use diesel::RunQueryDsl;
    use serde_json::{Value, json};
    use std::collections::{HashMap, HashSet};

    const MEMBERS: usize = 250;
    const POLLS: usize = 8; // 7 named, the last secret: 2,000 ballots in all
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let env = [("ECABINET_AUTH__JWT_SECRET", CRASH_SECRET)];
    let (child, base) = serve_with_env(dir.path(), &[], &env);

    // Users and attendance go straight into the database (argon2 for 250 sign-ins would take
    // longer than the test); tokens are signed with the server's key.
    let mut conn = sqlite(dir.path());
    let tokens = ecabinet::auth::tokens::TokenService::new(
        CRASH_SECRET.as_bytes(),
        &ecabinet::config::AuthSettings::default(),
    );
    let mut people = Vec::new();
    for i in 0..=MEMBERS {
        let (id, role) = (
            ecabinet::db::new_id(),
            if i == 0 { "admin" } else { "member" },
        );
        diesel::sql_query(format!(
            "INSERT INTO users (id, username, display_name, role, password_hash, created_at) \
             VALUES ('{id}', 'u{i}', 'Đại biểu {i}', '{role}', 'x', CURRENT_TIMESTAMP)"
        ))
        .execute(&mut conn)
        .unwrap();
        let role = if i == 0 {
            ecabinet::users::Role::Admin
        } else {
            ecabinet::users::Role::Member
        };
        people.push((id.clone(), tokens.issue(&id, role, "crash").unwrap()));
    }
    let admin = people.remove(0).1;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let call = |path: String, body: Value| {
        let (http, base, admin) = (http.clone(), base.clone(), admin.clone());
        async move {
            let res = http
                .post(format!("{base}{path}"))
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            res.json::<Value>().await.unwrap()
        }
    };
    let (meeting, polls) = rt.block_on(async {
        let m = call(
            "/api/v1/meetings".into(),
            json!({"title": "Phiên họp", "starts_at": "2026-12-01T01:00:00Z"}),
        )
        .await;
        let m = m["id"].as_str().unwrap().to_owned();
        for state in ["scheduled", "live"] {
            call(
                format!("/api/v1/meetings/{m}/state"),
                json!({"state": state}),
            )
            .await;
        }
        (m, Vec::<String>::new())
    });
    for (id, _) in &people {
        diesel::sql_query(format!(
            "INSERT INTO participants (meeting_id, user_id, role, attendance, added_at) \
             VALUES ('{meeting}', '{id}', 'member', 'present', CURRENT_TIMESTAMP)"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    let polls = rt.block_on(async {
        let mut polls = polls;
        for i in 0..POLLS {
            let p = call(
                format!("/api/v1/meetings/{meeting}/polls"),
                json!({"title": format!("Nghị quyết {i}"), "majority": "simple", "secret": i == POLLS - 1}),
            )
            .await;
            let p = p["id"].as_str().unwrap().to_owned();
            let opened = call(format!("/api/v1/polls/{p}/open"), json!({})).await;
            assert_eq!(opened["eligible"], MEMBERS);
            polls.push(p);
        }
        polls
    });

    // The burst: 2,000 ballots, 128 in flight; the server is killed after the 600th answer.
    let child = std::sync::Arc::new(std::sync::Mutex::new(child));
    let acked: Vec<(String, String, String)> = rt.block_on(async {
        let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(128));
        let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for (i, (user, token)) in people.iter().enumerate() {
            for (j, poll) in polls.iter().enumerate() {
                let choice = ["yes", "no", "abstain"][(i + j) % 3];
                let (http, base, token, poll, user) = (
                    http.clone(),
                    base.clone(),
                    token.clone(),
                    poll.clone(),
                    user.clone(),
                );
                let (gate, answered, child) = (gate.clone(), answered.clone(), child.clone());
                tasks.push(tokio::spawn(async move {
                    let _permit = gate.acquire_owned().await.unwrap();
                    let res = http
                        .post(format!("{base}/api/v1/polls/{poll}/ballots"))
                        .bearer_auth(token)
                        .json(&json!({"choice": choice}))
                        .send()
                        .await;
                    let ok = matches!(&res, Ok(r) if r.status().as_u16() == 201);
                    if answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 600 {
                        let _ = child.lock().unwrap().kill(); // SIGKILL
                    }
                    ok.then_some((poll, user, choice.to_owned()))
                }));
            }
        }
        let mut acked = Vec::new();
        for t in tasks {
            if let Some(a) = t.await.unwrap() {
                acked.push(a);
            }
        }
        acked
    });
    let _ = child.lock().unwrap().wait();
    assert!(
        acked.len() >= 500 && acked.len() < 2000,
        "{} acknowledged: not mid-burst",
        acked.len()
    );

    let (child, base) = serve_with_env(dir.path(), &[], &env);
    let results: Vec<Value> = rt.block_on(async {
        let mut out = Vec::new();
        for p in &polls {
            let res = http
                .post(format!("{base}/api/v1/polls/{p}/close"))
                .bearer_auth(&admin)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            out.push(res.json().await.unwrap());
        }
        out
    });
    let mut acked_by_poll: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    for (p, u, c) in &acked {
        acked_by_poll
            .entry(p.as_str())
            .or_default()
            .push((u.as_str(), c.as_str()));
    }
    for (p, closed) in polls.iter().zip(&results) {
        let tally: u64 = closed["tally"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(Value::as_u64)
            .sum();
        assert_eq!(closed["voted"].as_u64(), Some(tally), "{closed}");
        let mine = acked_by_poll.get(p.as_str()).cloned().unwrap_or_default();
        if let Some(ballots) = closed["ballots"].as_array() {
            assert_eq!(ballots.len() as u64, tally, "tally equals ballots");
            let stored: HashMap<&str, &str> = ballots
                .iter()
                .map(|b| {
                    (
                        b["user_id"].as_str().unwrap(),
                        b["choice"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(stored.len(), ballots.len(), "a member counted twice");
            for (u, c) in &mine {
                assert_eq!(stored.get(u), Some(c), "acknowledged ballot of {u} lost");
            }
        } else {
            // Secret: who voted, apart; as many voters as choices, every acknowledged voter in.
            let voters: HashSet<String> = diesel::sql_query(format!(
                "SELECT user_id AS v FROM poll_voters WHERE poll_id = '{p}'"
            ))
            .load::<One>(&mut sqlite(dir.path()))
            .unwrap()
            .into_iter()
            .map(|r| r.v)
            .collect();
            assert_eq!(voters.len() as u64, tally);
            for (u, _) in &mine {
                assert!(
                    voters.contains(*u),
                    "acknowledged secret ballot of {u} lost"
                );
            }
        }
    }
    terminate(child);
    let (ok, text) = audit_verify(dir.path(), &[]);
    assert!(ok, "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
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
    // The demo meeting to come (the demo's past meeting is closed).
    let meeting = meetings["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["state"] != "closed")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
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

/// `curl` with a bearer token; the JSON answer.
fn curl_json(base: &str, path: &str, token: Option<&str>, body: Option<&str>) -> serde_json::Value {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-H", "content-type: application/json"]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("authorization: Bearer {t}")]);
    }
    if let Some(b) = body {
        cmd.args(["-d", b]);
    }
    let out = cmd.arg(format!("{base}{path}")).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// A test CA (ECDSA P-256) and what it issues.
struct Ca {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem: String,
    der: Vec<u8>,
}

impl Ca {
    fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "CA thử ký số");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A key and its certificate for `name` (digitalSignature, contentCommitment).
    fn issue(&self, name: &str) -> (rcgen::KeyPair, Vec<u8>) {
        use rcgen::{CertificateParams, DnType, KeyPair, KeyUsagePurpose};
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (key, cert.der().to_vec())
    }

    /// A PKCS#12 of a key issued to `name`, with the chain.
    fn pkcs12(&self, name: &str, path: &std::path::Path, password: &str) {
        let (key, cert) = self.issue(name);
        let chain = vec![
            p12_keystore::Certificate::from_der(&cert).unwrap(),
            p12_keystore::Certificate::from_der(&self.der).unwrap(),
        ];
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "signer",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
                key.serialize_der(),
                [7u8; 4],
                chain,
            )),
        );
        std::fs::write(path, store.writer(password).write().unwrap()).unwrap();
    }
}

/// pdfsig's report on `pdf` with `ca` trusted in a fresh NSS database (certutil).
fn pdfsig(dir: &std::path::Path, ca: &std::path::Path, pdf: &std::path::Path) -> String {
    let nss = dir.join("nss");
    std::fs::create_dir_all(&nss).unwrap();
    let db = format!("sql:{}", nss.display());
    assert!(
        Command::new("certutil")
            .args(["-N", "-d", &db, "--empty-password"])
            .status()
            .unwrap()
            .success()
    );
    assert!(
        Command::new("certutil")
            .args(["-A", "-d", &db, "-n", "ca", "-t", "CT,C,C", "-i"])
            .arg(ca)
            .status()
            .unwrap()
            .success()
    );
    let out = Command::new("pdfsig")
        .args(["-nssdir", &db])
        .arg(pdf)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn sign_signs_the_record_from_a_pkcs12_and_from_a_token() {
    // The issue's proof: the demo's biên bản signed by the secretary (two phases, a PKCS#12
    // on her PC), the chair (two phases, his key on a token: SoftHSM2) and the organisation's
    // seal (on the server), all from one CA; poppler and pyHanko accept the result.
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new();
    let ca_pem = dir.path().join("ca.pem");
    std::fs::write(&ca_pem, &ca.pem).unwrap();
    ca.pkcs12("UBND xã Cam Thủy", &dir.path().join("seal.p12"), "con dấu");
    std::fs::write(dir.path().join("seal.pass"), "con dấu\n").unwrap();
    let config = dir.path().join("ecabinet.toml");
    std::fs::write(
        &config,
        format!(
            "[signing]\ntrust_anchors = [{:?}]\nkey_file = {:?}\nkey_password_file = {:?}\n",
            ca_pem.display().to_string(),
            dir.path().join("seal.p12").display().to_string(),
            dir.path().join("seal.pass").display().to_string(),
        ),
    )
    .unwrap();
    let config_arg = config.display().to_string();
    let (child, base) = serve(dir.path(), &["--demo", "--config", &config_arg]);
    let login = curl_json(
        &base,
        "/api/v1/auth/login",
        None,
        Some(&format!(
            r#"{{"username":"thuky","password":"{}"}}"#,
            ecabinet::demo::DEMO_PASSWORD
        )),
    );
    let token = login["access_token"].as_str().unwrap().to_owned();
    let meetings = curl_json(&base, "/api/v1/meetings", Some(&token), None);
    let past = meetings["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["state"] == "closed")
        .expect("the demo's past meeting");
    let minutes = curl_json(
        &base,
        &format!("/api/v1/meetings/{}/minutes", past["id"].as_str().unwrap()),
        Some(&token),
        None,
    );
    let doc = minutes["minutes_document_id"].as_str().unwrap().to_owned();
    let p12 = dir.path().join("thuky.p12");
    ca.pkcs12("Lê Thị Thư", &p12, "mật khẩu khóa");

    let sign = |input: String| {
        common::run_with_stdin(
            Command::new(BIN)
                .args([
                    "sign",
                    "--server",
                    &base,
                    "--document",
                    &doc,
                    "--block",
                    "secretary",
                    "--username",
                    "thuky",
                    "--p12",
                ])
                .arg(&p12),
            input.as_bytes(),
        )
    };
    // A wrong PKCS#12 password: refused before anything is sent.
    let out = sign(format!("{}\nsai\n", ecabinet::demo::DEMO_PASSWORD));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("thuky.p12"));
    let out = sign(format!(
        "{}\nmật khẩu khóa\n",
        ecabinet::demo::DEMO_PASSWORD
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("is now version 2"));
    // The block is taken now: the server says so, and the command fails with its words.
    let out = sign(format!(
        "{}\nmật khẩu khóa\n",
        ecabinet::demo::DEMO_PASSWORD
    ));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("block_signed"));

    // The chair signs next, with his key on a token (SoftHSM2 through its PKCS#11 module).
    let hsm = softhsm_token(dir.path(), &ca, "Nguyễn Văn Hùng");
    let chair = |pin: &str| {
        common::run_with_stdin(
            Command::new(BIN).env("SOFTHSM2_CONF", &hsm).args([
                "sign",
                "--server",
                &base,
                "--document",
                &doc,
                "--block",
                "chair",
                "--username",
                "chutich",
                "--pkcs11-module",
                SOFTHSM,
                "--pkcs11-slot",
                "0",
            ]),
            format!("{}\n{pin}\n", ecabinet::demo::DEMO_PASSWORD).as_bytes(),
        )
    };
    let out = chair("9999");
    assert!(!out.status.success(), "a wrong PIN");
    assert!(String::from_utf8_lossy(&out.stderr).contains("PIN"));
    let out = chair("1234");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("is now version 3"));

    // The seal, by the admin, on the server.
    let admin = curl_json(
        &base,
        "/api/v1/auth/login",
        None,
        Some(&format!(
            r#"{{"username":"admin","password":"{}"}}"#,
            ecabinet::demo::DEMO_PASSWORD
        )),
    )["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sealed = curl_json(
        &base,
        &format!("/api/v1/documents/{doc}/seal"),
        Some(&admin),
        Some("{}"),
    );
    assert_eq!(sealed["version"], 4, "{sealed}");

    let sigs = curl_json(
        &base,
        &format!("/api/v1/documents/{doc}/signatures"),
        Some(&token),
        None,
    );
    let names: Vec<&str> = sigs
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["signer"]["common_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Lê Thị Thư", "Nguyễn Văn Hùng", "UBND xã Cam Thủy"],
        "{sigs}"
    );
    for s in sigs.as_array().unwrap() {
        assert_eq!(s["valid"], true, "{s}");
        assert_eq!(s["trusted"], true, "{s}");
    }

    // poppler and pyHanko on the file as served.
    let pdf = dir.path().join("bien-ban.pdf");
    let ok = Command::new("curl")
        .args(["-sf", "-o"])
        .arg(&pdf)
        .args(["-H", &format!("authorization: Bearer {token}")])
        .arg(format!("{base}/api/v1/documents/{doc}/file"))
        .status()
        .unwrap();
    assert!(ok.success());
    let report = pdfsig(dir.path(), &ca_pem, &pdf);
    assert_eq!(report.matches("Signature is Valid.").count(), 3, "{report}");
    assert_eq!(
        report.matches("Certificate is Trusted.").count(),
        3,
        "{report}"
    );
    assert_eq!(
        report.matches("Total document signed").count(),
        1,
        "{report}"
    );
    let hanko = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/tools/validate_pdf.py"
        ))
        .arg(&ca_pem)
        .arg(&pdf)
        .output()
        .unwrap();
    let hanko = String::from_utf8_lossy(&hanko.stdout).into_owned();
    let last = hanko.lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("DauCoQuan INTACT:TRUSTED,UNTOUCHED"),
        "{hanko}"
    );
    assert!(last.ends_with("ENTIRE_FILE"), "{hanko}");
    terminate(child);
}

const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A SoftHSM2 token (PIN 1234) holding an ECDSA P-256 key issued by `ca` to `name`, with its
/// certificate and the CA's; returns its configuration file (for `SOFTHSM2_CONF`).
fn softhsm_token(dir: &std::path::Path, ca: &Ca, name: &str) -> std::path::PathBuf {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let (key, cert) = ca.issue(name);
    std::fs::write(dir.join("token-key.pem"), key.serialize_pem()).unwrap();
    std::fs::write(dir.join("token-cert.der"), cert).unwrap();
    std::fs::write(dir.join("token-ca.der"), &ca.der).unwrap();
    let run = |cmd: &mut Command| {
        let out = cmd.env("SOFTHSM2_CONF", &conf).output().unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("softhsm2-util").args([
        "--init-token",
        "--free",
        "--label",
        "ecabinet",
        "--pin",
        "1234",
        "--so-pin",
        "5678",
    ]));
    run(Command::new("softhsm2-util")
        .arg("--import")
        .arg(dir.join("token-key.pem"))
        .args([
            "--token", "ecabinet", "--label", "chu-toa", "--id", "01", "--pin", "1234",
        ]));
    for (file, id, label) in [
        ("token-cert.der", "01", "chu-toa"),
        ("token-ca.der", "02", "ca"),
    ] {
        run(Command::new("pkcs11-tool")
            .args([
                "--module",
                SOFTHSM,
                "--login",
                "--pin",
                "1234",
                "--write-object",
            ])
            .arg(dir.join(file))
            .args(["--type", "cert", "--id", id, "--label", label]));
    }
    conf
}
