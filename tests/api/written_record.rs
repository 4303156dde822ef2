//! A meeting held in writing, its end: the summary of answers (báo cáo tổng hợp ý kiến,
//! "…/BC-…") is its record, previewed while members answer and finalised once it closed, with
//! every member's answer or "coi như đồng ý", the comments, the counts and the result; and ties
//! that follow the chair's own answer (`polls.written_ties`); and a consultation prepared from
//! an agenda item of a session.

use chrono::Utc;
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests};
use serde_json::{Value, json};

use crate::support::{
    Cast, Person, add_item, answer, cast, consultation, expect, get_json, patch, pdf_text,
    set_state, upload_pdf,
};

fn in_secs(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339()
}

/// The cast's five: the chair, the secretary (`clerk`) and three voting members.
fn everyone(c: &Cast) -> Vec<(&Person, &'static str)> {
    vec![
        (&c.chair, "chair"),
        (&c.clerk, "secretary"),
        (&c.member, "member"),
        (&c.member2, "member"),
        (&c.observer, "member"),
    ]
}

async fn bytes(app: &TestApp, token: &str, path: &str) -> Vec<u8> {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.bytes().await.unwrap().to_vec()
}

/// Asks to finalise the record of `id`.
async fn finalize(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/meetings/{id}/minutes/finalize"),
        Some(token),
        &json!({}),
    )
    .await
}

/// The words of a document's current file.
async fn document_words(app: &TestApp, token: &str, doc: &str) -> String {
    words(&bytes(app, token, &format!("/api/v1/documents/{doc}/file")).await)
}

/// pdftotext's words with every run of white space made one space (table cells wrap).
fn words(pdf: &[u8]) -> String {
    pdf_text(pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn the_summary_is_the_record_of_a_meeting_held_in_writing(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap();
    let c = cast(&app).await;
    let (id, polls) = consultation(
        &app,
        &c.admin.token,
        &everyone(&c),
        "Xin ý kiến về tờ trình số 15/TTr-VP",
        "agree",
        &["Thông qua tờ trình số 15/TTr-VP"],
    )
    .await;
    let pid = &polls[0];
    let comment = "Đề nghị làm rõ nguồn kinh phí trước khi ban hành.";
    answer(&app, &c.member, pid, json!({"choice": "agree"})).await;
    answer(
        &app,
        &c.member2,
        pid,
        json!({"choice": "other", "comment": comment}),
    )
    .await;
    // A changed answer: the last counts.
    answer(&app, &c.observer, pid, json!({"choice": "disagree"})).await;
    answer(&app, &c.observer, pid, json!({"choice": "agree"})).await;
    // The chair does not answer.

    // While members answer: the draft announces the summary's number; the preview names
    // everyone, with no result yet, and nobody is deemed anything before the deadline.
    let draft = get_json(
        &app,
        &format!("/api/v1/meetings/{id}/minutes"),
        &c.clerk.token,
    )
    .await;
    assert_eq!(draft["state"], "draft", "{draft}");
    assert_eq!(draft["next_number"], "01/BC-UBND", "{draft}");
    let preview = words(
        &bytes(
            &app,
            &c.clerk.token,
            &format!("/api/v1/meetings/{id}/minutes/preview.pdf"),
        )
        .await,
    );
    for expected in [
        "BÁO CÁO",
        "Số: …/BC-UBND",
        "Tổng hợp ý kiến thành viên về tờ trình số 15/TTr-VP",
        "đến 4 thành viên",
        "được coi như đồng ý",
        "(đang lấy ý kiến)",
        comment,
    ] {
        assert!(
            preview.contains(expected),
            "{expected:?} not in the preview:\n{preview}"
        );
    }
    assert!(!preview.contains("Coi như đồng ý"), "{preview}");
    // Members do not read a draft.
    let hidden = app
        .get(
            &format!("/api/v1/meetings/{id}/minutes"),
            Some(&c.member.token),
        )
        .await;
    assert_problem(hidden, 404, "not_found").await;
    // Not before the meeting closed.
    assert_problem(
        finalize(&app, &c.clerk.token, &id).await,
        409,
        "meeting_not_closed",
    )
    .await;

    expect(set_state(&app, &c.chair.token, &id, "closed").await, 200).await;
    let done = expect(finalize(&app, &c.clerk.token, &id).await, 201).await;
    assert_eq!(done["number"], "01/BC-UBND", "{done}");
    assert!(done["conclusions_number"].is_null(), "{done}");
    assert!(done["conclusions_document_id"].is_null(), "{done}");
    let doc = done["minutes_document_id"].as_str().unwrap();

    // Final: every participant reads it; the document is the summary, whole.
    let record = get_json(
        &app,
        &format!("/api/v1/meetings/{id}/minutes"),
        &c.member.token,
    )
    .await;
    assert_eq!(
        (record["state"].as_str(), record["number"].as_str()),
        (Some("final"), Some("01/BC-UBND")),
        "{record}"
    );
    let meta = get_json(&app, &format!("/api/v1/documents/{doc}"), &c.member.token).await;
    assert_eq!(meta["kind"], "minutes", "{meta}");
    let text = document_words(&app, &c.member.token, doc).await;
    for expected in [
        "Số: 01/BC-UBND",
        "BÁO CÁO",
        "Thông qua tờ trình số 15/TTr-VP",
        "Coi như đồng ý",
        "Ý kiến khác",
        comment,
        "Đồng ý: 3/4 (trong đó coi như đồng ý: 1); Không đồng ý: 0/4; Ý kiến khác: 1/4; Không trả lời: 0/4.",
        "Kết quả: Thông qua (quá nửa tổng số thành viên).",
        "Việc lấy ý kiến kết thúc lúc",
        "Chuỗi kiểm toán",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the summary:\n{text}"
        );
    }
    assert!(
        !text.contains("BIÊN BẢN") && !text.contains("DỰ THẢO"),
        "{text}"
    );
    // Each member's row: the chair deemed, the others with what they answered last.
    let chair_row = text
        .find("Người dùng chutoa")
        .map(|i| &text[i..(i + 80).min(text.len())]);
    assert!(
        chair_row.is_some_and(|r| r.contains("Coi như đồng ý")),
        "{chair_row:?}"
    );
    // Once: the register moves on, the text is frozen.
    assert_problem(
        finalize(&app, &c.clerk.token, &id).await,
        409,
        "minutes_final",
    )
    .await;
    let audit = get_json(
        &app,
        &format!("/api/v1/meetings/{id}/audit"),
        &c.chair.token,
    )
    .await;
    assert_eq!(audit["intact"], true, "{audit}");
    let finalized: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "minutes.finalized")
        .collect();
    assert_eq!(finalized.len(), 1, "{audit}");
}

async fn ties_follow_the_chairs_answer_in_writing(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap();
    let c = cast(&app).await;
    let (id, polls) = consultation(
        &app,
        &c.admin.token,
        &everyone(&c),
        "Lấy ý kiến về hai phương án",
        "none",
        &["Phương án A", "Phương án B"],
    )
    .await;
    let poll = get_json(&app, &format!("/api/v1/polls/{}", polls[0]), &c.chair.token).await;
    assert_eq!(poll["tie_break"], "chair", "{poll}");
    // 2 for and 2 against of 4 members: the chair's side decides, either way.
    for (pid, chair_choice) in [(&polls[0], "agree"), (&polls[1], "disagree")] {
        let other = if chair_choice == "agree" {
            "disagree"
        } else {
            "agree"
        };
        answer(&app, &c.chair, pid, json!({ "choice": chair_choice })).await;
        answer(&app, &c.member, pid, json!({ "choice": chair_choice })).await;
        answer(&app, &c.member2, pid, json!({ "choice": other })).await;
        answer(&app, &c.observer, pid, json!({ "choice": other })).await;
    }
    expect(set_state(&app, &c.chair.token, &id, "closed").await, 200).await;
    let a = get_json(&app, &format!("/api/v1/polls/{}", polls[0]), &c.chair.token).await;
    let b = get_json(&app, &format!("/api/v1/polls/{}", polls[1]), &c.chair.token).await;
    assert_eq!(
        a["tally"],
        json!({"agree": 2, "disagree": 2, "other": 0}),
        "{a}"
    );
    assert_eq!(a["result"], "adopted", "{a}");
    assert_eq!(
        b["tally"],
        json!({"agree": 2, "disagree": 2, "other": 0}),
        "{b}"
    );
    assert_eq!(b["result"], "rejected", "{b}");
    let audit = get_json(
        &app,
        &format!("/api/v1/meetings/{id}/audit"),
        &c.chair.token,
    )
    .await;
    let broken = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "poll.closed" && e["data"]["tie_broken_by_chair"] == true)
        .count();
    assert_eq!(broken, 2, "{audit}");
    let done = expect(finalize(&app, &c.chair.token, &id).await, 201).await;
    let doc = done["minutes_document_id"].as_str().unwrap();
    let text = document_words(&app, &c.chair.token, doc).await;
    assert!(
        text.contains("Kết quả: Thông qua (quá nửa tổng số thành viên; số phiếu ngang nhau, quyết định theo ý kiến của Chủ tịch)."),
        "{text}"
    );
    assert!(
        text.contains("Kết quả: Không thông qua (quá nửa tổng số thành viên; số phiếu ngang nhau"),
        "{text}"
    );

    // A session's polls have no tie-break.
    let session_poll = expect(
        app.post(
            &format!("/api/v1/meetings/{}/polls", c.meeting),
            Some(&c.admin.token),
            &json!({"title": "Biểu quyết tại phiên họp"}),
        )
        .await,
        201,
    )
    .await;
    assert!(session_poll.get("tie_break").is_none(), "{session_poll}");

    // An organisation whose rules leave ties rejected (`polls.written_ties = "none"`).
    let mut settings = env.settings();
    settings.polls.written_ties = ecabinet::polls::TieBreak::None;
    let strict = TestApp::start(settings).unwrap();
    let (id, polls) = consultation(
        &strict,
        &c.admin.token,
        &everyone(&c),
        "Lấy ý kiến lần hai",
        "none",
        &["Phương án C"],
    )
    .await;
    let pid = &polls[0];
    let poll = get_json(&strict, &format!("/api/v1/polls/{pid}"), &c.chair.token).await;
    assert!(poll.get("tie_break").is_none(), "{poll}");
    answer(&strict, &c.chair, pid, json!({"choice": "agree"})).await;
    answer(&strict, &c.member, pid, json!({"choice": "agree"})).await;
    answer(&strict, &c.member2, pid, json!({"choice": "disagree"})).await;
    answer(&strict, &c.observer, pid, json!({"choice": "disagree"})).await;
    expect(set_state(&strict, &c.chair.token, &id, "closed").await, 200).await;
    let poll = get_json(&strict, &format!("/api/v1/polls/{pid}"), &c.chair.token).await;
    assert_eq!(poll["result"], "rejected", "{poll}");
    strict.stop().await;
}

async fn a_consultation_is_prepared_from_a_sessions_agenda_item(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap();
    let c = cast(&app).await;
    let t = &c.secretary.token;
    let item = add_item(
        &app,
        t,
        &c.meeting,
        "Tờ trình về kế hoạch đầu tư công năm 2027",
        None,
    )
    .await;
    let other = add_item(
        &app,
        t,
        &c.meeting,
        "Báo cáo tình hình kinh tế - xã hội",
        None,
    )
    .await;
    let mut attached = Vec::new();
    for (title, to) in [
        ("Tờ trình số 21", &item),
        ("Dự thảo kế hoạch", &item),
        ("Báo cáo", &other),
    ] {
        let doc = upload_pdf(
            &app,
            t,
            &c.meeting,
            title,
            ecabinet_tests::pdfs::simple(2, title),
        )
        .await;
        let id = doc["id"].as_str().unwrap().to_owned();
        expect(
            patch(
                &app,
                &format!("/api/v1/documents/{id}"),
                t,
                &json!({"agenda_item_id": to}),
            )
            .await,
            200,
        )
        .await;
        if to == &item {
            attached.push((title.to_owned(), doc["sha256"].as_str().unwrap().to_owned()));
        }
    }
    let body = |kind: &str, from: &str| {
        json!({"title": "Xin ý kiến về kế hoạch đầu tư công năm 2027", "kind": kind,
            "starts_at": in_secs(-60), "deadline": in_secs(3600), "from_agenda_item": from})
    };
    let m = expect(
        app.post("/api/v1/meetings", Some(t), &body("written", &item))
            .await,
        201,
    )
    .await;
    let id = m["id"].as_str().unwrap();
    let detail = get_json(&app, &format!("/api/v1/meetings/{id}"), t).await;
    // The item's documents, and only its, with the same bytes; one question titled as the item.
    let mut copied: Vec<(String, String)> = detail["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["title"].as_str().unwrap().to_owned(),
                d["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    copied.sort();
    attached.sort();
    assert_eq!(copied, attached, "{detail}");
    let polls = detail["polls"].as_array().unwrap();
    assert_eq!(polls.len(), 1, "{detail}");
    assert_eq!(
        polls[0]["title"],
        "Tờ trình về kế hoạch đầu tư công năm 2027"
    );
    assert_eq!(polls[0]["options"], json!(["agree", "disagree", "other"]));
    assert_eq!(polls[0]["tie_break"], "chair");
    assert_eq!(polls[0]["state"], "draft");
    // The session's documents are untouched.
    let session = get_json(&app, &format!("/api/v1/meetings/{}", c.meeting), t).await;
    assert_eq!(
        session["documents"].as_array().unwrap().len(),
        3,
        "{session}"
    );
    // A copy downloads like any document.
    let doc = detail["documents"][0]["id"].as_str().unwrap();
    let res = app
        .get(&format!("/api/v1/documents/{doc}/file"), Some(t))
        .await;
    assert_eq!(res.status(), 200);

    // Only a meeting held in writing, only from a session's item that exists.
    assert_problem(
        app.post(
            "/api/v1/meetings",
            Some(t),
            &json!({"title": "Phiên họp", "starts_at": in_secs(60), "from_agenda_item": item}),
        )
        .await,
        422,
        "invalid_agenda_item",
    )
    .await;
    assert_problem(
        app.post("/api/v1/meetings", Some(t), &body("written", "khong-co"))
            .await,
        422,
        "invalid_agenda_item",
    )
    .await;
    let written_item = add_item(&app, t, id, "Nội dung của phiếu", None).await;
    assert_problem(
        app.post("/api/v1/meetings", Some(t), &body("written", &written_item))
            .await,
        422,
        "invalid_agenda_item",
    )
    .await;
    // Refused whole: no meeting was left behind by the refusals.
    let list = get_json(&app, "/api/v1/meetings", t).await;
    let written = list["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "written")
        .count();
    assert_eq!(written, 1, "{list}");
}

backend_tests!(
    a_consultation_is_prepared_from_a_sessions_agenda_item,
    the_summary_is_the_record_of_a_meeting_held_in_writing,
    ties_follow_the_chairs_answer_in_writing
);
