//! The live channel over real websockets: hello rules and close codes, replay then welcome
//! then live events with no gap or duplicate (across reconnects, concurrent writes and a
//! server restart), slow consumers, presence, presenter pages, token expiry, removal, limits,
//! and two instances on one PostgreSQL.

use std::time::Duration;

use ecabinet::config::Settings;
use ecabinet::users::Role;
use ecabinet_tests::live::{LiveClient, Next, live_url};
use ecabinet_tests::{Backend, TestApp, TestEnv, backend_tests};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);
const METRICS_TOKEN: &str = "scrape-token-0123456789";

struct Room {
    meeting: String,
    secretary: String,
    chair: String,
    chair_id: String,
    member: String,
    member_id: String,
    observer: String,
    outsider: String,
}

async fn room(app: &TestApp) -> Room {
    let (_, secretary) = app.signed_in("thuky", Role::Secretary).await;
    let (chair_u, chair) = app.signed_in("chutich", Role::Member).await;
    let (member_u, member) = app.signed_in("uyvien", Role::Member).await;
    let (observer_u, observer) = app.signed_in("khachmoi", Role::Member).await;
    let (_, outsider) = app.signed_in("nguoingoai", Role::Member).await;
    let res = app
        .post(
            "/api/v1/meetings",
            Some(&secretary),
            &json!({"title": "Phiên họp", "starts_at": "2026-12-01T01:00:00Z"}),
        )
        .await;
    let meeting: Value = res.json().await.unwrap();
    let id = meeting["id"].as_str().unwrap().to_owned();
    for (u, role) in [
        (&chair_u, "chair"),
        (&member_u, "member"),
        (&observer_u, "observer"),
    ] {
        let res = app
            .post(
                &format!("/api/v1/meetings/{id}/participants"),
                Some(&secretary),
                &json!({"user_id": u["id"], "role": role}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let res = app
        .post(
            &format!("/api/v1/meetings/{id}/state"),
            Some(&secretary),
            &json!({"state": "scheduled"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    Room {
        meeting: id,
        secretary,
        chair,
        chair_id: chair_u["id"].as_str().unwrap().to_owned(),
        member,
        member_id: member_u["id"].as_str().unwrap().to_owned(),
        observer,
        outsider,
    }
}

async fn add_item(app: &TestApp, r: &Room, title: &str) -> u16 {
    app.post(
        &format!("/api/v1/meetings/{}/agenda", r.meeting),
        Some(&r.secretary),
        &json!({"title": title}),
    )
    .await
    .status()
    .as_u16()
}

/// A document of `pages` pages in the room's meeting.
async fn upload_document(app: &TestApp, r: &Room, pages: usize) -> String {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/meetings/{}/documents", r.meeting)))
        .query(&[("title", "Tờ trình")])
        .bearer_auth(&r.secretary)
        .header("content-type", "application/pdf")
        .body(ecabinet_tests::pdfs::simple(pages, "Tờ trình"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().filter_map(|e| e["seq"].as_i64()).collect()
}

async fn start(env: &TestEnv, tune: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = env.settings();
    tune(&mut settings);
    TestApp::start(settings).unwrap()
}

async fn hello_rules_and_close_codes(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |s| s.live.hello_timeout_secs = 1).await;
    let r = room(&app).await;
    let url = live_url(app.port, &r.meeting);

    let mut silent = LiveClient::open(&url, None).await.unwrap();
    assert_eq!(silent.closed(WAIT).await, Some(4401), "no hello in time");

    let mut wrong_first = LiveClient::open(&url, None).await.unwrap();
    wrong_first.send(json!({"type": "ping", "ref": 1})).await;
    assert_eq!(wrong_first.closed(WAIT).await, Some(4401));

    let mut bad_token = LiveClient::join(&url, "not-a-token", 0).await;
    assert_eq!(bad_token.closed(WAIT).await, Some(4401));

    let mut outsider = LiveClient::join(&url, &r.outsider, 0).await;
    assert_eq!(outsider.closed(WAIT).await, Some(4403));

    let mut unknown = LiveClient::join(&live_url(app.port, "no-such-meeting"), &r.member, 0).await;
    assert_eq!(unknown.closed(WAIT).await, Some(4403));

    // A disallowed Origin is refused before the upgrade; the server's own is fine.
    assert!(
        LiveClient::open(&url, Some("http://evil.example"))
            .await
            .is_err()
    );
    let mut own = LiveClient::open(&url, Some(&format!("http://127.0.0.1:{}", app.port)))
        .await
        .unwrap();
    own.send(json!({"type": "hello", "token": r.member, "last_seq": 0}))
        .await;
    let (_, welcome) = own.replay().await;
    assert!(welcome > 0);
}

async fn replay_welcome_then_live(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |_| {}).await;
    let r = room(&app).await;
    let url = live_url(app.port, &r.meeting);
    for i in 0..3 {
        assert_eq!(add_item(&app, &r, &format!("Nội dung {i}")).await, 201);
    }
    let last: Value = app
        .get(
            &format!("/api/v1/meetings/{}/events?after=0", r.meeting),
            Some(&r.member),
        )
        .await
        .json()
        .await
        .unwrap();
    let n = last["last_seq"].as_i64().unwrap();

    let mut c = LiveClient::join(&url, &r.member, 0).await;
    let (events, welcome) = c.replay().await;
    assert_eq!(seqs(&events), (1..=n).collect::<Vec<_>>());
    assert_eq!(welcome, n);
    assert_eq!(
        events,
        last["events"].as_array().unwrap().clone(),
        "the socket sends the same objects as GET /events"
    );
    let presence = c.json().await;
    assert_eq!(presence["type"], "presence");
    assert_eq!(presence["data"]["full"], true);

    assert_eq!(add_item(&app, &r, "Mới").await, 201);
    let (event, _) = c.until(|v| v.get("seq").is_some()).await;
    assert_eq!(event["seq"], n + 1);
    assert_eq!(event["type"], "agenda.changed");

    // Reconnecting with a last_seq gets exactly what was missed.
    drop(c);
    assert_eq!(add_item(&app, &r, "Khi mất kết nối").await, 201);
    let mut again = LiveClient::join(&url, &r.member, n + 1).await;
    let (missed, welcome) = again.replay().await;
    assert_eq!(seqs(&missed), vec![n + 2]);
    assert_eq!(welcome, n + 2);

    // ping → pong with the ref; unknown requests get an error with the ref.
    again.send(json!({"type": "ping", "ref": "p1"})).await;
    let (pong, _) = again.until(|v| v["type"] == "pong").await;
    assert_eq!(pong["ref"], "p1");
    again.send(json!({"type": "dance", "ref": 9})).await;
    let (err, _) = again.until(|v| v["type"] == "error").await;
    assert_eq!(
        (err["ref"].clone(), err["code"].clone()),
        (json!(9), json!("unknown_type"))
    );
}

/// A hello with a `last_seq` ahead of the log is welcomed with the meeting's real latest seq,
/// not its own number echoed, and then gets the next events as everyone does.
async fn a_last_seq_from_the_future_gets_the_real_one(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |_| {}).await;
    let r = room(&app).await;
    let url = live_url(app.port, &r.meeting);
    assert_eq!(add_item(&app, &r, "Nội dung").await, 201);
    let mut honest = LiveClient::join(&url, &r.member, 0).await;
    let (_, mut n) = honest.replay().await;
    assert!(n >= 2);
    for claimed in [i64::MAX, n + 1] {
        let mut c = LiveClient::join(&url, &r.member, claimed).await;
        let (events, welcome) = c.replay().await;
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(welcome, n, "claimed {claimed}");
        assert_eq!(add_item(&app, &r, "Tiếp").await, 201);
        let (event, _) = c.until(|v| v.get("seq").is_some()).await;
        let (latest, _) = honest.until(|v| v.get("seq").is_some()).await;
        assert_eq!(
            event, latest,
            "the next event, as a client that told the truth gets it"
        );
        n = latest["seq"].as_i64().unwrap();
    }
}

/// Replays served from the room's window of recent frames (here 4 events) are the same
/// objects as the log, whether the window was filled from the database or by live events.
async fn replays_from_the_room_match_the_log(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |s| s.live.replay_cache_events = 4).await;
    let r = room(&app).await;
    let url = live_url(app.port, &r.meeting);
    for i in 0..6 {
        assert_eq!(add_item(&app, &r, &format!("Nội dung {i}")).await, 201);
    }
    let log = |after: i64| {
        let app = &app;
        let (meeting, token) = (r.meeting.clone(), r.member.clone());
        async move {
            let v: Value = app
                .get(
                    &format!("/api/v1/meetings/{meeting}/events?after={after}"),
                    Some(&token),
                )
                .await
                .json()
                .await
                .unwrap();
            v["events"].as_array().unwrap().clone()
        }
    };
    // The first tablet finds an empty room: everything from the database.
    let mut first = LiveClient::join(&url, &r.member, 0).await;
    let (from_db, n) = first.replay().await;
    assert_eq!(from_db, log(0).await);
    // Three more events go out live (and into the window).
    for i in 0..3 {
        assert_eq!(add_item(&app, &r, &format!("Mới {i}")).await, 201);
    }
    let (event, _) = first.until(|v| v["seq"] == n + 3).await;
    assert_eq!(event["type"], "agenda.changed");
    // A second tablet starting before the window reads the database.
    let mut second = LiveClient::join(&url, &r.chair, 0).await;
    let (all, welcome) = second.replay().await;
    assert_eq!(welcome, n + 3);
    assert_eq!(seqs(&all), (1..=n + 3).collect::<Vec<_>>());
    assert_eq!(all, log(0).await, "the room's frames are the log's objects");
    // Tablets coming back with a recent last_seq are sent what they missed from the window:
    // frames the dispatcher encoded (n + 1 …) and one a session read from the database (n).
    for last in [n + 1, n - 1] {
        let mut back = LiveClient::join(&url, &r.member, last).await;
        let (missed, welcome) = back.replay().await;
        assert_eq!(seqs(&missed), (last + 1..=n + 3).collect::<Vec<_>>());
        assert_eq!(welcome, n + 3);
        assert_eq!(missed, log(last).await);
    }
}

/// Events committed while a client replays are neither lost nor doubled.
async fn handover_under_concurrent_writes(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |_| {}).await;
    let r = room(&app).await;
    for i in 0..20 {
        add_item(&app, &r, &format!("Trước {i}")).await;
    }
    let titles: Vec<String> = (0..30).map(|i| format!("Trong khi {i}")).collect();
    let writers = futures_util::future::join_all(titles.iter().map(|t| add_item(&app, &r, t)));
    let url = live_url(app.port, &r.meeting);
    let reader = async {
        let mut c = LiveClient::join(&url, &r.member, 0).await;
        let mut seen = Vec::new();
        while let Next::Json(v) = c.next(Duration::from_secs(3)).await {
            if let (Some(s), false) = (v["seq"].as_i64(), v["type"] == "welcome") {
                seen.push(s);
            }
        }
        seen
    };
    let (statuses, seen) = tokio::join!(writers, reader);
    assert!(statuses.iter().all(|s| *s == 201));
    let last: Value = app
        .get(
            &format!("/api/v1/meetings/{}/events?after=0", r.meeting),
            Some(&r.member),
        )
        .await
        .json()
        .await
        .unwrap();
    let n = last["last_seq"].as_i64().unwrap();
    assert_eq!(seen, (1..=n).collect::<Vec<_>>(), "no gap, no duplicate");
}

async fn replay_across_a_restart(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |_| {}).await;
    let r = room(&app).await;
    let mut c = LiveClient::join(&live_url(app.port, &r.meeting), &r.member, 0).await;
    let (_, n) = c.replay().await;
    app.stop().await;
    assert_eq!(
        c.closed(WAIT).await,
        Some(1012),
        "a restart tells clients to come back"
    );

    let app = start(&env, |_| {}).await;
    assert_eq!(add_item(&app, &r, "Sau khi khởi động lại").await, 201);
    let mut c = LiveClient::join(&live_url(app.port, &r.meeting), &r.member, n).await;
    let (missed, welcome) = c.replay().await;
    assert_eq!(seqs(&missed), vec![n + 1]);
    assert_eq!(welcome, n + 1);
}

/// A client that stops reading is cut off with 4408; the room keeps receiving.
async fn slow_consumer_is_cut_off(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |s| {
        s.live.queue_capacity = 8;
        s.metrics.token = Some(METRICS_TOKEN.into());
    })
    .await;
    let r = room(&app).await;
    let url = live_url(app.port, &r.meeting);
    let mut slow = LiveClient::join(&url, &r.observer, 0).await;
    let (_, n) = slow.replay().await;
    let mut fast = LiveClient::join(&url, &r.member, n).await;
    fast.replay().await;
    // ~25 KB per event: far more than socket buffers hold once the slow client stops reading.
    let description = "Mô tả rất dài của phiên họp. ".repeat(330);
    let total: usize = 400;
    let reader = async {
        let mut got = Vec::new();
        while got.len() < total {
            match fast.next(WAIT).await {
                Next::Json(v) => {
                    if let Some(s) = v["seq"].as_i64() {
                        got.push(s);
                    }
                }
                other => panic!(
                    "the fast client lost its connection after {}: {other:?}",
                    got.len()
                ),
            }
        }
        got
    };
    let writer = async {
        for i in 0..total {
            let res = app
                .client
                .patch(app.url(&format!("/api/v1/meetings/{}", r.meeting)))
                .bearer_auth(&r.secretary)
                .json(&json!({"description": format!("{i} {description}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            // A steady pace the reading client keeps up with, even in a debug build.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (got, ()) = tokio::join!(reader, writer);
    let expected: Vec<i64> = (n + 1..=n + total as i64).collect();
    assert_eq!(got, expected);
    assert_eq!(slow.closed(Duration::from_secs(60)).await, Some(4408));
    let metrics = app
        .get("/metrics", Some(METRICS_TOKEN))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("ecabinet_live_slow_closed_total 1\n"),
        "{metrics}"
    );
}

async fn presence_and_presenter_page(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |s| s.live.presence_interval_ms = 50).await;
    let r = room(&app).await;
    let url = live_url(app.port, &r.meeting);
    let mut member = LiveClient::join(&url, &r.member, 0).await;
    member.replay().await;
    let mut chair = LiveClient::join(&url, &r.chair, 0).await;
    chair.replay().await;
    let (snapshot, _) = chair.until(|v| v["type"] == "presence").await;
    let users = snapshot["data"]["users"].as_array().unwrap();
    assert_eq!(users.len(), 2, "{snapshot}");
    // The member learns that the chair came.
    let (change, _) = member
        .until(|v| {
            v["type"] == "presence"
                && v["data"]["users"]
                    .as_array()
                    .is_some_and(|u| u.iter().any(|e| e["user_id"] == r.chair_id.as_str()))
        })
        .await;
    let entry = change["data"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["user_id"] == r.chair_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["devices"], 1);

    // A page of a document of the meeting (checked: annotations.rs).
    let doc = upload_document(&app, &r, 8).await;
    chair
        .send(json!({"type": "presenter.page", "ref": "t1", "document_id": doc, "page": 7}))
        .await;
    let (ack, _) = chair.until(|v| v["type"] == "ack").await;
    assert_eq!(ack["ref"], "t1");
    let (page, _) = member.until(|v| v["type"] == "presenter.page").await;
    assert_eq!(page["data"]["page"], 7);
    assert_eq!(page["data"]["document_id"], doc.as_str());
    assert!(page.get("seq").is_none(), "ephemeral events carry no seq");

    member
        .send(json!({"type": "presenter.page", "ref": "t2", "document_id": doc, "page": 8}))
        .await;
    let (err, _) = member.until(|v| v["type"] == "error").await;
    assert_eq!(
        (err["ref"].clone(), err["code"].clone()),
        (json!("t2"), json!("forbidden"))
    );

    // A tablet that joins now follows from the page shown, not from the next page turn.
    let mut late = LiveClient::join(&url, &r.member, 0).await;
    late.replay().await;
    let (shown, _) = late.until(|v| v["type"] == "presenter.page").await;
    assert_eq!(shown["data"]["page"], 7, "{shown}");
    assert_eq!(shown["data"]["joined"], true, "{shown}");
    drop(late);

    // The chair leaves: presence says 0 devices for them.
    drop(chair);
    let (gone, _) = member
        .until(|v| {
            v["type"] == "presence"
                && v["data"]["users"].as_array().is_some_and(|u| {
                    u.iter()
                        .any(|e| e["user_id"] == r.chair_id.as_str() && e["devices"] == 0)
                })
        })
        .await;
    assert_eq!(gone["data"]["full"], false);
}

async fn expired_token_ends_the_session_unless_renewed(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |s| s.auth.access_token_ttl_secs = 4).await;
    let r = room(&app).await;
    let url = live_url(app.port, &r.meeting);
    let member = app.login("uyvien").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut lapsing = LiveClient::join(&url, &member, 0).await;
    lapsing.replay().await;
    let mut renewing = LiveClient::join(&url, &member, 0).await;
    renewing.replay().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let fresh = app.login("uyvien").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    renewing
        .send(json!({"type": "auth", "ref": "a1", "token": fresh}))
        .await;
    let (ack, _) = renewing
        .until(|v| v["type"] == "ack" || v["type"] == "error")
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");

    let (err, _) = lapsing.until(|v| v["type"] == "error").await;
    assert_eq!(err["code"], "token_expired");
    assert_eq!(lapsing.closed(WAIT).await, Some(4401));
    renewing.send(json!({"type": "ping", "ref": "still"})).await;
    let (pong, _) = renewing.until(|v| v["type"] == "pong").await;
    assert_eq!(pong["ref"], "still");
    // Another user's (valid) token cannot be swapped in.
    let chair = app.login("chutich").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    renewing
        .send(json!({"type": "auth", "ref": "a2", "token": chair}))
        .await;
    let (err, _) = renewing.until(|v| v["type"] == "error").await;
    assert_eq!(err["code"], "forbidden");
}

async fn removed_participant_is_disconnected(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |_| {}).await;
    let r = room(&app).await;
    let url = live_url(app.port, &r.meeting);
    let mut member = LiveClient::join(&url, &r.member, 0).await;
    member.replay().await;
    let mut chair = LiveClient::join(&url, &r.chair, 0).await;
    chair.replay().await;
    let res = app
        .client
        .delete(app.url(&format!(
            "/api/v1/meetings/{}/participants/{}",
            r.meeting, r.member_id
        )))
        .bearer_auth(&r.secretary)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(member.closed(WAIT).await, Some(4403));
    let (removed, _) = chair.until(|v| v["type"] == "participant.removed").await;
    assert_eq!(removed["data"]["user_id"], r.member_id.as_str());
    chair.send(json!({"type": "ping", "ref": 1})).await;
    assert_eq!(chair.until(|v| v["type"] == "pong").await.0["ref"], 1);
}

async fn limits_are_enforced(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |s| {
        s.live.max_sessions_per_user = 2;
        s.live.messages_per_sec = 1;
        s.live.message_burst = 3;
        s.live.max_message_bytes = 1024;
    })
    .await;
    let r = room(&app).await;
    let url = live_url(app.port, &r.meeting);
    let mut a = LiveClient::join(&url, &r.member, 0).await;
    a.replay().await;
    let mut b = LiveClient::join(&url, &r.member, 0).await;
    b.replay().await;
    let mut c = LiveClient::join(&url, &r.member, 0).await;
    assert_eq!(
        c.closed(WAIT).await,
        Some(4429),
        "third session of one user"
    );

    // Observers' ink stays private.
    let mut obs = LiveClient::join(&url, &r.observer, 0).await;
    obs.replay().await;
    obs.send(json!({"type": "annotation.stroke", "ref": "s", "document_id": "d", "page": 1, "stroke_id": "x",
        "points": [[0.1, 0.2]], "color": "#ff0000", "width": 0.01})).await;
    assert_eq!(
        obs.until(|v| v["type"] == "error").await.0["code"],
        "forbidden"
    );

    // Too large a message closes with 1009.
    assert!(
        b.send_raw(format!(
            "{{\"type\":\"ping\",\"pad\":\"{}\"}}",
            "x".repeat(4096)
        ))
        .await
    );
    assert_eq!(b.closed(WAIT).await, Some(1009));

    // A flood gets errors, then a close.
    let mut errors = 0;
    for i in 0..20 {
        if !a
            .send_raw(json!({"type": "ping", "ref": i}).to_string())
            .await
        {
            break;
        }
    }
    let code = loop {
        match a.next(WAIT).await {
            Next::Json(v) if v["code"] == "rate_limited" => errors += 1,
            Next::Json(_) => {}
            Next::Closed(code) => break code,
            Next::Timeout => break None,
        }
    };
    assert!(errors >= 1);
    assert_eq!(code, Some(4429));
}

backend_tests!(
    hello_rules_and_close_codes,
    replay_welcome_then_live,
    a_last_seq_from_the_future_gets_the_real_one,
    replays_from_the_room_match_the_log,
    handover_under_concurrent_writes,
    replay_across_a_restart,
    slow_consumer_is_cut_off,
    presence_and_presenter_page,
    expired_token_ends_the_session_unless_renewed,
    removed_participant_is_disconnected,
    limits_are_enforced,
);

/// Two instances on one PostgreSQL deliver the same events in the same order, and ephemeral
/// events cross between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_events() {
    let env = TestEnv::new(Backend::Postgres);
    let one = start(&env, |_| {}).await;
    let two = start(&env, |_| {}).await;
    let r = room(&one).await;
    let mut a = LiveClient::join(&live_url(one.port, &r.meeting), &r.member, 0).await;
    let mut b = LiveClient::join(&live_url(two.port, &r.meeting), &r.chair, 0).await;
    let (_, n) = a.replay().await;
    b.replay().await;
    for i in 0..5 {
        assert_eq!(add_item(&one, &r, &format!("Một {i}")).await, 201);
        assert_eq!(add_item(&two, &r, &format!("Hai {i}")).await, 201);
    }
    let mut got_a = Vec::new();
    let mut got_b = Vec::new();
    while got_a.len() < 10 {
        let (e, _) = a.until(|v| v.get("seq").is_some()).await;
        got_a.push(e);
    }
    while got_b.len() < 10 {
        let (e, _) = b.until(|v| v.get("seq").is_some()).await;
        got_b.push(e);
    }
    assert_eq!(seqs(&got_a), (n + 1..=n + 10).collect::<Vec<_>>());
    assert_eq!(got_a, got_b, "same events, same order, same bytes");

    let doc = upload_document(&one, &r, 3).await;
    b.send(json!({"type": "presenter.page", "ref": 1, "document_id": doc, "page": 3}))
        .await;
    let (page, _) = a.until(|v| v["type"] == "presenter.page").await;
    assert_eq!(page["data"]["page"], 3);
}
