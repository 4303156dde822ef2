//! Meetings held in writing (contract v2, "Meetings held in writing"), their first part: a
//! meeting of kind `written` with its deadline and silence rule, never live, closed by the
//! server at the deadline by the database's clock — also when the deadline passed while the
//! server was down, and exactly once when two instances look at the same time.

use std::time::Duration;

use chrono::Utc;
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests};
use serde_json::{Value, json};

use crate::support::{events, expect, get_json, patch, person, set_state};

async fn create(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/meetings", Some(token), &body).await
}

fn in_secs(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339()
}

async fn written_meetings_have_a_deadline_and_are_never_live(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap();
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let t = &admin.token;
    let start = in_secs(-60);
    for (body, code) in [
        (
            json!({"title": "Xin ý kiến", "starts_at": start, "kind": "written"}),
            "invalid_deadline",
        ),
        (
            json!({"title": "Xin ý kiến", "starts_at": start, "kind": "written", "deadline": in_secs(-120)}),
            "invalid_deadline",
        ),
        (
            json!({"title": "Xin ý kiến", "starts_at": in_secs(7200), "kind": "written", "deadline": in_secs(3600)}),
            "invalid_deadline",
        ),
        (
            json!({"title": "Phiên họp", "starts_at": start, "deadline": in_secs(3600)}),
            "invalid_deadline",
        ),
        (
            json!({"title": "Phiên họp", "starts_at": start, "silence": "agree"}),
            "invalid_silence",
        ),
    ] {
        assert_problem(create(&app, t, body.clone()).await, 422, code).await;
    }
    assert_problem(
        create(&app, t, json!({"title": "x", "starts_at": start, "kind": "written", "deadline": in_secs(60), "silence": "maybe"})).await,
        422,
        "invalid_body",
    )
    .await;

    let session = expect(
        create(&app, t, json!({"title": "Phiên họp", "starts_at": start})).await,
        201,
    )
    .await;
    assert_eq!(session["kind"], "session");
    assert_eq!(session["deadline"], Value::Null);
    let deadline = in_secs(5 * 24 * 3600);
    let m = expect(
        create(&app, t, json!({"title": "Xin ý kiến về tờ trình", "starts_at": start, "kind": "written", "deadline": deadline})).await,
        201,
    )
    .await;
    assert_eq!(m["kind"], "written", "{m}");
    assert_eq!(m["silence"], "none", "{m}");
    let id = m["id"].as_str().unwrap();
    let path = format!("/api/v1/meetings/{id}");
    // The silence rule is set while a draft; the deadline moves while open.
    let changed = expect(
        patch(&app, &path, t, &json!({"silence": "agree"})).await,
        200,
    )
    .await;
    assert_eq!(changed["silence"], "agree");
    expect(set_state(&app, t, id, "scheduled").await, 200).await;
    assert_problem(
        patch(&app, &path, t, &json!({"silence": "none"})).await,
        409,
        "meeting_sent",
    )
    .await;
    let later = in_secs(6 * 24 * 3600);
    let moved = expect(
        patch(&app, &path, t, &json!({"deadline": later})).await,
        200,
    )
    .await;
    assert_ne!(moved["deadline"], m["deadline"]);
    assert_problem(
        patch(&app, &path, t, &json!({"deadline": in_secs(-10)})).await,
        422,
        "invalid_deadline",
    )
    .await;
    let session_path = format!("/api/v1/meetings/{}", session["id"].as_str().unwrap());
    assert_problem(
        patch(&app, &session_path, t, &json!({"silence": "agree"})).await,
        422,
        "invalid_silence",
    )
    .await;
    // Never live; its chair (here the admin) closes it from scheduled.
    assert_problem(
        set_state(&app, t, id, "live").await,
        409,
        "invalid_transition",
    )
    .await;
    let closed = expect(set_state(&app, t, id, "closed").await, 200).await;
    assert_eq!(closed["state"], "closed");
}

/// Waits (bounded) until the meeting is closed; its state then.
async fn wait_closed(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..100 {
        let m = get_json(app, &format!("/api/v1/meetings/{id}"), token).await;
        if m["state"] == "closed" {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the meeting did not close within 10 s of its deadline");
}

async fn the_deadline_closes_the_meeting_once_across_restarts_and_instances(backend: Backend) {
    let env = TestEnv::new(backend);
    // An instance that looks only at start: it sees nothing due, then is stopped.
    let mut slow = env.settings();
    slow.meetings.deadline_check_ms = 3_600_000;
    let first = TestApp::start(slow).unwrap();
    let admin = person(&first, "quantri", ecabinet::users::Role::Admin).await;
    let t = admin.token.clone();
    let m = expect(
        create(&first, &t, json!({"title": "Xin ý kiến", "starts_at": in_secs(-60), "kind": "written", "deadline": in_secs(2)})).await,
        201,
    )
    .await;
    let id = m["id"].as_str().unwrap().to_owned();
    expect(set_state(&first, &t, &id, "scheduled").await, 200).await;
    drop(first);
    // The deadline passes while no server runs.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    // Two instances start at once on the same database and both look often.
    let mut quick = env.settings();
    quick.meetings.deadline_check_ms = 100;
    let (a, b) = (
        TestApp::start(quick.clone()).unwrap(),
        TestApp::start(quick).unwrap(),
    );
    let closed = wait_closed(&a, &t, &id).await;
    assert!(closed["ended_at"].is_string(), "{closed}");
    // Both have had time to look again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = events(&b, &t, &id, 0).await;
    let closings = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "meeting.state" && e["data"]["state"] == "closed")
        .count();
    assert_eq!(closings, 1, "{log}");
    let audit = get_json(&a, &format!("/api/v1/meetings/{id}/audit"), &t).await;
    assert_eq!(
        audit.to_string().matches("\"closed\"").count(),
        1,
        "{audit}"
    );
}

async fn members_answer_in_writing_and_silence_can_count_as_agreeing(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.meetings.deadline_check_ms = 200;
    let app = TestApp::start(settings).unwrap();
    let c = crate::support::cast(&app).await;
    let t = &c.admin.token;
    let m = expect(
        create(&app, t, json!({"title": "Xin ý kiến về tờ trình số 12", "starts_at": in_secs(-60), "kind": "written", "deadline": in_secs(4), "silence": "agree"})).await,
        201,
    )
    .await;
    let id = m["id"].as_str().unwrap().to_owned();
    for (p, role) in [
        (&c.chair, "chair"),
        (&c.member, "member"),
        (&c.member2, "member"),
    ] {
        crate::support::add_participant(&app, t, &id, &p.id, role).await;
    }
    let poll = expect(
        app.post(
            &format!("/api/v1/meetings/{id}/polls"),
            Some(t),
            &json!({"title": "Thông qua tờ trình số 12"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        poll["options"],
        json!(["agree", "disagree", "other"]),
        "{poll}"
    );
    assert_eq!(poll["majority"], "absolute_all");
    assert_eq!(poll["allow_change"], true);
    let pid = poll["id"].as_str().unwrap().to_owned();
    let act = |what: &'static str| {
        let (app, token, pid) = (&app, c.admin.token.clone(), pid.clone());
        async move {
            app.post(
                &format!("/api/v1/polls/{pid}/{what}"),
                Some(&token),
                &json!({}),
            )
            .await
        }
    };
    // Not before it is sent.
    assert_problem(act("open").await, 409, "meeting_not_open").await;
    expect(set_state(&app, t, &id, "scheduled").await, 200).await;
    // Sending opens its questions; nobody checks in: every voting participant may answer.
    let opened = crate::support::get_json(&app, &format!("/api/v1/polls/{pid}"), t).await;
    assert_eq!(opened["state"], "open", "{opened}");
    assert_eq!(opened["eligible"], 3, "{opened}");
    assert_problem(act("open").await, 409, "poll_open").await;
    let vote = |who: &crate::support::Person, choice: &str| {
        let req = app
            .client
            .post(app.url(&format!("/api/v1/polls/{pid}/ballots")))
            .bearer_auth(&who.token)
            .json(&json!({ "choice": choice }));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert!(matches!(vote(&c.member, "disagree").await, 200 | 201));
    // Changed until the deadline: the last counts.
    assert!(matches!(vote(&c.member, "agree").await, 200 | 201));
    // A comment: required with "other", at most 2,000 characters, kept with the answer.
    let answer = |who: &crate::support::Person, body: Value| {
        app.client
            .post(app.url(&format!("/api/v1/polls/{pid}/ballots")))
            .bearer_auth(&who.token)
            .json(&body)
            .send()
    };
    assert_problem(
        answer(&c.member2, json!({"choice": "other"}))
            .await
            .unwrap(),
        422,
        "comment_required",
    )
    .await;
    assert_problem(
        answer(
            &c.member2,
            json!({"choice": "other", "comment": "x".repeat(2001)}),
        )
        .await
        .unwrap(),
        422,
        "comment_too_long",
    )
    .await;
    let comment = "Đề nghị bổ sung dự toán kinh phí trước khi ban hành.";
    let cast = answer(
        &c.member2,
        json!({"choice": "disagree", "comment": comment}),
    )
    .await
    .unwrap();
    assert!(matches!(cast.status().as_u16(), 200 | 201));
    // Each member sees their own last answer, on any device.
    let mine = get_json(
        &app,
        &format!("/api/v1/polls/{pid}/my-ballot"),
        &c.member2.token,
    )
    .await;
    assert_eq!(
        (
            mine["voted"].as_bool(),
            mine["choice"].as_str(),
            mine["comment"].as_str()
        ),
        (Some(true), Some("disagree"), Some(comment)),
        "{mine}"
    );
    let mine = get_json(
        &app,
        &format!("/api/v1/polls/{pid}/my-ballot"),
        &c.chair.token,
    )
    .await;
    assert_eq!(mine["voted"], false, "{mine}");
    // The presiders follow who has answered, and when, while it is open; members may not.
    let who = get_json(&app, &format!("/api/v1/polls/{pid}/answers"), t).await;
    assert_eq!(who["answered"], 2, "{who}");
    let rows = who["answers"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{who}");
    let row_of = |id: &str| rows.iter().find(|r| r["user_id"] == id).unwrap().clone();
    assert_eq!(row_of(&c.member2.id)["answered"], true);
    assert!(row_of(&c.member2.id)["answered_at"].is_string());
    assert_eq!(row_of(&c.chair.id)["answered"], false);
    let refused = app
        .client
        .get(app.url(&format!("/api/v1/polls/{pid}/answers")))
        .bearer_auth(&c.member.token)
        .send()
        .await
        .unwrap();
    assert_problem(refused, 403, "forbidden").await;
    // The chair does not answer. The deadline closes the meeting and its poll.
    let closed = wait_closed(&app, t, &id).await;
    assert_eq!(closed["state"], "closed");
    let result = get_json(&app, &format!("/api/v1/polls/{pid}"), t).await;
    assert_eq!(result["state"], "closed", "{result}");
    assert_eq!(
        result["tally"],
        json!({"agree": 1, "disagree": 1, "other": 0}),
        "{result}"
    );
    assert_eq!(result["deemed"], json!({"agree": 1}), "{result}");
    let with_comment: Vec<&Value> = result["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["comment"] == comment)
        .collect();
    assert_eq!(with_comment.len(), 1, "{result}");
    assert_eq!(with_comment[0]["user_id"], c.member2.id.as_str());
    // 1 agreeing and 1 deemed of 3 members: more than half of all members.
    assert_eq!(result["result"], "adopted", "{result}");
    // Too late now: 409 poll_closed.
    let late = app
        .client
        .post(app.url(&format!("/api/v1/polls/{pid}/ballots")))
        .bearer_auth(&c.member2.token)
        .json(&json!({ "choice": "agree" }))
        .send()
        .await
        .unwrap();
    assert_problem(late, 409, "poll_closed").await;
}

fn instant(text: &Value) -> chrono::DateTime<Utc> {
    text.as_str()
        .unwrap_or_else(|| panic!("not a time: {text}"))
        .parse()
        .unwrap()
}

async fn deadlines_in_working_days_follow_the_calendar(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap();
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let member = person(&app, "uyvien", ecabinet::users::Role::Member).await;
    let t = &admin.token;
    // Monday 26/4/2027, 08:00 in Việt Nam. 30/4 is a Friday, 1/5 a Saturday made up on Monday
    // 3/5: five working days are 27, 28, 29/4, 4/5 and 5/5, ending at 17:00 (+07).
    let start = "2027-04-26T01:00:00Z";
    let body = |n: Value| json!({"title": "Xin ý kiến", "starts_at": start, "kind": "written", "deadline_working_days": n});
    let m = expect(create(&app, t, body(json!(5))).await, 201).await;
    assert_eq!(
        instant(&m["deadline"]),
        instant(&json!("2027-05-05T10:00:00Z")),
        "{m}"
    );
    for bad in [
        json!({"title": "x", "starts_at": start, "kind": "written", "deadline_working_days": 5, "deadline": "2027-05-10T10:00:00Z"}),
        body(json!(0)),
        body(json!(61)),
        json!({"title": "x", "starts_at": start, "deadline_working_days": 5}),
    ] {
        assert_problem(create(&app, t, bad).await, 422, "invalid_deadline").await;
    }

    // The calendar: everyone reads it, only admins change it.
    let year = get_json(&app, "/api/v1/calendar/2027", &member.token).await;
    let days = year["days"].as_array().unwrap();
    for (date, source) in [
        ("2027-04-30", "law"),
        ("2027-05-03", "law"),
        ("2027-09-02", "law"),
    ] {
        assert!(
            days.iter()
                .any(|d| d["date"] == date && d["kind"] == "holiday" && d["source"] == source),
            "{date} in {year}"
        );
    }
    let entered = json!({"days": [
        {"date": "2027-05-04", "kind": "holiday", "name": "Nghỉ theo quyết định của Thủ tướng"},
        {"date": "2027-05-08", "kind": "working", "name": "Làm bù cho ngày 4/5"},
    ]});
    assert_problem(
        crate::support::put(&app, "/api/v1/calendar/2027", &member.token, &entered).await,
        403,
        "forbidden",
    )
    .await;
    for (path, bad) in [
        (
            "/api/v1/calendar/2027",
            json!({"days": [{"date": "2028-01-02", "kind": "holiday", "name": "x"}]}),
        ),
        (
            "/api/v1/calendar/2027",
            json!({"days": [{"date": "2027-01-02", "kind": "holiday", "name": " "}]}),
        ),
        ("/api/v1/calendar/1999", json!({"days": []})),
    ] {
        assert_problem(
            crate::support::put(&app, path, t, &bad).await,
            422,
            "invalid_calendar",
        )
        .await;
    }
    let year = expect(
        crate::support::put(&app, "/api/v1/calendar/2027", t, &entered).await,
        200,
    )
    .await;
    let days = year["days"].as_array().unwrap();
    assert!(
        days.iter()
            .any(|d| d["date"] == "2027-05-08" && d["kind"] == "working" && d["source"] == "admin"),
        "{year}"
    );
    // 4/5 is now a day off: the fifth working day is 6/5. A draft's deadline is recomputed
    // when given in working days again.
    let id = m["id"].as_str().unwrap();
    let path = format!("/api/v1/meetings/{id}");
    let moved = expect(
        patch(&app, &path, t, &json!({"deadline_working_days": 5})).await,
        200,
    )
    .await;
    assert_eq!(
        instant(&moved["deadline"]),
        instant(&json!("2027-05-06T10:00:00Z")),
        "{moved}"
    );
    expect(set_state(&app, t, id, "scheduled").await, 200).await;
    assert_problem(
        patch(&app, &path, t, &json!({"deadline_working_days": 6})).await,
        409,
        "meeting_sent",
    )
    .await;
}

backend_tests!(
    deadlines_in_working_days_follow_the_calendar,
    written_meetings_have_a_deadline_and_are_never_live,
    the_deadline_closes_the_meeting_once_across_restarts_and_instances,
    members_answer_in_writing_and_silence_can_count_as_agreeing
);
