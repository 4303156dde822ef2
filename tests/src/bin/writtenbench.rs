//! Benchmark of a meeting held in writing with many members (issue 17's targets): N members,
//! each with the form open (its own answer read), answer one question in the last moments before the deadline (all within `--spread-ms`,
//! the usual pattern compressed), a share of them with a comment and a share changing their
//! answer, over HTTP as the tablet does; the time from sending an answer to its 2xx (sent
//! after the commit) is the answer's ack. Then the chair closes the meeting with a share of
//! members silent and deemed to agree (the same work as the deadline's closing), timed, and
//! the summary (báo cáo tổng hợp ý kiến) with one row per member is finalised, timed.
//!
//! Needs a server whose login limits allow N sign-ins from one address (benches/written.sh).
//! `cargo run --release -p ecabinet-tests --bin writtenbench -- --url http://127.0.0.1:18094 --members 500`

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use ecabinet_tests::http::{Http, each, print_summary};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Members asked, each answering once (some twice).
    #[arg(long, default_value_t = 500)]
    members: usize,
    /// Every answer is sent within this many milliseconds.
    #[arg(long, default_value_t = 1000)]
    spread_ms: u64,
    /// One member in this many does not answer (deemed to agree at closing).
    #[arg(long, default_value_t = 10)]
    silent_every: usize,
    #[arg(long, default_value = "admin")]
    admin: String,
    #[arg(long, default_value = "demo1234")]
    password: String,
    /// Give up after this many seconds in all.
    #[arg(long, default_value_t = 600)]
    max_secs: u64,
}

/// The written meeting with its members signed in: (meeting, poll, admin token, chair token,
/// member tokens).
async fn prepare(
    http: &Http,
    args: &Args,
) -> anyhow::Result<(String, String, String, String, Vec<String>)> {
    let admin = http.login(&args.admin, &args.password).await?;
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let now = chrono::Utc::now();
    let m = http
        .post(
            "/api/v1/meetings",
            &admin,
            json!({"title": format!("Xin ý kiến thử {run}"), "kind": "written",
                "starts_at": (now - chrono::Duration::minutes(1)).to_rfc3339(),
                "deadline": (now + chrono::Duration::hours(2)).to_rfc3339(),
                "silence": "agree"}),
        )
        .await?;
    let meeting = m["id"].as_str().context("meeting id")?.to_owned();
    let started = Instant::now();
    let (h, a, m2) = (http.clone(), admin.clone(), meeting.clone());
    let people = each((0..=args.members).collect(), 8, move |i| {
        let (http, admin, meeting, run) = (h.clone(), a.clone(), m2.clone(), run.clone());
        async move {
            let username = format!("yk{run}{i}");
            let password = "written-bench-password";
            let user = http
                .post(
                    "/api/v1/users",
                    &admin,
                    json!({"username": username, "password": password, "role": "member",
                        "display_name": format!("Thành viên {i:04}")}),
                )
                .await?;
            // The first is the chair, who answers too.
            http.post(
                &format!("/api/v1/meetings/{meeting}/participants"),
                &admin,
                json!({"user_id": user["id"], "role": if i == 0 { "chair" } else { "member" }}),
            )
            .await?;
            http.login(&username, password).await
        }
    })
    .await?;
    println!(
        "setup: {} members created and signed in in {:.1} s",
        people.len(),
        started.elapsed().as_secs_f64()
    );
    let poll = http
        .post(
            &format!("/api/v1/meetings/{meeting}/polls"),
            &admin,
            json!({"title": "Thông qua chủ trương"}),
        )
        .await?;
    let poll_id = poll["id"].as_str().context("poll id")?.to_owned();
    http.post(
        &format!("/api/v1/meetings/{meeting}/state"),
        &admin,
        json!({"state": "scheduled"}),
    )
    .await?;
    let mut tokens = people;
    let chair = tokens.remove(0);
    Ok((meeting, poll_id, admin, chair, tokens))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let deadline = Instant::now() + Duration::from_secs(args.max_secs);
    let http = Http::for_crowd(&args.url)?;
    let (meeting, poll, _admin, chair, tokens) = prepare(&http, &args).await?;
    let n = tokens.len();

    // Each tablet opens the form first (its own answer so far), as the tablet does before one
    // can answer; then everyone who answers does so within the spread; one in five comments,
    // one in seven answers twice (the second counts).
    let (h, p) = (http.clone(), poll.clone());
    each(tokens.clone(), 32, move |token| {
        let (http, poll) = (h.clone(), p.clone());
        async move {
            http.call(
                reqwest::Method::GET,
                &format!("/api/v1/polls/{poll}/my-ballot"),
                Some(&token),
                Value::Null,
            )
            .await
        }
    })
    .await?;
    let spread = args.spread_ms.max(1);
    let silent_every = args.silent_every.max(1);
    let start = tokio::time::Instant::now() + Duration::from_millis(200);
    let mut tasks = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        if i % silent_every == silent_every - 1 {
            continue;
        }
        let (http, poll) = (http.clone(), poll.clone());
        tasks.push(tokio::spawn(async move {
            let at = start + Duration::from_millis((i as u64 * 7919) % spread);
            tokio::time::sleep_until(at).await;
            let mut acks = Vec::new();
            let answers: &[&str] = if i % 7 == 3 {
                &["disagree", "agree"]
            } else {
                &["agree"]
            };
            for choice in answers {
                let mut body = json!({ "choice": choice });
                if i % 5 == 0 {
                    body["comment"] = json!(format!(
                        "Ý kiến của thành viên số {i}: đề nghị làm rõ nguồn kinh phí."
                    ));
                }
                let sent = Instant::now();
                http.post(&format!("/api/v1/polls/{poll}/ballots"), &token, body)
                    .await?;
                acks.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(acks)
        }));
    }
    let answering = tasks.len();
    let mut acks = Vec::new();
    for t in tasks {
        if Instant::now() > deadline {
            bail!("gave up after {} s", args.max_secs);
        }
        acks.extend(t.await??);
    }
    println!(
        "answers: {answering} of {n} members answered within {} ms",
        args.spread_ms
    );
    print_summary("answer ack (HTTP 2xx after the commit)", acks);

    // The chair closes: the poll is counted with the silent deemed to agree, then the meeting.
    let sent = Instant::now();
    http.post(
        &format!("/api/v1/meetings/{meeting}/state"),
        &chair,
        json!({"state": "closed"}),
    )
    .await?;
    let closing = sent.elapsed().as_secs_f64() * 1000.0;
    let result: Value = http
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/polls/{poll}"),
            Some(&chair),
            Value::Null,
        )
        .await?;
    println!(
        "closing with {} members, {} deemed to agree: {closing:.1} ms (result {}, tally {})",
        n + 1,
        result["deemed"]["agree"],
        result["result"],
        result["tally"]
    );
    let sent = Instant::now();
    let done = http
        .post(
            &format!("/api/v1/meetings/{meeting}/minutes/finalize"),
            &chair,
            json!({}),
        )
        .await?;
    println!(
        "summary finalised ({}, one row per member): {:.1} ms",
        done["number"],
        sent.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
