//! The durable event log of a meeting: every change in order, gapless seqs (under concurrency
//! too), paging with `after` and `limit`, and nothing for refused requests.

use ecabinet::users::Role;
use ecabinet_tests::{Backend, TestApp, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    add_item, add_participant, cast, create_meeting, delete, event_types, events, expect, get_json,
    id_of, ids, last_seq, meeting, patch, person, put, set_state, titles,
};

fn seqs(events: &Value) -> Vec<i64> {
    events["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events in {events}"))
        .iter()
        .map(|e| e["seq"].as_i64().unwrap_or_else(|| panic!("no seq in {e}")))
        .collect()
}

async fn ok(res: reqwest::Response, status: u16) -> Value {
    expect(res, status).await
}

async fn every_change_is_an_event_in_order(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let chair = person(&app, "chutoa", Role::Member).await;
    let member = person(&app, "uyvien", Role::Member).await;
    let member2 = person(&app, "uyvien2", Role::Member).await;
    let observer = person(&app, "quansat", Role::Member).await;
    let sub = person(&app, "nguoithay", Role::Member).await;
    let tok = admin.token.as_str();
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let mp = format!("/api/v1/meetings/{m}");
    let mut want = vec!["meeting.created"];
    // (event index, JSON pointer into its data, the answer the request got): an event carries
    // the same object the request answered.
    let mut same: Vec<(usize, &str, Value)> = Vec::new();

    ok(
        patch(&app, &mp, tok, &json!({"title": "Phiên họp tháng 12"})).await,
        200,
    )
    .await;
    want.push("meeting.updated");
    for (p, role) in [
        (&chair, "chair"),
        (&member, "member"),
        (&member2, "member"),
        (&observer, "observer"),
    ] {
        let answer = add_participant(&app, tok, &m, &p.id, role).await;
        want.push("participant.added");
        same.push((want.len() - 1, "", answer));
    }
    let a = add_item(&app, tok, &m, "A", None).await;
    add_item(&app, tok, &m, "A1", Some(&a)).await;
    let b = add_item(&app, tok, &m, "B", None).await;
    let tree = ok(
        put(
            &app,
            &format!("{mp}/agenda/order"),
            tok,
            &json!({"item_ids": [b, a]}),
        )
        .await,
        200,
    )
    .await;
    let tree = tree.get("agenda").cloned().unwrap_or(tree);
    same.push((want.len() + 3, "/agenda", tree));
    ok(
        patch(
            &app,
            &format!("/api/v1/agenda/{a}"),
            tok,
            &json!({"title": "A'"}),
        )
        .await,
        200,
    )
    .await;
    want.extend(["agenda.changed"; 5]);
    ok(set_state(&app, tok, &m, "scheduled").await, 200).await;
    want.push("meeting.state");
    let answer = ok(
        patch(
            &app,
            &format!("{mp}/participants/{}", member.id),
            &member.token,
            &json!({"substitute_id": sub.id}),
        )
        .await,
        200,
    )
    .await;
    want.push("participant.updated");
    same.push((want.len() - 1, "", answer));
    let answer = ok(
        app.post(&format!("{mp}/check-in"), Some(&sub.token), &json!({}))
            .await,
        200,
    )
    .await;
    want.push("participant.checked_in");
    same.push((want.len() - 1, "", answer));
    let answer = ok(
        app.post(
            &format!("{mp}/attendance"),
            Some(&chair.token),
            &json!({"user_id": member2.id, "status": "absent", "reason": "Ốm"}),
        )
        .await,
        200,
    )
    .await;
    want.push("participant.attendance");
    same.push((want.len() - 1, "", answer));
    let answer = ok(
        app.post(
            &format!("{mp}/attendance"),
            Some(&chair.token),
            &json!({"user_id": member2.id, "status": "present"}),
        )
        .await,
        200,
    )
    .await;
    want.push("participant.checked_in");
    same.push((want.len() - 1, "", answer));
    let answer = ok(
        app.post(&format!("{mp}/speakers"), Some(&member2.token), &json!({}))
            .await,
        201,
    )
    .await;
    let speaker = id_of(&answer);
    want.push("speaker.changed");
    same.push((want.len() - 1, "/speaker", answer));
    ok(set_state(&app, &chair.token, &m, "live").await, 200).await;
    want.push("meeting.state");
    for state in ["speaking", "done"] {
        let answer = ok(
            app.post(
                &format!("/api/v1/speakers/{speaker}/state"),
                Some(&chair.token),
                &json!({"state": state}),
            )
            .await,
            200,
        )
        .await;
        want.push("speaker.changed");
        same.push((want.len() - 1, "/speaker", answer));
    }
    assert_eq!(
        delete(&app, &format!("/api/v1/agenda/{a}"), tok)
            .await
            .status(),
        204
    );
    want.push("agenda.changed");
    assert_eq!(
        delete(&app, &format!("{mp}/participants/{}", observer.id), tok)
            .await
            .status(),
        204
    );
    want.push("participant.removed");
    ok(set_state(&app, &chair.token, &m, "closed").await, 200).await;
    want.push("meeting.state");

    let all = events(&app, tok, &m, 0).await;
    let n = i64::try_from(want.len()).unwrap();
    assert_eq!(event_types(&all), want, "{all}");
    assert_eq!(seqs(&all), (1..=n).collect::<Vec<_>>());
    assert_eq!(last_seq(&all), n);
    assert_eq!(meeting(&app, tok, &m).await["last_seq"], n);
    let list = all["events"].as_array().unwrap();
    let times: Vec<_> = list
        .iter()
        .map(|e| {
            e["at"]
                .as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .unwrap_or_else(|| panic!("bad at: {e}"))
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "times go back: {all}"
    );
    for e in list {
        assert!(e["data"].is_object(), "data is not an object: {e}");
    }
    for (i, pointer, answer) in &same {
        let data = list[*i]["data"].pointer(pointer);
        assert_eq!(
            data,
            Some(answer),
            "event {} ({}) carries another object than the answer",
            i + 1,
            list[*i]["type"]
        );
    }

    // The payloads say what changed.
    let agendas: Vec<&Value> = list
        .iter()
        .filter(|e| e["type"] == "agenda.changed")
        .map(|e| &e["data"]["agenda"])
        .collect();
    assert_eq!(titles(agendas[0]), ["A"]);
    assert_eq!(titles(&agendas[1][0]["children"]), ["A1"]);
    assert_eq!(titles(agendas[2]), ["A", "B"]);
    assert_eq!(titles(agendas[3]), ["B", "A"]);
    assert_eq!(titles(agendas[4]), ["B", "A'"]);
    assert_eq!(titles(agendas[5]), ["B"]);
    let speakers: Vec<&Value> = list
        .iter()
        .filter(|e| e["type"] == "speaker.changed")
        .map(|e| &e["data"])
        .collect();
    let states: Vec<&Value> = speakers.iter().map(|d| &d["speaker"]["state"]).collect();
    assert_eq!(states, ["waiting", "speaking", "done"]);
    for d in &speakers {
        assert_eq!(d["speaker"]["id"], speaker.as_str());
        assert!(d["queue"].is_array(), "{d}");
    }
    assert_eq!(speakers[0]["queue"].as_array().map(Vec::len), Some(1));
    let states: Vec<String> = list
        .iter()
        .filter(|e| e["type"] == "meeting.state")
        .map(|e| e["data"].to_string())
        .collect();
    for (data, state) in states.iter().zip(["scheduled", "live", "closed"]) {
        assert!(data.contains(state), "meeting.state {data} lacks {state}");
    }
    for (kind, who) in [
        ("participant.updated", &member.id),
        ("participant.checked_in", &member.id),
        ("participant.attendance", &member2.id),
        ("participant.removed", &observer.id),
    ] {
        let e = list.iter().find(|e| e["type"] == kind).unwrap();
        assert!(
            e["data"].to_string().contains(who.as_str()),
            "{kind} does not name {who}: {e}"
        );
    }

    // Paging: only later events; `last_seq` always the meeting's.
    let tail = events(&app, tok, &m, 5).await;
    assert_eq!(seqs(&tail), (6..=n).collect::<Vec<_>>());
    assert_eq!(tail["events"][0], all["events"][5]);
    assert_eq!(last_seq(&tail), n);
    let none = events(&app, tok, &m, n).await;
    assert_eq!(none["events"], json!([]));
    assert_eq!(last_seq(&none), n);
    let page = get_json(&app, &format!("{mp}/events?after=3&limit=2"), tok).await;
    assert_eq!(seqs(&page), [4, 5]);
    assert_eq!(last_seq(&page), n);
    // A member of the meeting reads the same log.
    assert_eq!(events(&app, &member2.token, &m, 0).await, all);
    assert_problem(
        app.get(&format!("{mp}/events?after=abc"), Some(tok)).await,
        400,
        "malformed_query",
    )
    .await;
}

async fn refused_requests_add_no_events(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = c.meeting.clone();
    let mp = format!("/api/v1/meetings/{m}");
    let tok = c.admin.token.clone();
    let a = add_item(&app, &tok, &m, "A", None).await;
    let a1 = add_item(&app, &tok, &m, "A1", Some(&a)).await;
    ok(set_state(&app, &tok, &m, "scheduled").await, 200).await;
    let speaker = id_of(
        &ok(
            app.post(&format!("{mp}/speakers"), Some(&c.member.token), &json!({}))
                .await,
            201,
        )
        .await,
    );
    let before = events(&app, &tok, &m, 0).await;
    let s = last_seq(&before);
    // 1 created + 5 participants + 2 agenda + 1 state + 1 speaker.
    assert_eq!(s, 10, "{before}");

    let refused: Vec<(reqwest::Response, u16)> = vec![
        (
            patch(&app, &mp, &c.member.token, &json!({"title": "x"})).await,
            403,
        ),
        (patch(&app, &mp, &tok, &json!({"title": 5})).await, 422),
        (
            app.post(
                &format!("{mp}/participants"),
                Some(&tok),
                &json!({"user_id": c.member.id, "role": "member"}),
            )
            .await,
            409,
        ),
        (
            app.post(
                &format!("{mp}/participants"),
                Some(&tok),
                &json!({"user_id": uuid::Uuid::new_v4().to_string(), "role": "member"}),
            )
            .await,
            422,
        ),
        (
            patch(
                &app,
                &format!("{mp}/participants/{}", c.member.id),
                &tok,
                &json!({"substitute_id": c.member2.id}),
            )
            .await,
            422,
        ),
        (set_state(&app, &tok, &m, "closed").await, 409),
        (set_state(&app, &c.member.token, &m, "live").await, 403),
        (
            patch(
                &app,
                &format!("/api/v1/agenda/{a}"),
                &tok,
                &json!({"parent_id": a1}),
            )
            .await,
            422,
        ),
        (
            put(
                &app,
                &format!("{mp}/agenda/order"),
                &tok,
                &json!({"item_ids": [a, a1]}),
            )
            .await,
            422,
        ),
        (
            app.post(
                &format!("{mp}/agenda"),
                Some(&c.member.token),
                &json!({"title": "x"}),
            )
            .await,
            403,
        ),
        (
            app.post(&format!("{mp}/speakers"), Some(&c.member.token), &json!({}))
                .await,
            409,
        ),
        (
            app.post(
                &format!("{mp}/speakers"),
                Some(&c.observer.token),
                &json!({}),
            )
            .await,
            403,
        ),
        (
            app.post(
                &format!("/api/v1/speakers/{speaker}/state"),
                Some(&c.chair.token),
                &json!({"state": "speaking"}),
            )
            .await,
            409,
        ),
        (
            app.post(
                &format!("/api/v1/speakers/{speaker}/state"),
                Some(&c.member2.token),
                &json!({"state": "withdrawn"}),
            )
            .await,
            403,
        ),
        (
            app.post(
                &format!("{mp}/attendance"),
                Some(&c.member.token),
                &json!({"user_id": c.member2.id, "status": "absent"}),
            )
            .await,
            403,
        ),
        (
            app.post(
                &format!("{mp}/check-in"),
                Some(&c.outsider.token),
                &json!({}),
            )
            .await,
            404,
        ),
    ];
    for (i, (res, status)) in refused.into_iter().enumerate() {
        let got = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        assert_eq!(got, status, "refused request #{i}: {body}");
    }
    let after = events(&app, &tok, &m, 0).await;
    assert_eq!(after, before, "a refused request left an event");
    assert_eq!(meeting(&app, &tok, &m).await["last_seq"], s);
}

async fn events_are_for_those_who_see_the_meeting(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let path = format!("/api/v1/meetings/{}/events?after=0", c.meeting);
    for who in [&c.member, &c.outsider] {
        assert_problem(app.get(&path, Some(&who.token)).await, 404, "not_found").await;
    }
    assert_problem(app.get(&path, None).await, 401, "missing_token").await;
    ok(
        set_state(&app, &c.secretary.token, &c.meeting, "scheduled").await,
        200,
    )
    .await;
    let seen = events(&app, &c.member.token, &c.meeting, 0).await;
    assert_eq!(last_seq(&seen), 7);
    assert_problem(
        app.get(&path, Some(&c.outsider.token)).await,
        404,
        "not_found",
    )
    .await;
}

async fn concurrent_changes_get_gapless_seqs(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = admin.token.as_str();
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let other = create_meeting(&app, tok, "Phiên khác").await;
    const N: usize = 30;
    const OTHER: usize = 6;
    let url = app.url(&format!("/api/v1/meetings/{m}/agenda"));
    let other_url = app.url(&format!("/api/v1/meetings/{other}/agenda"));
    // A few additions to another meeting run alongside: its seqs are its own.
    let sends = (0..N)
        .map(|i| (&url, i))
        .chain((0..OTHER).map(|i| (&other_url, i)))
        .map(|(target, i)| {
            app.client
                .post(target)
                .bearer_auth(tok)
                .json(&json!({"title": format!("Mục {i:02}")}))
                .send()
        });
    let results = futures_util::future::join_all(sends).await;
    for res in results {
        let res = res.unwrap_or_else(|e| panic!("POST agenda: {e}"));
        expect(res, 201).await;
    }
    check_gapless(&app, tok, &m, N).await;
    check_gapless(&app, tok, &other, OTHER).await;
}

/// The meeting has `items` top-level items, added one per event after `meeting.created`.
async fn check_gapless(app: &TestApp, tok: &str, m: &str, items: usize) {
    let all = events(app, tok, m, 0).await;
    let n = i64::try_from(items).unwrap() + 1;
    assert_eq!(
        seqs(&all),
        (1..=n).collect::<Vec<_>>(),
        "seqs are not exactly 1..={n}"
    );
    assert_eq!(last_seq(&all), n);
    let types = event_types(&all);
    assert_eq!(types[0], "meeting.created");
    assert!(
        types[1..].iter().all(|t| t == "agenda.changed"),
        "{types:?}"
    );

    let tree = meeting(app, tok, m).await["agenda"].clone();
    let got = ids(&tree);
    assert_eq!(got.len(), items);
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), items);
    let positions: Vec<i64> = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["position"].as_i64().unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "concurrent appends share or lose positions: {positions:?}"
    );
    // Each event shows the agenda as it was after its change: the k-th has k items, and the
    // last one is the agenda as it is now.
    let list = all["events"].as_array().unwrap();
    for (k, e) in list[1..].iter().enumerate() {
        assert_eq!(
            e["data"]["agenda"].as_array().map(Vec::len),
            Some(k + 1),
            "event seq {} shows a stale agenda",
            e["seq"]
        );
    }
    assert_eq!(list[items]["data"]["agenda"], tree);
}

/// Different kinds of change at once (agenda, check-ins, speaker requests, meeting edits,
/// attendance): still one gapless sequence, one event per successful change.
async fn mixed_concurrent_changes_get_gapless_seqs(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = admin.token.as_str();
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let mut members = Vec::new();
    for i in 0..8 {
        let p = person(&app, &format!("uyvien{i}"), Role::Member).await;
        add_participant(&app, tok, &m, &p.id, "member").await;
        members.push(p);
    }
    crate::support::advance_to(&app, tok, &m, "live").await;
    ok(set_state(&app, tok, &m, "scheduled").await, 409).await;
    let base = last_seq(&events(&app, tok, &m, 0).await);
    // created + 8 added + scheduled + live (going back was refused).
    assert_eq!(base, 11);
    let mp = app.url(&format!("/api/v1/meetings/{m}"));
    let mut sends = Vec::new();
    for i in 0..8 {
        sends.push(
            app.client
                .post(format!("{mp}/agenda"))
                .bearer_auth(tok)
                .json(&json!({"title": format!("Mục {i}")})),
        );
        sends.push(
            app.client
                .patch(&mp)
                .bearer_auth(tok)
                .json(&json!({"description": format!("Lần {i}")})),
        );
    }
    for (i, p) in members.iter().enumerate() {
        let req = if i % 2 == 0 {
            app.client.post(format!("{mp}/check-in")).json(&json!({}))
        } else {
            app.client.post(format!("{mp}/speakers")).json(&json!({}))
        };
        sends.push(req.bearer_auth(&p.token));
        if i % 2 == 0 {
            sends.push(
                app.client
                    .post(format!("{mp}/attendance"))
                    .bearer_auth(tok)
                    .json(&json!({"user_id": members[i + 1].id, "status": "absent"})),
            );
        }
    }
    let total = sends.len();
    let results = futures_util::future::join_all(sends.into_iter().map(|r| r.send())).await;
    for res in results {
        let res = res.unwrap();
        let status = res.status().as_u16();
        assert!(
            status == 200 || status == 201,
            "{status}: {}",
            res.text().await.unwrap_or_default()
        );
    }
    let all = events(&app, tok, &m, base).await;
    let n = base + i64::try_from(total).unwrap();
    assert_eq!(seqs(&all), (base + 1..=n).collect::<Vec<_>>());
    assert_eq!(last_seq(&all), n);
    let types = event_types(&all);
    let count = |t: &str| types.iter().filter(|x| *x == t).count();
    assert_eq!(count("agenda.changed"), 8);
    assert_eq!(count("meeting.updated"), 8);
    assert_eq!(count("participant.checked_in"), 4);
    assert_eq!(count("speaker.changed"), 4);
    assert_eq!(count("participant.attendance"), 4);
    assert_eq!(
        meeting(&app, tok, &m).await["agenda"]
            .as_array()
            .map(Vec::len),
        Some(8)
    );
}

/// `limit=L` returns at most L events (and at most 1000); `last_seq` tells there is more.
async fn events_come_at_most_limit_at_a_time(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = admin.token.as_str();
    let m = create_meeting(&app, tok, "Phiên họp").await;
    for i in 0..4 {
        add_item(&app, tok, &m, &format!("Mục {i}"), None).await;
    }
    let path = format!("/api/v1/meetings/{m}/events");
    let one = get_json(&app, &format!("{path}?after=0&limit=1"), tok).await;
    assert_eq!(seqs(&one), [1]);
    assert_eq!(last_seq(&one), 5);
    let big = get_json(&app, &format!("{path}?after=2&limit=100000"), tok).await;
    assert_eq!(seqs(&big), [3, 4, 5]);
    let res = app.get(&format!("{path}?after=0&limit=0"), Some(tok)).await;
    if res.status() == 200 {
        let zero: Value = res.json().await.unwrap();
        assert_eq!(zero["events"], json!([]), "limit=0 gave events: {zero}");
        assert_eq!(last_seq(&zero), 5);
    } else {
        crate::support::expect_problem_status(res, 422).await;
    }
}

/// A log written while agendas had no depth limit (here: a server configured for 80 levels)
/// holds events nested deeper than serde_json's recursion limit of 128; they are read as
/// stored, over HTTP and on the live channel, instead of failing with 500 / 1011 for good.
async fn deeply_nested_events_stay_readable(backend: Backend) {
    let env = ecabinet_tests::TestEnv::new(backend);
    let mut settings = env.settings();
    settings.meetings.max_agenda_depth = 80;
    let app = TestApp::start(settings).unwrap();
    let admin = person(&app, "quantri", Role::Admin).await;
    let m = create_meeting(&app, &admin.token, "Phiên họp").await;
    let mut parent: Option<String> = None;
    for level in 1..=70 {
        parent = Some(
            add_item(
                &app,
                &admin.token,
                &m,
                &format!("Mức {level}"),
                parent.as_deref(),
            )
            .await,
        );
    }

    // The test's own JSON parser has the recursion limit, so the page is checked as text.
    let res = app
        .get(
            &format!("/api/v1/meetings/{m}/events?after=0"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("Mức 70"), "the deepest item is in the log");
    assert_eq!(text.matches("\"agenda.changed\"").count(), 70);

    let url = ecabinet_tests::live::live_url(app.port, &m);
    let mut tablet = ecabinet_tests::live::LiveClient::join(&url, &admin.token, 0).await;
    let (welcome, before) = tablet.until(|v| v["type"] == "welcome").await;
    assert_eq!(welcome["seq"], 71, "meeting.created and 70 agenda changes");
    assert_eq!(before.len(), 71, "every event was sent before the welcome");
}

backend_tests!(
    deeply_nested_events_stay_readable,
    every_change_is_an_event_in_order,
    refused_requests_add_no_events,
    events_are_for_those_who_see_the_meeting,
    concurrent_changes_get_gapless_seqs,
    mixed_concurrent_changes_get_gapless_seqs,
    events_come_at_most_limit_at_a_time,
);
