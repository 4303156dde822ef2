//! Polls end to end: the life cycle, who may do what, every refusal of a ballot, idempotent
//! retries, a thousand concurrent ballots of one member, substitutes, changing a ballot,
//! majorities and quorum, coalesced live tallies, ballots over the live channel, agenda items
//! with polls, and secret polls inspected in the database itself.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use ecabinet::config::Settings;
use ecabinet::users::Role;
use ecabinet_tests::live::{LiveClient, live_url};
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    Cast, add_item, add_participant, advance_to, cast, check_in, delete, event_types, events,
    expect, get_json, meeting, patch, person,
};

async fn create_poll(app: &TestApp, token: &str, meeting: &str, body: Value) -> Value {
    expect(
        app.post(
            &format!("/api/v1/meetings/{meeting}/polls"),
            Some(token),
            &body,
        )
        .await,
        201,
    )
    .await
}

fn pid(poll: &Value) -> String {
    poll["id"].as_str().expect("poll id").to_owned()
}

async fn act(app: &TestApp, token: &str, poll: &str, what: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/polls/{poll}/{what}"),
        Some(token),
        &json!({}),
    )
    .await
}

async fn ballot(app: &TestApp, token: &str, poll: &str, choice: &str) -> reqwest::Response {
    ballot_with_key(app, token, poll, choice, None).await
}

async fn ballot_with_key(
    app: &TestApp,
    token: &str,
    poll: &str,
    choice: &str,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/polls/{poll}/ballots")))
        .bearer_auth(token)
        .json(&json!({"choice": choice}));
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.expect("ballot request")
}

/// The cast's meeting live, with both members checked in.
async fn live_meeting(app: &TestApp) -> Cast {
    let c = cast(app).await;
    advance_to(app, &c.admin.token, &c.meeting, "live").await;
    check_in(app, &c.member, &c.meeting).await;
    check_in(app, &c.member2, &c.meeting).await;
    check_in(app, &c.observer, &c.meeting).await;
    c
}

async fn poll_state(app: &TestApp, token: &str, poll: &str) -> Value {
    get_json(app, &format!("/api/v1/polls/{poll}"), token).await
}

async fn named_poll_from_draft_to_result(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    let poll = create_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Thông qua dự toán ngân sách", "secret": false, "majority": "simple"}),
    )
    .await;
    let p = pid(&poll);
    assert_eq!(poll["state"], "draft");
    assert_eq!(poll["options"], json!(["yes", "no", "abstain"]));
    assert_eq!(poll["tally"], json!({"yes": 0, "no": 0, "abstain": 0}));
    assert_eq!(
        (poll["voted"].as_u64(), poll["eligible"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(poll["result"], Value::Null);

    // Opens only in a live meeting.
    assert_problem(
        act(&app, &c.chair.token, &p, "open").await,
        409,
        "meeting_not_live",
    )
    .await;
    advance_to(&app, &c.admin.token, m, "live").await;
    // …and only with someone to vote.
    assert_problem(
        act(&app, &c.chair.token, &p, "open").await,
        409,
        "no_eligible_voters",
    )
    .await;
    check_in(&app, &c.member, m).await;
    check_in(&app, &c.member2, m).await;
    let opened = expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    assert_eq!(opened["state"], "open");
    assert_eq!(opened["eligible"], 2);

    let r1 = expect(ballot(&app, &c.member.token, &p, "yes").await, 201).await;
    let receipt = r1["receipt"].as_str().expect("receipt");
    assert!(receipt.len() >= 16, "{r1}");
    expect(ballot(&app, &c.member2.token, &p, "abstain").await, 201).await;
    let now = poll_state(&app, &c.observer.token, &p).await;
    assert_eq!(now["tally"], json!({"yes": 1, "no": 0, "abstain": 1}));
    assert_eq!(
        (now["voted"].as_u64(), now["eligible"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(
        now.get("ballots").is_none(),
        "no ballots before close: {now}"
    );

    let closed = expect(act(&app, &c.clerk.token, &p, "close").await, 200).await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["result"], "adopted");
    let ballots = closed["ballots"].as_array().expect("named ballots");
    let pairs: HashSet<(String, String)> = ballots
        .iter()
        .map(|b| {
            (
                b["user_id"].as_str().unwrap().into(),
                b["choice"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        HashSet::from([
            (c.member.id.clone(), "yes".into()),
            (c.member2.id.clone(), "abstain".into())
        ])
    );
    assert_eq!(
        poll_state(&app, &c.member.token, &p).await["ballots"],
        closed["ballots"]
    );

    // The meeting lists it; the log tells the story in order.
    let detail = meeting(&app, &c.member.token, m).await;
    assert_eq!(detail["polls"][0]["id"], p.as_str());
    assert_eq!(detail["polls"][0]["result"], "adopted");
    let types = event_types(&events(&app, &c.admin.token, m, 0).await);
    let polls: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("poll."))
        .collect();
    assert_eq!(polls.first(), Some(&"poll.created"));
    assert!(polls.contains(&"poll.opened"));
    assert_eq!(&polls[polls.len() - 2..], ["poll.tally", "poll.closed"]);
    let log = events(&app, &c.admin.token, m, 0).await;
    let closed_event = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["type"] == "poll.closed")
        .unwrap();
    assert_eq!(closed_event["data"]["result"], "adopted");
    assert_eq!(closed_event["data"]["poll_id"], p.as_str());
    assert_eq!(
        closed_event["data"]["ballots"].as_array().map(Vec::len),
        Some(2)
    );
}

async fn ballots_are_refused_for_every_reason(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let m = &c.meeting;
    let late = person(&app, "denmuon", Role::Member).await;
    add_participant(&app, &c.admin.token, m, &late.id, "member").await;
    let p = pid(&create_poll(
        &app,
        &c.admin.token,
        m,
        json!({"title": "A", "majority": "simple"}),
    )
    .await);

    // A draft is not open.
    assert_problem(
        ballot(&app, &c.member.token, &p, "yes").await,
        409,
        "poll_not_open",
    )
    .await;
    expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    // Checked in only after the opening: not in the snapshot.
    check_in(&app, &late, m).await;
    assert_problem(
        ballot(&app, &late.token, &p, "yes").await,
        403,
        "not_eligible",
    )
    .await;
    assert_problem(
        ballot(&app, &c.member.token, &p, "maybe").await,
        422,
        "unknown_option",
    )
    .await;
    assert_problem(
        ballot(&app, &c.observer.token, &p, "yes").await,
        403,
        "forbidden",
    )
    .await;
    // The chair votes (contract v2), but was not checked in when the poll opened.
    assert_problem(
        ballot(&app, &c.chair.token, &p, "yes").await,
        403,
        "not_eligible",
    )
    .await;
    assert_problem(
        ballot(&app, &c.admin.token, &p, "yes").await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        ballot(&app, &c.outsider.token, &p, "yes").await,
        404,
        "not_found",
    )
    .await;
    let forged = "0193a0b1-0000-7000-8000-000000000000";
    assert_problem(
        ballot(&app, &c.member.token, forged, "yes").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        ballot(&app, &c.member.token, "../x", "yes").await,
        404,
        "not_found",
    )
    .await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/polls/{p}/ballots")))
        .bearer_auth(&c.member.token)
        .json(&json!({"choice": "yes", "extra": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "invalid_body").await;
    assert_problem(
        ballot(&app, "not-a-token", &p, "yes").await,
        401,
        "invalid_token",
    )
    .await;

    expect(ballot(&app, &c.member.token, &p, "no").await, 201).await;
    assert_problem(
        ballot(&app, &c.member.token, &p, "no").await,
        409,
        "already_voted",
    )
    .await;
    assert_problem(
        ballot(&app, &c.member.token, &p, "yes").await,
        409,
        "already_voted",
    )
    .await;
    expect(act(&app, &c.chair.token, &p, "close").await, 200).await;
    assert_problem(
        ballot(&app, &c.member2.token, &p, "yes").await,
        409,
        "poll_closed",
    )
    .await;
    let done = poll_state(&app, &c.chair.token, &p).await;
    assert_eq!(done["voted"], 1);
    assert_eq!(done["tally"]["no"], 1);
}

async fn only_presiders_run_polls(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let m = &c.meeting;
    let body = json!({"title": "B", "majority": "absolute"});
    for who in [&c.member, &c.observer] {
        let res = app
            .post(
                &format!("/api/v1/meetings/{m}/polls"),
                Some(&who.token),
                &body,
            )
            .await;
        assert_problem(res, 403, "forbidden").await;
    }
    let res = app
        .post(
            &format!("/api/v1/meetings/{m}/polls"),
            Some(&c.outsider.token),
            &body,
        )
        .await;
    assert_problem(res, 404, "not_found").await;
    let p = pid(&create_poll(&app, &c.clerk.token, m, body).await);
    assert_problem(
        act(&app, &c.member.token, &p, "open").await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        act(&app, &c.outsider.token, &p, "open").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        act(&app, &c.chair.token, &p, "close").await,
        409,
        "poll_not_open",
    )
    .await;
    expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    assert_problem(
        act(&app, &c.chair.token, &p, "open").await,
        409,
        "poll_open",
    )
    .await;
    assert_problem(
        act(&app, &c.member.token, &p, "close").await,
        403,
        "forbidden",
    )
    .await;
    // The meeting cannot end under an open vote.
    let res = app
        .post(
            &format!("/api/v1/meetings/{m}/state"),
            Some(&c.chair.token),
            &json!({"state": "closed"}),
        )
        .await;
    assert_problem(res, 409, "poll_open").await;
    expect(act(&app, &c.secretary.token, &p, "close").await, 200).await;
    assert_problem(
        act(&app, &c.chair.token, &p, "open").await,
        409,
        "poll_closed",
    )
    .await;
    assert_problem(
        act(&app, &c.chair.token, &p, "close").await,
        409,
        "poll_not_open",
    )
    .await;
    // Nothing open any more: the meeting may close, and then nothing changes.
    advance_to(&app, &c.chair.token, m, "closed").await;
    let res = app
        .post(
            &format!("/api/v1/meetings/{m}/polls"),
            Some(&c.chair.token),
            &json!({"title": "C", "majority": "simple"}),
        )
        .await;
    assert_problem(res, 409, "meeting_closed").await;
}

async fn draft_polls_are_edited_and_validated(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let m = &c.meeting;
    let item = add_item(&app, &c.admin.token, m, "Dự toán", None).await;
    let create = |body: Value| {
        let app = &app;
        let token = c.chair.token.clone();
        async move {
            app.post(&format!("/api/v1/meetings/{m}/polls"), Some(&token), &body)
                .await
        }
    };
    for (body, code) in [
        (json!({"title": " ", "majority": "simple"}), "invalid_title"),
        (json!({"title": "x", "majority": "most"}), "invalid_body"),
        (
            json!({"title": "x", "majority": "simple", "options": ["only"]}),
            "invalid_options",
        ),
        (
            json!({"title": "x", "majority": "simple", "options": ["a", "a"]}),
            "invalid_options",
        ),
        (
            json!({"title": "x", "majority": "simple", "quorum": 0}),
            "invalid_quorum",
        ),
        (
            json!({"title": "x", "majority": "simple", "agenda_item_id": "nope"}),
            "invalid_agenda_item",
        ),
        (
            json!({"title": "x", "majority": "simple", "secret": true, "allow_change": true}),
            "invalid_poll",
        ),
    ] {
        assert_problem(create(body.clone()).await, 422, code).await;
    }
    let poll = create_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Phương án", "agenda_item_id": item, "majority": "two_thirds",
               "options": ["phuong_an_a", "phuong_an_b", "abstain"], "quorum": 2}),
    )
    .await;
    let p = pid(&poll);
    assert_eq!(poll["agenda_item_id"], item.as_str());
    let changed = expect(
        patch(
            &app,
            &format!("/api/v1/polls/{p}"),
            &c.clerk.token,
            &json!({"title": "Phương án mới", "quorum": null, "secret": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            changed["title"].as_str(),
            changed["quorum"].is_null(),
            changed["secret"].as_bool()
        ),
        (Some("Phương án mới"), true, Some(true))
    );
    assert_problem(
        patch(
            &app,
            &format!("/api/v1/polls/{p}"),
            &c.member.token,
            &json!({"title": "x"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    expect(
        delete(&app, &format!("/api/v1/polls/{p}"), &c.chair.token).await,
        204,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/polls/{p}"), Some(&c.chair.token))
            .await,
        404,
        "not_found",
    )
    .await;

    let open = pid(&create_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Mở", "majority": "simple"}),
    )
    .await);
    expect(act(&app, &c.chair.token, &open, "open").await, 200).await;
    assert_problem(
        patch(
            &app,
            &format!("/api/v1/polls/{open}"),
            &c.chair.token,
            &json!({"title": "x"}),
        )
        .await,
        409,
        "poll_not_draft",
    )
    .await;
    assert_problem(
        delete(&app, &format!("/api/v1/polls/{open}"), &c.chair.token).await,
        409,
        "poll_not_draft",
    )
    .await;
}

async fn retries_with_the_same_key_get_the_first_answer(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let p = pid(&create_poll(
        &app,
        &c.chair.token,
        &c.meeting,
        json!({"title": "K", "majority": "simple"}),
    )
    .await);
    expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    let first = expect(
        ballot_with_key(&app, &c.member.token, &p, "yes", Some("tablet-1:42")).await,
        201,
    )
    .await;
    let again = expect(
        ballot_with_key(&app, &c.member.token, &p, "yes", Some("tablet-1:42")).await,
        201,
    )
    .await;
    assert_eq!(first, again);
    // Another key, or none, is a second ballot.
    assert_problem(
        ballot_with_key(&app, &c.member.token, &p, "no", Some("tablet-1:43")).await,
        409,
        "already_voted",
    )
    .await;
    assert_problem(
        ballot(&app, &c.member.token, &p, "yes").await,
        409,
        "already_voted",
    )
    .await;
    // Another member's key does not collide.
    let other = expect(
        ballot_with_key(&app, &c.member2.token, &p, "no", Some("tablet-1:42")).await,
        201,
    )
    .await;
    assert_ne!(other["receipt"], first["receipt"]);
    let bad = ballot_with_key(&app, &c.member.token, &p, "yes", Some(&"k".repeat(201))).await;
    assert_problem(bad, 400, "invalid_idempotency_key").await;
    let now = poll_state(&app, &c.chair.token, &p).await;
    assert_eq!(now["voted"], 2);
    assert_eq!(now["tally"], json!({"yes": 1, "no": 1, "abstain": 0}));
}

/// 1,000 simultaneous ballots of one member, half of them with one shared key: exactly one is
/// counted, every other answer is the first receipt again or `already_voted`.
async fn a_thousand_concurrent_ballots_count_once(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let p = pid(&create_poll(
        &app,
        &c.chair.token,
        &c.meeting,
        json!({"title": "Đồng loạt", "majority": "simple"}),
    )
    .await);
    expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    let started = Instant::now();
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let (client, url, token) = (
                app.client.clone(),
                app.url(&format!("/api/v1/polls/{p}/ballots")),
                c.member.token.clone(),
            );
            tokio::spawn(async move {
                let mut req = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"choice": if i % 2 == 0 { "yes" } else { "no" }}));
                if i % 2 == 0 {
                    req = req.header("Idempotency-Key", "same");
                }
                let res = req.send().await.expect("send");
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap_or_default();
                (status, body)
            })
        })
        .collect();
    let mut created = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            201 => created.push(body["receipt"].as_str().unwrap().to_owned()),
            409 => {
                assert_eq!(body["code"], "already_voted");
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let distinct: HashSet<&String> = created.iter().collect();
    assert_eq!(distinct.len(), 1, "one ballot, one receipt: {distinct:?}");
    assert_eq!(created.len() + conflicts, 1000);
    let now = poll_state(&app, &c.chair.token, &p).await;
    assert_eq!(now["voted"], 1, "{now}");
    let counted: u64 = now["tally"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(counted, 1);
    assert!(started.elapsed() < Duration::from_secs(60));
}

async fn substitutes_vote_for_their_member(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let sub = person(&app, "nguoithay", Role::Member).await;
    expect(
        patch(
            &app,
            &format!("/api/v1/meetings/{m}/participants/{}", c.member2.id),
            &c.admin.token,
            &json!({"substitute_id": sub.id}),
        )
        .await,
        200,
    )
    .await;
    advance_to(&app, &c.admin.token, m, "live").await;
    check_in(&app, &c.member, m).await;
    check_in(&app, &sub, m).await;
    let p = pid(&create_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Thay", "majority": "absolute"}),
    )
    .await);
    let opened = expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    assert_eq!(opened["eligible"], 2);
    // The member whose substitute attends does not vote as well.
    assert_problem(
        ballot(&app, &c.member2.token, &p, "no").await,
        403,
        "not_eligible",
    )
    .await;
    expect(ballot(&app, &sub.token, &p, "yes").await, 201).await;
    expect(ballot(&app, &c.member.token, &p, "yes").await, 201).await;
    let closed = expect(act(&app, &c.chair.token, &p, "close").await, 200).await;
    assert_eq!(closed["result"], "adopted");
    let seat = closed["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["user_id"] == c.member2.id.as_str())
        .cloned()
        .expect("the member's seat voted");
    assert_eq!(seat["cast_by"], sub.id.as_str());
    assert_eq!(seat["choice"], "yes");
}

async fn named_polls_may_allow_changes(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let p = pid(&create_poll(
        &app,
        &c.chair.token,
        &c.meeting,
        json!({"title": "Đổi ý", "majority": "simple", "allow_change": true}),
    )
    .await);
    expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    let first = expect(ballot(&app, &c.member.token, &p, "no").await, 201).await;
    let second = expect(ballot(&app, &c.member.token, &p, "yes").await, 201).await;
    assert_ne!(first["receipt"], second["receipt"]);
    let now = poll_state(&app, &c.chair.token, &p).await;
    assert_eq!(
        (
            now["voted"].as_u64(),
            now["tally"]["yes"].as_u64(),
            now["tally"]["no"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
}

/// Options are the words the room reads: Vietnamese text is stored as typed (trimmed, NFC),
/// voted on and tallied under the same words.
async fn options_in_vietnamese_are_voted_and_tallied(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let m = &c.meeting;
    for bad in [
        json!(["Đồng ý", "đồng ý"]),
        json!(["Phương án A", "a\u{0007}b"]),
        json!(["  ", "Phương án B"]),
    ] {
        assert_problem(
            app.post(
                &format!("/api/v1/meetings/{m}/polls"),
                Some(&c.chair.token),
                &json!({"title": "x", "majority": "simple", "options": bad}),
            )
            .await,
            422,
            "invalid_options",
        )
        .await;
    }
    let poll = create_poll(
        &app,
        &c.chair.token,
        m,
        // The first option arrives decomposed (NFD), as some keyboards send it.
        json!({"title": "Chọn phương án xây trường", "majority": "simple",
               "options": [" Xa\u{0302}\u{0300}y mới ", "Sửa chữa", "abstain"]}),
    )
    .await;
    assert_eq!(poll["options"], json!(["Xầy mới", "Sửa chữa", "abstain"]));
    let p = pid(&poll);
    expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    assert_problem(
        ballot(&app, &c.member.token, &p, "Phương án khác").await,
        422,
        "unknown_option",
    )
    .await;
    expect(ballot(&app, &c.member.token, &p, "Xầy mới").await, 201).await;
    expect(ballot(&app, &c.member2.token, &p, "Sửa chữa").await, 201).await;
    expect(act(&app, &c.chair.token, &p, "close").await, 200).await;
    let done = poll_state(&app, &c.chair.token, &p).await;
    assert_eq!(
        done["tally"],
        json!({"Xầy mới": 1, "Sửa chữa": 1, "abstain": 0})
    );
    // One for, one against: a tie is not a simple majority.
    assert_eq!(done["result"], "rejected");
}

async fn majorities_and_quorum(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let m = &c.meeting;
    // 2 eligible; one yes, one abstain.
    let run = |body: Value, votes: [&'static str; 2]| {
        let (app, c) = (&app, &c);
        async move {
            let p = pid(&create_poll(app, &c.chair.token, m, body).await);
            expect(act(app, &c.chair.token, &p, "open").await, 200).await;
            for (who, v) in [&c.member, &c.member2].into_iter().zip(votes) {
                expect(ballot(app, &who.token, &p, v).await, 201).await;
            }
            expect(act(app, &c.chair.token, &p, "close").await, 200).await["result"].clone()
        }
    };
    assert_eq!(
        run(
            json!({"title": "1", "majority": "simple"}),
            ["yes", "abstain"]
        )
        .await,
        "adopted"
    );
    assert_eq!(
        run(
            json!({"title": "2", "majority": "absolute"}),
            ["yes", "abstain"]
        )
        .await,
        "rejected"
    );
    assert_eq!(
        run(
            json!({"title": "3", "majority": "absolute"}),
            ["yes", "yes"]
        )
        .await,
        "adopted"
    );
    assert_eq!(
        run(json!({"title": "4", "majority": "simple"}), ["yes", "no"]).await,
        "rejected"
    );
    assert_eq!(
        run(
            json!({"title": "5", "majority": "two_thirds"}),
            ["yes", "no"]
        )
        .await,
        "rejected"
    );
    assert_eq!(
        run(
            json!({"title": "6", "majority": "two_thirds", "secret": true}),
            ["yes", "yes"]
        )
        .await,
        "adopted"
    );
    assert_eq!(
        run(
            json!({"title": "7", "majority": "simple", "quorum": 3}),
            ["yes", "yes"]
        )
        .await,
        "no_quorum"
    );
    assert_eq!(
        run(
            json!({"title": "8", "majority": "simple", "quorum": 2}),
            ["yes", "yes"]
        )
        .await,
        "adopted"
    );
}

#[derive(QueryableByName, Debug)]
struct Text1 {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

fn texts_sqlite(conn: &mut SqliteConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Text1>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.v)
        .collect()
}

fn texts_pg(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Text1>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.v)
        .collect()
}

/// Everything the database holds of a secret poll: no user id next to a choice, no time, no
/// order (random v4 ids, no rowid, choices rewritten at close).
async fn secret_polls_keep_no_link_in_the_database(backend: Backend) {
    let (env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let mut voters = vec![c.member.clone(), c.member2.clone()];
    for i in 0..6 {
        let p = person(&app, &format!("daibieu{i}"), Role::Member).await;
        add_participant(&app, &c.admin.token, m, &p.id, "member").await;
        voters.push(p);
    }
    advance_to(&app, &c.admin.token, m, "live").await;
    for v in &voters {
        check_in(&app, v, m).await;
    }
    let p = pid(&create_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Bỏ phiếu kín", "secret": true, "majority": "simple"}),
    )
    .await);
    expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    let pattern = ["yes", "no", "yes", "abstain", "yes", "no", "yes", "yes"];
    let mut receipts = Vec::new();
    for (v, choice) in voters.iter().zip(pattern) {
        receipts.push(
            expect(ballot(&app, &v.token, &p, choice).await, 201).await["receipt"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let closed = expect(act(&app, &c.chair.token, &p, "close").await, 200).await;
    assert_eq!(closed["tally"], json!({"yes": 5, "no": 2, "abstain": 1}));
    assert_eq!(closed["result"], "adopted");
    assert!(closed.get("ballots").is_none(), "{closed}");

    let ids: Vec<&str> = voters.iter().map(|v| v.id.as_str()).collect();
    // Nothing a client can read links a member to a choice: not the API, the log or the audit.
    let log = events(&app, &c.admin.token, m, 0).await;
    let poll_events: String = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("poll.")))
        .map(Value::to_string)
        .collect();
    let audit = get_json(&app, &format!("/api/v1/meetings/{m}/audit"), &c.admin.token)
        .await
        .to_string();
    for id in &ids {
        assert!(!poll_events.contains(id), "a poll event names voter {id}");
        assert!(!audit.contains(id), "the audit names voter {id}");
    }

    let choice_cols;
    let voter_cols;
    let choice_ids;
    let choice_rows;
    match backend {
        Backend::Sqlite => {
            let mut conn =
                SqliteConnection::establish(env.data.path().join("ecabinet.db").to_str().unwrap())
                    .unwrap();
            choice_cols = texts_sqlite(
                &mut conn,
                "SELECT name AS v FROM pragma_table_info('poll_choices') ORDER BY cid",
            );
            voter_cols = texts_sqlite(
                &mut conn,
                "SELECT name AS v FROM pragma_table_info('poll_voters') ORDER BY cid",
            );
            for table in ["poll_choices", "poll_voters"] {
                let sql = texts_sqlite(
                    &mut conn,
                    &format!("SELECT sql AS v FROM sqlite_master WHERE name = '{table}'"),
                );
                assert!(
                    sql[0].contains("WITHOUT ROWID"),
                    "{table} has a rowid: {}",
                    sql[0]
                );
            }
            choice_ids = texts_sqlite(
                &mut conn,
                &format!("SELECT id AS v FROM poll_choices WHERE poll_id = '{p}'"),
            );
            choice_rows = texts_sqlite(
                &mut conn,
                &format!(
                    "SELECT poll_id || ' ' || id || ' ' || choice AS v FROM poll_choices WHERE poll_id = '{p}'"
                ),
            );
        }
        Backend::Postgres => {
            let mut conn = PgConnection::establish(&env.pg.as_ref().unwrap().url).unwrap();
            let cols = |conn: &mut PgConnection, t: &str| {
                texts_pg(
                    conn,
                    &format!(
                        "SELECT column_name::text AS v FROM information_schema.columns WHERE table_name = '{t}' ORDER BY ordinal_position"
                    ),
                )
            };
            choice_cols = cols(&mut conn, "poll_choices");
            voter_cols = cols(&mut conn, "poll_voters");
            choice_ids = texts_pg(
                &mut conn,
                &format!("SELECT id AS v FROM poll_choices WHERE poll_id = '{p}'"),
            );
            choice_rows = texts_pg(
                &mut conn,
                &format!(
                    "SELECT poll_id || ' ' || id || ' ' || choice AS v FROM poll_choices WHERE poll_id = '{p}'"
                ),
            );
            // The transaction that wrote each row is visible on PostgreSQL (xmin): after the
            // close every choice row was written by the closing transaction, none by a ballot's.
            let choice_tx = texts_pg(
                &mut conn,
                &format!("SELECT DISTINCT xmin::text AS v FROM poll_choices WHERE poll_id = '{p}'"),
            );
            let voter_tx: HashSet<String> = texts_pg(
                &mut conn,
                &format!("SELECT xmin::text AS v FROM poll_voters WHERE poll_id = '{p}'"),
            )
            .into_iter()
            .collect();
            assert_eq!(
                choice_tx.len(),
                1,
                "choices written by several transactions: {choice_tx:?}"
            );
            // The close also rewrites the voters (it erases their idempotency keys), so the
            // ballots' own transactions are gone from the live rows of both tables.
            assert_eq!(
                voter_tx,
                HashSet::from([choice_tx[0].clone()]),
                "voter rows still carry their ballots' transactions"
            );
        }
    }
    assert_eq!(
        choice_cols,
        ["poll_id", "id", "choice"],
        "poll_choices columns"
    );
    assert_eq!(
        voter_cols,
        ["poll_id", "user_id", "receipt", "idempotency_key"],
        "poll_voters columns"
    );
    assert_eq!(choice_ids.len(), 8);
    for id in &choice_ids {
        let uuid = uuid::Uuid::parse_str(id).expect("choice ids are UUIDs");
        assert_eq!(
            uuid.get_version_num(),
            4,
            "choice ids are random, not time-ordered: {id}"
        );
    }
    for row in &choice_rows {
        for (user, receipt) in ids.iter().zip(&receipts) {
            assert!(
                !row.contains(user) && !row.contains(receipt.as_str()),
                "a choice row names a voter: {row}"
            );
        }
    }
    // Named ballots of this poll: none.
    let named = get_json(&app, &format!("/api/v1/polls/{p}"), &c.member.token).await;
    assert!(named.get("ballots").is_none());
}

/// The chair closes while the last ballots' tallies are being written, again and again: the
/// close answers 200 every time (the tally task and the close take their locks in the same
/// order, so neither is chosen as a deadlock's victim), every ballot is counted or refused as
/// late, and no `poll.tally` of a poll follows its `poll.closed` in the log.
async fn closing_races_the_last_tallies(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |s| s.polls.tally_interval_ms = 1).await;
    let c = live_meeting(&app).await;
    let m = &c.meeting;
    let mut polls = Vec::new();
    for round in 0..12_u64 {
        let p = pid(&create_poll(
            &app,
            &c.chair.token,
            m,
            json!({"title": format!("Biểu quyết nhanh {round}"), "majority": "simple"}),
        )
        .await);
        expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
        let (first, second, closed) = tokio::join!(
            ballot(&app, &c.member.token, &p, "yes"),
            ballot(&app, &c.member2.token, &p, "no"),
            async {
                tokio::time::sleep(Duration::from_millis(round % 4)).await;
                act(&app, &c.chair.token, &p, "close").await
            }
        );
        let counted = [first, second]
            .into_iter()
            .map(|r| r.status().as_u16())
            .inspect(|s| assert!(matches!(s, 201 | 409), "ballot answered {s}"))
            .filter(|s| *s == 201)
            .count();
        let closed = expect(closed, 200).await;
        assert_eq!(closed["voted"], json!(counted), "{closed}");
        polls.push(p);
    }
    // The tally task may still be writing: give it time to show a misplaced tally.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = events(&app, &c.admin.token, m, 0).await;
    let log = log["events"].as_array().unwrap();
    for p in &polls {
        let of_poll = |e: &&Value| e["data"]["poll_id"] == p.as_str();
        let closed_at = log
            .iter()
            .position(|e| e["type"] == "poll.closed" && of_poll(&e))
            .expect("poll.closed in the log");
        assert!(
            !log[closed_at..]
                .iter()
                .any(|e| e["type"] == "poll.tally" && of_poll(&e)),
            "a tally of {p} after its poll.closed"
        );
    }
}

async fn start(env: &TestEnv, tune: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = env.settings();
    tune(&mut settings);
    TestApp::start(settings).expect("server start")
}

/// Eight ballots within a moment give a handful of `poll.tally` events, each at least the
/// interval apart, live and in the log; the last one before `poll.closed` is the final tally.
async fn tallies_are_coalesced_and_live(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |s| s.polls.tally_interval_ms = 400).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let mut voters = vec![c.member.clone(), c.member2.clone()];
    for i in 0..6 {
        let p = person(&app, &format!("daibieu{i}"), Role::Member).await;
        add_participant(&app, &c.admin.token, m, &p.id, "member").await;
        voters.push(p);
    }
    advance_to(&app, &c.admin.token, m, "live").await;
    for v in &voters {
        check_in(&app, v, m).await;
    }
    let p = pid(&create_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Kín", "secret": true, "majority": "simple"}),
    )
    .await);
    let mut tablet = LiveClient::join(&live_url(app.port, m), &c.observer.token, 0).await;
    tablet.replay().await;
    expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    let (opened, _) = tablet.until(|v| v["type"] == "poll.opened").await;
    assert_eq!(opened["data"]["poll_id"], p.as_str());
    let sent = Instant::now();
    let tasks: Vec<_> = voters
        .iter()
        .map(|v| {
            let (client, url, token) = (
                app.client.clone(),
                app.url(&format!("/api/v1/polls/{p}/ballots")),
                v.token.clone(),
            );
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"choice": "yes"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    // The final live tally arrives without anyone closing the poll.
    let mut tallies = Vec::new();
    loop {
        let (t, _) = tablet.until(|v| v["type"] == "poll.tally").await;
        tallies.push(t.clone());
        if t["data"]["voted"] == 8 {
            break;
        }
    }
    let waited = sent.elapsed();
    let last = tallies.last().unwrap();
    // A secret poll's live tallies say how many voted, never what (contract v2).
    assert_eq!(
        last["data"],
        json!({"poll_id": p, "voted": 8, "eligible": 8})
    );
    assert!(
        tallies.len() < 8,
        "not coalesced: {} tallies for 8 ballots",
        tallies.len()
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // Spacing in the durable log: at least the interval between two tallies of the poll, but
    // for the complete one (every eligible voter's ballot), which goes out at once.
    let log = events(&app, &c.admin.token, m, 0).await;
    let times: Vec<chrono::DateTime<chrono::Utc>> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "poll.tally")
        .map(|e| e["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        times.len(),
        tallies.len(),
        "the live tallies are the durable ones"
    );
    for w in times[..times.len() - 1].windows(2) {
        assert!(
            (w[1] - w[0]).num_milliseconds() >= 390,
            "tallies closer than the interval: {times:?}"
        );
    }
    expect(act(&app, &c.chair.token, &p, "close").await, 200).await;
    let (final_tally, _) = tablet.until(|v| v["type"] == "poll.tally").await;
    let (closed, _) = tablet.until(|v| v["type"] == "poll.closed").await;
    assert_eq!(final_tally["data"]["voted"], 8);
    assert_eq!(
        final_tally["data"]["tally"],
        json!({"yes": 8, "no": 0, "abstain": 0})
    );
    assert_eq!(closed["data"]["result"], "adopted");
    assert_eq!(
        closed["seq"].as_i64(),
        final_tally["seq"].as_i64().map(|s| s + 1)
    );
    app.stop().await;
}

/// The tally that shows every eligible voter's ballot goes out at once, whatever the interval:
/// with a minute's interval it still comes right after the last ballot (the client gives up
/// after 10 s), while the one before it is held back as usual.
async fn the_complete_tally_goes_out_at_once(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, |s| s.polls.tally_interval_ms = 60_000).await;
    let c = live_meeting(&app).await;
    let p = pid(&create_poll(
        &app,
        &c.chair.token,
        &c.meeting,
        json!({"title": "Đủ phiếu", "majority": "simple", "secret": true}),
    )
    .await);
    let mut tablet = LiveClient::join(&live_url(app.port, &c.meeting), &c.observer.token, 0).await;
    tablet.replay().await;
    let opened = expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    assert_eq!(opened["eligible"], 2, "{opened}");
    expect(ballot(&app, &c.member.token, &p, "yes").await, 201).await;
    // A quiet poll's first tally goes out at once.
    let (first, _) = tablet.until(|v| v["type"] == "poll.tally").await;
    assert_eq!(first["data"]["voted"], 1);
    // The second ballot falls within the minute, yet completes the poll.
    expect(ballot(&app, &c.member2.token, &p, "no").await, 201).await;
    let (complete, _) = tablet.until(|v| v["type"] == "poll.tally").await;
    assert_eq!(
        complete["data"],
        json!({"poll_id": p, "voted": 2, "eligible": 2})
    );
    // Closing still writes the final tally with `poll.closed`.
    expect(act(&app, &c.chair.token, &p, "close").await, 200).await;
    let (last, _) = tablet.until(|v| v["type"] == "poll.tally").await;
    assert_eq!(last["data"]["voted"], 2);
    assert_eq!(
        last["data"]["tally"],
        json!({"yes": 1, "no": 1, "abstain": 0})
    );
    tablet.until(|v| v["type"] == "poll.closed").await;
    app.stop().await;
}

async fn ballots_over_the_live_channel(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let p = pid(&create_poll(
        &app,
        &c.chair.token,
        &c.meeting,
        json!({"title": "Trực tuyến", "majority": "simple"}),
    )
    .await);
    let url = live_url(app.port, &c.meeting);
    let mut tablet = LiveClient::join(&url, &c.member.token, 0).await;
    tablet.replay().await;
    tablet
        .send(json!({"type": "ballot", "ref": 1, "poll_id": p, "choice": "yes"}))
        .await;
    let (err, _) = tablet.until(|v| v["ref"] == 1).await;
    assert_eq!(
        (err["type"].as_str(), err["code"].as_str()),
        (Some("error"), Some("poll_not_open"))
    );
    expect(act(&app, &c.chair.token, &p, "open").await, 200).await;
    tablet
        .send(json!({"type": "ballot", "ref": "b-2", "poll_id": p, "choice": "nope"}))
        .await;
    let (err, _) = tablet.until(|v| v["ref"] == "b-2").await;
    assert_eq!(err["code"], "unknown_option");
    tablet
        .send(json!({"type": "ballot", "ref": "b-3", "poll_id": p, "choice": "yes"}))
        .await;
    let (ack, _) = tablet.until(|v| v["ref"] == "b-3").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let receipt = ack["receipt"].as_str().expect("receipt").to_owned();
    // Acknowledged means committed: it is there for everyone at once.
    assert_eq!(poll_state(&app, &c.chair.token, &p).await["voted"], 1);
    // The same ref again is a retry; another one a second ballot.
    tablet
        .send(json!({"type": "ballot", "ref": "b-3", "poll_id": p, "choice": "yes"}))
        .await;
    let (again, _) = tablet.until(|v| v["ref"] == "b-3").await;
    assert_eq!(again["receipt"], receipt.as_str());
    tablet
        .send(json!({"type": "ballot", "ref": "b-4", "poll_id": p, "choice": "no"}))
        .await;
    let (dup, _) = tablet.until(|v| v["ref"] == "b-4").await;
    assert_eq!(dup["code"], "already_voted");
    tablet
        .send(json!({"type": "ballot", "ref": 5, "poll_id": p}))
        .await;
    let (bad, _) = tablet.until(|v| v["ref"] == 5).await;
    assert_eq!(bad["code"], "invalid_request");

    let mut observer = LiveClient::join(&url, &c.observer.token, 0).await;
    observer.replay().await;
    observer
        .send(json!({"type": "ballot", "ref": 9, "poll_id": p, "choice": "yes"}))
        .await;
    let (err, _) = observer.until(|v| v["ref"] == 9).await;
    assert_eq!(err["code"], "forbidden");
}

async fn agenda_items_with_polls(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = live_meeting(&app).await;
    let m = &c.meeting;
    let item = add_item(&app, &c.admin.token, m, "Tờ trình", None).await;
    let sub = add_item(&app, &c.admin.token, m, "Mục con", Some(&item)).await;
    let draft = pid(&create_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Nháp", "agenda_item_id": sub, "majority": "simple"}),
    )
    .await);
    let decided = pid(&create_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Đã quyết", "agenda_item_id": item, "majority": "simple"}),
    )
    .await);
    expect(act(&app, &c.chair.token, &decided, "open").await, 200).await;
    expect(ballot(&app, &c.member.token, &decided, "yes").await, 201).await;
    expect(act(&app, &c.chair.token, &decided, "close").await, 200).await;

    assert_problem(
        delete(&app, &format!("/api/v1/agenda/{item}"), &c.admin.token).await,
        409,
        "agenda_item_in_use",
    )
    .await;
    expect(
        delete(
            &app,
            &format!("/api/v1/agenda/{item}?cascade=true"),
            &c.admin.token,
        )
        .await,
        204,
    )
    .await;
    // The draft went with its item; the decision stays, detached.
    assert_problem(
        app.get(&format!("/api/v1/polls/{draft}"), Some(&c.chair.token))
            .await,
        404,
        "not_found",
    )
    .await;
    let kept = poll_state(&app, &c.chair.token, &decided).await;
    assert_eq!(
        (
            kept["agenda_item_id"].clone(),
            kept["result"].clone(),
            kept["voted"].clone()
        ),
        (Value::Null, json!("adopted"), json!(1))
    );
    let detail = meeting(&app, &c.chair.token, m).await;
    assert_eq!(detail["polls"].as_array().map(Vec::len), Some(1));
    assert_eq!(detail["agenda"], json!([]));
}

backend_tests!(
    named_poll_from_draft_to_result,
    closing_races_the_last_tallies,
    ballots_are_refused_for_every_reason,
    only_presiders_run_polls,
    draft_polls_are_edited_and_validated,
    retries_with_the_same_key_get_the_first_answer,
    a_thousand_concurrent_ballots_count_once,
    substitutes_vote_for_their_member,
    named_polls_may_allow_changes,
    options_in_vietnamese_are_voted_and_tallied,
    majorities_and_quorum,
    secret_polls_keep_no_link_in_the_database,
    tallies_are_coalesced_and_live,
    the_complete_tally_goes_out_at_once,
    ballots_over_the_live_channel,
    agenda_items_with_polls,
);
