//! Notifications (issues 17 and 22): participants are told when a meeting is sent to them,
//! moved or called off, with a list of their own, read and unread, pushed live to any meeting's
//! channel they are on (also from another instance); reminders before a written meeting's
//! deadline go out once to those who have not answered, however many instances look; and
//! notifications are mailed through SMTP, retried when the server is not there yet.

use std::io::BufRead;
use std::time::Duration;

use chrono::Utc;
use ecabinet_tests::live::{LiveClient, live_url};
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests};
use serde_json::{Value, json};

use crate::support::{Person, add_participant, cast, expect, get_json, patch, person, set_state};

fn in_secs(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339()
}

async fn page(app: &TestApp, who: &Person, query: &str) -> Value {
    get_json(app, &format!("/api/v1/me/notifications{query}"), &who.token).await
}

fn kinds(page: &Value) -> Vec<String> {
    page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// The next `notification.new` on the live channel (other messages skipped).
async fn pushed(live: &mut LiveClient) -> Value {
    let (message, _) = live.until(|v| v["type"] == "notification.new").await;
    message["data"].clone()
}

async fn written(app: &TestApp, token: &str, title: &str, deadline: String) -> String {
    let m = expect(
        app.post(
            "/api/v1/meetings",
            Some(token),
            &json!({"title": title, "starts_at": in_secs(-60), "kind": "written", "deadline": deadline}),
        )
        .await,
        201,
    )
    .await;
    m["id"].as_str().unwrap().to_owned()
}

async fn participants_are_told_when_meetings_are_sent_moved_or_cancelled(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap();
    let c = cast(&app).await;
    let t = &c.admin.token;
    // Sending the session tells its participants, not the admin who sent it.
    expect(set_state(&app, t, &c.meeting, "scheduled").await, 200).await;
    let first = page(&app, &c.member, "").await;
    assert_eq!(first["unread"], 1, "{first}");
    assert_eq!(kinds(&first), ["meeting_scheduled"]);
    let note = &first["notifications"][0];
    assert_eq!(note["meeting_id"], c.meeting.as_str());
    assert_eq!(note["params"]["title"], "Phiên họp thường kỳ");
    assert_eq!(note["read_at"], Value::Null);
    assert_eq!(
        kinds(&page(&app, &c.observer, "").await),
        ["meeting_scheduled"]
    );
    assert_eq!(page(&app, &c.admin, "").await["unread"], 0);
    assert_eq!(page(&app, &c.outsider, "").await["unread"], 0);

    // The member's tablet is on the session's channel: what concerns another meeting comes
    // there too, with the unread count.
    let mut live = LiveClient::join(&live_url(app.port, &c.meeting), &c.member.token, 0).await;
    live.replay().await;
    let w = written(&app, t, "Xin ý kiến về tờ trình số 12", in_secs(86_400)).await;
    for p in [&c.member, &c.member2] {
        add_participant(&app, t, &w, &p.id, "member").await;
    }
    // A draft is never announced.
    assert_eq!(page(&app, &c.member, "").await["unread"], 1);
    expect(set_state(&app, t, &w, "scheduled").await, 200).await;
    let data = pushed(&mut live).await;
    assert_eq!(data["unread"], 2, "{data}");
    assert_eq!(data["notification"]["kind"], "written_sent");
    assert_eq!(data["notification"]["meeting_id"], w.as_str());
    assert!(
        data["notification"]["params"]["deadline"].is_string(),
        "{data}"
    );

    // The session moves to another room: told with where it was.
    let session = format!("/api/v1/meetings/{}", c.meeting);
    expect(
        patch(&app, &session, t, &json!({"location": "Phòng họp số 2"})).await,
        200,
    )
    .await;
    let data = pushed(&mut live).await;
    assert_eq!(data["unread"], 3, "{data}");
    let moved = &data["notification"];
    assert_eq!(moved["kind"], "meeting_moved");
    assert_eq!(moved["params"]["location"], "Phòng họp số 2");
    assert_eq!(moved["params"]["previous_location"], Value::Null);
    // A change that moves nothing tells nobody.
    expect(
        patch(
            &app,
            &session,
            t,
            &json!({"description": "Nội dung kèm theo"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(page(&app, &c.member, "").await["unread"], 3);

    let mut expected = vec!["meeting_moved", "written_sent", "meeting_scheduled"];
    if backend == Backend::Postgres {
        // Another instance on the same database moves the written meeting's deadline: its
        // notification reaches the tablet connected to the first.
        let other = TestApp::start(env.settings()).unwrap();
        let path = format!("/api/v1/meetings/{w}");
        expect(
            patch(&other, &path, t, &json!({"deadline": in_secs(2 * 86_400)})).await,
            200,
        )
        .await;
        let data = pushed(&mut live).await;
        assert_eq!(data["notification"]["kind"], "meeting_moved", "{data}");
        assert_eq!(data["notification"]["params"]["meeting_kind"], "written");
        assert_eq!(data["unread"], 4);
        expected.insert(0, "meeting_moved");
    }

    // Newest first, a page at a time.
    let all = page(&app, &c.member, "").await;
    assert_eq!(kinds(&all), expected);
    assert_eq!(all["next_before"], Value::Null);
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let p = page(&app, &c.member, &query).await;
        seen.extend(kinds(&p));
        match p["next_before"].as_str() {
            Some(before) => query = format!("?limit=2&before={before}"),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    assert_problem(
        app.get("/api/v1/me/notifications?limit=0", Some(&c.member.token))
            .await,
        422,
        "invalid_limit",
    )
    .await;

    // Read one (twice is still once); another's is not there for anyone else.
    let id = all["notifications"][0]["id"].as_str().unwrap();
    let read = format!("/api/v1/me/notifications/{id}/read");
    let unread = expected.len() as i64 - 1;
    for _ in 0..2 {
        let r = expect(
            app.post(&read, Some(&c.member.token), &json!({})).await,
            200,
        )
        .await;
        assert_eq!(r["unread"], unread);
    }
    assert_problem(
        app.post(&read, Some(&c.member2.token), &json!({})).await,
        404,
        "not_found",
    )
    .await;
    let after = page(&app, &c.member, "").await;
    assert!(after["notifications"][0]["read_at"].is_string(), "{after}");

    // Called off: told too.
    expect(set_state(&app, t, &c.meeting, "cancelled").await, 200).await;
    let data = pushed(&mut live).await;
    assert_eq!(data["notification"]["kind"], "meeting_cancelled", "{data}");
    assert_eq!(
        kinds(&page(&app, &c.member2, "").await)[0],
        "meeting_cancelled"
    );

    let r = expect(
        app.post(
            "/api/v1/me/notifications/read-all",
            Some(&c.member.token),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["unread"], 0);
    let after = page(&app, &c.member, "").await;
    assert_eq!(after["unread"], 0);
    assert!(
        after["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["read_at"].is_string()),
        "{after}"
    );
    // member2 read nothing.
    assert!(page(&app, &c.member2, "").await["unread"].as_i64().unwrap() > 0);
}

async fn wait_closed(app: &TestApp, token: &str, id: &str) {
    for _ in 0..200 {
        let m = get_json(app, &format!("/api/v1/meetings/{id}"), token).await;
        if m["state"] == "closed" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the meeting did not close after its deadline");
}

async fn reminders_go_out_once_to_those_who_have_not_answered(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.meetings.deadline_check_ms = 100;
    // Reminders 7 and 4 seconds before a deadline 12 seconds away.
    settings.notifications.reminders = vec!["7s".into(), "4s".into()];
    let a = TestApp::start(settings.clone()).unwrap();
    let admin = person(&a, "quantri", ecabinet::users::Role::Admin).await;
    let chair = person(&a, "chutoa", ecabinet::users::Role::Member).await;
    let member = person(&a, "uyvien", ecabinet::users::Role::Member).await;
    let member2 = person(&a, "uyvien2", ecabinet::users::Role::Member).await;
    let t = &admin.token;
    let w = written(&a, t, "Xin ý kiến về kế hoạch năm 2027", in_secs(12)).await;
    add_participant(&a, t, &w, &chair.id, "chair").await;
    for p in [&member, &member2] {
        add_participant(&a, t, &w, &p.id, "member").await;
    }
    let mut polls = Vec::new();
    for title in ["Thông qua kế hoạch", "Thông qua dự toán"] {
        let poll = expect(
            a.post(
                &format!("/api/v1/meetings/{w}/polls"),
                Some(t),
                &json!({"title": title}),
            )
            .await,
            201,
        )
        .await;
        polls.push(poll["id"].as_str().unwrap().to_owned());
    }
    // Sending opens the questions.
    expect(set_state(&a, t, &w, "scheduled").await, 200).await;
    let answer = |app: &TestApp, who: &Person, poll: &str| {
        app.client
            .post(app.url(&format!("/api/v1/polls/{poll}/ballots")))
            .bearer_auth(&who.token)
            .json(&json!({"choice": "agree"}))
            .send()
    };
    // The member answers both polls, member2 one, the chair none.
    for p in &polls {
        assert!(answer(&a, &member, p).await.unwrap().status().is_success());
    }
    assert!(
        answer(&a, &member2, &polls[0])
            .await
            .unwrap()
            .status()
            .is_success()
    );
    // Two instances look every 100 ms.
    let b = TestApp::start(settings).unwrap();
    wait_closed(&a, t, &w).await;
    // Both instances have looked again since.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let reminders = |p: Value| -> Vec<Value> {
        p["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "written_reminder")
            .cloned()
            .collect()
    };
    assert!(reminders(page(&a, &member, "").await).is_empty());
    let to_member2 = reminders(page(&b, &member2, "").await);
    assert_eq!(to_member2.len(), 2, "one per offset: {to_member2:?}");
    assert!(
        to_member2
            .iter()
            .all(|n| n["params"]["unanswered"] == 1 && n["meeting_id"] == w.as_str())
    );
    let to_chair = reminders(page(&a, &chair, "").await);
    assert_eq!(to_chair.len(), 2, "{to_chair:?}");
    assert!(to_chair.iter().all(|n| n["params"]["unanswered"] == 2));
    let mut rows = env.query_strings(&format!(
        "SELECT offset_key AS v FROM reminders_sent WHERE meeting_id = '{w}'"
    ));
    rows.sort();
    assert_eq!(rows, ["4s", "4s", "7s", "7s"]);
}

/// A local SMTP server (tests/tools/smtp_sink.py, Python's aiosmtpd) writing what it receives
/// to a directory.
struct Sink {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl Sink {
    fn start(port: u16, dir: tempfile::TempDir) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/smtp_sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 (with aiosmtpd: scripts/install-tools.sh)");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP sink did not start (is aiosmtpd installed?)"
        );
        Self { child, dir }
    }

    fn mails(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                out.push(serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap());
            }
        }
        out
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn notifications_are_mailed_and_retried(backend: Backend) {
    let env = TestEnv::new(backend);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = env.settings();
    settings.notifications.smtp = Some(ecabinet::config::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        from: "Văn phòng UBND xã <vanphong@camthuy.gov.vn>".into(),
        retry_secs: 1,
        poll_ms: 100,
        ..Default::default()
    });
    let app = TestApp::start(settings).unwrap();
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let t = &admin.token;
    let new_user = |username: &str, email: Value| json!({"username": username, "password": "mật khẩu dài", "role": "member", "email": email});
    assert_problem(
        app.post(
            "/api/v1/users",
            Some(t),
            &new_user("uyvien", json!("không phải địa chỉ")),
        )
        .await,
        422,
        "invalid_email",
    )
    .await;
    let member = expect(
        app.post(
            "/api/v1/users",
            Some(t),
            &new_user("uyvien", json!("uyvien@camthuy.gov.vn")),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(member["email"], "uyvien@camthuy.gov.vn");
    let member2 = person(&app, "uyvien2", ecabinet::users::Role::Member).await;
    let path = format!("/api/v1/users/{}", member2.id);
    assert_problem(
        patch(
            &app,
            &path,
            &member2.token,
            &json!({"email": "x@camthuy.gov.vn"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let changed = expect(
        patch(&app, &path, t, &json!({"email": "uyvien2@camthuy.gov.vn"})).await,
        200,
    )
    .await;
    assert_eq!(changed["email"], "uyvien2@camthuy.gov.vn");
    let cleared = expect(patch(&app, &path, t, &json!({"email": null})).await, 200).await;
    assert_eq!(cleared["email"], Value::Null);

    let m = expect(
        app.post(
            "/api/v1/meetings",
            Some(t),
            &json!({"title": "Phiên họp tháng 12", "starts_at": "2027-01-05T01:00:00Z", "location": "Hội trường UBND xã"}),
        )
        .await,
        201,
    )
    .await;
    let id = m["id"].as_str().unwrap();
    add_participant(&app, t, id, member["id"].as_str().unwrap(), "member").await;
    add_participant(&app, t, id, &member2.id, "member").await;
    // Sent while no SMTP server listens: the first attempt fails and is retried.
    expect(set_state(&app, t, id, "scheduled").await, 200).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sink = Sink::start(port, tempfile::tempdir().unwrap());
    let mut mails = Vec::new();
    for _ in 0..100 {
        mails = sink.mails();
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "only the member with an address: {mails:?}");
    let mail = &mails[0];
    assert_eq!(mail["rcpt_tos"], json!(["uyvien@camthuy.gov.vn"]));
    assert_eq!(mail["mail_from"], "vanphong@camthuy.gov.vn");
    assert_eq!(mail["subject"], "Giấy mời họp: Phiên họp tháng 12");
    let body = mail["body"].as_str().unwrap();
    assert!(
        body.contains("08:00 ngày 05/01/2027 tại Hội trường UBND xã"),
        "{body}"
    );
    let attempts = env.query_strings(
        "SELECT CAST(attempts AS TEXT) AS v FROM mail_outbox WHERE sent_at IS NOT NULL",
    );
    assert_eq!(attempts.len(), 1);
    assert!(
        attempts[0].parse::<i32>().unwrap() >= 2,
        "retried: {attempts:?}"
    );
}

backend_tests!(
    participants_are_told_when_meetings_are_sent_moved_or_cancelled,
    reminders_go_out_once_to_those_who_have_not_answered,
    notifications_are_mailed_and_retried
);
