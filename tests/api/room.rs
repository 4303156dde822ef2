//! What a walkthrough on tablets asked of the meeting itself: drafts can be deleted (not a
//! meeting members were shown), invitations go into calendars as `.ics`, and a meeting knows
//! when it was really held.

use ecabinet_tests::{Backend, assert_problem, backend_tests, spawn_app};
use serde_json::json;

use crate::support::{advance_to, cast, delete, expect, get_json, set_state};

async fn drafts_are_deleted_and_scheduled_meetings_are_not(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    // Participants do not see a draft at all.
    for who in [&c.member, &c.chair] {
        assert_problem(
            delete(&app, &format!("/api/v1/meetings/{m}"), &who.token).await,
            404,
            "not_found",
        )
        .await;
    }
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    // Deleting is the managers' (the chair presides, he does not manage).
    assert_problem(
        delete(&app, &format!("/api/v1/meetings/{m}"), &c.chair.token).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        delete(&app, &format!("/api/v1/meetings/{m}"), &c.admin.token).await,
        409,
        "meeting_not_draft",
    )
    .await;
    // Back to draft, then gone with everything it held.
    expect(set_state(&app, &c.admin.token, m, "draft").await, 200).await;
    let res = delete(&app, &format!("/api/v1/meetings/{m}"), &c.secretary.token).await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get(&format!("/api/v1/meetings/{m}"), Some(&c.admin.token))
            .await,
        404,
        "not_found",
    )
    .await;
    let list = get_json(&app, "/api/v1/meetings", &c.admin.token).await;
    assert!(
        !list.to_string().contains(m.as_str()),
        "a deleted meeting is listed: {list}"
    );
}

async fn invitations_go_into_calendars(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    let res = app
        .get(
            &format!("/api/v1/meetings/{m}/calendar.ics"),
            Some(&c.member.token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let text = res.text().await.unwrap().replace("\r\n ", "");
    for line in [
        "BEGIN:VEVENT",
        &format!("UID:{m}@ecabinet"),
        "SUMMARY:Phiên họp thường kỳ",
        "DTSTART:20261201T080000Z",
        "STATUS:CONFIRMED",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    let seq = |t: &str| -> i64 {
        t.lines()
            .find_map(|l| l.strip_prefix("SEQUENCE:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let first = seq(&text);
    // Moved: the same UID with a higher SEQUENCE replaces the calendar entry.
    expect(
        crate::support::patch(
            &app,
            &format!("/api/v1/meetings/{m}"),
            &c.admin.token,
            &json!({"starts_at": "2026-12-02T02:00:00Z"}),
        )
        .await,
        200,
    )
    .await;
    let moved = app
        .get(
            &format!("/api/v1/meetings/{m}/calendar.ics"),
            Some(&c.member.token),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(moved.contains("DTSTART:20261202T020000Z"), "{moved}");
    assert!(seq(&moved) > first);
    // Not in the meeting: nothing to see.
    assert_problem(
        app.get(
            &format!("/api/v1/meetings/{m}/calendar.ics"),
            Some(&c.outsider.token),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

async fn a_meeting_knows_when_it_was_held(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let meeting = get_json(&app, &format!("/api/v1/meetings/{m}"), &c.admin.token).await;
    assert!(meeting["started_at"].is_null() && meeting["ended_at"].is_null());
    advance_to(&app, &c.admin.token, m, "live").await;
    let live = get_json(&app, &format!("/api/v1/meetings/{m}"), &c.admin.token).await;
    let started = live["started_at"].as_str().unwrap().to_owned();
    assert!(live["ended_at"].is_null());
    advance_to(&app, &c.admin.token, m, "closed").await;
    let closed = get_json(&app, &format!("/api/v1/meetings/{m}"), &c.admin.token).await;
    assert_eq!(closed["started_at"].as_str(), Some(started.as_str()));
    let ended: chrono::DateTime<chrono::Utc> =
        closed["ended_at"].as_str().unwrap().parse().unwrap();
    let started: chrono::DateTime<chrono::Utc> = started.parse().unwrap();
    assert!(ended >= started);
}

/// Tablets can say which rule a poll without a majority takes.
async fn the_organisation_names_its_default_majority(backend: Backend) {
    let env = ecabinet_tests::TestEnv::new(backend);
    let mut settings = env.settings();
    settings.polls.default_majority = ecabinet::polls::Majority::Simple;
    let app = ecabinet_tests::TestApp::start(settings).unwrap();
    let (_, token) = app.signed_in("uyvien", ecabinet::users::Role::Member).await;
    let org = get_json(&app, "/api/v1/organization", &token).await;
    assert_eq!(org["default_majority"], "simple", "{org}");
    assert_problem(
        app.get("/api/v1/organization", None).await,
        401,
        "missing_token",
    )
    .await;
    let (_default_env, default) = spawn_app(backend).await;
    let (_, token) = default
        .signed_in("uyvien", ecabinet::users::Role::Member)
        .await;
    let org = get_json(&default, "/api/v1/organization", &token).await;
    assert_eq!(org["default_majority"], "absolute_all", "{org}");
}

backend_tests!(
    the_organisation_names_its_default_majority,
    drafts_are_deleted_and_scheduled_meetings_are_not,
    invitations_go_into_calendars,
    a_meeting_knows_when_it_was_held,
);
