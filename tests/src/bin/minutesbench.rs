//! The record's preview while its editors type (issue 15): M meetings, each with 40 participants,
//! 30 agenda items, 20 decided polls and 60 speeches, and its two editors (the chair and the
//! secretary) typing: each saves a few more words every `--save-ms` and reads the preview PDF
//! every `--preview-ms`. Measures the preview's and the saves' latency. Every loop is bounded
//! in time.
//!
//! Needs a server whose login limits allow the sign-ins from one address (benches/minutes.sh).
//! `cargo run --release -p ecabinet-tests --bin minutesbench -- --url http://127.0.0.1:18093`

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use ecabinet_tests::http::{Http, print_summary};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Meetings, each with two editors typing (5 → 10 editors).
    #[arg(long, default_value_t = 5)]
    meetings: usize,
    #[arg(long, default_value_t = 30)]
    secs: u64,
    #[arg(long, default_value_t = 800)]
    save_ms: u64,
    #[arg(long, default_value_t = 2000)]
    preview_ms: u64,
    #[arg(long, default_value = "admin")]
    admin: String,
    #[arg(long, default_value = "demo1234")]
    password: String,
}

const PASSWORD: &str = "minutes-bench-password";

async fn user(http: &Http, admin: &str, name: &str, role: &str) -> anyhow::Result<String> {
    let u = http
        .post(
            "/api/v1/users",
            admin,
            json!({"username": name, "password": PASSWORD, "role": role,
                   "display_name": format!("Nguyễn Văn {name}")}),
        )
        .await?;
    Ok(u["id"].as_str().context("user id")?.to_owned())
}

/// One meeting as the issue describes it, closed to nothing: answers (meeting, chair token,
/// secretary token).
async fn prepare(
    http: &Http,
    admin: &str,
    run: &str,
    n: usize,
) -> anyhow::Result<(String, String, String)> {
    let m = http
        .post(
            "/api/v1/meetings",
            admin,
            json!({"title": format!("Phiên họp thường kỳ {run}-{n}"), "starts_at": "2026-12-01T01:00:00Z"}),
        )
        .await?;
    let meeting = m["id"].as_str().context("meeting")?.to_owned();
    let chair_name = format!("ct{run}{n}");
    let clerk_name = format!("tk{run}{n}");
    let chair = user(http, admin, &chair_name, "member").await?;
    let clerk = user(http, admin, &clerk_name, "member").await?;
    let part = |id: &str, role: &str| json!({"user_id": id, "role": role});
    http.post(
        &format!("/api/v1/meetings/{meeting}/participants"),
        admin,
        part(&chair, "chair"),
    )
    .await?;
    http.post(
        &format!("/api/v1/meetings/{meeting}/participants"),
        admin,
        part(&clerk, "secretary"),
    )
    .await?;
    let mut members = Vec::new();
    for i in 0..38 {
        let name = format!("tv{run}{n}x{i}");
        let id = user(http, admin, &name, "member").await?;
        http.post(
            &format!("/api/v1/meetings/{meeting}/participants"),
            admin,
            part(&id, "member"),
        )
        .await?;
        members.push((id, name));
    }
    let mut items = Vec::new();
    for i in 0..30 {
        let item = http
            .post(
                &format!("/api/v1/meetings/{meeting}/agenda"),
                admin,
                json!({"title": format!("Nội dung số {} của phiên họp: báo cáo, tờ trình và dự thảo nghị quyết", i + 1)}),
            )
            .await?;
        items.push(item["id"].as_str().context("item")?.to_owned());
    }
    for state in ["scheduled", "live"] {
        http.post(
            &format!("/api/v1/meetings/{meeting}/state"),
            admin,
            json!({"state": state}),
        )
        .await?;
    }
    for (i, (id, _)) in members.iter().enumerate() {
        let status = if i % 10 == 9 {
            json!({"user_id": id, "status": "absent", "reason": "Đi công tác"})
        } else {
            json!({"user_id": id, "status": "present"})
        };
        http.post(
            &format!("/api/v1/meetings/{meeting}/attendance"),
            admin,
            status,
        )
        .await?;
    }
    http.post(
        &format!("/api/v1/meetings/{meeting}/attendance"),
        admin,
        json!({"user_id": chair, "status": "present"}),
    )
    .await?;
    let chair_token = http.login(&chair_name, PASSWORD).await?;
    for i in 0..60 {
        let (_, name) = &members[i % 20];
        let token = http.login(name, PASSWORD).await?;
        let s = http
            .post(
                &format!("/api/v1/meetings/{meeting}/speakers"),
                &token,
                json!({"agenda_item_id": items[i % 30]}),
            )
            .await?;
        let id = s["id"].as_str().context("speaker")?.to_owned();
        for state in ["speaking", "done"] {
            http.post(
                &format!("/api/v1/speakers/{id}/state"),
                &chair_token,
                json!({"state": state}),
            )
            .await?;
        }
    }
    for (i, item) in items.iter().take(20).enumerate() {
        let p = http
            .post(
                &format!("/api/v1/meetings/{meeting}/polls"),
                &chair_token,
                json!({"title": format!("Biểu quyết thông qua nội dung số {}", i + 1), "agenda_item_id": item}),
            )
            .await?;
        let id = p["id"].as_str().context("poll")?.to_owned();
        http.post(&format!("/api/v1/polls/{id}/open"), &chair_token, json!({}))
            .await?;
        http.post(
            &format!("/api/v1/polls/{id}/ballots"),
            &chair_token,
            json!({"choice": "yes"}),
        )
        .await?;
        http.post(
            &format!("/api/v1/polls/{id}/close"),
            &chair_token,
            json!({}),
        )
        .await?;
    }
    let clerk_token = http.login(&clerk_name, PASSWORD).await?;
    Ok((meeting, chair_token, clerk_token))
}

/// One editor typing for `secs`: answers the save and preview latencies.
async fn type_along(
    http: Http,
    meeting: String,
    token: String,
    field: &'static str,
    args: (u64, u64, u64),
) -> (Vec<f64>, Vec<f64>) {
    let (secs, save_ms, preview_ms) = args;
    let path = format!("/api/v1/meetings/{meeting}/minutes");
    let (mut saves, mut previews) = (Vec::new(), Vec::new());
    let until = Instant::now() + Duration::from_secs(secs);
    let mut next_preview = Instant::now();
    let mut text = String::new();
    while Instant::now() < until {
        let current = match http
            .call(reqwest::Method::GET, &path, Some(&token), Value::Null)
            .await
        {
            Ok(v) => v,
            Err(_) => break,
        };
        let item = current["items"][0]["agenda_item_id"].clone();
        text.push_str("Các đại biểu thống nhất với nội dung báo cáo, đề nghị bổ sung số liệu. ");
        let started = Instant::now();
        let body = json!({"version": current["version"], "items": [{"agenda_item_id": item, field: text}]});
        // A stale version (the other editor saved) is part of typing: it counts like a save.
        let _ = http
            .call(reqwest::Method::PATCH, &path, Some(&token), body)
            .await;
        saves.push(started.elapsed().as_secs_f64() * 1000.0);
        if Instant::now() >= next_preview {
            let started = Instant::now();
            let ok = http
                .client
                .get(format!("{}{path}/preview.pdf", http.base))
                .bearer_auth(&token)
                .send()
                .await
                .map(|r| r.status().is_success());
            if let Ok(true) = ok {
                previews.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            next_preview = Instant::now() + Duration::from_millis(preview_ms);
        }
        tokio::time::sleep(Duration::from_millis(save_ms)).await;
    }
    (saves, previews)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let http = Http {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
        base: args.url.trim_end_matches('/').to_owned(),
    };
    let admin = http.login(&args.admin, &args.password).await?;
    let run = uuid::Uuid::new_v4().simple().to_string()[..6].to_owned();
    let started = Instant::now();
    let mut editors = Vec::new();
    for n in 0..args.meetings {
        let (meeting, chair, clerk) = prepare(&http, &admin, &run, n).await?;
        editors.push((meeting.clone(), chair, "conclusion"));
        editors.push((meeting, clerk, "notes"));
    }
    println!(
        "setup: {} meetings in {:.1} s",
        args.meetings,
        started.elapsed().as_secs_f64()
    );
    let tasks: Vec<_> = editors
        .into_iter()
        .map(|(m, t, f)| {
            tokio::spawn(type_along(
                http.clone(),
                m,
                t,
                f,
                (args.secs, args.save_ms, args.preview_ms),
            ))
        })
        .collect();
    let (mut saves, mut previews) = (Vec::new(), Vec::new());
    for t in tasks {
        let (s, p) = t.await?;
        saves.extend(s);
        previews.extend(p);
    }
    print_summary("save (PATCH minutes)", saves);
    print_summary(
        "preview.pdf (40 participants, 30 items, 20 polls, 60 speeches)",
        previews,
    );
    Ok(())
}
