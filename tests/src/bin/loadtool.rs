//! Load tool for the live channel: opens N authenticated sessions to one meeting of a running
//! ecabinet (or to the Node.js `ws` baseline in benches/ws-baseline.mjs), triggers events at a
//! given rate and measures, per event, the time from its commit (the event's `at`) to each
//! socket, and the server's memory per idle session. Every loop is bounded in count and time.
//!
//! With `--strokes`, the events are shared ink batches (`annotation.stroke`, ephemeral) sent by
//! one drawing session over its websocket every 1/rate s, and the latency is from the send to
//! each other socket's receipt.
//!
//! Example (see docs/benchmarks.md for the server settings it needs):
//! `cargo run --release -p ecabinet-tests --bin loadtool -- --url http://127.0.0.1:8080 \
//!    --sessions 1000 --events 200 --rate 20 --server-pid $PID`

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use ecabinet_tests::http::{Http, percentile};
use ecabinet_tests::live::{LiveClient, Next};
use serde_json::{Value, json};
use tokio::sync::Mutex;

#[derive(Debug, Parser)]
struct Args {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Sessions to open.
    #[arg(long, default_value_t = 1000)]
    sessions: usize,
    /// Distinct users the sessions belong to.
    #[arg(long, default_value_t = 100)]
    users: usize,
    /// Events to trigger.
    #[arg(long, default_value_t = 100)]
    events: usize,
    /// Events per second.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Admin account of the server (the demo one by default).
    #[arg(long, default_value = "admin")]
    admin: String,
    #[arg(long, default_value = "demo1234")]
    password: String,
    /// PID of the server, to read its memory (VmRSS) before and after the sessions open.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Talk to the Node.js `ws` baseline instead of ecabinet.
    #[arg(long)]
    baseline: bool,
    /// Relay shared ink batches from one drawing session instead of committing events.
    #[arg(long)]
    strokes: bool,
    /// Give up after this many seconds in all.
    #[arg(long, default_value_t = 600)]
    max_secs: u64,
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Creates a meeting with `users` members and returns its id and one token per user.
async fn prepare(http: &Http, args: &Args) -> anyhow::Result<(String, Vec<String>)> {
    let admin = http.login(&args.admin, &args.password).await?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let run = &run[..8];
    let meeting = http
        .call(
            reqwest::Method::POST,
            "/api/v1/meetings",
            Some(&admin),
            json!({"title": format!("Tải thử {run}"), "starts_at": "2026-12-01T01:00:00Z"}),
        )
        .await?;
    let id = meeting["id"].as_str().context("meeting id")?.to_owned();
    let password = "load-test-password";
    let mut tokens = Vec::new();
    for i in 0..args.users {
        let username = format!("load{run}{i}");
        let user = http
            .call(
                reqwest::Method::POST,
                "/api/v1/users",
                Some(&admin),
                json!({"username": username, "password": password, "role": "member"}),
            )
            .await?;
        http.call(
            reqwest::Method::POST,
            &format!("/api/v1/meetings/{id}/participants"),
            Some(&admin),
            json!({"user_id": user["id"], "role": "member"}),
        )
        .await?;
        tokens.push(http.login(&username, password).await?);
    }
    http.call(
        reqwest::Method::POST,
        &format!("/api/v1/meetings/{id}/state"),
        Some(&admin),
        json!({"state": "scheduled"}),
    )
    .await?;
    Ok((id, vec![admin].into_iter().chain(tokens).collect()))
}

/// Receive times of each event, per session.
type Arrivals = Arc<Mutex<Vec<(i64, Instant)>>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let deadline = Instant::now() + Duration::from_secs(args.max_secs);
    let http = Http {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
        base: args.url.trim_end_matches('/').to_owned(),
    };
    let ws_base = http.base.replacen("http", "ws", 1);

    let (url, tokens, admin) = if args.baseline {
        (format!("{ws_base}/"), Vec::new(), String::new())
    } else {
        let (id, tokens) = prepare(&http, &args).await?;
        let admin = tokens[0].clone();
        (
            format!("{ws_base}/api/v1/meetings/{id}/live"),
            tokens[1..].to_vec(),
            admin,
        )
    };
    let meeting_id = url.split('/').rev().nth(1).unwrap_or_default().to_owned();

    let rss_before = args.server_pid.and_then(rss_kib);
    let started = Instant::now();
    // Open the sessions, at most 256 handshakes at once.
    let gate = Arc::new(tokio::sync::Semaphore::new(256));
    let mut tasks = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut arrivals: Vec<Arrivals> = Vec::new();
    for i in 0..args.sessions {
        let record: Arrivals = Arc::new(Mutex::new(Vec::with_capacity(args.events)));
        arrivals.push(record.clone());
        let (url, gate, ready) = (url.clone(), gate.clone(), ready_tx.clone());
        let token = tokens.get(i % tokens.len().max(1)).cloned();
        let baseline = args.baseline;
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let mut c = match LiveClient::open(&url, None).await {
                Ok(c) => c,
                Err(e) => {
                    let _ = ready.send(Err(format!("{e}")));
                    return;
                }
            };
            if !baseline {
                c.send(json!({"type": "hello", "token": token, "last_seq": 0}))
                    .await;
                loop {
                    match c.next(Duration::from_secs(60)).await {
                        Next::Json(v) if v["type"] == "welcome" => break,
                        Next::Json(_) => {}
                        other => {
                            let _ = ready.send(Err(format!("{other:?}")));
                            return;
                        }
                    }
                }
            }
            drop(permit);
            let _ = ready.send(Ok(()));
            while let Next::Json(v) = c.next(Duration::from_secs(30)).await {
                if v["type"] == "annotation.stroke" {
                    // Ink batches are keyed below zero, apart from the events' seqs.
                    if let Some(n) = v["data"]["stroke_id"]
                        .as_str()
                        .and_then(|s| s.strip_prefix('b'))
                        .and_then(|n| n.parse::<i64>().ok())
                    {
                        record.lock().await.push((-n - 1, Instant::now()));
                    }
                } else if let Some(seq) = v["seq"].as_i64() {
                    record.lock().await.push((seq, Instant::now()));
                    // `at` is read once per event below from the trigger side.
                    let _ = v;
                }
            }
        }));
    }
    drop(ready_tx);
    let mut opened = 0;
    let mut failed = 0;
    while opened + failed < args.sessions && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(Ok(()))) => opened += 1,
            Ok(Some(Err(e))) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("session failed: {e}");
                }
            }
            _ => break,
        }
    }
    let open_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = args.server_pid.and_then(rss_kib);
    println!("sessions: {opened} open, {failed} failed, in {open_secs:.1} s");
    if let (Some(a), Some(b)) = (rss_before, rss_after) {
        println!(
            "server memory: {a} KiB before, {b} KiB with the sessions idle: {:.1} KiB per session",
            (b.saturating_sub(a)) as f64 / opened.max(1) as f64
        );
    }

    if args.strokes {
        let committed = draw(&http, &url, &admin, &meeting_id, &args, deadline).await?;
        let trigger_secs = args.events as f64 / args.rate.max(0.1);
        return report(&arrivals, committed, opened, trigger_secs, tasks).await;
    }

    // Trigger events at the given rate, without waiting for one answer before the next
    // request (at most 64 in flight), and remember when each request was sent.
    let http = Arc::new(http);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(64));
    let mut triggers = Vec::new();
    let interval = Duration::from_secs_f64(1.0 / args.rate.max(0.1));
    let mut tick = tokio::time::interval(interval);
    let trigger_started = Instant::now();
    for i in 0..args.events {
        if Instant::now() >= deadline {
            break;
        }
        tick.tick().await;
        let permit = in_flight.clone().acquire_owned().await?;
        let (http, admin, meeting_id, baseline) = (
            http.clone(),
            admin.clone(),
            meeting_id.clone(),
            args.baseline,
        );
        triggers.push(tokio::spawn(async move {
            let _permit = permit;
            let sent = Instant::now();
            let answer = if baseline {
                http.call(reqwest::Method::POST, "/broadcast", None, json!({}))
                    .await
            } else {
                http.call(
                    reqwest::Method::PATCH,
                    &format!("/api/v1/meetings/{meeting_id}"),
                    Some(&admin),
                    json!({"location": format!("Phòng {i}")}),
                )
                .await
            };
            // The commit happens between `sent` and the answer: timing from `sent` makes the
            // figures pessimistic by the request's own time, the same for both servers.
            answer
                .ok()
                .and_then(|v| v[if baseline { "seq" } else { "last_seq" }].as_i64())
                .map(|seq| (seq, sent))
        }));
    }
    let mut committed: Vec<(i64, Instant)> = Vec::new();
    for t in triggers {
        if let Ok(Some(c)) = t.await {
            committed.push(c);
        }
    }
    let trigger_secs = trigger_started.elapsed().as_secs_f64();
    report(&arrivals, committed, opened, trigger_secs, tasks).await
}

/// Uploads a document and sends `args.events` ink batches on it from one drawing session;
/// returns each batch's key and send time.
async fn draw(
    http: &Http,
    url: &str,
    admin: &str,
    meeting_id: &str,
    args: &Args,
    deadline: Instant,
) -> anyhow::Result<Vec<(i64, Instant)>> {
    let res = http
        .client
        .post(format!(
            "{}/api/v1/meetings/{meeting_id}/documents",
            http.base
        ))
        .query(&[("title", "Bản vẽ thử")])
        .bearer_auth(admin)
        .header("content-type", "application/pdf")
        .body(ecabinet_tests::pdfs::simple(3, "ink"))
        .send()
        .await?;
    let doc: Value = res.json().await?;
    let document_id = doc["id"].as_str().context("document id")?.to_owned();
    let mut drawer = LiveClient::open(url, None).await?;
    drawer
        .send(json!({"type": "hello", "token": admin, "last_seq": 0}))
        .await;
    loop {
        match drawer.next(Duration::from_secs(30)).await {
            Next::Json(v) if v["type"] == "welcome" => break,
            Next::Json(_) => {}
            other => bail!("drawer: {other:?}"),
        }
    }
    let mut committed = Vec::with_capacity(args.events);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate.max(0.1)));
    for n in 0..args.events {
        if Instant::now() >= deadline {
            break;
        }
        tick.tick().await;
        // About 50 ms of a pen: a handful of points.
        let t = n as f64 * 0.001;
        let points: Vec<[f64; 3]> = (0..6)
            .map(|k| [0.2 + t % 0.5 + k as f64 * 0.01, 0.3 + k as f64 * 0.005, 0.6])
            .collect();
        let sent = Instant::now();
        drawer
            .send(
                json!({"type": "annotation.stroke", "ref": n, "document_id": document_id,
                "page": 1, "stroke_id": format!("b{n}"), "points": points,
                "color": "#1040c0", "width": 0.004}),
            )
            .await;
        committed.push((-(n as i64) - 1, sent));
        // Read the ack so the drawer's own queue never fills.
        loop {
            match drawer.next(Duration::from_secs(10)).await {
                Next::Json(v) if v["ref"] == n => {
                    if v["type"] != "ack" {
                        bail!("batch refused: {v}");
                    }
                    break;
                }
                Next::Json(_) => {}
                other => bail!("drawer: {other:?}"),
            }
        }
    }
    Ok(committed)
}

/// Waits (bounded) for the deliveries and prints the latency figures.
async fn report(
    arrivals: &[Arrivals],
    committed: Vec<(i64, Instant)>,
    opened: usize,
    trigger_secs: f64,
    tasks: Vec<tokio::task::JoinHandle<()>>,
) -> anyhow::Result<()> {
    // Let deliveries finish (bounded).
    let expected = committed.len();
    let wait_until = Instant::now() + Duration::from_secs(30);
    loop {
        let mut done = 0;
        for a in arrivals {
            if a.lock().await.len() >= expected {
                done += 1;
            }
        }
        if done >= opened || Instant::now() > wait_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut all = Vec::new();
    let mut last_socket = Vec::new();
    let mut missing = 0usize;
    for (seq, at) in &committed {
        let mut worst: f64 = 0.0;
        for a in arrivals {
            let got = a.lock().await;
            match got.iter().find(|(s, _)| s == seq) {
                Some((_, t)) => {
                    let ms = t.saturating_duration_since(*at).as_secs_f64() * 1000.0;
                    all.push(ms);
                    worst = worst.max(ms);
                }
                None => missing += 1,
            }
        }
        last_socket.push(worst);
    }
    all.sort_by(f64::total_cmp);
    last_socket.sort_by(f64::total_cmp);
    println!(
        "events: {expected} at {:.0}/s into {opened} sessions; deliveries {}; missing {missing}",
        expected as f64 / trigger_secs.max(0.001),
        all.len()
    );
    println!(
        "delivery latency from the trigger request (ms): p50 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        percentile(&all, 100.0)
    );
    println!(
        "time to the last socket per event (ms): p50 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&last_socket, 50.0),
        percentile(&last_socket, 99.0),
        percentile(&last_socket, 100.0)
    );
    for t in tasks {
        t.abort();
    }
    Ok(())
}
