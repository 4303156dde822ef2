//! Faults while a meeting runs (issue 21): PostgreSQL goes away in the middle of a vote and
//! comes back. Every ballot is either acknowledged and kept, or refused with an answer that says
//! to retry (503 with `Retry-After`, or the connection failing); a retry with the same
//! idempotency key gets the first receipt, never a second ballot; and a tablet that was watching
//! resumes by its `last_seq` and misses no event.

use std::collections::HashMap;
use std::time::Duration;

use ecabinet::users::Role;
use ecabinet_tests::live::{LiveClient, live_url};
use ecabinet_tests::proxy::Proxy;
use ecabinet_tests::{Backend, TestApp, TestEnv};
use serde_json::{Value, json};

const MEMBERS: usize = 12;

async fn ok_json(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    // Setup and the closing call are retried while the database is away.
    for _ in 0..100 {
        let res = app.post(path, Some(token), &body).await;
        if res.status().is_success() {
            return res.json().await.unwrap();
        }
        assert_eq!(res.status(), 503, "{path}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{path} never succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lost_mid_vote_loses_no_acknowledged_ballot() {
    let env = TestEnv::new(Backend::Postgres);
    let pg = env.pg.as_ref().unwrap();
    let proxy = Proxy::start(pg.host_port()).await.unwrap();
    let mut settings = env.settings();
    settings.database_url = Some(pg.url_via(&format!("127.0.0.1:{}", proxy.port)));
    settings.database.acquire_timeout_ms = 500;
    let app = TestApp::start(settings).unwrap();
    let (_, secretary) = app.signed_in("thuky", Role::Secretary).await;
    let (_, observer) = app.signed_in("khachmoi", Role::Member).await;
    let mut members = Vec::new();
    for i in 0..MEMBERS {
        let (u, t) = app.signed_in(&format!("uyvien{i}"), Role::Member).await;
        members.push((u["id"].as_str().unwrap().to_owned(), t));
    }
    let m = ok_json(
        &app,
        &secretary,
        "/api/v1/meetings",
        json!({"title": "Phiên họp", "starts_at": "2026-12-01T01:00:00Z"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let observer_id = app
        .get("/api/v1/me", Some(&observer))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .clone();
    ok_json(
        &app,
        &secretary,
        &format!("/api/v1/meetings/{m}/participants"),
        json!({"user_id": observer_id, "role": "observer"}),
    )
    .await;
    for (id, _) in &members {
        ok_json(
            &app,
            &secretary,
            &format!("/api/v1/meetings/{m}/participants"),
            json!({"user_id": id, "role": "member"}),
        )
        .await;
    }
    for state in ["scheduled", "live"] {
        ok_json(
            &app,
            &secretary,
            &format!("/api/v1/meetings/{m}/state"),
            json!({"state": state}),
        )
        .await;
    }
    for (_, t) in &members {
        ok_json(
            &app,
            t,
            &format!("/api/v1/meetings/{m}/check-in"),
            json!({}),
        )
        .await;
    }
    let poll = ok_json(
        &app,
        &secretary,
        &format!("/api/v1/meetings/{m}/polls"),
        json!({"title": "Nghị quyết", "majority": "simple"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok_json(
        &app,
        &secretary,
        &format!("/api/v1/polls/{poll}/open"),
        json!({}),
    )
    .await;

    // A tablet watching the room.
    let url = live_url(app.port, &m);
    let mut tablet = LiveClient::join(&url, &observer, 0).await;
    let (before, mut last_seq) = tablet.replay().await;
    let mut seen: Vec<i64> = before.iter().filter_map(|e| e["seq"].as_i64()).collect();

    // Every member votes once, with a key. Half of them vote; then the database goes away for
    // a second, under the other half's ballots; each retries with the same key until answered.
    let cast = |i: usize| {
        let (user, token) = members[i].clone();
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/api/v1/polls/{poll}/ballots")),
        );
        let choice = ["yes", "no", "abstain"][i % 3];
        tokio::spawn(async move {
            let key = format!("k-{user}");
            let mut refusals = 0;
            for attempt in 0..100 {
                let res = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", &key)
                    .json(&json!({"choice": choice}))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        let receipt: Value = r.json().await.unwrap();
                        let receipt = receipt["receipt"].as_str().unwrap().to_owned();
                        return (user, choice, receipt, refusals);
                    }
                    Ok(r) => {
                        // Only answers that say "try again" are allowed while it is away.
                        let status = r.status();
                        assert_eq!(status, 503, "attempt {attempt}: {:?}", r.text().await);
                        refusals += 1;
                    }
                    Err(_) => refusals += 1,
                }
                tokio::time::sleep(Duration::from_millis(100 + 20 * i as u64)).await;
            }
            panic!("{user}: never answered");
        })
    };
    let mut acked: HashMap<String, (&str, String)> = HashMap::new();
    let first: Vec<_> = (0..MEMBERS / 2).map(cast).collect();
    for t in first {
        let (user, choice, receipt, _) = t.await.unwrap();
        acked.insert(user, (choice, receipt));
    }
    proxy.cut();
    let second: Vec<_> = (MEMBERS / 2..MEMBERS).map(cast).collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.restore();
    let mut refused = 0;
    for t in second {
        let (user, choice, receipt, refusals) = t.await.unwrap();
        refused += refusals;
        acked.insert(user, (choice, receipt));
    }
    assert_eq!(acked.len(), MEMBERS);
    assert!(
        refused > 0,
        "the outage refused nothing: it did not happen mid-vote"
    );

    // A retry after the fact with the same key gets the same receipt, not a second ballot.
    let (user0, token0) = &members[0];
    let again = app
        .client
        .post(app.url(&format!("/api/v1/polls/{poll}/ballots")))
        .bearer_auth(token0)
        .header("Idempotency-Key", format!("k-{user0}"))
        .json(&json!({"choice": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(
        again.json::<Value>().await.unwrap()["receipt"].as_str(),
        Some(acked[user0].1.as_str())
    );

    let closed = ok_json(
        &app,
        &secretary,
        &format!("/api/v1/polls/{poll}/close"),
        json!({}),
    )
    .await;
    assert_eq!(closed["voted"], MEMBERS, "{closed}");
    let ballots = closed["ballots"].as_array().unwrap();
    assert_eq!(ballots.len(), MEMBERS);
    for b in ballots {
        let user = b["user_id"].as_str().unwrap();
        assert_eq!(
            b["choice"].as_str(),
            Some(acked[user].0),
            "{user}'s acknowledged ballot"
        );
    }

    // The tablet, whether its socket survived or not, resumes by seq and misses nothing.
    let mut closed_seen = false;
    for _ in 0..3 {
        while let ecabinet_tests::live::Next::Json(v) = tablet.next(Duration::from_secs(10)).await {
            if let Some(seq) = v["seq"].as_i64() {
                seen.push(seq);
                last_seq = last_seq.max(seq);
            }
            if v["type"] == "poll.closed" {
                closed_seen = true;
                break;
            }
        }
        if closed_seen {
            break;
        }
        tablet = LiveClient::join(&url, &observer, last_seq).await;
        let (missed, _) = tablet.replay().await;
        for e in &missed {
            if let Some(seq) = e["seq"].as_i64() {
                seen.push(seq);
                last_seq = last_seq.max(seq);
            }
            if e["type"] == "poll.closed" {
                closed_seen = true;
            }
        }
        if closed_seen {
            break;
        }
    }
    assert!(closed_seen, "the tablet never learnt that the poll closed");
    seen.sort_unstable();
    seen.dedup();
    let expected: Vec<i64> = (1..=last_seq).collect();
    assert_eq!(seen, expected, "the tablet's events have a gap");
}
