//! Helpers shared by the meeting tests: a cast of users, a meeting with participants, and the
//! verbs the harness lacks (PATCH, PUT, DELETE).

use ecabinet::users::Role;
use ecabinet_tests::TestApp;
use serde_json::{Value, json};

pub const STARTS_AT: &str = "2026-12-01T08:00:00Z";

/// A user who has signed in.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub token: String,
}

pub async fn person(app: &TestApp, username: &str, role: Role) -> Person {
    let (user, token) = app.signed_in(username, role).await;
    Person {
        id: user["id"].as_str().expect("user id").to_owned(),
        token,
    }
}

/// The status, with the body in the message when it is not the expected one; then the JSON body.
pub async fn expect(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(got, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}

/// A problem document with this status whatever its code (for answers the spec leaves open).
pub async fn expect_problem_status(res: reqwest::Response, status: u16) -> Value {
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = expect(res, status).await;
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    assert!(body["code"].is_string(), "problem without code: {body}");
    body
}

pub async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .patch(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PATCH {path}: {e}"))
}

pub async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {path}: {e}"))
}

pub async fn delete(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DELETE {path}: {e}"))
}

pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

pub async fn create_meeting(app: &TestApp, token: &str, title: &str) -> String {
    let res = app
        .post(
            "/api/v1/meetings",
            Some(token),
            &json!({"title": title, "starts_at": STARTS_AT}),
        )
        .await;
    id_of(&expect(res, 201).await)
}

pub async fn add_participant(
    app: &TestApp,
    token: &str,
    meeting: &str,
    user_id: &str,
    role: &str,
) -> Value {
    let res = app
        .post(
            &format!("/api/v1/meetings/{meeting}/participants"),
            Some(token),
            &json!({"user_id": user_id, "role": role}),
        )
        .await;
    expect(res, 201).await
}

pub async fn set_state(
    app: &TestApp,
    token: &str,
    meeting: &str,
    state: &str,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/meetings/{meeting}/state"),
        Some(token),
        &json!({"state": state}),
    )
    .await
}

/// Moves the meeting along `draft → scheduled → live → closed` from where it is up to `state`.
pub async fn advance_to(app: &TestApp, token: &str, meeting: &str, state: &str) {
    let path = ["draft", "scheduled", "live", "closed"];
    let now = self::meeting(app, token, meeting).await["state"].clone();
    let from = path
        .iter()
        .position(|s| now == *s)
        .unwrap_or_else(|| panic!("unknown state {now}"));
    for &step in &path[from + 1..] {
        let body = expect(set_state(app, token, meeting, step).await, 200).await;
        assert_eq!(body["state"], step);
        if step == state {
            return;
        }
    }
}

pub async fn add_item(
    app: &TestApp,
    token: &str,
    meeting: &str,
    title: &str,
    parent: Option<&str>,
) -> String {
    let res = app
        .post(
            &format!("/api/v1/meetings/{meeting}/agenda"),
            Some(token),
            &json!({"title": title, "parent_id": parent}),
        )
        .await;
    id_of(&expect(res, 201).await)
}

pub async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    expect(app.get(path, Some(token)).await, 200).await
}

pub async fn meeting(app: &TestApp, token: &str, meeting: &str) -> Value {
    get_json(app, &format!("/api/v1/meetings/{meeting}"), token).await
}

pub async fn events(app: &TestApp, token: &str, meeting: &str, after: i64) -> Value {
    get_json(
        app,
        &format!("/api/v1/meetings/{meeting}/events?after={after}"),
        token,
    )
    .await
}

pub fn last_seq(events: &Value) -> i64 {
    events["last_seq"]
        .as_i64()
        .unwrap_or_else(|| panic!("no last_seq in {events}"))
}

pub fn event_types(events: &Value) -> Vec<String> {
    events["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events in {events}"))
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// The titles of a list of agenda items, in order.
pub fn titles(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {items}"))
        .iter()
        .map(|i| i["title"].as_str().unwrap_or("?").to_owned())
        .collect()
}

pub fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {items}"))
        .iter()
        .map(id_of)
        .collect()
}

/// A participant from a list by user id.
pub fn participant<'a>(list: &'a Value, user_id: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|p| p["user_id"] == user_id))
        .unwrap_or_else(|| panic!("{user_id} is not in {list}"))
}

/// The usual cast: staff, a chair, a meeting secretary, two members, an observer and an outsider,
/// all but the staff and the outsider participants of one meeting created by the admin.
#[derive(Debug)]
pub struct Cast {
    pub admin: Person,
    pub secretary: Person,
    pub chair: Person,
    pub clerk: Person,
    pub member: Person,
    pub member2: Person,
    pub observer: Person,
    pub outsider: Person,
    pub meeting: String,
}

pub async fn cast(app: &TestApp) -> Cast {
    let admin = person(app, "quantri", Role::Admin).await;
    let secretary = person(app, "thuky", Role::Secretary).await;
    let chair = person(app, "chutoa", Role::Member).await;
    let clerk = person(app, "thukyhop", Role::Member).await;
    let member = person(app, "uyvien", Role::Member).await;
    let member2 = person(app, "uyvien2", Role::Member).await;
    let observer = person(app, "quansat", Role::Member).await;
    let outsider = person(app, "nguoingoai", Role::Member).await;
    let meeting = create_meeting(app, &admin.token, "Phiên họp thường kỳ").await;
    for (p, role) in [
        (&chair, "chair"),
        (&clerk, "secretary"),
        (&member, "member"),
        (&member2, "member"),
        (&observer, "observer"),
    ] {
        add_participant(app, &admin.token, &meeting, &p.id, role).await;
    }
    Cast {
        admin,
        secretary,
        chair,
        clerk,
        member,
        member2,
        observer,
        outsider,
        meeting,
    }
}

/// The participant checks themself in (200).
pub async fn check_in(app: &TestApp, who: &Person, meeting: &str) {
    expect(
        app.post(
            &format!("/api/v1/meetings/{meeting}/check-in"),
            Some(&who.token),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
}

/// Uploads a PDF to a meeting as raw bytes (201), returning the document.
pub async fn upload_pdf(
    app: &TestApp,
    token: &str,
    meeting: &str,
    title: &str,
    bytes: Vec<u8>,
) -> Value {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/meetings/{meeting}/documents")))
        .query(&[("title", title)])
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .body(bytes)
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload: {e}"));
    expect(res, 201).await
}

/// The text `pdftotext` reads from a PDF.
pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).unwrap()
}

/// A written meeting (deadline in an hour) sent to `people` in their roles, with one question
/// per title; (meeting, poll ids).
pub async fn consultation(
    app: &TestApp,
    t: &str,
    people: &[(&Person, &str)],
    title: &str,
    silence: &str,
    questions: &[&str],
) -> (String, Vec<String>) {
    let in_secs = |secs: i64| (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339();
    let m = expect(
        app.post(
            "/api/v1/meetings",
            Some(t),
            &json!({"title": title, "starts_at": in_secs(-60), "kind": "written",
                "deadline": in_secs(3600), "silence": silence}),
        )
        .await,
        201,
    )
    .await;
    let id = m["id"].as_str().unwrap().to_owned();
    for (p, role) in people {
        add_participant(app, t, &id, &p.id, role).await;
    }
    let mut polls = Vec::new();
    for q in questions {
        let poll = expect(
            app.post(
                &format!("/api/v1/meetings/{id}/polls"),
                Some(t),
                &json!({ "title": q }),
            )
            .await,
            201,
        )
        .await;
        polls.push(poll["id"].as_str().unwrap().to_owned());
    }
    expect(set_state(app, t, &id, "scheduled").await, 200).await;
    (id, polls)
}

/// A member's answer (ballot) to a question, accepted.
pub async fn answer(app: &TestApp, who: &Person, poll: &str, body: Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/polls/{poll}/ballots")))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert!(
        matches!(status, 200 | 201),
        "{status}: {}",
        res.text().await.unwrap()
    );
}
