//! The meeting's record (contract v2, "Minutes and conclusions"): the chair and the meeting's
//! secretary write it while the meeting runs, members read it once final; each change is a
//! `minutes.updated` event without the text; finalising a closed meeting numbers both documents
//! from the organisation's register (gapless, never twice, even racing), stores them as
//! documents of the meeting and writes their SHA-256 to the audit chain, and freezes the texts.

use std::collections::BTreeSet;

use ecabinet_tests::{Backend, TestApp, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{
    Cast, add_item, advance_to, cast, check_in, events, expect, get_json, id_of, patch, pdf_text,
    person,
};

fn minutes_path(m: &str) -> String {
    format!("/api/v1/meetings/{m}/minutes")
}

async fn edit(app: &TestApp, token: &str, m: &str, body: Value) -> reqwest::Response {
    patch(app, &minutes_path(m), token, &body).await
}

async fn finalize(app: &TestApp, token: &str, m: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/meetings/{m}/minutes/finalize"),
        Some(token),
        &json!({}),
    )
    .await
}

async fn download(app: &TestApp, token: &str, path: &str) -> (String, Vec<u8>) {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (ct, res.bytes().await.unwrap().to_vec())
}

/// A live meeting with two items, everyone in but member2 (away with a reason).
async fn live_room(app: &TestApp) -> (Cast, String, String) {
    let c = cast(app).await;
    let m = &c.meeting;
    let first = add_item(
        app,
        &c.admin.token,
        m,
        "Báo cáo tình hình kinh tế – xã hội tháng 11",
        None,
    )
    .await;
    let second = add_item(
        app,
        &c.admin.token,
        m,
        "Tờ trình dự toán ngân sách xã năm 2027",
        None,
    )
    .await;
    advance_to(app, &c.admin.token, m, "live").await;
    for p in [&c.chair, &c.clerk, &c.member, &c.observer] {
        check_in(app, p, m).await;
    }
    expect(
        app.post(
            &format!("/api/v1/meetings/{m}/attendance"),
            Some(&c.admin.token),
            &json!({"user_id": c.member2.id, "status": "absent", "reason": "Đi công tác"}),
        )
        .await,
        200,
    )
    .await;
    (c, first, second)
}

async fn editors_write_members_read_the_final_record(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, first, second) = live_room(&app).await;
    let m = &c.meeting;
    let path = minutes_path(m);

    // An empty draft for its editors and staff; nothing for members, observers, outsiders.
    let draft = get_json(&app, &path, &c.clerk.token).await;
    assert_eq!(draft["state"], "draft");
    assert_eq!(draft["version"], 0);
    assert_eq!(draft["next_number"], "01/BB-UBND");
    let items: Vec<&str> = draft["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["agenda_item_id"].as_str().unwrap())
        .collect();
    assert_eq!(items, [first.as_str(), second.as_str()]);
    get_json(&app, &path, &c.chair.token).await;
    get_json(&app, &path, &c.secretary.token).await;
    for who in [&c.member, &c.observer, &c.outsider] {
        assert_problem(app.get(&path, Some(&who.token)).await, 404, "not_found").await;
    }

    // The secretary writes; the event says what changed, never the text.
    let seq = crate::support::last_seq(&events(&app, &c.chair.token, m, 0).await);
    let notes = "Đồng chí Trần Văn Hùng trình bày báo cáo.\r\nCác đại biểu thống nhất\u{0007} cao.";
    let saved = expect(
        edit(
            &app,
            &c.clerk.token,
            m,
            json!({"version": 0, "opening": "Đúng 8 giờ, chủ tọa khai mạc.", "items": [{"agenda_item_id": first, "notes": notes}]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(saved["version"], 1);
    assert_eq!(
        saved["items"][0]["notes"],
        "Đồng chí Trần Văn Hùng trình bày báo cáo.\nCác đại biểu thống nhất cao.",
        "line breaks kept, control characters dropped"
    );
    let log = events(&app, &c.member.token, m, seq).await;
    let updated: Vec<&Value> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "minutes.updated")
        .collect();
    assert_eq!(updated.len(), 1, "{log}");
    let data = &updated[0]["data"];
    assert_eq!(data["version"], 1);
    assert_eq!(data["state"], "draft");
    assert_eq!(data["items"], json!([first]));
    assert_eq!(data["opening"], true);
    assert_eq!(data["closing"], false);
    assert!(
        !log.to_string().contains("trình bày báo cáo"),
        "no text in events: {log}"
    );

    // The chair, on a stale version, is told so; on the latest it writes the conclusion.
    let stale = assert_problem(
        edit(
            &app,
            &c.chair.token,
            m,
            json!({"version": 0, "items": [{"agenda_item_id": first, "conclusion": "x"}]}),
        )
        .await,
        409,
        "stale_version",
    )
    .await;
    assert_eq!(stale["current_version"], 1, "{stale}");
    let saved = expect(
        edit(&app, &c.chair.token, m, json!({"version": 1, "items": [{"agenda_item_id": first, "conclusion": "Thống nhất thông qua báo cáo."}]})).await,
        200,
    )
    .await;
    assert_eq!(saved["version"], 2);
    assert_eq!(
        saved["items"][0]["notes"],
        "Đồng chí Trần Văn Hùng trình bày báo cáo.\nCác đại biểu thống nhất cao."
    );
    // A change that changes nothing makes no version.
    let same = expect(
        edit(&app, &c.chair.token, m, json!({"version": 2, "items": [{"agenda_item_id": first, "conclusion": "Thống nhất thông qua báo cáo."}]})).await,
        200,
    )
    .await;
    assert_eq!(same["version"], 2);

    // Who may not write, and what may not be written.
    for who in [&c.member, &c.observer, &c.admin, &c.secretary] {
        assert_problem(
            edit(&app, &who.token, m, json!({"version": 2, "closing": "x"})).await,
            403,
            "forbidden",
        )
        .await;
    }
    assert_problem(
        edit(
            &app,
            &c.outsider.token,
            m,
            json!({"version": 2, "closing": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    // The secretary of another meeting is an outsider here.
    let other = crate::support::create_meeting(&app, &c.admin.token, "Phiên họp khác").await;
    crate::support::add_participant(&app, &c.admin.token, &other, &c.outsider.id, "secretary")
        .await;
    get_json(&app, &minutes_path(&other), &c.outsider.token).await;
    assert_problem(
        edit(
            &app,
            &c.outsider.token,
            m,
            json!({"version": 2, "closing": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&path, Some(&c.outsider.token)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        edit(
            &app,
            &c.clerk.token,
            m,
            json!({"version": 2, "items": [{"agenda_item_id": "nope", "notes": "x"}]}),
        )
        .await,
        422,
        "invalid_agenda_item",
    )
    .await;
    assert_problem(
        edit(
            &app,
            &c.clerk.token,
            m,
            json!({"version": 2, "closing": "a".repeat(20_001)}),
        )
        .await,
        422,
        "text_too_long",
    )
    .await;
    expect(
        edit(
            &app,
            &c.clerk.token,
            m,
            json!({"version": 2, "closing": "ế".repeat(20_000)}),
        )
        .await,
        200,
    )
    .await;
    let saved = expect(
        edit(
            &app,
            &c.clerk.token,
            m,
            json!({"version": 3, "closing": "Cuộc họp kết thúc lúc 11 giờ 30 phút."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(saved["version"], 4);

    // A decided poll and a speech on the first item, for the record to report.
    let poll = id_of(
        &expect(
            app.post(
                &format!("/api/v1/meetings/{m}/polls"),
                Some(&c.chair.token),
                &json!({"title": "Thông qua báo cáo tháng 11", "agenda_item_id": first, "majority": "absolute_all"}),
            )
            .await,
            201,
        )
        .await,
    );
    expect(
        app.post(
            &format!("/api/v1/polls/{poll}/open"),
            Some(&c.chair.token),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    for (who, choice) in [(&c.chair, "yes"), (&c.member, "yes")] {
        expect(
            app.post(
                &format!("/api/v1/polls/{poll}/ballots"),
                Some(&who.token),
                &json!({"choice": choice}),
            )
            .await,
            201,
        )
        .await;
    }
    expect(
        app.post(
            &format!("/api/v1/polls/{poll}/close"),
            Some(&c.chair.token),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let speaker = id_of(
        &expect(
            app.post(
                &format!("/api/v1/meetings/{m}/speakers"),
                Some(&c.member.token),
                &json!({"agenda_item_id": first}),
            )
            .await,
            201,
        )
        .await,
    );
    for state in ["speaking", "done"] {
        expect(
            app.post(
                &format!("/api/v1/speakers/{speaker}/state"),
                Some(&c.chair.token),
                &json!({"state": state}),
            )
            .await,
            200,
        )
        .await;
    }

    // Not before the meeting is closed; the preview at any time, for editors only.
    assert_problem(
        finalize(&app, &c.clerk.token, m).await,
        409,
        "meeting_not_closed",
    )
    .await;
    let (ct, preview) = download(&app, &c.clerk.token, &format!("{path}/preview.pdf")).await;
    assert_eq!(ct, "application/pdf");
    assert!(pdf_text(&preview).contains("Thông qua báo cáo tháng 11"));
    assert_problem(
        app.get(&format!("{path}/preview.pdf"), Some(&c.member.token))
            .await,
        404,
        "not_found",
    )
    .await;

    advance_to(&app, &c.admin.token, m, "closed").await;
    // The secretary may still finish the text of a closed meeting.
    expect(edit(&app, &c.clerk.token, m, json!({"version": 4, "items": [{"agenda_item_id": second, "notes": "Đồng chí Lê Thị Mai trình bày tờ trình."}]})).await, 200).await;
    for who in [&c.member, &c.observer, &c.secretary] {
        assert_problem(finalize(&app, &who.token, m).await, 403, "forbidden").await;
    }
    let done = expect(finalize(&app, &c.clerk.token, m).await, 201).await;
    assert_eq!(done["number"], "01/BB-UBND", "{done}");
    assert_eq!(done["conclusions_number"], "01/TB-UBND", "{done}");

    // Frozen; members now read it; the event says it is final.
    let fin = get_json(&app, &path, &c.member.token).await;
    assert_eq!(fin["state"], "final");
    assert_eq!(fin["number"], "01/BB-UBND");
    assert_eq!(fin["next_number"], Value::Null);
    assert_eq!(fin["minutes_document_id"], done["minutes_document_id"]);
    assert_problem(
        edit(
            &app,
            &c.clerk.token,
            m,
            json!({"version": 6, "closing": "x"}),
        )
        .await,
        409,
        "minutes_final",
    )
    .await;
    assert_problem(
        finalize(&app, &c.clerk.token, m).await,
        409,
        "minutes_final",
    )
    .await;
    let log = events(&app, &c.member.token, m, 0).await;
    let last = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["type"] == "minutes.updated")
        .unwrap();
    assert_eq!(last["data"]["state"], "final");
    assert_eq!(last["data"]["number"], "01/BB-UBND");

    // Both documents are the meeting's, of their kind, and in the audit chain by hash.
    let meeting = get_json(&app, &format!("/api/v1/meetings/{m}"), &c.member.token).await;
    let docs = meeting["documents"].as_array().unwrap();
    let doc = |id: &Value| docs.iter().find(|d| d["id"] == *id).cloned().unwrap();
    let minutes_doc = doc(&done["minutes_document_id"]);
    let conclusions_doc = doc(&done["conclusions_document_id"]);
    assert_eq!(minutes_doc["kind"], "minutes");
    assert_eq!(conclusions_doc["kind"], "conclusions");
    assert!(docs.iter().filter(|d| d["kind"] == "document").count() == docs.len() - 2);
    let audit = get_json(
        &app,
        &format!("/api/v1/meetings/{m}/audit"),
        &c.member.token,
    )
    .await;
    let entry = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "minutes.finalized")
        .cloned()
        .expect("a minutes.finalized entry");
    let (_, pdf) = download(
        &app,
        &c.member.token,
        &format!(
            "/api/v1/documents/{}/file",
            minutes_doc["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        entry["data"]["minutes_sha256"],
        hex::encode(Sha256::digest(&pdf))
    );
    assert_eq!(entry["data"]["minutes_sha256"], minutes_doc["sha256"]);
    assert_eq!(
        entry["data"]["conclusions_sha256"],
        conclusions_doc["sha256"]
    );

    // What the biên bản says, in Vietnamese with its diacritics.
    let text = pdf_text(&pdf);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "01/BB-UBND",
        "Báo cáo tình hình kinh tế",
        "Thống nhất thông qua báo cáo.",
        "Đi công tác",
        "Thông qua báo cáo tháng 11",
    ] {
        assert!(
            flat.contains(needle),
            "{needle:?} missing from the record:\n{text}"
        );
    }
    for who in ["chutoa", "thukyhop", "uyvien", "uyvien2", "quansat"] {
        let name = get_json(&app, "/api/v1/users", &c.admin.token).await["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == who)
            .map(|u| u["display_name"].as_str().unwrap().to_owned())
            .unwrap();
        assert!(
            flat.contains(&name),
            "{name} missing from the record:\n{text}"
        );
    }
    // The chain's head when the record was made: the poll's closing is in it.
    let head_before = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] != "minutes.finalized" && e["kind"] != "document.added")
        .unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let squeezed: String = text.split_whitespace().collect();
    assert!(
        squeezed.contains(&head_before),
        "audit head {head_before} missing:\n{text}"
    );

    // The record's documents stay as they were finalised (the meeting is closed, and a
    // record's document is refused as such too: documents::require_uploaded).
    crate::support::expect_problem_status(
        crate::support::delete(
            &app,
            &format!("/api/v1/documents/{}", minutes_doc["id"].as_str().unwrap()),
            &c.admin.token,
        )
        .await,
        409,
    )
    .await;
    let (_, again) = download(
        &app,
        &c.member.token,
        &format!(
            "/api/v1/documents/{}/file",
            minutes_doc["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(again, pdf);
}

/// A closed meeting with the cast, ready to be finalised.
async fn closed_meeting(app: &TestApp, admin: &str, chair_id: &str, title: &str) -> String {
    let m = crate::support::create_meeting(app, admin, title).await;
    crate::support::add_participant(app, admin, &m, chair_id, "chair").await;
    advance_to(app, admin, &m, "closed").await;
    m
}

async fn numbers_are_gapless_and_never_given_twice(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let chair = person(&app, "chutoa", ecabinet::users::Role::Member).await;
    let mut meetings = Vec::new();
    for i in 0..4 {
        meetings
            .push(closed_meeting(&app, &admin.token, &chair.id, &format!("Phiên họp {i}")).await);
    }
    // Every meeting at once, the first one twice.
    let mut racing = meetings.clone();
    racing.push(meetings[0].clone());
    let answers = futures_util::future::join_all(racing.iter().map(|m| {
        let app = &app;
        let token = chair.token.clone();
        async move {
            let res = finalize(app, &token, m).await;
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    }))
    .await;
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(created.len(), 4, "{answers:?}");
    let refused: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 409)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(refused.len(), 1, "{answers:?}");
    assert_eq!(refused[0]["code"], "minutes_final");
    let numbers: BTreeSet<String> = created
        .iter()
        .map(|b| b["number"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = (1..=4).map(|n| format!("{n:02}/BB-UBND")).collect();
    assert_eq!(numbers, expected, "gapless and distinct");
    let notices: BTreeSet<String> = created
        .iter()
        .map(|b| b["conclusions_number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(notices.len(), 4);

    // The next one counts on.
    let m = closed_meeting(&app, &admin.token, &chair.id, "Phiên họp 5").await;
    let draft = get_json(&app, &minutes_path(&m), &chair.token).await;
    assert_eq!(draft["next_number"], "05/BB-UBND");
    let done = expect(finalize(&app, &chair.token, &m).await, 201).await;
    assert_eq!(done["number"], "05/BB-UBND");
}

async fn the_organisation_names_its_documents(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let secretary = person(&app, "thuky", ecabinet::users::Role::Secretary).await;
    let chair = person(&app, "chutoa", ecabinet::users::Role::Member).await;
    let org = get_json(&app, "/api/v1/organization", &chair.token).await;
    assert_eq!(org["sign"], "UBND");
    assert_eq!(org["default_majority"], "absolute_all");
    let change = json!({"parent": "UBND HUYỆN CAM LỘ", "name": "UBND XÃ CAM THỦY", "sign": "UBX", "place": "Cam Thủy", "recipients": ["Thường trực Đảng ủy xã", "Các ban, ngành"]});
    assert_problem(
        patch(&app, "/api/v1/organization", &secretary.token, &change).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        patch(
            &app,
            "/api/v1/organization",
            &admin.token,
            &json!({"sign": "UB/X"}),
        )
        .await,
        422,
        "invalid_organization",
    )
    .await;
    let saved = expect(
        patch(&app, "/api/v1/organization", &admin.token, &change).await,
        200,
    )
    .await;
    assert_eq!(saved["sign"], "UBX");
    assert_eq!(
        get_json(&app, "/api/v1/organization", &chair.token).await["place"],
        "Cam Thủy"
    );

    let m = closed_meeting(
        &app,
        &admin.token,
        &chair.id,
        "Phiên họp thường kỳ tháng 12/2026",
    )
    .await;
    let done = expect(finalize(&app, &chair.token, &m).await, 201).await;
    assert_eq!(done["number"], "01/BB-UBX");
    let (_, pdf) = download(
        &app,
        &chair.token,
        &format!(
            "/api/v1/documents/{}/file",
            done["minutes_document_id"].as_str().unwrap()
        ),
    )
    .await;
    let flat = pdf_text(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for needle in ["UBND XÃ CAM THỦY", "01/BB-UBX"] {
        assert!(flat.contains(needle), "{needle:?} missing:\n{flat}");
    }
}

backend_tests!(
    editors_write_members_read_the_final_record,
    numbers_are_gapless_and_never_given_twice,
    the_organisation_names_its_documents,
);
