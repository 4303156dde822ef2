//! The speaker queue: requests, giving the floor, withdrawing and ordering.

use ecabinet::users::Role;
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    add_item, add_participant, advance_to, cast, expect, expect_problem_status, get_json, id_of,
    meeting, patch, person, put,
};

async fn request(app: &TestApp, token: &str, m: &str, body: &Value) -> reqwest::Response {
    app.post(&format!("/api/v1/meetings/{m}/speakers"), Some(token), body)
        .await
}

async fn requested(app: &TestApp, token: &str, m: &str) -> String {
    id_of(&expect(request(app, token, m, &json!({})).await, 201).await)
}

async fn move_to(app: &TestApp, token: &str, speaker: &str, state: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/speakers/{speaker}/state"),
        Some(token),
        &json!({"state": state}),
    )
    .await
}

async fn queue(app: &TestApp, token: &str, m: &str) -> Vec<Value> {
    get_json(app, &format!("/api/v1/meetings/{m}/speakers"), token).await["speakers"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no speakers list"))
}

fn ids_in_state(list: &[Value], state: &str) -> Vec<String> {
    list.iter()
        .filter(|s| s["state"] == state)
        .map(id_of)
        .collect()
}

fn time(v: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("not an RFC 3339 time: {v}"))
}

async fn participants_request_to_speak_once(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let item = add_item(&app, &c.admin.token, m, "Báo cáo", None).await;
    let absent = person(&app, "vangmat", Role::Member).await;
    let sub = person(&app, "nguoithay", Role::Member).await;
    add_participant(&app, &c.admin.token, m, &absent.id, "member").await;
    // A draft is invisible to members.
    assert_problem(
        request(&app, &c.member.token, m, &json!({})).await,
        404,
        "not_found",
    )
    .await;
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    expect(
        patch(
            &app,
            &format!("/api/v1/meetings/{m}/participants/{}", absent.id),
            &absent.token,
            &json!({"substitute_id": sub.id}),
        )
        .await,
        200,
    )
    .await;

    let s = expect(request(&app, &c.member.token, m, &json!({})).await, 201).await;
    assert_eq!(s["user_id"], c.member.id.as_str());
    assert_eq!(s["display_name"], "Người dùng uyvien");
    assert_eq!(s["state"], "waiting");
    assert_eq!(s["agenda_item_id"], Value::Null);
    assert!(s["position"].is_i64(), "{s}");
    time(&s["requested_at"]);
    for key in ["started_at", "ended_at", "deadline"] {
        assert_eq!(s.get(key), Some(&Value::Null), "{key} in {s}");
    }
    let first = id_of(&s);
    assert_problem(
        request(&app, &c.member.token, m, &json!({"agenda_item_id": item})).await,
        409,
        "already_requested",
    )
    .await;

    let s = expect(
        request(&app, &c.member2.token, m, &json!({"agenda_item_id": item})).await,
        201,
    )
    .await;
    assert_eq!(s["agenda_item_id"], item.as_str());
    let second = id_of(&s);
    let by_sub = expect(request(&app, &sub.token, m, &json!({})).await, 201).await;
    assert_eq!(by_sub["user_id"], sub.id.as_str());
    let by_chair = requested(&app, &c.chair.token, m).await;

    assert_problem(
        request(&app, &c.observer.token, m, &json!({})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        request(&app, &c.outsider.token, m, &json!({})).await,
        404,
        "not_found",
    )
    .await;
    let list = queue(&app, &c.member.token, m).await;
    let want = [first, second, id_of(&by_sub), by_chair];
    assert_eq!(ids_in_state(&list, "waiting"), want);
    assert_eq!(list.len(), 4);
    let positions: Vec<i64> = list.iter().filter_map(|s| s["position"].as_i64()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let open = meeting(&app, &c.admin.token, m).await["speakers"].clone();
    assert_eq!(crate::support::ids(&open), want);
}

async fn chair_gives_the_floor(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    expect(
        patch(
            &app,
            &format!("/api/v1/meetings/{m}"),
            &c.admin.token,
            &json!({"speech_limit_secs": 120}),
        )
        .await,
        200,
    )
    .await;
    advance_to(&app, &c.admin.token, m, "live").await;
    let a = requested(&app, &c.member.token, m).await;
    let b = requested(&app, &c.member2.token, m).await;

    // Nobody gives themself the floor.
    assert_problem(
        move_to(&app, &c.member.token, &a, "speaking").await,
        403,
        "forbidden",
    )
    .await;
    let s = expect(move_to(&app, &c.chair.token, &a, "speaking").await, 200).await;
    assert_eq!(s["id"], a.as_str());
    assert_eq!(s["state"], "speaking");
    assert_eq!(s["limit_secs"], 120);
    let started = time(&s["started_at"]);
    assert_eq!(
        time(&s["deadline"]),
        started + chrono::Duration::seconds(120),
        "{s}"
    );
    assert_eq!(s["ended_at"], Value::Null);

    assert_problem(
        move_to(&app, &c.chair.token, &b, "speaking").await,
        409,
        "speaker_active",
    )
    .await;
    assert_problem(
        move_to(&app, &c.chair.token, &b, "done").await,
        409,
        "invalid_transition",
    )
    .await;
    assert_problem(
        move_to(&app, &c.member.token, &a, "done").await,
        403,
        "forbidden",
    )
    .await;
    let list = queue(&app, &c.admin.token, m).await;
    assert_eq!(ids_in_state(&list, "speaking"), [a.as_str()]);
    assert_eq!(ids_in_state(&list, "waiting"), [b.as_str()]);
    // Someone speaking is not withdrawn, only finished.
    assert_problem(
        move_to(&app, &c.chair.token, &a, "withdrawn").await,
        409,
        "invalid_transition",
    )
    .await;

    let s = expect(move_to(&app, &c.chair.token, &a, "done").await, 200).await;
    assert_eq!(s["state"], "done");
    let ended = time(&s["ended_at"]);
    assert!(ended >= started);
    let spoken = s["spoken_secs"]
        .as_i64()
        .unwrap_or_else(|| panic!("no spoken_secs: {s}"));
    assert!(
        (0..=(ended - started).num_seconds() + 1).contains(&spoken),
        "{s}"
    );
    assert_eq!(
        s["deadline"],
        Value::Null,
        "deadline only while speaking: {s}"
    );
    for state in ["speaking", "withdrawn", "done"] {
        assert_problem(
            move_to(&app, &c.chair.token, &a, state).await,
            409,
            "invalid_transition",
        )
        .await;
    }

    // The floor is free: the next one speaks; the first may ask again.
    let s = expect(move_to(&app, &c.clerk.token, &b, "speaking").await, 200).await;
    assert_eq!(s["state"], "speaking");
    let again = requested(&app, &c.member.token, m).await;
    let list = queue(&app, &c.admin.token, m).await;
    let order: Vec<String> = list.iter().map(id_of).collect();
    assert_eq!(order.len(), 3, "{list:?}");
    assert_eq!(order[2], a, "finished requests come last: {list:?}");
    assert_eq!(ids_in_state(&list, "waiting"), [again]);
    assert_eq!(ids_in_state(&list, "done"), [a]);

    assert_problem(
        move_to(
            &app,
            &c.chair.token,
            &uuid::Uuid::new_v4().to_string(),
            "done",
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

async fn speaking_needs_a_live_meeting(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    let a = requested(&app, &c.member.token, m).await;
    // docs/api.md: "waiting → speaking only while the meeting is live ... 409"; the code is not
    // named for this case.
    let problem =
        expect_problem_status(move_to(&app, &c.chair.token, &a, "speaking").await, 409).await;
    assert_ne!(problem["code"], "speaker_active", "{problem}");
    assert_eq!(
        ids_in_state(&queue(&app, &c.admin.token, m).await, "waiting"),
        [a.as_str()]
    );
    advance_to(&app, &c.admin.token, m, "live").await;
    let s = expect(move_to(&app, &c.chair.token, &a, "speaking").await, 200).await;
    assert_eq!(s["state"], "speaking");
    // The meeting sets no limit: the server's default (300 s) applies.
    assert_eq!(s["limit_secs"], 300, "{s}");
    assert_eq!(
        time(&s["deadline"]),
        time(&s["started_at"]) + chrono::Duration::seconds(300)
    );
    advance_to(&app, &c.admin.token, m, "closed").await;
    assert_problem(
        request(&app, &c.member2.token, m, &json!({})).await,
        409,
        "meeting_closed",
    )
    .await;
}

async fn requesters_withdraw_only_their_own(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    advance_to(&app, &c.admin.token, m, "live").await;
    let a = requested(&app, &c.member.token, m).await;
    let b = requested(&app, &c.member2.token, m).await;
    for who in [&c.member2, &c.observer] {
        assert_problem(
            move_to(&app, &who.token, &a, "withdrawn").await,
            403,
            "forbidden",
        )
        .await;
    }
    assert_problem(
        move_to(&app, &c.outsider.token, &a, "withdrawn").await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        ids_in_state(&queue(&app, &c.admin.token, m).await, "waiting"),
        [a.clone(), b.clone()]
    );
    let s = expect(move_to(&app, &c.member.token, &a, "withdrawn").await, 200).await;
    assert_eq!(s["state"], "withdrawn");
    assert_problem(
        move_to(&app, &c.member.token, &a, "withdrawn").await,
        409,
        "invalid_transition",
    )
    .await;
    // No open request any more: they may ask again.
    let again = requested(&app, &c.member.token, m).await;
    // A presider withdraws anyone's waiting request.
    let s = expect(move_to(&app, &c.chair.token, &b, "withdrawn").await, 200).await;
    assert_eq!(s["state"], "withdrawn");
    let list = queue(&app, &c.admin.token, m).await;
    assert_eq!(ids_in_state(&list, "waiting"), [again.as_str()]);
    assert_eq!(ids_in_state(&list, "withdrawn").len(), 2);
    assert_eq!(id_of(&list[0]), again, "open requests come first: {list:?}");
}

async fn presiders_order_the_waiting_queue(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    advance_to(&app, &c.admin.token, m, "live").await;
    let a = requested(&app, &c.member.token, m).await;
    let b = requested(&app, &c.member2.token, m).await;
    let cc = requested(&app, &c.clerk.token, m).await;
    let d = requested(&app, &c.chair.token, m).await;
    expect(move_to(&app, &c.chair.token, &a, "speaking").await, 200).await;
    let order = format!("/api/v1/meetings/{m}/speakers/order");

    assert_problem(
        put(
            &app,
            &order,
            &c.member.token,
            &json!({"speaker_ids": [d, b, cc]}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    expect(
        put(
            &app,
            &order,
            &c.chair.token,
            &json!({"speaker_ids": [d, b, cc]}),
        )
        .await,
        200,
    )
    .await;
    let list = queue(&app, &c.admin.token, m).await;
    let want = [d.clone(), b.clone(), cc.clone()];
    assert_eq!(ids_in_state(&list, "waiting"), want);
    let waiting_positions: Vec<i64> = list
        .iter()
        .filter(|s| s["state"] == "waiting")
        .filter_map(|s| s["position"].as_i64())
        .collect();
    assert!(
        waiting_positions.windows(2).all(|w| w[0] < w[1]),
        "{list:?}"
    );

    let unknown = uuid::Uuid::new_v4().to_string();
    let bad: [Value; 6] = [
        json!([d, b]),
        json!([d, b, cc, a]),
        json!([d, b, b]),
        json!([d, b, cc, cc]),
        json!([d, b, unknown]),
        json!([]),
    ];
    for ids in bad {
        assert_problem(
            put(&app, &order, &c.chair.token, &json!({"speaker_ids": ids})).await,
            422,
            "invalid_order",
        )
        .await;
    }
    let list = queue(&app, &c.admin.token, m).await;
    assert_eq!(ids_in_state(&list, "waiting"), want);
    assert_eq!(ids_in_state(&list, "speaking"), [a.as_str()]);
    // A new request joins the end of the ordered queue.
    expect(move_to(&app, &c.chair.token, &a, "done").await, 200).await;
    let e = requested(&app, &c.member.token, m).await;
    let want = [d.clone(), b.clone(), cc.clone(), e];
    // The meeting shows the same open queue.
    let open = meeting(&app, &c.admin.token, m).await["speakers"].clone();
    let waiting: Vec<String> = open
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["state"] == "waiting")
        .map(id_of)
        .collect();
    assert_eq!(waiting, want);
}

/// `meetings.default_speech_limit_secs` applies when the meeting sets no limit; clearing the
/// meeting's limit with null goes back to it.
async fn speech_limit_defaults_from_settings(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.meetings.default_speech_limit_secs = 45;
    let app = TestApp::start(settings).unwrap_or_else(|e| panic!("start: {e:#}"));
    let c = cast(&app).await;
    let m = &c.meeting;
    let path = format!("/api/v1/meetings/{m}");
    expect(
        patch(
            &app,
            &path,
            &c.admin.token,
            &json!({"speech_limit_secs": 600}),
        )
        .await,
        200,
    )
    .await;
    let cleared = expect(
        patch(
            &app,
            &path,
            &c.admin.token,
            &json!({"speech_limit_secs": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cleared["speech_limit_secs"], Value::Null, "{cleared}");
    advance_to(&app, &c.admin.token, m, "live").await;
    let a = requested(&app, &c.member.token, m).await;
    let s = expect(move_to(&app, &c.chair.token, &a, "speaking").await, 200).await;
    assert_eq!(s["limit_secs"], 45, "{s}");
    assert_eq!(
        time(&s["deadline"]),
        time(&s["started_at"]) + chrono::Duration::seconds(45)
    );
}

/// Races: one member asking several times at once gets one request; two requests given the
/// floor at once: one speaks, the other is refused with `speaker_active`.
async fn races_keep_one_request_and_one_speaker(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    advance_to(&app, &c.admin.token, m, "live").await;
    let url = app.url(&format!("/api/v1/meetings/{m}/speakers"));
    let asks = (0..6).map(|_| {
        app.client
            .post(&url)
            .bearer_auth(&c.member.token)
            .json(&json!({}))
            .send()
    });
    let mut created = Vec::new();
    for res in futures_util::future::join_all(asks).await {
        let res = res.unwrap();
        if res.status() == 201 {
            created.push(id_of(&res.json::<Value>().await.unwrap()));
        } else {
            assert_problem(res, 409, "already_requested").await;
        }
    }
    assert_eq!(created.len(), 1, "{created:?}");
    let list = queue(&app, &c.admin.token, m).await;
    assert_eq!(ids_in_state(&list, "waiting"), created);
    expect(
        move_to(&app, &c.chair.token, &created[0], "withdrawn").await,
        200,
    )
    .await;

    for round in 0..3 {
        let a = requested(&app, &c.member.token, m).await;
        let b = requested(&app, &c.member2.token, m).await;
        let starts = [&a, &b].map(|id| {
            app.client
                .post(app.url(&format!("/api/v1/speakers/{id}/state")))
                .bearer_auth(&c.chair.token)
                .json(&json!({"state": "speaking"}))
                .send()
        });
        let mut speaking = 0;
        for res in futures_util::future::join_all(starts).await {
            let res = res.unwrap();
            if res.status() == 200 {
                speaking += 1;
            } else {
                assert_problem(res, 409, "speaker_active").await;
            }
        }
        assert_eq!(speaking, 1, "round {round}");
        let list = queue(&app, &c.admin.token, m).await;
        let now = ids_in_state(&list, "speaking");
        assert_eq!(now.len(), 1, "round {round}: {list:?}");
        let other = if now[0] == a { &b } else { &a };
        assert_eq!(ids_in_state(&list, "waiting"), [other.as_str()]);
        expect(move_to(&app, &c.chair.token, &now[0], "done").await, 200).await;
        expect(move_to(&app, &c.chair.token, other, "withdrawn").await, 200).await;
    }
}

/// Staff see every meeting, but only participants ask to speak: 403 `forbidden`, not 404.
async fn staff_outside_the_meeting_do_not_ask_to_speak(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    advance_to(&app, &c.admin.token, m, "live").await;
    for who in [&c.admin, &c.secretary] {
        assert_problem(
            request(&app, &who.token, m, &json!({})).await,
            403,
            "forbidden",
        )
        .await;
    }
    assert!(queue(&app, &c.admin.token, m).await.is_empty());
}

/// An id of another meeting's speaker or agenda item is "not found" for itself: the caller is
/// told nothing about a meeting they never named.
async fn items_of_unseen_meetings_are_not_found_as_themselves(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let item = add_item(&app, &c.admin.token, m, "Nội dung", None).await;
    advance_to(&app, &c.admin.token, m, "live").await;
    let speaker = requested(&app, &c.member.token, m).await;

    let body = assert_problem(
        move_to(&app, &c.outsider.token, &speaker, "done").await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(body["detail"], "speaker not found");
    let res = patch(
        &app,
        &format!("/api/v1/agenda/{item}"),
        &c.outsider.token,
        &json!({"title": "X"}),
    )
    .await;
    let body = assert_problem(res, 404, "not_found").await;
    assert_eq!(body["detail"], "agenda item not found");
    let res =
        crate::support::delete(&app, &format!("/api/v1/agenda/{item}"), &c.outsider.token).await;
    let body = assert_problem(res, 404, "not_found").await;
    assert_eq!(body["detail"], "agenda item not found");
}

backend_tests!(
    items_of_unseen_meetings_are_not_found_as_themselves,
    speech_limit_defaults_from_settings,
    participants_request_to_speak_once,
    chair_gives_the_floor,
    speaking_needs_a_live_meeting,
    requesters_withdraw_only_their_own,
    presiders_order_the_waiting_queue,
    races_keep_one_request_and_one_speaker,
    staff_outside_the_meeting_do_not_ask_to_speak,
);
