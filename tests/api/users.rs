//! The user directory: who may create and list users, and what is refused.

use ecabinet::users::Role;
use ecabinet_tests::{Backend, PASSWORD, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

async fn admin_creates_a_user_who_can_sign_in(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "vothilan", "password": PASSWORD,
            "role": "member", "display_name": "Võ Thị Lan"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let user: Value = res.json().await.unwrap_or_default();
    assert_eq!(user["display_name"], "Võ Thị Lan");
    assert_eq!(user["role"], "member");
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    let login = app.login("vothilan").await;
    assert_eq!(login["user"]["id"], user["id"]);

    let dup = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "VoThiLan", "password": PASSWORD, "role": "member"}),
        )
        .await;
    assert_problem(dup, 409, "username_taken").await;
}

async fn only_admins_create_users(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (_, secretary) = app.signed_in("thuky", Role::Secretary).await;
    let (_, member) = app.signed_in("thanhvien", Role::Member).await;
    let body = json!({"username": "moi", "password": PASSWORD, "role": "admin"});
    for token in [&secretary, &member] {
        assert_problem(
            app.post("/api/v1/users", Some(token), &body).await,
            403,
            "forbidden",
        )
        .await;
    }
    assert_problem(
        app.post("/api/v1/users", None, &body).await,
        401,
        "missing_token",
    )
    .await;
}

async fn staff_list_users_members_do_not(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    let (_, secretary) = app.signed_in("thuky", Role::Secretary).await;
    let (_, member) = app.signed_in("thanhvien", Role::Member).await;
    for token in [&admin, &secretary] {
        let list: Value = app
            .get("/api/v1/users", Some(token))
            .await
            .json()
            .await
            .unwrap_or_default();
        let names: Vec<&str> = list["users"]
            .as_array()
            .map(|a| a.iter().filter_map(|u| u["username"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["quantri", "thanhvien", "thuky"]);
    }
    assert_problem(
        app.get("/api/v1/users", Some(&member)).await,
        403,
        "forbidden",
    )
    .await;
}

async fn invalid_users_are_refused(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    let cases = [
        (
            json!({"username": "ab", "password": PASSWORD, "role": "member"}),
            "invalid_username",
        ),
        (
            json!({"username": "có dấu", "password": PASSWORD, "role": "member"}),
            "invalid_username",
        ),
        (
            json!({"username": "okname", "password": "short", "role": "member"}),
            "invalid_password",
        ),
        (
            json!({"username": "okname", "password": PASSWORD, "role": "member", "display_name": " "}),
            "invalid_display_name",
        ),
        (
            json!({"username": "okname", "password": PASSWORD, "role": "chair"}),
            "invalid_body",
        ),
        (
            json!({"username": "okname", "password": PASSWORD}),
            "invalid_body",
        ),
    ];
    for (body, code) in cases {
        assert_problem(
            app.post("/api/v1/users", Some(&admin), &body).await,
            422,
            code,
        )
        .await;
    }
    let list: Value = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(list["users"].as_array().map(Vec::len), Some(1));
}

/// A member who is the secretary of a meeting invites participants, so may list users.
async fn meeting_secretaries_list_users(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    let (clerk, clerk_token) = app.signed_in("thukyhop", Role::Member).await;
    assert_problem(
        app.get("/api/v1/users", Some(&clerk_token)).await,
        403,
        "forbidden",
    )
    .await;
    let meeting: Value = app
        .post(
            "/api/v1/meetings",
            Some(&admin),
            &json!({"title": "Họp", "starts_at": "2026-12-01T01:00:00Z"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .post(
            &format!(
                "/api/v1/meetings/{}/participants",
                meeting["id"].as_str().unwrap()
            ),
            Some(&admin),
            &json!({"user_id": clerk["id"], "role": "secretary"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let list: Value = app
        .get("/api/v1/users", Some(&clerk_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["users"].as_array().map(Vec::len), Some(2));
}

backend_tests!(
    meeting_secretaries_list_users,
    admin_creates_a_user_who_can_sign_in,
    only_admins_create_users,
    staff_list_users_members_do_not,
    invalid_users_are_refused,
);
