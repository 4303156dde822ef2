//! Load tool for the live channel: opens N authenticated sessions to one meeting of a running
//! ecabinet (or to the Node.js `ws` baseline in benches/ws-baseline.mjs), triggers events at a
//! given rate and measures, per event, the time to each socket, and the server's memory per idle
//! session. Every loop is bounded in count and time.
//!
//! Two clocks are reported: from the event's `at` (stamped by the server inside the event's
//! transaction, just before the commit, in microseconds; the baseline stamps it when it starts
//! its broadcast), which is the "from commit"; and from the moment the trigger request
//! was sent, which also counts the HTTP request and the commit. Both are wall-clock times of the
//! same machine.
//!
//! With `--strokes`, the events are shared ink batches (`annotation.stroke`, ephemeral) sent by
//! one drawing session over its websocket every 1/rate s; the latency is from the send to each
//! other socket's receipt, and from the relay's `at` (when the server accepted the batch).
//!
//! The reading side is kept lean so that it does not measure itself: each message is parsed
//! only for its `seq`, `at` and stroke id (borrowed, no `Value`), and each session records into
//! its own `Vec`, returned when the session task ends (no lock per message).
//!
//! Example (see docs/benchmarks.md for the server settings it needs):
//! `cargo run --release -p ecabinet-tests --bin loadtool -- --url http://127.0.0.1:8080 \
//!    --sessions 1000 --events 200 --rate 20 --server-pid $PID`

#![allow(clippy::print_stdout)]

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Parser;
use ecabinet_tests::http::{Http, percentile};
use ecabinet_tests::live::{LiveClient, Next};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

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
    /// Sessions say hello with the seq of the log's end (a tablet that reconnects having seen
    /// everything) instead of 0 (a tablet that joins and is sent the meeting's history).
    #[arg(long)]
    resume: bool,
    /// Relay shared ink batches from one drawing session instead of committing events.
    #[arg(long)]
    strokes: bool,
    /// Give up after this many seconds in all.
    #[arg(long, default_value_t = 600)]
    max_secs: u64,
    /// Worker threads of the tool's runtime (default: the cores it may run on, so that
    /// `taskset -c 1 loadtool …` gives it one).
    #[arg(long)]
    threads: Option<usize>,
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

/// Joins once from seq 0: how many messages and bytes of text a joining tablet is sent before
/// its `welcome`, and the seq the log ends at.
async fn probe_replay(
    url: &str,
    token: &str,
    deadline: Instant,
) -> anyhow::Result<(usize, usize, i64)> {
    let mut c = LiveClient::open(url, None).await?;
    c.send(json!({"type": "hello", "token": token, "last_seq": 0}))
        .await;
    let (mut messages, mut bytes) = (0, 0);
    while Instant::now() < deadline {
        let text = match tokio::time::timeout(Duration::from_secs(30), c.ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => text,
            Ok(Some(Ok(_))) => continue,
            other => bail!("the probe session ended: {other:?}"),
        };
        let v: Value = serde_json::from_str(text.as_str())?;
        if v["type"] == "welcome" {
            return Ok((messages, bytes, v["seq"].as_i64().unwrap_or(0)));
        }
        messages += 1;
        bytes += text.len();
    }
    bail!("no welcome before the deadline")
}

/// One receipt: the event's key (its seq; an ink batch's key is below zero), when the socket
/// got it and the event's own `at`, both in microseconds since the epoch.
#[derive(Debug, Clone, Copy)]
struct Receipt {
    key: i64,
    received_us: i64,
    at_us: Option<i64>,
}

/// The only parts of a message the tool looks at.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(default)]
    seq: Option<i64>,
    #[serde(default, borrow)]
    at: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    data: Option<HeadData<'a>>,
}

#[derive(Deserialize)]
struct HeadData<'a> {
    #[serde(default, borrow)]
    stroke_id: Option<Cow<'a, str>>,
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn parse_at(at: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// The receipt of one text message, when it is an event or an ink batch.
fn receipt(text: &str, received_us: i64) -> Option<Receipt> {
    let head: Head<'_> = serde_json::from_str(text).ok()?;
    let key = match (head.seq, &head.data) {
        (Some(seq), _) => seq,
        (
            None,
            Some(HeadData {
                stroke_id: Some(id),
            }),
        ) => {
            // Ink batches are keyed below zero, apart from the events' seqs.
            -id.strip_prefix('b')?.parse::<i64>().ok()? - 1
        }
        _ => return None,
    };
    Some(Receipt {
        key,
        received_us,
        at_us: head.at.as_deref().and_then(parse_at),
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        runtime.worker_threads(n.max(1));
    }
    runtime.enable_all().build()?.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
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
    let last_seq = if args.baseline {
        0
    } else {
        let (events, bytes, end) = probe_replay(&url, &admin, deadline).await?;
        println!("replay on joining: {events} events, {bytes} bytes; the log ends at seq {end}");
        if args.resume { end } else { 0 }
    };

    let rss_before = args.server_pid.and_then(rss_kib);
    let started = Instant::now();
    // Open the sessions, at most 256 handshakes at once.
    let gate = Arc::new(tokio::sync::Semaphore::new(256));
    let mut tasks = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let received = Arc::new(AtomicUsize::new(0));
    for i in 0..args.sessions {
        let (url, gate, ready) = (url.clone(), gate.clone(), ready_tx.clone());
        let (mut stop, received) = (stop_rx.clone(), received.clone());
        let token = tokens.get(i % tokens.len().max(1)).cloned();
        let baseline = args.baseline;
        let capacity = args.events;
        tasks.push(tokio::spawn(async move {
            let mut record: Vec<Receipt> = Vec::new();
            let permit = gate.acquire_owned().await;
            let mut c = match LiveClient::open(&url, None).await {
                Ok(c) => c,
                Err(e) => {
                    let _ = ready.send(Err(format!("{e}")));
                    return record;
                }
            };
            if !baseline {
                c.send(json!({"type": "hello", "token": token, "last_seq": last_seq}))
                    .await;
                loop {
                    match c.next(Duration::from_secs(60)).await {
                        Next::Json(v) if v["type"] == "welcome" => break,
                        Next::Json(_) => {}
                        other => {
                            let _ = ready.send(Err(format!("{other:?}")));
                            return record;
                        }
                    }
                }
            } else {
                // The same bytes in as an ecabinet hello (a signed token is ~400 characters):
                // the baselines ignore it, but their connection reads it as ecabinet's does.
                c.send(json!({"type": "hello", "token": "t".repeat(400), "last_seq": 0}))
                    .await;
            }
            drop(permit);
            record.reserve_exact(capacity);
            let _ = ready.send(Ok(()));
            loop {
                let message = tokio::select! {
                    m = tokio::time::timeout(Duration::from_secs(60), c.ws.next()) => m,
                    _ = stop.changed() => break,
                };
                match message {
                    Ok(Some(Ok(Message::Text(text)))) => {
                        let at = now_us();
                        if let Some(r) = receipt(text.as_str(), at) {
                            record.push(r);
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(Some(Ok(_))) => {}
                    _ => break,
                }
            }
            record
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
    let sessions = Sessions {
        tasks,
        stop: stop_tx,
        received,
        opened,
    };

    if args.strokes {
        let trigger_started = Instant::now();
        let committed = draw(&http, &url, &admin, &meeting_id, &args, deadline).await?;
        let trigger_secs = trigger_started.elapsed().as_secs_f64();
        return report(sessions, committed, trigger_secs, true).await;
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
            let sent = now_us();
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
            answer
                .ok()
                .and_then(|v| v[if baseline { "seq" } else { "last_seq" }].as_i64())
                .map(|seq| (seq, sent))
        }));
    }
    let mut committed: Vec<(i64, i64)> = Vec::new();
    for t in triggers {
        if let Ok(Some(c)) = t.await {
            committed.push(c);
        }
    }
    let trigger_secs = trigger_started.elapsed().as_secs_f64();
    report(sessions, committed, trigger_secs, false).await
}

/// The reading sessions: their tasks (each returns its receipts), the signal that stops them,
/// and the count of receipts so far.
struct Sessions {
    tasks: Vec<tokio::task::JoinHandle<Vec<Receipt>>>,
    stop: tokio::sync::watch::Sender<bool>,
    received: Arc<AtomicUsize>,
    opened: usize,
}

/// Uploads a document and sends `args.events` ink batches on it from one drawing session;
/// returns each batch's key and send time (microseconds since the epoch).
async fn draw(
    http: &Http,
    url: &str,
    admin: &str,
    meeting_id: &str,
    args: &Args,
    deadline: Instant,
) -> anyhow::Result<Vec<(i64, i64)>> {
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
        let text = json!({"type": "annotation.stroke", "ref": n, "document_id": document_id,
            "page": 1, "stroke_id": format!("b{n}"), "points": points,
            "color": "#1040c0", "width": 0.004})
        .to_string();
        let sent = now_us();
        if !drawer.send_raw(text).await {
            bail!("drawer: the socket closed");
        }
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

/// p50 / p99 / max of a sorted list, for printing.
fn spread(sorted: &[f64]) -> String {
    format!(
        "p50 {:.2}  p99 {:.2}  max {:.2}",
        percentile(sorted, 50.0),
        percentile(sorted, 99.0),
        percentile(sorted, 100.0)
    )
}

/// Waits (bounded) for the deliveries, stops the sessions and prints the latency figures.
async fn report(
    sessions: Sessions,
    committed: Vec<(i64, i64)>,
    trigger_secs: f64,
    strokes: bool,
) -> anyhow::Result<()> {
    let expected = committed.len();
    let wanted = expected * sessions.opened;
    // The count also has messages that are not measured (the document's own event in
    // `--strokes`, broadcasts of triggers that timed out): stop once it reached what is
    // expected and then stayed still for a moment, or stayed still for long (bounded).
    let wait_until = Instant::now() + Duration::from_secs(30);
    let (mut last, mut still_since) = (usize::MAX, Instant::now());
    while Instant::now() < wait_until {
        let n = sessions.received.load(Ordering::Relaxed);
        if n != last {
            (last, still_since) = (n, Instant::now());
        }
        let still = still_since.elapsed();
        if (n >= wanted && still >= Duration::from_millis(300)) || still >= Duration::from_secs(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = sessions.stop.send(true);
    let mut records = Vec::with_capacity(sessions.tasks.len());
    for t in sessions.tasks {
        records.push(t.await.unwrap_or_default());
    }
    let opened = sessions.opened;

    // Per event: its trigger time and its `at`, then each session's receipt.
    let mut from_trigger = Vec::new();
    let mut from_at = Vec::new();
    let mut last_from_trigger = Vec::new();
    let mut last_from_at = Vec::new();
    let mut missing = 0usize;
    let index: std::collections::HashMap<i64, i64> = committed.iter().copied().collect();
    // Each event's worst (latest) receipt and its `at` (the same in every copy).
    let mut worst: std::collections::HashMap<i64, (i64, Option<i64>)> =
        std::collections::HashMap::new();
    let mut counted = 0usize;
    for record in &records {
        let mut seen = std::collections::HashSet::new();
        for r in record {
            let Some(sent) = index.get(&r.key) else {
                continue;
            };
            if !seen.insert(r.key) {
                continue;
            }
            counted += 1;
            from_trigger.push((r.received_us - sent) as f64 / 1000.0);
            if let Some(at) = r.at_us {
                from_at.push((r.received_us - at) as f64 / 1000.0);
            }
            let w = worst.entry(r.key).or_insert((r.received_us, r.at_us));
            w.0 = w.0.max(r.received_us);
        }
        missing += expected - seen.len();
    }
    for (key, sent) in &committed {
        if let Some((last, at)) = worst.get(key) {
            last_from_trigger.push((last - sent) as f64 / 1000.0);
            if let Some(at) = at {
                last_from_at.push((last - at) as f64 / 1000.0);
            }
        }
    }
    for v in [
        &mut from_trigger,
        &mut from_at,
        &mut last_from_trigger,
        &mut last_from_at,
    ] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "events: {expected} at {:.0}/s into {opened} sessions; deliveries {counted}; missing {missing}",
        expected as f64 / trigger_secs.max(0.001),
    );
    let (at_name, trigger_name) = if strokes {
        ("the relay's `at`", "the drawer's send")
    } else {
        ("commit (the event's `at`)", "the trigger request")
    };
    println!(
        "from {at_name} (ms): per delivery {}; to the last socket {}",
        spread(&from_at),
        spread(&last_from_at)
    );
    println!(
        "from {trigger_name} (ms): per delivery {}; to the last socket {}",
        spread(&from_trigger),
        spread(&last_from_trigger)
    );
    Ok(())
}
