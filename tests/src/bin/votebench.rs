//! Voting benchmark: N members of one meeting, each with a live session, all voting over the
//! live channel within a spread (default one second). Measures, per ballot, the time from
//! sending it to its `ack` (which the server sends only after the commit), and, per tablet,
//! the time from the last ack to the `poll.tally` that shows every ballot. Then the sustained
//! throughput of ballots over HTTP, as fast as 256 concurrent requests go. Every loop is
//! bounded in count and time.
//!
//! Needs a server whose login limits allow N sign-ins from one address (benches/votes.sh).
//! `cargo run --release -p ecabinet-tests --bin votebench -- --url http://127.0.0.1:18092 --members 2000`

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use ecabinet_tests::http::{Http, each, print_summary};
use ecabinet_tests::live::{LiveClient, Next, Ws};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Members in the meeting, each with one live session and one ballot.
    #[arg(long, default_value_t = 2000)]
    members: usize,
    /// All ballots are sent within this many milliseconds (uniformly spread).
    #[arg(long, default_value_t = 1000)]
    spread_ms: u64,
    #[arg(long, default_value = "admin")]
    admin: String,
    #[arg(long, default_value = "demo1234")]
    password: String,
    /// Give up after this many seconds in all.
    #[arg(long, default_value_t = 900)]
    max_secs: u64,
}

/// Creates the meeting, its members (signed in, checked in) and returns (meeting, admin, tokens).
async fn prepare(http: &Http, args: &Args) -> anyhow::Result<(String, String, Vec<String>)> {
    let admin = http.login(&args.admin, &args.password).await?;
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let m = http
        .post(
            "/api/v1/meetings",
            &admin,
            json!({"title": format!("Biểu quyết thử {run}"), "starts_at": "2026-12-01T01:00:00Z"}),
        )
        .await?;
    let meeting = m["id"].as_str().context("meeting id")?.to_owned();
    let started = Instant::now();
    let (h, a, m2) = (http.clone(), admin.clone(), meeting.clone());
    let tokens = each((0..args.members).collect(), 8, move |i| {
        let (http, admin, meeting, run) = (h.clone(), a.clone(), m2.clone(), run.clone());
        async move {
            let username = format!("bq{run}{i}");
            let password = "vote-bench-password";
            let user = http
                .post(
                    "/api/v1/users",
                    &admin,
                    json!({"username": username, "password": password, "role": "member"}),
                )
                .await?;
            http.post(
                &format!("/api/v1/meetings/{meeting}/participants"),
                &admin,
                json!({"user_id": user["id"], "role": "member"}),
            )
            .await?;
            let token = http.login(&username, password).await?;
            Ok((user["id"].as_str().unwrap_or_default().to_owned(), token))
        }
    })
    .await?;
    println!(
        "setup: {} members created and signed in in {:.1} s",
        tokens.len(),
        started.elapsed().as_secs_f64()
    );
    for state in ["scheduled", "live"] {
        http.post(
            &format!("/api/v1/meetings/{meeting}/state"),
            &admin,
            json!({"state": state}),
        )
        .await?;
    }
    let (h, a, m2) = (http.clone(), admin.clone(), meeting.clone());
    each(
        tokens.iter().map(|(id, _)| id.clone()).collect(),
        16,
        move |id| {
            let (http, admin, meeting) = (h.clone(), a.clone(), m2.clone());
            async move {
                http.post(
                    &format!("/api/v1/meetings/{meeting}/attendance"),
                    &admin,
                    json!({"user_id": id, "status": "present"}),
                )
                .await
            }
        },
    )
    .await?;
    Ok((meeting, admin, tokens.into_iter().map(|(_, t)| t).collect()))
}

/// One tablet's view of the vote: when it sent its ballot, when it was acked, when it saw the
/// full tally.
#[derive(Debug, Default, Clone, Copy)]
struct Tablet {
    sent: Option<Instant>,
    acked: Option<Instant>,
    full_tally: Option<Instant>,
}

/// A frame off a tablet's socket, unparsed.
enum Frame {
    Text(String),
    Other,
    Closed,
    Timeout,
}

async fn next_frame(ws: &mut Ws, until: tokio::time::Instant) -> Frame {
    match tokio::time::timeout_at(until, ws.next()).await {
        Err(_) => Frame::Timeout,
        Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => Frame::Closed,
        Ok(Some(Ok(Message::Text(t)))) => Frame::Text(t.as_str().to_owned()),
        Ok(Some(Ok(_))) => Frame::Other,
    }
}

/// What a message during the vote means to a tablet.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Ack,
    Refused,
    /// A `poll.tally` with every eligible voter's ballot.
    FullTally,
    Other,
}

#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(rename = "ref", default, borrow)]
    reference: Option<&'a str>,
}

#[derive(Deserialize)]
struct TallyEvent {
    data: TallyData,
}

#[derive(Deserialize)]
struct TallyData {
    voted: u64,
    eligible: u64,
}

/// Sorts a message by a substring look first, parsing (into small typed structs, not a
/// `serde_json::Value`) only the acks, errors and tallies.
fn classify(text: &str) -> Seen {
    if text.contains("\"poll.tally\"") {
        return match serde_json::from_str::<TallyEvent>(text) {
            Ok(t) if t.data.voted == t.data.eligible => Seen::FullTally,
            _ => Seen::Other,
        };
    }
    if !(text.contains("\"ack\"") || text.contains("\"error\"")) {
        return Seen::Other;
    }
    match serde_json::from_str::<Reply<'_>>(text) {
        Ok(r) if r.reference == Some("b") && r.kind == "ack" => Seen::Ack,
        Ok(r) if r.reference == Some("b") && r.kind == "error" => Seen::Refused,
        _ => Seen::Other,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let deadline = Instant::now() + Duration::from_secs(args.max_secs);
    let http = Http::for_crowd(&args.url)?;
    let (meeting, admin, tokens) = prepare(&http, &args).await?;
    let n = tokens.len();
    let poll = http
        .post(
            &format!("/api/v1/meetings/{meeting}/polls"),
            &admin,
            json!({"title": "Thông qua nghị quyết", "majority": "simple", "secret": true}),
        )
        .await?;
    let poll_id = poll["id"].as_str().context("poll id")?.to_owned();

    let last_seq = http
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/meetings/{meeting}"),
            Some(&admin),
            Value::Null,
        )
        .await?["last_seq"]
        .as_i64()
        .unwrap_or(0);
    // Connect every tablet, at most 256 handshakes at once.
    let url = format!(
        "{}/api/v1/meetings/{meeting}/live",
        http.base.replacen("http", "ws", 1)
    );
    let gate = Arc::new(Semaphore::new(256));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
    // A watch, not a Notify: a tablet that looks after the start still sees it.
    let (start_tx, start_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let spread = args.spread_ms;
    for (i, token) in tokens.iter().enumerate() {
        let (url, gate, ready, token, poll_id, mut start) = (
            url.clone(),
            gate.clone(),
            ready_tx.clone(),
            token.clone(),
            poll_id.clone(),
            start_rx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut t = Tablet::default();
            let permit = gate.acquire_owned().await;
            let Ok(mut c) = LiveClient::open(&url, None).await else {
                let _ = ready.send(false);
                return t;
            };
            // Tablets already in sync: no replay of the setup's thousands of events.
            c.send(json!({"type": "hello", "token": token, "last_seq": last_seq})).await;
            loop {
                match c.next(Duration::from_secs(60)).await {
                    Next::Json(v) if v["type"] == "welcome" => break,
                    Next::Json(_) => {}
                    _ => {
                        let _ = ready.send(false);
                        return t;
                    }
                }
            }
            drop(permit);
            let _ = ready.send(true);
            // Keep reading (and so answering the server's pings) until the vote starts.
            loop {
                tokio::select! {
                    _ = start.wait_for(|s| *s) => break,
                    next = c.next(Duration::from_secs(60)) => {
                        if matches!(next, Next::Closed(_)) {
                            return t;
                        }
                    }
                }
            }
            // Each tablet votes at its own moment within the spread. From here on the tool reads
            // frames raw and parses only the few it looks for, so that its own work on the
            // shared cores stays small (see `classify`).
            let delay = Duration::from_millis((i as u64 * 7919) % spread.max(1));
            let vote_at = tokio::time::Instant::now() + delay;
            let ballot = json!({"type": "ballot", "ref": "b", "poll_id": poll_id, "choice": (["yes", "no", "abstain"][i % 3])}).to_string();
            let mut voted = false;
            loop {
                let until = if voted { tokio::time::Instant::now() + Duration::from_secs(30) } else { vote_at };
                match next_frame(&mut c.ws, until).await {
                    Frame::Timeout if !voted => {
                        t.sent = Some(Instant::now());
                        if !c.send_raw(ballot.clone()).await {
                            return t;
                        }
                        voted = true;
                    }
                    Frame::Text(text) => match classify(&text) {
                        Seen::Ack => t.acked = Some(Instant::now()),
                        Seen::Refused => {
                            eprintln!("ballot refused: {text}");
                            t.acked = Some(Instant::now());
                        }
                        Seen::FullTally => {
                            t.full_tally = Some(Instant::now());
                            if t.acked.is_some() {
                                return t;
                            }
                        }
                        Seen::Other => {}
                    },
                    Frame::Other => {}
                    Frame::Timeout | Frame::Closed => return t,
                }
            }
        }));
    }
    drop(ready_tx);
    let mut opened = 0;
    while opened < n && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(120), ready_rx.recv()).await {
            Ok(Some(true)) => opened += 1,
            Ok(Some(false)) | Ok(None) | Err(_) => {
                bail!("a tablet failed to join ({opened} joined)")
            }
        }
    }
    println!("tablets: {opened} connected");
    let opened_poll = http
        .post(&format!("/api/v1/polls/{poll_id}/open"), &admin, json!({}))
        .await?;
    println!(
        "poll opened with {} eligible; {n} ballots over {} ms",
        opened_poll["eligible"], args.spread_ms
    );
    let vote_started = Instant::now();
    let _ = start_tx.send(true);
    let mut tablets = Vec::new();
    for t in tasks {
        tablets.push(t.await?);
    }
    let vote_secs = vote_started.elapsed().as_secs_f64();
    let acks: Vec<f64> = tablets
        .iter()
        .filter_map(|t| Some(t.acked?.duration_since(t.sent?).as_secs_f64() * 1000.0))
        .collect();
    let last_ack = tablets
        .iter()
        .filter_map(|t| t.acked)
        .max()
        .context("no ack")?;
    let last_sent = tablets
        .iter()
        .filter_map(|t| t.sent)
        .max()
        .context("no ballot")?;
    let after = |from: Instant| -> Vec<f64> {
        tablets
            .iter()
            .filter_map(|t| {
                Some(t.full_tally?.saturating_duration_since(from).as_secs_f64() * 1000.0)
            })
            .collect()
    };
    let (to_tally, from_sent) = (after(last_ack), after(last_sent));
    let missing = tablets.iter().filter(|t| t.full_tally.is_none()).count();
    println!("ballots acked: {} of {n} in {vote_secs:.2} s", acks.len());
    print_summary("ack latency (send → ack)", acks);
    print_summary("final tally on each tablet after the last ack", to_tally);
    print_summary(
        "final tally on each tablet after the last ballot was sent",
        from_sent,
    );
    println!(
        "last ballot sent → last ack: {:.1} ms; tablets without the final tally: {missing}",
        last_ack.saturating_duration_since(last_sent).as_secs_f64() * 1000.0
    );
    let closed = http
        .post(&format!("/api/v1/polls/{poll_id}/close"), &admin, json!({}))
        .await?;
    println!(
        "closed: voted {} tally {} result {}",
        closed["voted"], closed["tally"], closed["result"]
    );

    // Sustained: a second poll, every member's ballot over HTTP, 256 in flight.
    let poll = http
        .post(
            &format!("/api/v1/meetings/{meeting}/polls"),
            &admin,
            json!({"title": "Thông lượng", "majority": "simple"}),
        )
        .await?;
    let poll_id = poll["id"].as_str().context("poll id")?.to_owned();
    http.post(&format!("/api/v1/polls/{poll_id}/open"), &admin, json!({}))
        .await?;
    let t0 = Instant::now();
    let h = http.clone();
    let lat = each(
        tokens.clone().into_iter().enumerate().collect(),
        256,
        move |(i, token)| {
            let (http, poll_id) = (h.clone(), poll_id.clone());
            async move {
                let s = Instant::now();
                http.post(
                    &format!("/api/v1/polls/{poll_id}/ballots"),
                    &token,
                    json!({"choice": (["yes", "no"][i % 2])}),
                )
                .await?;
                Ok(s.elapsed().as_secs_f64() * 1000.0)
            }
        },
    )
    .await?;
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "sustained over HTTP: {n} ballots in {secs:.2} s = {:.0} ballots/s",
        n as f64 / secs
    );
    print_summary("HTTP ballot latency at 256 in flight", lat);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_finds_acks_refusals_and_the_full_tally() {
        let tally = |voted, eligible| {
            json!({"seq": 9, "type": "poll.tally", "at": "2026-01-01T00:00:00Z",
                   "data": {"poll_id": "p", "tally": {"yes": voted}, "voted": voted, "eligible": eligible}})
            .to_string()
        };
        assert_eq!(classify(&tally(3, 3)), Seen::FullTally);
        assert_eq!(classify(&tally(2, 3)), Seen::Other);
        let ack = json!({"type": "ack", "ref": "b", "poll_id": "p", "receipt": "r"}).to_string();
        assert_eq!(classify(&ack), Seen::Ack);
        let refused = json!({"type": "error", "ref": "b", "code": "already_voted"}).to_string();
        assert_eq!(classify(&refused), Seen::Refused);
        let other_ref = json!({"type": "ack", "ref": "x"}).to_string();
        assert_eq!(classify(&other_ref), Seen::Other);
        let presence =
            json!({"type": "presence", "data": {"users": [], "full": false}}).to_string();
        assert_eq!(classify(&presence), Seen::Other);
        assert_eq!(classify("not json \"ack\""), Seen::Other);
    }
}
