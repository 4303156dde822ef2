//! Attendance: checking in, presiders recording others, and the counts.

use ecabinet::users::Role;
use ecabinet_tests::{Backend, TestApp, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    add_participant, advance_to, cast, expect, get_json, meeting, participant, patch, person,
};

async fn check_in(app: &TestApp, token: &str, m: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/meetings/{m}/check-in"),
        Some(token),
        &json!({}),
    )
    .await
}

async fn mark(app: &TestApp, token: &str, m: &str, body: &Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/meetings/{m}/attendance"),
        Some(token),
        body,
    )
    .await
}

fn assert_time(v: &Value) {
    assert!(
        v.as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        "not an RFC 3339 time: {v}"
    );
}

async fn members_check_themselves_in(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    // A draft is invisible to members.
    assert_problem(check_in(&app, &c.member.token, m).await, 404, "not_found").await;
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    let p = expect(check_in(&app, &c.member.token, m).await, 200).await;
    assert_eq!(p["user_id"], c.member.id.as_str());
    assert_eq!(p["role"], "member");
    assert_eq!(p["attendance"], "present");
    assert_time(&p["checked_in_at"]);
    let p = expect(check_in(&app, &c.chair.token, m).await, 200).await;
    assert_eq!(p["attendance"], "present");
    // Someone outside the meeting does not learn it exists.
    assert_problem(check_in(&app, &c.outsider.token, m).await, 404, "not_found").await;

    advance_to(&app, &c.admin.token, m, "live").await;
    let p = expect(check_in(&app, &c.member2.token, m).await, 200).await;
    assert_eq!(p["attendance"], "present");

    let list = &meeting(&app, &c.admin.token, m).await["participants"];
    for who in [&c.member, &c.member2, &c.chair] {
        let p = participant(list, &who.id);
        assert_eq!(p["attendance"], "present", "{p}");
        assert_time(&p["checked_in_at"]);
    }
    for who in [&c.clerk, &c.observer] {
        let p = participant(list, &who.id);
        assert_eq!(p["attendance"], "unknown", "{p}");
        assert_eq!(p["checked_in_at"], Value::Null);
    }

    advance_to(&app, &c.admin.token, m, "closed").await;
    assert_problem(
        check_in(&app, &c.clerk.token, m).await,
        409,
        "meeting_closed",
    )
    .await;
    let list = &meeting(&app, &c.admin.token, m).await["participants"];
    assert_eq!(participant(list, &c.clerk.id)["attendance"], "unknown");
}

/// docs/api.md: "check in, request to speak — participants other than observers, and
/// substitutes"; the contract: observers read only.
/// Observers are in the room too: they check in (they only do not vote or take the floor).
async fn observers_check_in(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    advance_to(&app, &c.admin.token, &c.meeting, "scheduled").await;
    let res = check_in(&app, &c.observer.token, &c.meeting).await;
    assert_eq!(res.status(), 200);
    let list = &meeting(&app, &c.admin.token, &c.meeting).await["participants"];
    assert_eq!(participant(list, &c.observer.id)["attendance"], "present");
}

/// Staff see every meeting but check in only where they take part: 403, not 404.
async fn staff_outside_the_meeting_do_not_check_in(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    advance_to(&app, &c.admin.token, &c.meeting, "scheduled").await;
    for who in [&c.admin, &c.secretary] {
        assert_problem(
            check_in(&app, &who.token, &c.meeting).await,
            403,
            "forbidden",
        )
        .await;
    }
    let att = get_json(
        &app,
        &format!("/api/v1/meetings/{}/attendance", c.meeting),
        &c.admin.token,
    )
    .await;
    assert_eq!(att["participants"].as_array().map(Vec::len), Some(5));
    assert_eq!(att["counts"]["present"], 0);
    assert_eq!(att["counts"]["unknown"], 5);
}

async fn presiders_record_attendance_and_counts_add_up(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let absentee = person(&app, "vangmat", Role::Member).await;
    let unknown = person(&app, "chuaden", Role::Member).await;
    let sub = person(&app, "nguoithay", Role::Member).await;
    for p in [&absentee, &unknown] {
        add_participant(&app, &c.admin.token, m, &p.id, "member").await;
    }
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    expect(
        patch(
            &app,
            &format!("/api/v1/meetings/{m}/participants/{}", c.member2.id),
            &c.member2.token,
            &json!({"substitute_id": sub.id}),
        )
        .await,
        200,
    )
    .await;

    expect(check_in(&app, &c.chair.token, m).await, 200).await;
    expect(check_in(&app, &c.member.token, m).await, 200).await;
    expect(check_in(&app, &sub.token, m).await, 200).await;

    // The system secretary marks one absent with a reason; the chair checks the clerk in.
    let p = expect(
        mark(
            &app,
            &c.secretary.token,
            m,
            &json!({"user_id": absentee.id, "status": "absent", "reason": "Đi công tác"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["user_id"], absentee.id.as_str());
    assert_eq!(p["attendance"], "absent");
    assert_eq!(p["absence_reason"], "Đi công tác");
    let p = expect(
        mark(
            &app,
            &c.chair.token,
            m,
            &json!({"user_id": c.clerk.id, "status": "present"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["user_id"], c.clerk.id.as_str());
    assert_eq!(p["attendance"], "present");
    assert_time(&p["checked_in_at"]);

    // Members and observers do not record others' attendance.
    for who in [&c.member, &c.observer, &sub] {
        assert_problem(
            mark(
                &app,
                &who.token,
                m,
                &json!({"user_id": unknown.id, "status": "present"}),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
    }
    assert_problem(
        mark(
            &app,
            &c.admin.token,
            m,
            &json!({"user_id": unknown.id, "status": "late"}),
        )
        .await,
        422,
        "invalid_body",
    )
    .await;

    let att = get_json(
        &app,
        &format!("/api/v1/meetings/{m}/attendance"),
        &c.admin.token,
    )
    .await;
    let list = &att["participants"];
    assert_eq!(list.as_array().map(Vec::len), Some(7), "{att}");
    for (who, state) in [
        (&c.chair.id, "present"),
        (&c.clerk.id, "present"),
        (&c.member.id, "present"),
        (&c.member2.id, "substituted"),
        (&absentee.id, "absent"),
        (&unknown.id, "unknown"),
        (&c.observer.id, "unknown"),
    ] {
        assert_eq!(
            participant(list, who)["attendance"],
            state,
            "{who} in {att}"
        );
    }
    assert_eq!(
        participant(list, &absentee.id)["absence_reason"],
        "Đi công tác"
    );
    assert_eq!(
        participant(list, &c.member2.id)["substitute_id"],
        sub.id.as_str()
    );
    // Voting (contract v2): the chair (present) and the members: member (present), member2
    // (substituted), absentee, unknown.
    assert_eq!(
        att["counts"],
        json!({"present": 3, "absent": 1, "substituted": 1, "unknown": 2,
            "voting_total": 5, "voting_present": 3}),
    );

    // The absentee arrives after all: present, the reason gone.
    let p = expect(
        mark(
            &app,
            &c.chair.token,
            m,
            &json!({"user_id": absentee.id, "status": "present"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["attendance"], "present");
    assert_eq!(p["absence_reason"], Value::Null);
    let att = get_json(
        &app,
        &format!("/api/v1/meetings/{m}/attendance"),
        &c.admin.token,
    )
    .await;
    assert_eq!(
        att["counts"],
        json!({"present": 4, "absent": 0, "substituted": 1, "unknown": 2,
            "voting_total": 5, "voting_present": 4}),
    );
}

backend_tests!(
    members_check_themselves_in,
    observers_check_in,
    staff_outside_the_meeting_do_not_check_in,
    presiders_record_attendance_and_counts_add_up,
);
