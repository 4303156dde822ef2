//! `serve --demo` data: idempotent, and the demo meeting is what a People's Committee session
//! looks like, visible to its participants and to the substitute.

use ecabinet::demo;
use ecabinet_tests::{Backend, backend_tests, spawn_app};
use serde_json::{Value, json};

async fn demo_data_is_idempotent_and_complete(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    demo::seed(&app.state.db).await.unwrap();
    demo::seed(&app.state.db).await.unwrap();

    let login = |username: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post(
                    "/api/v1/auth/login",
                    None,
                    &json!({"username": username, "password": demo::DEMO_PASSWORD}),
                )
                .await;
            assert_eq!(res.status(), 200, "{username}");
            let body: Value = res.json().await.unwrap();
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let admin = login("admin").await;
    let users: Value = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        users["users"].as_array().unwrap().len(),
        demo::ACCOUNTS.len()
    );

    for who in ["chutich", "duthay", "khachmoi"] {
        let token = login(who).await;
        let list: Value = app
            .get("/api/v1/meetings", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        let meetings = list["meetings"].as_array().unwrap();
        assert_eq!(meetings.len(), 1, "{who} sees {list}");
        assert_eq!(meetings[0]["title"], demo::MEETING_TITLE);
        assert_eq!(meetings[0]["state"], "scheduled");
    }
    let chair = login("chutich").await;
    let list: Value = app
        .get("/api/v1/meetings", Some(&chair))
        .await
        .json()
        .await
        .unwrap();
    let id = list["meetings"][0]["id"].as_str().unwrap().to_owned();
    let detail: Value = app
        .get(&format!("/api/v1/meetings/{id}"), Some(&chair))
        .await
        .json()
        .await
        .unwrap();
    let agenda = detail["agenda"].as_array().unwrap();
    assert_eq!(agenda.len(), 5);
    assert_eq!(agenda[1]["children"].as_array().unwrap().len(), 2);
    let participants = detail["participants"].as_array().unwrap();
    assert_eq!(participants.len(), 7);
    let substituted = participants
        .iter()
        .find(|p| p["username"] == "uyvien3")
        .unwrap();
    assert_eq!(substituted["substitute_name"], "Ngô Văn Thành");
}

backend_tests!(demo_data_is_idempotent_and_complete);
