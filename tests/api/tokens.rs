//! An access token counts only while its user and its sign-in session stand: logout ends its
//! tokens at once, a refresh token's reuse ends its session's access tokens too, a demotion
//! takes the new role, and a deleted user is signed out (issue 23, "Tokens and accounts").

use std::time::{Duration, Instant};

use diesel::prelude::*;
use ecabinet::db::schema::users;
use ecabinet::users::Role;
use ecabinet_tests::live::{LiveClient, live_url};
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests};
use serde_json::json;

/// Heartbeat (1 s) plus the standing cache (1 s), with room for a loaded machine.
const CLOSE_WITHIN: Duration = Duration::from_secs(6);

async fn start(env: &TestEnv, cache_secs: u64) -> TestApp {
    let mut settings = env.settings();
    settings.auth.standing_cache_secs = cache_secs;
    TestApp::start(settings).unwrap()
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.get("/api/v1/me", Some(token)).await
}

async fn logout_ends_the_access_token_at_once(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, 60).await;
    app.user("thuky", Role::Secretary).await;
    let first = app.login("thuky").await;
    let other = app.login("thuky").await;
    let token = first["access_token"].as_str().unwrap();
    assert_eq!(me(&app, token).await.status(), 200);
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // The same token, a moment later (the standing of its session was cached a minute).
    assert_problem(me(&app, token).await, 401, "invalid_token").await;
    // The user's other device is another session: it goes on.
    assert_eq!(
        me(&app, other["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

async fn a_reused_refresh_token_ends_the_access_tokens(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, 1).await;
    app.user("uyvien", Role::Member).await;
    let login = app.login("uyvien").await;
    let stolen = login["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |t: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/refresh"))
                .json(&json!({"refresh_token": t}))
                .send()
                .await
                .unwrap()
        }
    };
    let rotated: serde_json::Value = refresh(stolen.clone()).await.json().await.unwrap();
    let access = rotated["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, &access).await.status(), 200);
    // The stolen token is presented again: reuse, the session is revoked...
    assert_eq!(refresh(stolen).await.status(), 401);
    // ...and within the cache's life the access tokens of that session stop working.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_problem(me(&app, &access).await, 401, "invalid_token").await;
    assert_problem(
        me(&app, login["access_token"].as_str().unwrap()).await,
        401,
        "invalid_token",
    )
    .await;
}

async fn a_demotion_counts_before_the_token_expires(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = start(&env, 1).await;
    let (user, token) = app.signed_in("thuky", Role::Secretary).await;
    let meeting = json!({"title": "Phiên họp", "starts_at": "2026-12-01T01:00:00Z"});
    assert_eq!(
        app.post("/api/v1/meetings", Some(&token), &meeting)
            .await
            .status(),
        201
    );
    let id2 = user["id"].as_str().unwrap().to_owned();
    app.state
        .db
        .write(move |c| {
            diesel::update(users::table.find(&id2))
                .set(users::role.eq("member"))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The token still says "secretary"; the server goes by the database.
    assert_problem(
        app.post("/api/v1/meetings", Some(&token), &meeting).await,
        403,
        "forbidden",
    )
    .await;
    let me_now: serde_json::Value = me(&app, &token).await.json().await.unwrap();
    assert_eq!(me_now["role"], "member");
    // A user who no longer exists is signed out (one who made nothing the database keeps).
    let (gone, gone_token) = app.signed_in("nghiviec", Role::Member).await;
    assert_eq!(me(&app, &gone_token).await.status(), 200);
    let id = gone["id"].as_str().unwrap().to_owned();
    app.state
        .db
        .write(move |c| {
            diesel::delete(users::table.find(&id)).execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_problem(me(&app, &gone_token).await, 401, "invalid_token").await;
}

/// Issue 23: a live socket opened before its sign-in session ended does not outlive it: logout
/// closes it (4401) at once, a reused refresh token at the next heartbeat; another session of
/// the same user stays connected.
async fn live_sockets_close_with_their_session(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.auth.standing_cache_secs = 1;
    settings.live.heartbeat_secs = 1;
    let app = TestApp::start(settings).unwrap();
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    let member = app.user("uyvien", Role::Member).await;
    let created = app
        .post(
            "/api/v1/meetings",
            Some(&admin),
            &json!({"title": "Phiên họp", "starts_at": "2026-12-01T01:00:00Z"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let m = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let added = app
        .post(
            &format!("/api/v1/meetings/{m}/participants"),
            Some(&admin),
            &json!({"user_id": member["id"], "role": "member"}),
        )
        .await;
    assert_eq!(added.status(), 201);
    let scheduled = app
        .post(
            &format!("/api/v1/meetings/{m}/state"),
            Some(&admin),
            &json!({"state": "scheduled"}),
        )
        .await;
    assert_eq!(scheduled.status(), 200);

    // Three tablets of the member, each its own sign-in session, each in the meeting's room.
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let login = app.login("uyvien").await;
        let token = login["access_token"].as_str().unwrap().to_owned();
        let mut live = LiveClient::join(&live_url(app.port, &m), &token, 0).await;
        live.until(|v| v["type"] == "welcome").await;
        sessions.push((login, live));
    }
    let (logged_out, mut logged_out_live) = sessions.remove(0);
    let (stolen, mut stolen_live) = sessions.remove(0);
    let (_, mut other_live) = sessions.remove(0);

    // Logout.
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(logged_out["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let t0 = Instant::now();
    assert_eq!(logged_out_live.closed(CLOSE_WITHIN).await, Some(4401));
    assert!(t0.elapsed() < CLOSE_WITHIN, "{:?}", t0.elapsed());

    // Refresh-token reuse: the thief's rotation, then the tablet's own refresh with the token it
    // holds. The whole session ends, its socket at the next heartbeat (1 s) once the standing
    // cache (1 s) has lapsed.
    let refresh = |t: serde_json::Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/refresh"))
                .json(&json!({"refresh_token": t}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(refresh(stolen["refresh_token"].clone()).await.status(), 200);
    assert_problem(
        refresh(stolen["refresh_token"].clone()).await,
        401,
        "refresh_token_reused",
    )
    .await;
    let t0 = Instant::now();
    assert_eq!(stolen_live.closed(CLOSE_WITHIN).await, Some(4401));
    assert!(t0.elapsed() < CLOSE_WITHIN, "{:?}", t0.elapsed());

    // The third tablet's session stands: its socket stays open through the heartbeats.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    other_live.send(json!({"type": "ping", "ref": "p1"})).await;
    let (pong, _) = other_live.until(|v| v["type"] == "pong").await;
    assert_eq!(pong["ref"], "p1");
}

backend_tests!(
    logout_ends_the_access_token_at_once,
    a_reused_refresh_token_ends_the_access_tokens,
    a_demotion_counts_before_the_token_expires,
    live_sockets_close_with_their_session,
);
