//! Annotations: visibility (private and shared), idempotent creation, stale updates, sharing
//! and its events, live delivery to the author's own devices only, carry-forward to new
//! versions, export into the PDF, every refusal, and a sweep of every endpoint and event as
//! another user to prove nothing private leaks.

use std::time::Duration;

use ecabinet_tests::live::{LiveClient, Next, live_url};
use ecabinet_tests::{Backend, TestApp, assert_problem, backend_tests, pdfs, spawn_app};
use lopdf::Object;
use serde_json::{Value, json};

use crate::support::{
    Cast, Person, advance_to, cast, delete, event_types, events, expect, get_json, id_of, patch,
};

async fn upload(app: &TestApp, token: &str, meeting: &str, bytes: Vec<u8>) -> String {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/meetings/{meeting}/documents")))
        .query(&[("title", "Tờ trình")])
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .body(bytes)
        .send()
        .await
        .unwrap();
    id_of(&expect(res, 201).await)
}

async fn replace(app: &TestApp, token: &str, doc: &str, bytes: Vec<u8>) -> Value {
    let res = app
        .client
        .put(app.url(&format!("/api/v1/documents/{doc}/content")))
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .body(bytes)
        .send()
        .await
        .unwrap();
    expect(res, 200).await
}

/// The cast, a scheduled meeting and a 3-page document in it.
async fn setup(app: &TestApp) -> (Cast, String) {
    let c = cast(app).await;
    let doc = upload(
        app,
        &c.secretary.token,
        &c.meeting,
        pdfs::simple(3, "Dự thảo"),
    )
    .await;
    advance_to(app, &c.admin.token, &c.meeting, "scheduled").await;
    (c, doc)
}

fn ink(id: &str, page: i32, shared: bool) -> Value {
    json!({"id": id, "page": page, "kind": "ink", "shared": shared, "data": {"strokes": [
        {"points": [[0.1, 0.1], [0.2, 0.25, 0.5], [0.3, 0.2]], "color": "#d01010", "width": 0.004}]}})
}

fn highlight(id: &str, page: i32, shared: bool) -> Value {
    json!({"id": id, "page": page, "kind": "highlight", "shared": shared,
        "data": {"rects": [[0.1, 0.3, 0.5, 0.02], [0.1, 0.33, 0.3, 0.02]], "color": "#ffee00"}})
}

fn note(id: &str, page: i32, shared: bool, text: &str) -> Value {
    json!({"id": id, "page": page, "kind": "note", "shared": shared,
        "data": {"x": 0.8, "y": 0.1, "text": text}})
}

async fn post(app: &TestApp, who: &Person, doc: &str, body: &Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/documents/{doc}/annotations"),
        Some(&who.token),
        body,
    )
    .await
}

async fn create(app: &TestApp, who: &Person, doc: &str, body: &Value) -> Value {
    expect(post(app, who, doc, body).await, 201).await
}

async fn list(app: &TestApp, who: &Person, doc: &str) -> Vec<Value> {
    get_json(
        app,
        &format!("/api/v1/documents/{doc}/annotations"),
        &who.token,
    )
    .await["annotations"]
        .as_array()
        .unwrap()
        .clone()
}

fn listed_ids(items: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = items.iter().map(id_of).collect();
    ids.sort();
    ids
}

async fn download(app: &TestApp, who: &Person, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap()
}

async fn private_and_shared_annotations_are_seen_by_the_right_people(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    let mine = create(&app, &c.member, &doc, &ink("m-private", 1, false)).await;
    assert_eq!(mine["shared"], false);
    assert_eq!(mine["user_id"], c.member.id.as_str());
    assert_eq!(mine["version"], 1);
    assert_eq!(mine["document_version"], 1);
    assert_eq!(mine["orphaned"], false);
    assert_eq!(
        mine["data"]["strokes"][0]["points"][1],
        json!([0.2, 0.25, 0.5])
    );
    create(&app, &c.member, &doc, &highlight("m-shared", 2, true)).await;
    let n = create(
        &app,
        &c.member2,
        &doc,
        &note("o-private", 3, false, "Cần xem lại"),
    )
    .await;
    assert_eq!(n["replies"], json!([]));
    // Without an id the server picks one.
    let picked = create(
        &app,
        &c.chair,
        &doc,
        &json!({"page": 1, "kind": "note", "shared": true,
        "data": {"x": 0.5, "y": 0.5, "text": "Ý kiến của chủ toạ"}}),
    )
    .await;
    assert!(picked["id"].as_str().is_some_and(|s| !s.is_empty()));

    let seen = listed_ids(&list(&app, &c.member, &doc).await);
    assert_eq!(
        seen,
        listed_ids(&[
            json!({"id": "m-private"}),
            json!({"id": "m-shared"}),
            picked.clone()
        ])
    );
    // Nobody else sees a private one, the secretary and the admin included.
    for who in [&c.member2, &c.secretary, &c.admin, &c.chair, &c.observer] {
        let ids = listed_ids(&list(&app, who, &doc).await);
        assert!(!ids.contains(&"m-private".to_owned()), "{ids:?}");
        assert!(ids.contains(&"m-shared".to_owned()));
    }
    // Filters.
    let page2 = get_json(
        &app,
        &format!("/api/v1/documents/{doc}/annotations?page=2"),
        &c.member.token,
    )
    .await;
    assert_eq!(
        listed_ids(page2["annotations"].as_array().unwrap()),
        vec!["m-shared"]
    );
    let v2 = get_json(
        &app,
        &format!("/api/v1/documents/{doc}/annotations?version=2"),
        &c.member.token,
    )
    .await;
    assert_eq!(v2["annotations"], json!([]));

    // By id: the author and (shared) everyone; another's private one is a 404, never a 403.
    expect(
        app.get("/api/v1/annotations/m-private", Some(&c.member.token))
            .await,
        200,
    )
    .await;
    expect(
        app.get("/api/v1/annotations/m-shared", Some(&c.member2.token))
            .await,
        200,
    )
    .await;
    for who in [&c.member2, &c.admin, &c.secretary] {
        assert_problem(
            app.get("/api/v1/annotations/m-private", Some(&who.token))
                .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            patch(
                &app,
                "/api/v1/annotations/m-private",
                &who.token,
                &json!({"version": 1, "shared": true}),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            delete(&app, "/api/v1/annotations/m-private", &who.token).await,
            404,
            "not_found",
        )
        .await;
    }
    // A shared one is visible, but only its author changes it.
    assert_problem(
        patch(
            &app,
            "/api/v1/annotations/m-shared",
            &c.member2.token,
            &json!({"version": 1, "shared": false}),
        )
        .await,
        403,
        "not_author",
    )
    .await;
    assert_problem(
        delete(&app, "/api/v1/annotations/m-shared", &c.admin.token).await,
        403,
        "not_author",
    )
    .await;
    // Outside the meeting nothing exists.
    assert_problem(
        app.get(
            &format!("/api/v1/documents/{doc}/annotations"),
            Some(&c.outsider.token),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/annotations/m-shared", Some(&c.outsider.token))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        post(&app, &c.outsider, &doc, &ink("x", 1, false)).await,
        404,
        "not_found",
    )
    .await;
    // A deleted document takes its annotations out of sight.
    expect(
        delete(
            &app,
            &format!("/api/v1/documents/{doc}"),
            &c.secretary.token,
        )
        .await,
        204,
    )
    .await;
    assert_problem(
        app.get("/api/v1/annotations/m-private", Some(&c.member.token))
            .await,
        404,
        "not_found",
    )
    .await;
}

async fn creation_is_idempotent_and_stale_updates_conflict(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    let body = ink("0193f000-aaaa-7bbb-8ccc-000000000001", 1, false);
    let first = create(&app, &c.member, &doc, &body).await;
    // A retry after a lost answer stores nothing new and answers 200 with the stored one.
    let again = expect(post(&app, &c.member, &doc, &body).await, 200).await;
    assert_eq!(again, first);
    assert_eq!(list(&app, &c.member, &doc).await.len(), 1);
    // The same id with other content, or by another user, is a conflict.
    let mut other = body.clone();
    other["page"] = json!(2);
    assert_problem(
        post(&app, &c.member, &doc, &other).await,
        409,
        "annotation_exists",
    )
    .await;
    assert_problem(
        post(&app, &c.member2, &doc, &body).await,
        409,
        "annotation_exists",
    )
    .await;

    // Updates name the version they edit; two tablets of one user cannot overwrite each other.
    let path = format!("/api/v1/annotations/{}", id_of(&first));
    let new_data =
        json!({"strokes": [{"points": [[0.5, 0.5]], "color": "#000000", "width": 0.01}]});
    let updated = expect(
        patch(
            &app,
            &path,
            &c.member.token,
            &json!({"version": 1, "data": new_data}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["data"], new_data);
    let stale = assert_problem(
        patch(
            &app,
            &path,
            &c.member.token,
            &json!({"version": 1, "page": 3}),
        )
        .await,
        409,
        "stale_version",
    )
    .await;
    assert_eq!(stale["current_version"], 2);
    let moved = expect(
        patch(
            &app,
            &path,
            &c.member.token,
            &json!({"version": 2, "page": 3}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (moved["page"].as_i64(), moved["version"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(
        moved["data"], new_data,
        "a patch keeps what it does not name"
    );
    assert_problem(
        patch(&app, &path, &c.member.token, &json!({"version": 3})).await,
        422,
        "empty_patch",
    )
    .await;
    // Deleted: gone for good.
    expect(delete(&app, &path, &c.member.token).await, 204).await;
    assert_problem(
        app.get(&path, Some(&c.member.token)).await,
        404,
        "not_found",
    )
    .await;
}

async fn sharing_is_announced_and_private_work_stays_out_of_the_log(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    let start = crate::support::last_seq(&events(&app, &c.member.token, &c.meeting, 0).await);
    let a = create(&app, &c.member, &doc, &note("n1", 1, false, "bí mật riêng")).await;
    let path = format!("/api/v1/annotations/{}", id_of(&a));
    expect(
        patch(
            &app,
            &path,
            &c.member.token,
            &json!({"version": 1, "data": {"x": 0.2, "y": 0.2, "text": "vẫn riêng"}}),
        )
        .await,
        200,
    )
    .await;
    let log = events(&app, &c.member.token, &c.meeting, start).await;
    assert_eq!(
        event_types(&log),
        Vec::<String>::new(),
        "private changes are not meeting events"
    );

    let shared = expect(
        patch(
            &app,
            &path,
            &c.member.token,
            &json!({"version": 2, "shared": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(shared["shared"], true);
    expect(
        patch(
            &app,
            &path,
            &c.member.token,
            &json!({"version": 3, "data": {"x": 0.2, "y": 0.2, "text": "chia sẻ"}}),
        )
        .await,
        200,
    )
    .await;
    // Replies on a shared note, by anyone who may write.
    let replied = expect(
        app.post(
            &format!("{path}/replies"),
            Some(&c.member2.token),
            &json!({"text": "Đồng ý"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(replied["replies"][0]["text"], "Đồng ý");
    assert_eq!(replied["replies"][0]["user_id"], c.member2.id.as_str());
    assert_eq!(
        replied["version"], 4,
        "a reply does not bump the author's version"
    );
    assert_problem(
        app.post(
            &format!("{path}/replies"),
            Some(&c.observer.token),
            &json!({"text": "x"}),
        )
        .await,
        403,
        "observer_private_only",
    )
    .await;
    assert_problem(
        app.post(
            &format!("{path}/replies"),
            Some(&c.member2.token),
            &json!({"text": " "}),
        )
        .await,
        422,
        "empty_reply",
    )
    .await;
    assert_problem(
        app.post(
            &format!("{path}/replies"),
            Some(&c.member2.token),
            &json!({"text": "x".repeat(2001)}),
        )
        .await,
        422,
        "reply_too_long",
    )
    .await;
    let unshared = expect(
        patch(
            &app,
            &path,
            &c.member.token,
            &json!({"version": 4, "shared": false}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(unshared["shared"], false);
    // Unshared: the others lose it.
    assert_problem(
        app.get(&path, Some(&c.member2.token)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.post(
            &format!("{path}/replies"),
            Some(&c.member2.token),
            &json!({"text": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let b = create(&app, &c.member, &doc, &highlight("h1", 2, true)).await;
    expect(
        delete(
            &app,
            &format!("/api/v1/annotations/{}", id_of(&b)),
            &c.member.token,
        )
        .await,
        204,
    )
    .await;

    let log = events(&app, &c.member2.token, &c.meeting, start).await;
    assert_eq!(
        event_types(&log),
        [
            "annotation.created",
            "annotation.updated",
            "annotation.updated",
            "annotation.deleted",
            "annotation.created",
            "annotation.deleted"
        ]
    );
    let list = log["events"].as_array().unwrap();
    assert_eq!(list[0]["data"]["data"]["text"], "vẫn riêng");
    assert_eq!(
        list[3]["data"],
        json!({"id": "n1", "document_id": doc, "user_id": c.member.id, "unshared": true})
    );
    assert_eq!(
        list[5]["data"],
        json!({"id": "h1", "document_id": doc, "user_id": c.member.id})
    );
    let text = log.to_string();
    assert!(
        !text.contains("bí mật riêng"),
        "a private version reached the log: {text}"
    );
}

async fn observers_keep_private_ink_and_closed_meetings_keep_their_record(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    assert_problem(
        post(&app, &c.observer, &doc, &ink("o1", 1, true)).await,
        403,
        "observer_private_only",
    )
    .await;
    let own = create(&app, &c.observer, &doc, &ink("o2", 1, false)).await;
    assert_problem(
        patch(
            &app,
            "/api/v1/annotations/o2",
            &c.observer.token,
            &json!({"version": own["version"], "shared": true}),
        )
        .await,
        403,
        "observer_private_only",
    )
    .await;
    create(&app, &c.member, &doc, &ink("s1", 1, true)).await;
    create(&app, &c.member, &doc, &ink("p1", 1, false)).await;
    advance_to(&app, &c.admin.token, &c.meeting, "closed").await;
    // Private notes go on after the meeting; the shared record does not change.
    create(&app, &c.member, &doc, &ink("p2", 1, false)).await;
    expect(
        patch(
            &app,
            "/api/v1/annotations/p1",
            &c.member.token,
            &json!({"version": 1, "page": 2}),
        )
        .await,
        200,
    )
    .await;
    assert_problem(
        post(&app, &c.member, &doc, &ink("s2", 1, true)).await,
        409,
        "meeting_closed",
    )
    .await;
    assert_problem(
        patch(
            &app,
            "/api/v1/annotations/s1",
            &c.member.token,
            &json!({"version": 1, "page": 2}),
        )
        .await,
        409,
        "meeting_closed",
    )
    .await;
    assert_problem(
        delete(&app, "/api/v1/annotations/s1", &c.member.token).await,
        409,
        "meeting_closed",
    )
    .await;
}

async fn bad_input_is_refused(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    let m = &c.member;
    let stroke = |points: Value, color: &str, width: f64| {
        json!({"page": 1, "kind": "ink", "shared": false,
        "data": {"strokes": [{"points": points, "color": color, "width": width}]}})
    };
    let cases = [
        (
            json!({"page": 4, "kind": "ink", "shared": false, "data": ink("a", 1, false)["data"]}),
            "invalid_page",
        ),
        (
            json!({"page": 0, "kind": "ink", "shared": false, "data": ink("a", 1, false)["data"]}),
            "invalid_page",
        ),
        (
            stroke(json!([[1.2, 0.5]]), "#000000", 0.01),
            "invalid_coordinates",
        ),
        (
            stroke(json!([[0.5, -0.01]]), "#000000", 0.01),
            "invalid_coordinates",
        ),
        (
            stroke(json!([[0.5, 0.5, 1.5]]), "#000000", 0.01),
            "invalid_coordinates",
        ),
        (
            stroke(json!(vec![[0.5, 0.5]; 5001]), "#000000", 0.01),
            "too_many_points",
        ),
        (stroke(json!([[0.5, 0.5]]), "black", 0.01), "invalid_color"),
        (stroke(json!([[0.5, 0.5]]), "#000000", 0.0), "invalid_width"),
        (stroke(json!([]), "#000000", 0.01), "empty_annotation"),
        (
            json!({"page": 1, "kind": "highlight", "shared": false, "data": {"rects": [[0.9, 0.1, 0.2, 0.1]], "color": "#ffff00"}}),
            "invalid_coordinates",
        ),
        (
            json!({"page": 1, "kind": "highlight", "shared": false, "data": {"rects": [[0.1, 0.1, 0.2, 0.1]], "color": "#ffff0"}}),
            "invalid_color",
        ),
        (
            json!({"page": 1, "kind": "note", "shared": false, "data": {"x": 2, "y": 0.1, "text": "a"}}),
            "invalid_coordinates",
        ),
        (
            json!({"page": 1, "kind": "note", "shared": false, "data": {"x": 0.5, "y": 0.1, "text": "x".repeat(4001)}}),
            "note_too_long",
        ),
        (
            json!({"page": 1, "kind": "note", "shared": false, "data": {"x": 0.5, "y": 0.1, "text": ""}}),
            "empty_note",
        ),
        (
            json!({"page": 1, "kind": "note", "shared": false, "data": {"x": 0.5, "y": 0.1}}),
            "invalid_data",
        ),
        (
            json!({"page": 1, "kind": "circle", "shared": false, "data": {}}),
            "invalid_kind",
        ),
        (
            json!({"id": "no spaces", "page": 1, "kind": "note", "shared": false, "data": {"x": 0.5, "y": 0.1, "text": "a"}}),
            "invalid_annotation_id",
        ),
        // 80 strokes of 100 points: within the stroke and point limits, beyond 128 KiB (and
        // within the 256 KiB of a JSON body).
        (
            json!({"page": 1, "kind": "ink", "shared": false, "data": {"strokes": vec![
            json!({"points": vec![[0.123_456, 0.654_321]; 100], "color": "#000000", "width": 0.01}); 80]}}),
            "annotation_too_large",
        ),
    ];
    for (body, code) in cases {
        assert_problem(post(&app, m, &doc, &body).await, 422, code).await;
    }
    // The stored data is the validated form: unknown members are refused, not kept.
    let res = post(&app, m, &doc, &json!({"page": 1, "kind": "note", "shared": false, "data": {"x": 0.5, "y": 0.1, "text": "a", "html": "<b>"}})).await;
    assert_problem(res, 422, "invalid_data").await;
    assert_problem(
        post(&app, m, &doc, &json!({"page": 1, "kind": "note"})).await,
        422,
        "invalid_body",
    )
    .await;
    // The document's latest version only.
    let res = post(&app, m, &doc, &json!({"page": 1, "kind": "note", "shared": false, "document_version": 7, "data": {"x": 0.5, "y": 0.1, "text": "a"}})).await;
    assert_problem(res, 409, "stale_document_version").await;
    // Updates are checked the same way.
    create(&app, m, &doc, &ink("k", 1, false)).await;
    assert_problem(
        patch(
            &app,
            "/api/v1/annotations/k",
            &m.token,
            &json!({"version": 1, "page": 9}),
        )
        .await,
        422,
        "invalid_page",
    )
    .await;
    assert_problem(
        patch(
            &app,
            "/api/v1/annotations/k",
            &m.token,
            &json!({"version": 1, "data": {"x": 0.5}}),
        )
        .await,
        422,
        "invalid_data",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/annotations/k/replies",
            Some(&m.token),
            &json!({"text": "a"}),
        )
        .await,
        422,
        "not_a_note",
    )
    .await;
    create(&app, m, &doc, &note("pn", 1, false, "riêng")).await;
    assert_problem(
        app.post(
            "/api/v1/annotations/pn/replies",
            Some(&m.token),
            &json!({"text": "a"}),
        )
        .await,
        422,
        "not_shared",
    )
    .await;
    assert_problem(
        app.get("/api/v1/documents/nope/annotations", Some(&m.token))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/documents/{doc}/file?annotations=everything"),
            Some(&m.token),
        )
        .await,
        400,
        "malformed_query",
    )
    .await;
}

async fn annotations_carry_forward_and_orphans_are_kept(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    create(&app, &c.member, &doc, &ink("p1", 1, false)).await;
    create(&app, &c.member, &doc, &note("p3", 3, true, "trang ba")).await;
    let v2 = replace(&app, &c.secretary.token, &doc, pdfs::simple(2, "Bản sửa")).await;
    assert_eq!(v2["version"], 2);
    let all = list(&app, &c.member, &doc).await;
    assert_eq!(all.len(), 2, "nothing dropped: {all:?}");
    for a in &all {
        assert_eq!(a["document_version"], 2);
    }
    let orphan = all.iter().find(|a| a["id"] == "p3").unwrap();
    assert_eq!(
        (orphan["orphaned"].as_bool(), orphan["page"].as_i64()),
        (Some(true), Some(3))
    );
    assert_eq!(
        all.iter().find(|a| a["id"] == "p1").unwrap()["orphaned"],
        false
    );
    // Annotating needs the latest version; the old page count no longer applies.
    assert_problem(
        post(&app, &c.member, &doc, &ink("n3", 3, false)).await,
        422,
        "invalid_page",
    )
    .await;
    // Moving an orphan onto an existing page brings it back.
    let back = expect(
        patch(
            &app,
            "/api/v1/annotations/p3",
            &c.member.token,
            &json!({"version": 1, "page": 2}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(back["orphaned"], false);
    // A third version with more pages: same page numbers again, nobody lost.
    replace(&app, &c.secretary.token, &doc, pdfs::simple(4, "Bản cuối")).await;
    let all = list(&app, &c.member, &doc).await;
    assert!(
        all.iter()
            .all(|a| a["document_version"] == 3 && a["orphaned"] == false),
        "{all:?}"
    );
}

/// Annotation dictionaries of each page of a PDF, by subtype.
fn annotations_in(bytes: &[u8]) -> Vec<Vec<(String, lopdf::Dictionary)>> {
    let doc = lopdf::Document::load_mem(bytes).expect("the exported file opens");
    doc.page_iter()
        .map(|page| {
            let dict = doc.get_dictionary(page).unwrap();
            let Ok(annots) = dict.get(b"Annots").and_then(Object::as_array) else {
                return Vec::new();
            };
            annots
                .iter()
                .map(|r| {
                    let a = doc
                        .get_dictionary(r.as_reference().unwrap())
                        .unwrap()
                        .clone();
                    let subtype =
                        String::from_utf8_lossy(a.get(b"Subtype").unwrap().as_name().unwrap())
                            .into_owned();
                    (subtype, a)
                })
                .collect()
        })
        .collect()
}

fn subtypes(pages: &[Vec<(String, lopdf::Dictionary)>]) -> Vec<Vec<String>> {
    pages
        .iter()
        .map(|p| p.iter().map(|(s, _)| s.clone()).collect())
        .collect()
}

async fn exports_write_real_pdf_annotations(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    let original = pdfs::simple(3, "Dự thảo");
    create(&app, &c.member, &doc, &ink("i1", 1, false)).await;
    create(&app, &c.member, &doc, &highlight("h1", 2, true)).await;
    create(
        &app,
        &c.member2,
        &doc,
        &note("n1", 3, true, "Góp ý: sửa điều 5"),
    )
    .await;
    expect(
        app.post(
            "/api/v1/annotations/n1/replies",
            Some(&c.member.token),
            &json!({"text": "Đã sửa"}),
        )
        .await,
        201,
    )
    .await;
    create(&app, &c.member2, &doc, &ink("secret", 1, false)).await;
    let file = format!("/api/v1/documents/{doc}/file");

    let mut etags = Vec::new();
    for (set, expected) in [
        ("mine", vec![vec!["Ink"], vec!["Highlight"], vec![]]),
        (
            "shared",
            vec![vec![], vec!["Highlight"], vec!["Text", "Text"]],
        ),
        (
            "all-visible",
            vec![vec!["Ink"], vec!["Highlight"], vec!["Text", "Text"]],
        ),
    ] {
        let res = download(&app, &c.member, &format!("{file}?annotations={set}")).await;
        assert_eq!(res.status(), 200);
        etags.push(res.headers()["etag"].to_str().unwrap().to_owned());
        let body = res.bytes().await.unwrap().to_vec();
        assert!(
            body.starts_with(&original),
            "the original bytes come first, untouched"
        );
        let pages = annotations_in(&body);
        assert_eq!(
            subtypes(&pages),
            expected
                .iter()
                .map(|p| p.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .collect::<Vec<_>>(),
            "{set}"
        );
        assert!(
            !String::from_utf8_lossy(&body).contains("(secret)"),
            "another's private ink in {set}"
        );
    }
    let plain = download(&app, &c.member, &file).await;
    etags.push(plain.headers()["etag"].to_str().unwrap().to_owned());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), original.as_slice());
    let mut unique = etags.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        etags.len(),
        "one ETag per annotation set: {etags:?}"
    );

    // What the objects say: ink points in user space (A4, y up), the highlight's quads, the note.
    let body = download(&app, &c.member, &format!("{file}?annotations=all-visible"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let pages = annotations_in(&body);
    let (_, ink_dict) = &pages[0][0];
    let list = ink_dict.get(b"InkList").unwrap().as_array().unwrap()[0]
        .as_array()
        .unwrap();
    let xy: Vec<f32> = list.iter().map(|v| v.as_float().unwrap()).collect();
    assert!(
        (xy[0] - 59.5).abs() < 0.01 && (xy[1] - 757.8).abs() < 0.01,
        "{xy:?}"
    );
    assert!(ink_dict.get(b"AP").is_ok(), "ink carries an appearance");
    let quads = pages[1][0]
        .1
        .get(b"QuadPoints")
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(quads.len(), 16, "two rectangles, four corners each");
    let (_, text) = &pages[2][0];
    let contents = text.get(b"Contents").unwrap().as_str().unwrap();
    let utf16: Vec<u16> = contents[2..]
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(String::from_utf16(&utf16).unwrap(), "Góp ý: sửa điều 5");
    assert!(
        pages[2][1].1.get(b"IRT").is_ok(),
        "the reply answers the note"
    );

    // With a watermark: stamped and annotated together.
    expect(
        patch(
            &app,
            &format!("/api/v1/meetings/{}", c.meeting),
            &c.secretary.token,
            &json!({"watermark": "{display_name} · MẬT"}),
        )
        .await,
        200,
    )
    .await;
    let res = download(&app, &c.member, &format!("{file}?annotations=mine")).await;
    let stamped_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(!etags.contains(&stamped_etag));
    let body = res.bytes().await.unwrap().to_vec();
    assert!(body.starts_with(&original));
    for content in pdfs::page_contents(&body) {
        assert!(String::from_utf8_lossy(&content).contains("/ECabinetStamp Do"));
    }
    assert_eq!(subtypes(&annotations_in(&body))[0], vec!["Ink"]);

    // The board book with the caller's own annotations, on the document's pages after the agenda.
    let book = download(
        &app,
        &c.member,
        &format!("/api/v1/meetings/{}/board-book?annotations=mine", c.meeting),
    )
    .await;
    assert_eq!(book.status(), 200);
    let pages = subtypes(&annotations_in(&book.bytes().await.unwrap()));
    let n = pages.len();
    assert_eq!(
        &pages[n - 3..],
        &[vec!["Ink".to_owned()], vec!["Highlight".to_owned()], vec![]]
    );
    assert!(
        pages[..n - 3].iter().all(Vec::is_empty),
        "the agenda pages stay clean"
    );
    let plain_book = download(
        &app,
        &c.member,
        &format!("/api/v1/meetings/{}/board-book", c.meeting),
    )
    .await;
    assert!(
        subtypes(&annotations_in(&plain_book.bytes().await.unwrap()))
            .iter()
            .all(Vec::is_empty)
    );
}

/// Sends a ping and collects everything received before its pong.
async fn drain(client: &mut LiveClient, tag: &str) -> Vec<Value> {
    client.send(json!({"type": "ping", "ref": tag})).await;
    let (_, before) = client
        .until(|v| v["type"] == "pong" && v["ref"] == tag)
        .await;
    before
}

async fn private_changes_reach_only_the_authors_devices(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    let url = live_url(app.port, &c.meeting);
    let mut tablet = LiveClient::join(&url, &c.member.token, 0).await;
    tablet.replay().await;
    let mut phone = LiveClient::join(&url, &c.member.token, 0).await;
    phone.replay().await;
    let mut other = LiveClient::join(&url, &c.member2.token, 0).await;
    other.replay().await;
    let mut secretary = LiveClient::join(&url, &c.secretary.token, 0).await;
    secretary.replay().await;

    create(&app, &c.member, &doc, &note("pv", 1, false, "riêng tư")).await;
    for device in [&mut tablet, &mut phone] {
        let (got, _) = device
            .until(|v| v["type"] == "annotation.private.created")
            .await;
        assert_eq!(got["data"]["id"], "pv");
        assert!(got.get("seq").is_none(), "private changes are ephemeral");
    }
    expect(
        patch(
            &app,
            "/api/v1/annotations/pv",
            &c.member.token,
            &json!({"version": 1, "page": 2}),
        )
        .await,
        200,
    )
    .await;
    expect(
        delete(&app, "/api/v1/annotations/pv", &c.member.token).await,
        204,
    )
    .await;
    for device in [&mut tablet, &mut phone] {
        let (got, _) = device
            .until(|v| v["type"] == "annotation.private.deleted")
            .await;
        assert_eq!(got["data"]["id"], "pv");
    }
    // A shared one reaches everyone as a durable event.
    create(&app, &c.member, &doc, &ink("sh", 1, true)).await;
    let (got, skipped) = other.until(|v| v["type"] == "annotation.created").await;
    assert_eq!(got["data"]["id"], "sh");
    assert!(got["seq"].as_i64().is_some());
    assert!(!Value::Array(skipped).to_string().contains("pv"));
    for client in [&mut other, &mut secretary] {
        let seen = drain(client, "end").await;
        assert!(!Value::Array(seen).to_string().contains("riêng tư"));
    }
}

async fn shared_ink_in_progress_is_relayed_only_where_allowed(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    let url = live_url(app.port, &c.meeting);
    let mut drawer = LiveClient::join(&url, &c.member.token, 0).await;
    drawer.replay().await;
    let mut watcher = LiveClient::join(&url, &c.member2.token, 0).await;
    watcher.replay().await;
    let stroke = |document: &str, page: u32| {
        json!({"type": "annotation.stroke", "ref": "s", "document_id": document,
        "page": page, "stroke_id": "0190b3a2-6f1e-7c3a-9d5e-2b4c6d8e0f11", "points": [[0.1, 0.2], [0.15, 0.25]], "color": "#0000ff", "width": 0.005})
    };
    drawer.send(stroke(&doc, 2)).await;
    assert_eq!(drawer.until(|v| v["ref"] == "s").await.0["type"], "ack");
    let (got, _) = watcher.until(|v| v["type"] == "annotation.stroke").await;
    assert_eq!(got["data"]["user_id"], c.member.id.as_str());
    assert_eq!(got["data"]["points"], json!([[0.1, 0.2], [0.15, 0.25]]));
    // Not onto a page or document that is not there.
    drawer.send(stroke(&doc, 9)).await;
    assert_eq!(
        drawer.until(|v| v["ref"] == "s").await.0["code"],
        "invalid_stroke"
    );
    drawer
        .send(stroke("0190b3a2-6f1e-7c3a-9d5e-000000000000", 1))
        .await;
    assert_eq!(
        drawer.until(|v| v["ref"] == "s").await.0["code"],
        "unknown_document"
    );
    drawer.send(stroke("elsewhere", 1)).await;
    assert_eq!(
        drawer.until(|v| v["ref"] == "s").await.0["code"],
        "unknown_document"
    );
    let seen = drain(&mut watcher, "w").await;
    assert!(
        seen.iter().all(|v| v["type"] != "annotation.stroke"),
        "{seen:?}"
    );
}

/// What the live channel relays to everyone is checked first: a page turn names a page of a
/// live document of this meeting, and ink a UUID stroke id; the rest gets an error frame and
/// reaches nobody.
async fn relayed_pages_and_strokes_are_checked(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    // A document of another meeting.
    let other_meeting = crate::support::create_meeting(&app, &c.admin.token, "Phiên khác").await;
    let foreign = upload(
        &app,
        &c.admin.token,
        &other_meeting,
        pdfs::simple(5, "Khác"),
    )
    .await;
    let url = live_url(app.port, &c.meeting);
    let mut chair = LiveClient::join(&url, &c.chair.token, 0).await;
    chair.replay().await;
    let mut watcher = LiveClient::join(&url, &c.member2.token, 0).await;
    watcher.replay().await;

    let turn = |document: &str, page: u64| json!({"type": "presenter.page", "ref": "p", "document_id": document, "page": page});
    chair.send(turn(&doc, 3)).await;
    assert_eq!(chair.until(|v| v["ref"] == "p").await.0["type"], "ack");
    let (got, _) = watcher.until(|v| v["type"] == "presenter.page").await;
    assert_eq!(
        (
            got["data"]["document_id"].clone(),
            got["data"]["page"].clone()
        ),
        (json!(doc), json!(3))
    );
    for (document, page, code) in [
        (doc.as_str(), 999, "invalid_page"),
        (doc.as_str(), 4, "invalid_page"),
        (doc.as_str(), 0, "invalid_page"),
        (foreign.as_str(), 1, "unknown_document"),
        (
            "0190b3a2-6f1e-7c3a-9d5e-000000000000",
            1,
            "unknown_document",
        ),
        ("<script>alert(1)</script>", 1, "unknown_document"),
    ] {
        chair.send(turn(document, page)).await;
        let answer = chair.until(|v| v["ref"] == "p").await.0;
        assert_eq!(answer["code"], code, "{document} page {page}: {answer}");
    }

    let stroke = |id: &str| {
        json!({"type": "annotation.stroke", "ref": "s", "document_id": doc, "page": 1,
        "stroke_id": id, "points": [[0.1, 0.2]], "color": "#0000ff", "width": 0.005})
    };
    let long = "a".repeat(60_000);
    for id in [
        "<script>alert(1)</script>",
        long.as_str(),
        "",
        "{0190b3a2-6f1e-7c3a-9d5e-2b4c6d8e0f11}",
    ] {
        chair.send(stroke(id)).await;
        let answer = chair.until(|v| v["ref"] == "s").await.0;
        assert_eq!(answer["code"], "invalid_stroke", "{answer}");
    }
    chair
        .send(stroke("0190b3a2-6f1e-7c3a-9d5e-2b4c6d8e0f11"))
        .await;
    assert_eq!(chair.until(|v| v["ref"] == "s").await.0["type"], "ack");
    let (got, skipped) = watcher.until(|v| v["type"] == "annotation.stroke").await;
    assert_eq!(
        got["data"]["stroke_id"],
        "0190b3a2-6f1e-7c3a-9d5e-2b4c6d8e0f11"
    );
    assert!(
        skipped.iter().all(|v| v["type"] != "presenter.page"),
        "a refused page turn was relayed: {skipped:?}"
    );
}

/// Every endpoint and every event, as each other user, after the member worked privately.
async fn nothing_private_leaks_through_any_endpoint_or_event(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    let url = live_url(app.port, &c.meeting);
    let spies = [
        &c.member2,
        &c.chair,
        &c.clerk,
        &c.observer,
        &c.secretary,
        &c.admin,
    ];
    let mut sockets = Vec::new();
    for spy in spies {
        let mut s = LiveClient::join(&url, &spy.token, 0).await;
        s.replay().await;
        sockets.push(s);
    }
    const SECRET: &str = "NỘI-DUNG-RIÊNG";
    let secret_note = note("priv-note", 1, false, SECRET);
    create(&app, &c.member, &doc, &secret_note).await;
    create(&app, &c.member, &doc, &ink("priv-ink", 2, false)).await;
    expect(
        patch(
            &app,
            "/api/v1/annotations/priv-ink",
            &c.member.token,
            &json!({"version": 1, "page": 3}),
        )
        .await,
        200,
    )
    .await;
    // Shared for a moment, then private again: the others are told it is gone.
    let shared_then_private = note("was-shared", 1, true, "tạm chia sẻ");
    create(&app, &c.member, &doc, &shared_then_private).await;
    expect(
        patch(
            &app,
            "/api/v1/annotations/was-shared",
            &c.member.token,
            &json!({"version": 1, "shared": false}),
        )
        .await,
        200,
    )
    .await;
    expect(
        patch(
            &app,
            "/api/v1/annotations/was-shared",
            &c.member.token,
            &json!({"version": 2, "data": {"x": 0.1, "y": 0.1, "text": SECRET}}),
        )
        .await,
        200,
    )
    .await;

    for (spy, socket) in spies.iter().zip(sockets.iter_mut()) {
        // Live: nothing about the private ones beyond the unshare notice.
        let seen = Value::Array(drain(socket, "spy").await).to_string();
        assert!(
            !seen.contains(SECRET) && !seen.contains("priv-"),
            "live leak to {}: {seen}",
            spy.id
        );
        assert!(!seen.contains("annotation.private"), "{seen}");
        // HTTP, every endpoint.
        let listing = list(&app, spy, &doc).await;
        assert!(listing.is_empty(), "{listing:?}");
        for id in ["priv-note", "priv-ink", "was-shared"] {
            let path = format!("/api/v1/annotations/{id}");
            assert_problem(app.get(&path, Some(&spy.token)).await, 404, "not_found").await;
            assert_problem(
                patch(
                    &app,
                    &path,
                    &spy.token,
                    &json!({"version": 1, "shared": true}),
                )
                .await,
                404,
                "not_found",
            )
            .await;
            assert_problem(delete(&app, &path, &spy.token).await, 404, "not_found").await;
            assert_problem(
                app.post(
                    &format!("{path}/replies"),
                    Some(&spy.token),
                    &json!({"text": "x"}),
                )
                .await,
                404,
                "not_found",
            )
            .await;
            assert_problem(
                delete(&app, &format!("{path}/replies/r"), &spy.token).await,
                404,
                "not_found",
            )
            .await;
        }
        // Reusing the id says only that it is taken, nothing of the content.
        let taken = assert_problem(
            post(&app, spy, &doc, &secret_note).await,
            409,
            "annotation_exists",
        )
        .await;
        assert!(!taken.to_string().contains(SECRET));
        for set in ["mine", "shared", "all-visible"] {
            let body = download(
                &app,
                spy,
                &format!("/api/v1/documents/{doc}/file?annotations={set}"),
            )
            .await
            .bytes()
            .await
            .unwrap();
            let text = String::from_utf8_lossy(&body);
            assert!(
                !text.contains("priv-") && !text.contains("was-shared"),
                "export {set} leaks to {}",
                spy.id
            );
            let book = download(
                &app,
                spy,
                &format!(
                    "/api/v1/meetings/{}/board-book?annotations={set}",
                    c.meeting
                ),
            )
            .await
            .bytes()
            .await
            .unwrap();
            assert!(!String::from_utf8_lossy(&book).contains("priv-"));
        }
        let log = events(&app, &spy.token, &c.meeting, 0).await.to_string();
        assert!(
            !log.contains(SECRET) && !log.contains("priv-"),
            "log leak: {log}"
        );
    }
    // The author still has all three, intact.
    let own = list(&app, &c.member, &doc).await;
    assert_eq!(
        listed_ids(&own),
        vec!["priv-ink", "priv-note", "was-shared"]
    );
    // And after a reconnect nothing private is replayed to anyone.
    let mut late = LiveClient::join(&url, &c.member2.token, 0).await;
    let (replayed, _) = late.replay().await;
    assert!(!Value::Array(replayed).to_string().contains(SECRET));
    assert!(matches!(
        late.next(Duration::from_millis(200)).await,
        Next::Json(_) | Next::Timeout
    ));
}

/// A plan stored before annotations existed (no `pages`) is made again by the checking child
/// on the first export, and the export works.
/// A GET of the list with `If-None-Match` of the last answer.
async fn list_if_none_match(
    app: &TestApp,
    who: &Person,
    doc: &str,
    etag: &str,
) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/documents/{doc}/annotations")))
        .bearer_auth(&who.token)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap()
}

fn etag_of(res: &reqwest::Response) -> String {
    res.headers()["etag"].to_str().unwrap().to_owned()
}

async fn lists_are_revalidated_with_etags(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    create(&app, &c.member, &doc, &ink("e-shared", 1, true)).await;
    let first = download(
        &app,
        &c.member,
        &format!("/api/v1/documents/{doc}/annotations"),
    )
    .await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "private, no-cache");
    let etag = etag_of(&first);
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    // Nothing changed: 304 with the same tag and no body.
    let same = list_if_none_match(&app, &c.member, &doc, &etag).await;
    assert_eq!(same.status(), 304);
    assert_eq!(etag_of(&same), etag);
    assert!(same.bytes().await.unwrap().is_empty());

    // Someone else's list is other bytes: another tag, so one user's tag never hides a change.
    create(
        &app,
        &c.member2,
        &doc,
        &note("e-private", 2, false, "Riêng"),
    )
    .await;
    let theirs = list_if_none_match(&app, &c.member2, &doc, &etag).await;
    assert_eq!(theirs.status(), 200);
    assert_ne!(etag_of(&theirs), etag);

    // The member's own view is unchanged by the other's private note...
    assert_eq!(
        list_if_none_match(&app, &c.member, &doc, &etag)
            .await
            .status(),
        304
    );
    // ...and changes with an edit of a shared annotation.
    let res = patch(
        &app,
        "/api/v1/annotations/e-shared",
        &c.member.token,
        &json!({"version": 1, "data": {"strokes": [{"points": [[0.5, 0.5], [0.6, 0.6]], "color": "#000000", "width": 0.004}]}}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let changed = list_if_none_match(&app, &c.member, &doc, &etag).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(etag_of(&changed), etag);
    let body: Value = changed.json().await.unwrap();
    assert_eq!(body["annotations"][0]["version"], 2);

    // A refusal stays a refusal whatever the tag.
    let outsider = list_if_none_match(&app, &c.outsider, &doc, "*").await;
    assert_eq!(outsider.status(), 404);
}

async fn old_plans_are_made_again_for_an_export(backend: Backend) {
    let (env, app) = spawn_app(backend).await;
    let (c, doc) = setup(&app).await;
    create(&app, &c.member, &doc, &ink("i", 2, false)).await;
    let sha = get_json(&app, &format!("/api/v1/documents/{doc}"), &c.member.token).await["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let plan_path = env.blob_dir().join(&sha[..2]).join(format!("{sha}.plan"));
    let mut plan: Value = serde_json::from_slice(&std::fs::read(&plan_path).unwrap()).unwrap();
    assert!(plan["pages"].as_array().is_some_and(|p| p.len() == 3));
    plan.as_object_mut().unwrap().remove("pages");
    std::fs::write(&plan_path, serde_json::to_vec(&plan).unwrap()).unwrap();

    let res = download(
        &app,
        &c.member,
        &format!("/api/v1/documents/{doc}/file?annotations=mine"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let pages = subtypes(&annotations_in(&res.bytes().await.unwrap()));
    assert_eq!(pages, vec![vec![], vec!["Ink".to_owned()], vec![]]);
    let replanned: Value = serde_json::from_slice(&std::fs::read(&plan_path).unwrap()).unwrap();
    assert_eq!(replanned["pages"].as_array().map(Vec::len), Some(3));
}

backend_tests!(
    old_plans_are_made_again_for_an_export,
    lists_are_revalidated_with_etags,
    private_and_shared_annotations_are_seen_by_the_right_people,
    creation_is_idempotent_and_stale_updates_conflict,
    sharing_is_announced_and_private_work_stays_out_of_the_log,
    observers_keep_private_ink_and_closed_meetings_keep_their_record,
    bad_input_is_refused,
    annotations_carry_forward_and_orphans_are_kept,
    exports_write_real_pdf_annotations,
    private_changes_reach_only_the_authors_devices,
    shared_ink_in_progress_is_relayed_only_where_allowed,
    relayed_pages_and_strokes_are_checked,
    nothing_private_leaks_through_any_endpoint_or_event,
);
