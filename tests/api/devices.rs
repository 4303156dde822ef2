//! Signed-in devices and password changes (issue 18): each sign-in is a device its user sees,
//! names and ends; an admin ends all of a user's; a password change ends the others. An ended
//! session stops at once: its access and refresh tokens, and its live socket (4401).

use std::time::Duration;

use ecabinet::users::Role;
use ecabinet_tests::live::{LiveClient, live_url};
use ecabinet_tests::{Backend, PASSWORD, TestApp, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

use crate::support::{add_participant, advance_to, create_meeting, expect, patch, person};

const IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

async fn sign_in_as(app: &TestApp, username: &str, agent: &str) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", agent)
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    expect(res, 200).await
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": token}),
    )
    .await
}

async fn a_lost_tablet_is_signed_out_from_another(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let me = person(&app, "chutich", Role::Member).await;
    let m = create_meeting(&app, &admin.token, "Phiên họp").await;
    add_participant(&app, &admin.token, &m, &me.id, "chair").await;
    advance_to(&app, &admin.token, &m, "scheduled").await;

    let tablet = sign_in_as(&app, "chutich", IPAD).await;
    let phone = sign_in_as(&app, "chutich", ANDROID).await;
    let phone_token = phone["access_token"].as_str().unwrap();
    let list = expect(app.get("/api/v1/me/sessions", Some(phone_token)).await, 200).await;
    let sessions = list["sessions"].as_array().unwrap().clone();
    // person() signed in once too.
    assert_eq!(sessions.len(), 3, "{list}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert!(
        current[0]["name"].as_str().unwrap().contains("Chrome"),
        "{list}"
    );
    assert_eq!(current[0]["address"], "127.0.0.1");
    let ipad = sessions
        .iter()
        .find(|s| s["user_agent"] == IPAD)
        .cloned()
        .unwrap();
    let ipad_id = ipad["id"].as_str().unwrap();

    // Rename it; nobody else's sessions are visible or reachable.
    let res = patch(
        &app,
        &format!("/api/v1/me/sessions/{ipad_id}"),
        phone_token,
        &json!({"name": "Máy tính bảng phòng họp"}),
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        patch(
            &app,
            &format!("/api/v1/me/sessions/{ipad_id}"),
            &admin.token,
            &json!({"name": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.client
            .delete(app.url(&format!("/api/v1/me/sessions/{ipad_id}")))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;

    // The tablet is in the meeting's live channel when it is signed out from the phone.
    let tablet_token = tablet["access_token"].as_str().unwrap();
    let mut live = LiveClient::join(&live_url(app.port, &m), tablet_token, 0).await;
    let (welcome, _) = live.until(|v| v["type"] == "welcome").await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/me/sessions/{ipad_id}")))
        .bearer_auth(phone_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        live.closed(Duration::from_secs(10)).await,
        Some(4401),
        "its socket closes at once"
    );
    assert_problem(
        app.get("/api/v1/me", Some(tablet_token)).await,
        401,
        "invalid_token",
    )
    .await;
    assert_problem(
        refresh(&app, tablet["refresh_token"].as_str().unwrap()).await,
        401,
        "refresh_token_reused",
    )
    .await;
    let list = expect(app.get("/api/v1/me/sessions", Some(phone_token)).await, 200).await;
    assert!(
        list["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != ipad_id),
        "{list}"
    );
    // The phone goes on, and its refresh keeps it listed.
    let again = expect(
        refresh(&app, phone["refresh_token"].as_str().unwrap()).await,
        200,
    )
    .await;
    let list = expect(
        app.get(
            "/api/v1/me/sessions",
            Some(again["access_token"].as_str().unwrap()),
        )
        .await,
        200,
    )
    .await;
    assert!(
        list["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["current"] == true),
        "{list}"
    );
}

async fn an_admin_ends_every_session_of_a_user(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let leaver = person(&app, "uyvien", Role::Member).await;
    let second = sign_in_as(&app, "uyvien", IPAD).await;
    let path = format!("/api/v1/users/{}/sessions", leaver.id);
    let res = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&leaver.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    for token in [
        leaver.token.as_str(),
        second["access_token"].as_str().unwrap(),
    ] {
        assert_problem(
            app.get("/api/v1/me", Some(token)).await,
            401,
            "invalid_token",
        )
        .await;
    }
    assert_problem(
        refresh(&app, second["refresh_token"].as_str().unwrap()).await,
        401,
        "refresh_token_reused",
    )
    .await;
    // They can still sign in again (ending sessions is not disabling the account).
    sign_in_as(&app, "uyvien", IPAD).await;
    let res = app
        .client
        .delete(app.url("/api/v1/users/nope/sessions"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn a_new_password_ends_the_other_sessions(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let me = person(&app, "thuky", Role::Secretary).await;
    let other = sign_in_as(&app, "thuky", ANDROID).await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    assert_problem(
        app.post(
            "/api/v1/me/password",
            Some(&me.token),
            &change("sai mật khẩu", "mật khẩu mới dài"),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/me/password",
            Some(&me.token),
            &change(PASSWORD, "ngắn"),
        )
        .await,
        422,
        "invalid_password",
    )
    .await;
    let res = app
        .post(
            "/api/v1/me/password",
            Some(&me.token),
            &change(PASSWORD, "mật khẩu mới dài"),
        )
        .await;
    assert_eq!(res.status(), 204);
    expect(app.get("/api/v1/me", Some(&me.token)).await, 200).await;
    assert_problem(
        app.get("/api/v1/me", Some(other["access_token"].as_str().unwrap()))
            .await,
        401,
        "invalid_token",
    )
    .await;
    assert_problem(
        app.login_raw("thuky", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    expect(app.login_raw("thuky", "mật khẩu mới dài").await, 200).await;
}

backend_tests!(
    a_lost_tablet_is_signed_out_from_another,
    an_admin_ends_every_session_of_a_user,
    a_new_password_ends_the_other_sessions,
);
