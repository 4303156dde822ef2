//! Meetings: who creates and sees them, editing, the state machine, participants and substitutes.

use ecabinet::users::Role;
use ecabinet_tests::live::{LiveClient, live_url};
use ecabinet_tests::{Backend, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    STARTS_AT, add_item, add_participant, advance_to, cast, create_meeting, expect, get_json,
    id_of, meeting, participant, patch, person, set_state,
};

fn parse_time(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("not an RFC 3339 time: {v}"))
        .with_timezone(&chrono::Utc)
}

fn meeting_ids(list: &Value) -> Vec<String> {
    list["meetings"]
        .as_array()
        .unwrap_or_else(|| panic!("no meetings in {list}"))
        .iter()
        .map(id_of)
        .collect()
}

async fn staff_create_meetings_members_do_not(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let secretary = person(&app, "thuky", Role::Secretary).await;
    let member = person(&app, "uyvien", Role::Member).await;

    let res = app
        .post(
            "/api/v1/meetings",
            Some(&admin.token),
            &json!({"title": "Phiên họp tháng 12", "starts_at": "2026-12-10T02:00:00Z",
                "location": "Phòng họp số 1", "description": "Họp định kỳ"}),
        )
        .await;
    let m = expect(res, 201).await;
    assert_eq!(m["title"], "Phiên họp tháng 12");
    assert_eq!(m["state"], "draft");
    assert_eq!(m["location"], "Phòng họp số 1");
    assert_eq!(m["description"], "Họp định kỳ");
    assert_eq!(
        parse_time(&m["starts_at"]),
        parse_time(&json!("2026-12-10T02:00:00Z"))
    );
    assert_eq!(m["created_by"], admin.id.as_str());
    assert_eq!(m["watermark"], Value::Null);
    assert_eq!(m["current_item_id"], Value::Null);
    // Null: the server's default applies.
    assert!(
        m["speech_limit_secs"].is_null() || m["speech_limit_secs"].as_i64().is_some_and(|s| s > 0),
        "{m}"
    );
    parse_time(&m["created_at"]);
    parse_time(&m["updated_at"]);
    for key in ["id", "last_seq"] {
        assert!(m.get(key).is_some(), "meeting lacks {key}: {m}");
    }

    // The secretary's meeting starts earlier, so it is listed first.
    let res = app
        .post(
            "/api/v1/meetings",
            Some(&secretary.token),
            &json!({"title": "Họp bất thường", "starts_at": "2026-12-05T02:00:00Z"}),
        )
        .await;
    let m2 = expect(res, 201).await;
    assert_eq!(m2["state"], "draft");
    assert_eq!(m2["location"], Value::Null);
    assert_eq!(m2["created_by"], secretary.id.as_str());

    assert_problem(
        app.post(
            "/api/v1/meetings",
            Some(&member.token),
            &json!({"title": "Không được", "starts_at": STARTS_AT}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/meetings",
            None,
            &json!({"title": "Không được", "starts_at": STARTS_AT}),
        )
        .await,
        401,
        "missing_token",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/meetings",
            Some(&admin.token),
            &json!({"starts_at": STARTS_AT}),
        )
        .await,
        422,
        "invalid_body",
    )
    .await;

    let list = get_json(&app, "/api/v1/meetings", &admin.token).await;
    assert_eq!(meeting_ids(&list), [id_of(&m2), id_of(&m)]);
}

async fn members_see_only_their_meetings_from_scheduled_on(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let secretary = person(&app, "thuky", Role::Secretary).await;
    let member = person(&app, "uyvien", Role::Member).await;
    let mut ids = Vec::new();
    for (title, day) in [("Nháp", "03"), ("Người khác", "02"), ("Của tôi", "01")] {
        let res = app
            .post(
                "/api/v1/meetings",
                Some(&admin.token),
                &json!({"title": title, "starts_at": format!("2026-12-{day}T08:00:00Z")}),
            )
            .await;
        ids.push(id_of(&expect(res, 201).await));
    }
    let (draft, others, mine) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    add_participant(&app, &admin.token, &draft, &member.id, "member").await;
    add_participant(&app, &admin.token, &mine, &member.id, "member").await;
    for m in [&others, &mine] {
        expect(set_state(&app, &admin.token, m, "scheduled").await, 200).await;
    }

    let list = get_json(&app, "/api/v1/meetings", &member.token).await;
    assert_eq!(meeting_ids(&list), [mine.as_str()]);
    assert_eq!(
        meeting(&app, &member.token, &mine).await["title"],
        "Của tôi"
    );
    // A draft they take part in, and a scheduled meeting they do not: both invisible, 404.
    for m in [&draft, &others] {
        let path = format!("/api/v1/meetings/{m}");
        assert_problem(app.get(&path, Some(&member.token)).await, 404, "not_found").await;
        assert_problem(
            patch(&app, &path, &member.token, &json!({"title": "x"})).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            set_state(&app, &member.token, m, "live").await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            app.get(&format!("{path}/events?after=0"), Some(&member.token))
                .await,
            404,
            "not_found",
        )
        .await;
    }
    let unknown = format!("/api/v1/meetings/{}", uuid::Uuid::new_v4());
    assert_problem(
        app.get(&unknown, Some(&member.token)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&unknown, Some(&admin.token)).await,
        404,
        "not_found",
    )
    .await;

    // Staff see every meeting, drafts included, ordered by starts_at.
    for staff in [&admin, &secretary] {
        let list = get_json(&app, "/api/v1/meetings", &staff.token).await;
        assert_eq!(
            meeting_ids(&list),
            [mine.clone(), others.clone(), draft.clone()]
        );
        assert_eq!(meeting(&app, &staff.token, &draft).await["state"], "draft");
    }

    // Scheduling the draft shows it; unscheduling hides it again.
    expect(
        set_state(&app, &admin.token, &draft, "scheduled").await,
        200,
    )
    .await;
    let list = get_json(&app, "/api/v1/meetings", &member.token).await;
    assert_eq!(meeting_ids(&list), [mine.clone(), draft.clone()]);
    expect(set_state(&app, &admin.token, &draft, "draft").await, 200).await;
    let list = get_json(&app, "/api/v1/meetings", &member.token).await;
    assert_eq!(meeting_ids(&list), [mine.as_str()]);
    assert_problem(
        app.get(&format!("/api/v1/meetings/{draft}"), Some(&member.token))
            .await,
        404,
        "not_found",
    )
    .await;
}

async fn meeting_detail_has_its_parts(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    advance_to(&app, &c.admin.token, &c.meeting, "scheduled").await;
    add_item(&app, &c.admin.token, &c.meeting, "Khai mạc", None).await;
    for token in [&c.admin.token, &c.member.token, &c.observer.token] {
        let m = meeting(&app, token, &c.meeting).await;
        assert_eq!(m["id"], c.meeting.as_str());
        assert_eq!(m["state"], "scheduled");
        assert_eq!(m["agenda"].as_array().map(Vec::len), Some(1), "{m}");
        assert_eq!(m["agenda"][0]["title"], "Khai mạc");
        assert_eq!(m["documents"], json!([]));
        assert_eq!(m["polls"], json!([]));
        assert_eq!(m["speakers"], json!([]));
        let participants = &m["participants"];
        assert_eq!(participants.as_array().map(Vec::len), Some(5), "{m}");
        let p = participant(participants, &c.member.id);
        assert_eq!(p["username"], "uyvien");
        assert_eq!(p["display_name"], "Người dùng uyvien");
        assert_eq!(p["role"], "member");
        assert_eq!(p["attendance"], "unknown");
        for key in [
            "substitute_id",
            "substitute_name",
            "absence_reason",
            "checked_in_at",
        ] {
            assert_eq!(p.get(key), Some(&Value::Null), "{key} in {p}");
        }
        assert_eq!(participant(participants, &c.chair.id)["role"], "chair");
        assert_eq!(participant(participants, &c.clerk.id)["role"], "secretary");
        assert_eq!(
            participant(participants, &c.observer.id)["role"],
            "observer"
        );
    }
}

async fn patch_sets_fields_and_null_clears_them(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let path = format!("/api/v1/meetings/{}", c.meeting);
    let before = meeting(&app, &c.admin.token, &c.meeting).await;
    let watermark = "{display_name} · {date} · MẬT";
    let res = patch(
        &app,
        &path,
        &c.admin.token,
        &json!({"title": "Phiên họp đã sửa", "starts_at": "2027-01-15T01:30:00Z",
            "location": "Hội trường A", "description": "Nội dung", "watermark": watermark,
            "speech_limit_secs": 90}),
    )
    .await;
    let m = expect(res, 200).await;
    assert_eq!(m["title"], "Phiên họp đã sửa");
    assert_eq!(
        parse_time(&m["starts_at"]),
        parse_time(&json!("2027-01-15T01:30:00Z"))
    );
    assert_eq!(m["location"], "Hội trường A");
    assert_eq!(m["description"], "Nội dung");
    assert_eq!(m["watermark"], watermark);
    assert_eq!(m["speech_limit_secs"], 90);
    assert!(parse_time(&m["updated_at"]) >= parse_time(&before["updated_at"]));
    let got = meeting(&app, &c.admin.token, &c.meeting).await;
    assert_eq!(got["watermark"], watermark);
    assert_eq!(got["title"], "Phiên họp đã sửa");

    // An empty patch changes nothing; null clears the nullable fields and leaves the rest.
    let m = expect(patch(&app, &path, &c.admin.token, &json!({})).await, 200).await;
    assert_eq!(m["watermark"], watermark);
    let res = patch(
        &app,
        &path,
        &c.admin.token,
        &json!({"location": null, "description": null, "watermark": null}),
    )
    .await;
    let m = expect(res, 200).await;
    assert_eq!(m["location"], Value::Null);
    assert_eq!(m["description"], Value::Null);
    assert_eq!(m["watermark"], Value::Null);
    assert_eq!(m["title"], "Phiên họp đã sửa");
    assert_eq!(m["speech_limit_secs"], 90);
    let got = meeting(&app, &c.admin.token, &c.meeting).await;
    assert_eq!(got["watermark"], Value::Null);
    assert_eq!(got["location"], Value::Null);
    assert_problem(
        patch(&app, &path, &c.admin.token, &json!({"colour": "red"})).await,
        422,
        "invalid_body",
    )
    .await;

    // The meeting's secretary manages it; the chair and members do not edit it.
    advance_to(&app, &c.admin.token, &c.meeting, "scheduled").await;
    let m = expect(
        patch(
            &app,
            &path,
            &c.clerk.token,
            &json!({"title": "Do thư ký họp sửa"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(m["title"], "Do thư ký họp sửa");
    for who in [&c.chair, &c.member, &c.observer] {
        assert_problem(
            patch(&app, &path, &who.token, &json!({"title": "Không được"})).await,
            403,
            "forbidden",
        )
        .await;
    }
    // ... but the chair may set the current item.
    let item = add_item(&app, &c.admin.token, &c.meeting, "Mục 1", None).await;
    let m = expect(
        patch(
            &app,
            &path,
            &c.chair.token,
            &json!({"current_item_id": item}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(m["current_item_id"], item.as_str());
    assert_problem(
        patch(
            &app,
            &path,
            &c.member.token,
            &json!({"current_item_id": null}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let got = meeting(&app, &c.admin.token, &c.meeting).await;
    assert_eq!(got["title"], "Do thư ký họp sửa");
    assert_eq!(got["current_item_id"], item.as_str());
}

async fn states_follow_the_allowed_path(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let m = create_meeting(&app, &admin.token, "Phiên họp").await;
    // From each state, the moves that are refused.
    let checks: [(&str, &[&str]); 3] = [
        ("draft", &["live", "closed", "draft"]),
        ("scheduled", &["closed", "scheduled"]),
        ("live", &["draft", "scheduled", "live"]),
    ];
    for (from, to) in checks {
        if from != "draft" {
            let next = expect(set_state(&app, &admin.token, &m, from).await, 200).await;
            assert_eq!(next["state"], from);
        }
        for target in to {
            assert_problem(
                set_state(&app, &admin.token, &m, target).await,
                409,
                "invalid_transition",
            )
            .await;
            assert_eq!(meeting(&app, &admin.token, &m).await["state"], from);
        }
        if from == "scheduled" {
            // Unschedule and schedule again.
            let back = expect(set_state(&app, &admin.token, &m, "draft").await, 200).await;
            assert_eq!(back["state"], "draft");
            expect(set_state(&app, &admin.token, &m, "scheduled").await, 200).await;
        }
    }
    let closed = expect(set_state(&app, &admin.token, &m, "closed").await, 200).await;
    assert_eq!(closed["state"], "closed");
    for target in ["draft", "scheduled", "live", "closed"] {
        assert_problem(
            set_state(&app, &admin.token, &m, target).await,
            409,
            "invalid_transition",
        )
        .await;
    }
    assert_eq!(meeting(&app, &admin.token, &m).await["state"], "closed");
    assert_problem(
        set_state(&app, &admin.token, &m, "paused").await,
        422,
        "invalid_body",
    )
    .await;
}

async fn who_may_move_the_state(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    // The chair cannot see a draft, so cannot schedule it.
    assert_problem(
        set_state(&app, &c.chair.token, &c.meeting, "scheduled").await,
        404,
        "not_found",
    )
    .await;
    // The system secretary schedules (a manager).
    expect(
        set_state(&app, &c.secretary.token, &c.meeting, "scheduled").await,
        200,
    )
    .await;
    // The chair may not unschedule; members and observers move nothing.
    assert_problem(
        set_state(&app, &c.chair.token, &c.meeting, "draft").await,
        403,
        "forbidden",
    )
    .await;
    for who in [&c.member, &c.observer] {
        for target in ["live", "draft"] {
            assert_problem(
                set_state(&app, &who.token, &c.meeting, target).await,
                403,
                "forbidden",
            )
            .await;
        }
    }
    assert_eq!(
        meeting(&app, &c.admin.token, &c.meeting).await["state"],
        "scheduled"
    );
    // The chair opens and closes the meeting.
    let live = expect(
        set_state(&app, &c.chair.token, &c.meeting, "live").await,
        200,
    )
    .await;
    assert_eq!(live["state"], "live");
    assert_problem(
        set_state(&app, &c.member.token, &c.meeting, "closed").await,
        403,
        "forbidden",
    )
    .await;
    let closed = expect(
        set_state(&app, &c.chair.token, &c.meeting, "closed").await,
        200,
    )
    .await;
    assert_eq!(closed["state"], "closed");
}

/// Issue 22: a scheduled meeting is called off by its managers before it is held; the room
/// hears it as a `meeting.state` event, lists show it, nothing changes it any more, and neither a
/// live meeting nor a draft can be cancelled.
async fn scheduled_meetings_can_be_cancelled(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    // A draft was never announced: it is deleted, not cancelled.
    assert_problem(
        set_state(&app, &c.admin.token, m, "cancelled").await,
        409,
        "invalid_transition",
    )
    .await;
    add_item(&app, &c.admin.token, m, "Mục 1", None).await;
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    let mut live = LiveClient::join(&live_url(app.port, m), &c.member.token, 0).await;
    let (_, welcome_seq) = live.replay().await;

    // Presiding is not enough: only managers call a meeting off.
    for who in [&c.chair, &c.member, &c.observer] {
        assert_problem(
            set_state(&app, &who.token, m, "cancelled").await,
            403,
            "forbidden",
        )
        .await;
    }
    assert_problem(
        set_state(&app, &c.outsider.token, m, "cancelled").await,
        404,
        "not_found",
    )
    .await;
    // The meeting's own secretary may (a manager).
    let cancelled = expect(set_state(&app, &c.clerk.token, m, "cancelled").await, 200).await;
    assert_eq!(cancelled["state"], "cancelled");
    assert!(cancelled["started_at"].is_null() && cancelled["ended_at"].is_null());

    // The member's tablet hears it live, and the log keeps it.
    let (event, _) = live.until(|v| v["type"] == "meeting.state").await;
    assert_eq!(event["data"]["state"], "cancelled", "{event}");
    assert_eq!(event["data"]["previous"], "scheduled", "{event}");
    assert!(event["seq"].as_i64().unwrap_or(0) > welcome_seq);
    let log = crate::support::events(&app, &c.admin.token, m, 0).await;
    assert!(
        log["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "meeting.state" && e["data"]["state"] == "cancelled")
    );
    // It is decided: the audit chain has it too.
    let audit = get_json(&app, &format!("/api/v1/meetings/{m}/audit"), &c.admin.token).await;
    assert!(audit.to_string().contains("cancelled"), "{audit}");

    // Participants still see it, as cancelled; their calendars strike it out.
    let list = get_json(&app, "/api/v1/meetings", &c.member.token).await;
    let listed = list["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == m.as_str())
        .unwrap_or_else(|| panic!("cancelled meeting not listed: {list}"));
    assert_eq!(listed["state"], "cancelled");
    let ics = app
        .get(
            &format!("/api/v1/meetings/{m}/calendar.ics"),
            Some(&c.member.token),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(ics.contains("STATUS:CANCELLED"), "{ics}");

    // Final: no move leaves it, nothing in it changes.
    for target in ["draft", "scheduled", "live", "closed", "cancelled"] {
        assert_problem(
            set_state(&app, &c.admin.token, m, target).await,
            409,
            "invalid_transition",
        )
        .await;
    }
    assert_problem(
        patch(
            &app,
            &format!("/api/v1/meetings/{m}"),
            &c.admin.token,
            &json!({"title": "Họp lại"}),
        )
        .await,
        409,
        "meeting_cancelled",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/api/v1/meetings/{m}/agenda"),
            Some(&c.admin.token),
            &json!({"title": "Mục 2"}),
        )
        .await,
        409,
        "meeting_cancelled",
    )
    .await;
    assert_problem(
        app.post(
            &format!("/api/v1/meetings/{m}/participants"),
            Some(&c.admin.token),
            &json!({"user_id": c.outsider.id, "role": "member"}),
        )
        .await,
        409,
        "meeting_cancelled",
    )
    .await;
    let check_in = app
        .post(
            &format!("/api/v1/meetings/{m}/check-in"),
            Some(&c.member.token),
            &json!({}),
        )
        .await;
    assert_eq!(check_in.status(), 409);
    assert_eq!(meeting(&app, &c.admin.token, m).await["state"], "cancelled");

    // A live meeting is closed, not cancelled.
    let held = create_meeting(&app, &c.admin.token, "Phiên họp đang diễn ra").await;
    advance_to(&app, &c.admin.token, &held, "live").await;
    assert_problem(
        set_state(&app, &c.admin.token, &held, "cancelled").await,
        409,
        "invalid_transition",
    )
    .await;
    assert_eq!(meeting(&app, &c.admin.token, &held).await["state"], "live");
}

async fn closed_meetings_refuse_changes(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let tok = c.admin.token.as_str();
    let item = add_item(&app, tok, &c.meeting, "Mục 1", None).await;
    let item2 = add_item(&app, tok, &c.meeting, "Mục 2", None).await;
    advance_to(&app, tok, &c.meeting, "live").await;
    let path = format!("/api/v1/meetings/{}", c.meeting);
    let speaks = id_of(
        &expect(
            app.post(
                &format!("{path}/speakers"),
                Some(&c.member2.token),
                &json!({}),
            )
            .await,
            201,
        )
        .await,
    );
    let waits = id_of(
        &expect(
            app.post(
                &format!("{path}/speakers"),
                Some(&c.member.token),
                &json!({}),
            )
            .await,
            201,
        )
        .await,
    );
    expect(
        app.post(
            &format!("/api/v1/speakers/{speaks}/state"),
            Some(&c.chair.token),
            &json!({"state": "speaking"}),
        )
        .await,
        200,
    )
    .await;
    advance_to(&app, tok, &c.meeting, "closed").await;
    let log = crate::support::events(&app, tok, &c.meeting, 0).await;

    let sub = person(&app, "nguoithay", Role::Member).await;
    let own = format!("{path}/participants/{}", c.member.id);
    let client = &app.client;
    let url = |p: &str| app.url(p);
    let attempts = [
        (
            "PATCH meeting",
            client
                .patch(url(&path))
                .bearer_auth(tok)
                .json(&json!({"title": "Sửa sau khi đóng"})),
        ),
        (
            "PATCH current item",
            client
                .patch(url(&path))
                .bearer_auth(&c.chair.token)
                .json(&json!({"current_item_id": item})),
        ),
        (
            "POST agenda",
            client
                .post(url(&format!("{path}/agenda")))
                .bearer_auth(tok)
                .json(&json!({"title": "Mục mới"})),
        ),
        (
            "PATCH agenda item",
            client
                .patch(url(&format!("/api/v1/agenda/{item}")))
                .bearer_auth(tok)
                .json(&json!({"title": "Đổi tên"})),
        ),
        (
            "DELETE agenda item",
            client
                .delete(url(&format!("/api/v1/agenda/{item}")))
                .bearer_auth(tok),
        ),
        (
            "PUT agenda order",
            client
                .put(url(&format!("{path}/agenda/order")))
                .bearer_auth(tok)
                .json(&json!({"item_ids": [item2, item]})),
        ),
        (
            "POST participant",
            client
                .post(url(&format!("{path}/participants")))
                .bearer_auth(tok)
                .json(&json!({"user_id": c.outsider.id, "role": "member"})),
        ),
        (
            "PATCH own participant",
            client
                .patch(url(&own))
                .bearer_auth(&c.member.token)
                .json(&json!({"substitute_id": sub.id})),
        ),
        (
            "PATCH participant",
            client
                .patch(url(&own))
                .bearer_auth(tok)
                .json(&json!({"role": "observer"})),
        ),
        (
            "DELETE participant",
            client.delete(url(&own)).bearer_auth(tok),
        ),
        (
            "POST check-in",
            client
                .post(url(&format!("{path}/check-in")))
                .bearer_auth(&c.member.token)
                .json(&json!({})),
        ),
        (
            "POST attendance",
            client
                .post(url(&format!("{path}/attendance")))
                .bearer_auth(&c.chair.token)
                .json(&json!({"user_id": c.member.id, "status": "absent", "reason": "x"})),
        ),
        (
            "POST speakers",
            client
                .post(url(&format!("{path}/speakers")))
                .bearer_auth(&c.clerk.token)
                .json(&json!({})),
        ),
        (
            "PUT speakers order",
            client
                .put(url(&format!("{path}/speakers/order")))
                .bearer_auth(&c.chair.token)
                .json(&json!({"speaker_ids": [waits]})),
        ),
        (
            "speaker done",
            client
                .post(url(&format!("/api/v1/speakers/{speaks}/state")))
                .bearer_auth(&c.chair.token)
                .json(&json!({"state": "done"})),
        ),
        (
            "own request withdrawn",
            client
                .post(url(&format!("/api/v1/speakers/{waits}/state")))
                .bearer_auth(&c.member.token)
                .json(&json!({"state": "withdrawn"})),
        ),
    ];
    // Every attempt is made; the wrong answers are listed together.
    let mut wrong = Vec::new();
    for (what, req) in attempts {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or_default();
        if status != 409 || body["code"] != "meeting_closed" {
            wrong.push(format!("{what} → {status} {body}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "not refused as meeting_closed:\n{}",
        wrong.join("\n")
    );

    let m = meeting(&app, tok, &c.meeting).await;
    assert_eq!(m["title"], "Phiên họp thường kỳ");
    assert_eq!(m["current_item_id"], Value::Null);
    assert_eq!(crate::support::titles(&m["agenda"]), ["Mục 1", "Mục 2"]);
    assert_eq!(m["participants"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        participant(&m["participants"], &c.member.id)["attendance"],
        "unknown"
    );
    assert_eq!(crate::support::events(&app, tok, &c.meeting, 0).await, log);
    // A member still reads the closed meeting.
    assert_eq!(
        meeting(&app, &c.member.token, &c.meeting).await["state"],
        "closed"
    );
}

async fn participants_are_added_and_removed(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let member = person(&app, "uyvien", Role::Member).await;
    let other = person(&app, "uyvien2", Role::Member).await;
    let m = create_meeting(&app, &admin.token, "Phiên họp").await;
    let path = format!("/api/v1/meetings/{m}/participants");
    let p = add_participant(&app, &admin.token, &m, &member.id, "member").await;
    assert_eq!(p["user_id"], member.id.as_str());
    assert_eq!(p["username"], "uyvien");
    assert_eq!(p["display_name"], "Người dùng uyvien");
    assert_eq!(p["role"], "member");
    assert_eq!(p["attendance"], "unknown");
    assert_eq!(p["substitute_id"], Value::Null);

    assert_problem(
        app.post(
            &path,
            Some(&admin.token),
            &json!({"user_id": member.id, "role": "observer"}),
        )
        .await,
        409,
        "already_participant",
    )
    .await;
    assert_problem(
        app.post(
            &path,
            Some(&admin.token),
            &json!({"user_id": uuid::Uuid::new_v4().to_string(), "role": "member"}),
        )
        .await,
        422,
        "unknown_user",
    )
    .await;
    assert_problem(
        app.post(
            &path,
            Some(&admin.token),
            &json!({"user_id": other.id, "role": "president"}),
        )
        .await,
        422,
        "invalid_body",
    )
    .await;
    expect(set_state(&app, &admin.token, &m, "scheduled").await, 200).await;
    // A member of the meeting may not add participants.
    assert_problem(
        app.post(
            &path,
            Some(&member.token),
            &json!({"user_id": other.id, "role": "member"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let list = &meeting(&app, &admin.token, &m).await["participants"];
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(participant(list, &member.id)["role"], "member");

    assert_problem(
        crate::support::delete(&app, &format!("{path}/{}", admin.id), &member.token).await,
        403,
        "forbidden",
    )
    .await;
    let res = crate::support::delete(&app, &format!("{path}/{}", member.id), &admin.token).await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        meeting(&app, &admin.token, &m).await["participants"],
        json!([])
    );
    // No longer a participant: the meeting is invisible again.
    assert_problem(
        app.get(&format!("/api/v1/meetings/{m}"), Some(&member.token))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        crate::support::delete(&app, &format!("{path}/{}", member.id), &admin.token).await,
        404,
        "not_found",
    )
    .await;
}

async fn members_name_their_substitute(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let sub = person(&app, "nguoithay", Role::Member).await;
    advance_to(&app, &c.admin.token, &c.meeting, "scheduled").await;
    let own = format!(
        "/api/v1/meetings/{}/participants/{}",
        c.meeting, c.member.id
    );

    // Someone else may not name the member's substitute, nor may the member change their role.
    assert_problem(
        patch(
            &app,
            &own,
            &c.member2.token,
            &json!({"substitute_id": sub.id}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        patch(&app, &own, &c.member.token, &json!({"role": "chair"})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/meetings/{}", c.meeting), Some(&sub.token))
            .await,
        404,
        "not_found",
    )
    .await;

    let p = expect(
        patch(
            &app,
            &own,
            &c.member.token,
            &json!({"substitute_id": sub.id}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["user_id"], c.member.id.as_str());
    assert_eq!(p["role"], "member");
    assert_eq!(p["substitute_id"], sub.id.as_str());
    assert_eq!(p["substitute_name"], "Người dùng nguoithay");

    // The substitute now sees the meeting, and only from scheduled on.
    let list = get_json(&app, "/api/v1/meetings", &sub.token).await;
    assert_eq!(meeting_ids(&list), [c.meeting.as_str()]);
    let m = meeting(&app, &sub.token, &c.meeting).await;
    assert_eq!(
        participant(&m["participants"], &c.member.id)["substitute_id"],
        sub.id.as_str()
    );

    // The member clears and names the substitute again.
    let p = expect(
        patch(&app, &own, &c.member.token, &json!({"substitute_id": null})).await,
        200,
    )
    .await;
    assert_eq!(p["substitute_id"], Value::Null);
    assert_problem(
        app.get(&format!("/api/v1/meetings/{}", c.meeting), Some(&sub.token))
            .await,
        404,
        "not_found",
    )
    .await;
    expect(
        patch(
            &app,
            &own,
            &c.member.token,
            &json!({"substitute_id": sub.id}),
        )
        .await,
        200,
    )
    .await;

    // The substitute checks in: the member is substituted.
    let res = app
        .post(
            &format!("/api/v1/meetings/{}/check-in", c.meeting),
            Some(&sub.token),
            &json!({}),
        )
        .await;
    let record = expect(res, 200).await;
    // The answer is the member's record.
    assert_eq!(record["user_id"], c.member.id.as_str(), "{record}");
    assert_eq!(record["attendance"], "substituted", "{record}");
    let m = meeting(&app, &c.admin.token, &c.meeting).await;
    let p = participant(&m["participants"], &c.member.id);
    assert_eq!(p["attendance"], "substituted", "{p}");
    assert_eq!(p["substitute_id"], sub.id.as_str());
    // The substitute is not a participant of their own.
    assert_eq!(m["participants"].as_array().map(Vec::len), Some(5));
}

async fn invalid_substitutes_are_refused(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let outsider_sub = c.outsider.id.clone();
    let base = format!("/api/v1/meetings/{}/participants", c.meeting);
    let own = format!("{base}/{}", c.member.id);
    // Someone already taking part, or the member themself.
    for sub in [&c.member2.id, &c.chair.id, &c.member.id] {
        assert_problem(
            patch(&app, &own, &c.admin.token, &json!({"substitute_id": sub})).await,
            422,
            "invalid_substitute",
        )
        .await;
    }
    // Only members have substitutes.
    for who in [&c.observer, &c.chair, &c.clerk] {
        assert_problem(
            patch(
                &app,
                &format!("{base}/{}", who.id),
                &c.admin.token,
                &json!({"substitute_id": outsider_sub}),
            )
            .await,
            422,
            "invalid_substitute",
        )
        .await;
    }
    let newcomer = person(&app, "moi", Role::Member).await;
    assert_problem(
        app.post(
            &base,
            Some(&c.admin.token),
            &json!({"user_id": newcomer.id, "role": "observer", "substitute_id": outsider_sub}),
        )
        .await,
        422,
        "invalid_substitute",
    )
    .await;
    assert_problem(
        app.post(
            &base,
            Some(&c.admin.token),
            &json!({"user_id": newcomer.id, "role": "member", "substitute_id": c.member2.id}),
        )
        .await,
        422,
        "invalid_substitute",
    )
    .await;
    // Nothing changed.
    let m = meeting(&app, &c.admin.token, &c.meeting).await;
    let list = &m["participants"];
    assert_eq!(list.as_array().map(Vec::len), Some(5), "{list}");
    for p in list.as_array().into_iter().flatten() {
        assert_eq!(p["substitute_id"], Value::Null, "{p}");
    }
    // A member added with a valid substitute.
    let p = expect(
        app.post(
            &base,
            Some(&c.admin.token),
            &json!({"user_id": newcomer.id, "role": "member", "substitute_id": outsider_sub}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(p["substitute_id"], outsider_sub.as_str());
}

async fn unknown_and_malformed_ids_are_404(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = &admin.token;
    let random = uuid::Uuid::new_v4().to_string();
    for id in [random.as_str(), "not-an-id", "1"] {
        for path in [
            format!("/api/v1/meetings/{id}"),
            format!("/api/v1/meetings/{id}/events?after=0"),
            format!("/api/v1/meetings/{id}/attendance"),
            format!("/api/v1/meetings/{id}/speakers"),
        ] {
            assert_problem(app.get(&path, Some(tok)).await, 404, "not_found").await;
        }
        assert_problem(
            patch(
                &app,
                &format!("/api/v1/agenda/{id}"),
                tok,
                &json!({"title": "x"}),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            app.post(
                &format!("/api/v1/speakers/{id}/state"),
                Some(tok),
                &json!({"state": "done"}),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            app.post(
                &format!("/api/v1/meetings/{id}/agenda"),
                Some(tok),
                &json!({"title": "x"}),
            )
            .await,
            404,
            "not_found",
        )
        .await;
    }
}

async fn substitutes_follow_the_visibility_rules(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let sub = person(&app, "nguoithay", Role::Member).await;
    advance_to(&app, &c.admin.token, &c.meeting, "scheduled").await;
    let own = format!(
        "/api/v1/meetings/{}/participants/{}",
        c.meeting, c.member.id
    );
    let path = format!("/api/v1/meetings/{}", c.meeting);
    expect(
        patch(
            &app,
            &own,
            &c.member.token,
            &json!({"substitute_id": sub.id}),
        )
        .await,
        200,
    )
    .await;
    expect(app.get(&path, Some(&sub.token)).await, 200).await;
    // Back to draft: the substitute, like the member, no longer sees it.
    expect(
        set_state(&app, &c.admin.token, &c.meeting, "draft").await,
        200,
    )
    .await;
    for who in [&sub, &c.member] {
        assert_problem(app.get(&path, Some(&who.token)).await, 404, "not_found").await;
    }
    assert_eq!(
        meeting_ids(&get_json(&app, "/api/v1/meetings", &sub.token).await),
        Vec::<String>::new()
    );
    expect(
        set_state(&app, &c.admin.token, &c.meeting, "scheduled").await,
        200,
    )
    .await;
    expect(app.get(&path, Some(&sub.token)).await, 200).await;
    // A substitute reads the meeting but does not manage it.
    assert_problem(
        patch(&app, &path, &sub.token, &json!({"title": "x"})).await,
        403,
        "forbidden",
    )
    .await;
    // The member leaves the meeting: their substitute goes with them.
    assert_eq!(
        crate::support::delete(&app, &own, &c.admin.token)
            .await
            .status(),
        204
    );
    assert_problem(app.get(&path, Some(&sub.token)).await, 404, "not_found").await;
    assert_problem(
        app.post(&format!("{path}/check-in"), Some(&sub.token), &json!({}))
            .await,
        404,
        "not_found",
    )
    .await;
}

/// Only `member` participants have substitutes: a manager who turns a member with a substitute
/// into an observer either is refused or clears the substitute, never leaves both.
async fn role_changes_keep_substitutes_on_members(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let sub = person(&app, "nguoithay", Role::Member).await;
    let own = format!(
        "/api/v1/meetings/{}/participants/{}",
        c.meeting, c.member.id
    );
    expect(
        patch(
            &app,
            &own,
            &c.admin.token,
            &json!({"substitute_id": sub.id}),
        )
        .await,
        200,
    )
    .await;
    let res = patch(&app, &own, &c.admin.token, &json!({"role": "observer"})).await;
    let status = res.status().as_u16();
    if status == 200 {
        let p = expect(res, 200).await;
        assert_eq!(p["role"], "observer");
        assert_eq!(
            p["substitute_id"],
            Value::Null,
            "an observer kept a substitute: {p}"
        );
    } else {
        assert_problem(res, 422, "invalid_substitute").await;
    }
    let m = meeting(&app, &c.admin.token, &c.meeting).await;
    let p = participant(&m["participants"], &c.member.id);
    assert!(
        p["role"] == "member" || p["substitute_id"].is_null(),
        "a {} has a substitute: {p}",
        p["role"]
    );
    // Manager changes the role back and forth without a substitute: fine.
    let p = expect(
        patch(
            &app,
            &format!(
                "/api/v1/meetings/{}/participants/{}",
                c.meeting, c.member2.id
            ),
            &c.admin.token,
            &json!({"role": "observer"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["role"], "observer");
}

/// Racing requests for the same change: exactly one wins, the others get the documented
/// conflict, and the log holds one event.
async fn racing_requests_apply_once(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let member = person(&app, "uyvien", Role::Member).await;
    let tok = admin.token.as_str();
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let url = app.url(&format!("/api/v1/meetings/{m}/participants"));
    let adds = (0..6).map(|_| {
        app.client
            .post(&url)
            .bearer_auth(tok)
            .json(&json!({"user_id": member.id, "role": "member"}))
            .send()
    });
    let mut created = 0;
    for res in futures_util::future::join_all(adds).await {
        let res = res.unwrap();
        if res.status() == 201 {
            created += 1;
        } else {
            assert_problem(res, 409, "already_participant").await;
        }
    }
    assert_eq!(created, 1);
    advance_to(&app, tok, &m, "live").await;
    let url = app.url(&format!("/api/v1/meetings/{m}/state"));
    let closes = (0..6).map(|_| {
        app.client
            .post(&url)
            .bearer_auth(tok)
            .json(&json!({"state": "closed"}))
            .send()
    });
    let mut closed = 0;
    for res in futures_util::future::join_all(closes).await {
        let res = res.unwrap();
        if res.status() == 200 {
            closed += 1;
        } else {
            assert_eq!(res.status(), 409);
            let body: Value = res.json().await.unwrap();
            assert!(
                body["code"] == "invalid_transition" || body["code"] == "meeting_closed",
                "{body}"
            );
        }
    }
    assert_eq!(closed, 1);
    let log = crate::support::events(&app, tok, &m, 0).await;
    assert_eq!(
        crate::support::event_types(&log),
        [
            "meeting.created",
            "participant.added",
            "meeting.state",
            "meeting.state",
            "meeting.state"
        ]
    );
}

/// Valid JSON with unacceptable values is 422 (the codes are not named for these; the body must be
/// a problem document) and changes nothing.
async fn unacceptable_values_are_422(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = &admin.token;
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let path = format!("/api/v1/meetings/{m}");
    let agenda = format!("{path}/agenda");
    let presenter = uuid::Uuid::new_v4().to_string();
    let cases = [
        (
            "POST",
            "/api/v1/meetings",
            json!({"title": "", "starts_at": STARTS_AT}),
        ),
        (
            "POST",
            "/api/v1/meetings",
            json!({"title": "   ", "starts_at": STARTS_AT}),
        ),
        (
            "POST",
            "/api/v1/meetings",
            json!({"title": "Họp", "starts_at": "tomorrow"}),
        ),
        (
            "POST",
            "/api/v1/meetings",
            json!({"title": "Họp", "starts_at": 5}),
        ),
        ("PATCH", &path, json!({"title": ""})),
        ("PATCH", &path, json!({"title": "  "})),
        ("PATCH", &path, json!({"title": null})),
        ("PATCH", &path, json!({"starts_at": null})),
        ("PATCH", &path, json!({"starts_at": "2026-13-45"})),
        ("PATCH", &path, json!({"speech_limit_secs": 0})),
        ("PATCH", &path, json!({"speech_limit_secs": -30})),
        ("POST", &agenda, json!({"title": ""})),
        (
            "POST",
            &agenda,
            json!({"title": "Mục", "duration_minutes": -5}),
        ),
        (
            "POST",
            &agenda,
            json!({"title": "Mục", "presenter_id": presenter}),
        ),
    ];
    // Every case is tried; the failures are listed together.
    let mut wrong = Vec::new();
    for (method, url, body) in &cases {
        let res = if *method == "POST" {
            app.post(url, Some(tok), body).await
        } else {
            patch(&app, url, tok, body).await
        };
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if status != 422 || !ct.starts_with("application/problem+json") {
            let text = res.text().await.unwrap_or_default();
            wrong.push(format!("{method} {url} {body} → {status} {text}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "accepted or misanswered:\n{}",
        wrong.join("\n")
    );
    let got = meeting(&app, tok, &m).await;
    assert_eq!(got["title"], "Phiên họp");
    assert_eq!(parse_time(&got["starts_at"]), parse_time(&json!(STARTS_AT)));
    assert_eq!(got["agenda"], json!([]));
    assert_eq!(
        meeting_ids(&get_json(&app, "/api/v1/meetings", tok).await),
        [m.as_str()]
    );
    let log = crate::support::events(&app, tok, &m, 0).await;
    assert_eq!(crate::support::event_types(&log), ["meeting.created"]);
}

/// Titles of meetings, agenda items, documents and polls are one line: NUL, CR/LF and the
/// bidirectional overrides are refused (a U+202E would otherwise reach download file names);
/// poll options that a voter could not tell apart are refused too.
async fn titles_and_options_refuse_what_misleads_the_eye(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let (m, tok) = (&c.meeting, c.admin.token.as_str());
    let bad_titles = [
        "Họp\u{0}kín",
        "Họp\r\nX-Injected: 1",
        "Báo cáo\u{202E}fdp.exe",
        "Báo cáo\u{2066}x\u{2069}",
    ];
    for title in bad_titles {
        let res = app
            .post(
                "/api/v1/meetings",
                Some(tok),
                &json!({"title": title, "starts_at": STARTS_AT}),
            )
            .await;
        assert_problem(res, 422, "invalid_title").await;
        let res = patch(
            &app,
            &format!("/api/v1/meetings/{m}"),
            tok,
            &json!({"title": title}),
        )
        .await;
        assert_problem(res, 422, "invalid_title").await;
        let res = app
            .post(
                &format!("/api/v1/meetings/{m}/agenda"),
                Some(tok),
                &json!({"title": title}),
            )
            .await;
        assert_problem(res, 422, "invalid_title").await;
        let res = app
            .post(
                &format!("/api/v1/meetings/{m}/polls"),
                Some(tok),
                &json!({"title": title, "majority": "simple"}),
            )
            .await;
        assert_problem(res, 422, "invalid_title").await;
        let res = app
            .client
            .post(app.url(&format!("/api/v1/meetings/{m}/documents")))
            .query(&[("title", title)])
            .bearer_auth(tok)
            .header("content-type", "application/pdf")
            .body(ecabinet_tests::pdfs::simple(1, "x"))
            .send()
            .await
            .unwrap();
        assert_problem(res, 422, "invalid_title").await;
    }
    // Right-to-left script itself is a title like any other.
    let res = app
        .post(
            &format!("/api/v1/meetings/{m}/agenda"),
            Some(tok),
            &json!({"title": "جدول الأعمال"}),
        )
        .await;
    expect(res, 201).await;

    for (options, code) in [
        (json!(["yes", "ye\u{200b}s"]), "invalid_options"),
        (json!(["yes", "\u{430}bstain"]), "confusable_options"),
        (
            json!(["Phương án A", "Phương án \u{391}"]),
            "confusable_options",
        ),
    ] {
        let res = app
            .post(
                &format!("/api/v1/meetings/{m}/polls"),
                Some(tok),
                &json!({"title": "Biểu quyết", "majority": "simple", "options": options}),
            )
            .await;
        assert_problem(res, 422, code).await;
    }
    let res = app
        .post(
            &format!("/api/v1/meetings/{m}/polls"),
            Some(tok),
            &json!({"title": "Biểu quyết", "majority": "simple",
                "options": ["Phương án A", "Phương án B", "abstain"]}),
        )
        .await;
    expect(res, 201).await;
}

backend_tests!(
    titles_and_options_refuse_what_misleads_the_eye,
    staff_create_meetings_members_do_not,
    members_see_only_their_meetings_from_scheduled_on,
    meeting_detail_has_its_parts,
    patch_sets_fields_and_null_clears_them,
    states_follow_the_allowed_path,
    who_may_move_the_state,
    closed_meetings_refuse_changes,
    scheduled_meetings_can_be_cancelled,
    participants_are_added_and_removed,
    members_name_their_substitute,
    invalid_substitutes_are_refused,
    unknown_and_malformed_ids_are_404,
    substitutes_follow_the_visibility_rules,
    role_changes_keep_substitutes_on_members,
    racing_requests_apply_once,
    unacceptable_values_are_422,
);
