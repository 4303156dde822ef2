//! The agenda tree: adding, moving, reordering and deleting items, and who may.

use ecabinet::users::Role;
use ecabinet_tests::{Backend, TestApp, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    add_item, advance_to, cast, create_meeting, delete, expect, id_of, ids, meeting, patch, person,
    put, titles,
};

/// The agenda of a meeting as the admin sees it.
async fn agenda(app: &TestApp, token: &str, m: &str) -> Value {
    meeting(app, token, m).await["agenda"].clone()
}

/// The tree an order request answers: a bare list or `{"agenda": [...]}` (the spec says "the
/// agenda tree").
fn tree_of(v: Value) -> Value {
    match v.get("agenda") {
        Some(tree) => tree.clone(),
        None => v,
    }
}

/// Positions of a list of siblings must follow the list order, without repeats.
fn assert_positions_follow_order(items: &Value) {
    let positions: Vec<i64> = items
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {items}"))
        .iter()
        .map(|i| {
            i["position"]
                .as_i64()
                .unwrap_or_else(|| panic!("no position: {i}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions out of order: {positions:?} in {items}"
    );
    for item in items.as_array().into_iter().flatten() {
        assert_positions_follow_order(&item["children"]);
    }
}

fn find<'a>(items: &'a Value, id: &str) -> Option<&'a Value> {
    items.as_array()?.iter().find_map(|i| {
        if i["id"] == id {
            Some(i)
        } else {
            find(&i["children"], id)
        }
    })
}

async fn agenda_items_form_a_tree(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let tok = &c.admin.token;
    let res = app
        .post(
            &format!("/api/v1/meetings/{m}/agenda"),
            Some(tok),
            &json!({"title": "Khai mạc", "duration_minutes": 15, "presenter_id": c.chair.id,
                "notes": "Chủ tọa phát biểu"}),
        )
        .await;
    let a = expect(res, 201).await;
    assert_eq!(a["title"], "Khai mạc");
    assert_eq!(a["parent_id"], Value::Null);
    assert_eq!(a["duration_minutes"], 15);
    assert_eq!(a["presenter_id"], c.chair.id.as_str());
    assert_eq!(a["notes"], "Chủ tọa phát biểu");
    assert_eq!(a["children"], json!([]));
    assert!(a["position"].is_i64(), "{a}");
    let a = id_of(&a);
    let b = add_item(&app, tok, m, "Báo cáo tài chính", None).await;
    let cc = add_item(&app, tok, m, "Bế mạc", None).await;
    let a1 = add_item(&app, tok, m, "Giới thiệu đại biểu", Some(&a)).await;
    let res = app
        .post(
            &format!("/api/v1/meetings/{m}/agenda"),
            Some(tok),
            &json!({"title": "Thông qua chương trình", "parent_id": a}),
        )
        .await;
    let a2 = expect(res, 201).await;
    assert_eq!(a2["parent_id"], a.as_str());
    let a2 = id_of(&a2);
    let a2x = add_item(&app, tok, m, "Biểu quyết chương trình", Some(&a2)).await;
    // The meeting's secretary (who sees it from scheduled on) and the system secretary edit the
    // agenda too.
    advance_to(&app, tok, m, "scheduled").await;
    let b1 = add_item(&app, &c.clerk.token, m, "Thu", Some(&b)).await;
    let b2 = add_item(&app, &c.secretary.token, m, "Chi", Some(&b)).await;

    let tree = agenda(&app, tok, m).await;
    assert_eq!(titles(&tree), ["Khai mạc", "Báo cáo tài chính", "Bế mạc"]);
    assert_eq!(ids(&tree), [a.clone(), b.clone(), cc.clone()]);
    assert_eq!(ids(&tree[0]["children"]), [a1.clone(), a2.clone()]);
    assert_eq!(ids(&tree[0]["children"][1]["children"]), [a2x.as_str()]);
    assert_eq!(tree[0]["children"][1]["children"][0]["children"], json!([]));
    assert_eq!(ids(&tree[1]["children"]), [b1, b2]);
    assert_eq!(tree[2]["children"], json!([]));
    assert_eq!(tree[0]["children"][0]["parent_id"], a.as_str());
    assert_eq!(
        tree[0]["children"][1]["children"][0]["parent_id"],
        a2.as_str()
    );
    assert_eq!(tree[0]["duration_minutes"], 15);
    assert_positions_follow_order(&tree);
    // Members of the meeting read the same tree.
    assert_eq!(agenda(&app, &c.member.token, m).await, tree);

    // A parent in another meeting, or unknown, is refused.
    let other = create_meeting(&app, tok, "Phiên khác").await;
    let foreign = add_item(&app, tok, &other, "Mục phiên khác", None).await;
    for parent in [foreign, uuid::Uuid::new_v4().to_string()] {
        assert_problem(
            app.post(
                &format!("/api/v1/meetings/{m}/agenda"),
                Some(tok),
                &json!({"title": "Lạc", "parent_id": parent}),
            )
            .await,
            422,
            "invalid_parent",
        )
        .await;
    }
    assert_eq!(agenda(&app, tok, m).await, tree);
}

async fn agenda_editing_is_for_managers(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let a = add_item(&app, &c.admin.token, m, "Mục A", None).await;
    let b = add_item(&app, &c.admin.token, m, "Mục B", None).await;
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    let before = agenda(&app, &c.admin.token, m).await;
    for who in [&c.member, &c.chair, &c.observer] {
        assert_problem(
            app.post(
                &format!("/api/v1/meetings/{m}/agenda"),
                Some(&who.token),
                &json!({"title": "Không được"}),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            patch(
                &app,
                &format!("/api/v1/agenda/{a}"),
                &who.token,
                &json!({"title": "Không được"}),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            put(
                &app,
                &format!("/api/v1/meetings/{m}/agenda/order"),
                &who.token,
                &json!({"item_ids": [b, a]}),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            delete(&app, &format!("/api/v1/agenda/{a}"), &who.token).await,
            403,
            "forbidden",
        )
        .await;
    }
    // Someone outside the meeting learns nothing: 404.
    assert_problem(
        patch(
            &app,
            &format!("/api/v1/agenda/{a}"),
            &c.outsider.token,
            &json!({"title": "Không được"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        delete(&app, &format!("/api/v1/agenda/{a}"), &c.outsider.token).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(agenda(&app, &c.admin.token, m).await, before);

    let item = expect(
        patch(
            &app,
            &format!("/api/v1/agenda/{a}"),
            &c.clerk.token,
            &json!({"title": "Mục A đã sửa", "duration_minutes": 30, "notes": "Ghi chú"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(item["title"], "Mục A đã sửa");
    assert_eq!(item["duration_minutes"], 30);
    assert_eq!(item["notes"], "Ghi chú");
    let item = expect(
        patch(
            &app,
            &format!("/api/v1/agenda/{a}"),
            &c.admin.token,
            &json!({"notes": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(item["notes"], Value::Null);
    assert_eq!(item["title"], "Mục A đã sửa");
    let tree = agenda(&app, &c.member.token, m).await;
    assert_eq!(titles(&tree), ["Mục A đã sửa", "Mục B"]);
}

async fn moving_an_item_takes_its_subtree(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = &admin.token;
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let a = add_item(&app, tok, &m, "A", None).await;
    let b = add_item(&app, tok, &m, "B", None).await;
    let a1 = add_item(&app, tok, &m, "A1", Some(&a)).await;
    let a2 = add_item(&app, tok, &m, "A2", Some(&a)).await;
    let a3 = add_item(&app, tok, &m, "A3", Some(&a)).await;
    let a2x = add_item(&app, tok, &m, "A2x", Some(&a2)).await;
    let b1 = add_item(&app, tok, &m, "B1", Some(&b)).await;

    let moved = expect(
        patch(
            &app,
            &format!("/api/v1/agenda/{a2}"),
            tok,
            &json!({"parent_id": b}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["parent_id"], b.as_str());
    let tree = agenda(&app, tok, &m).await;
    assert_eq!(ids(&tree), [a.clone(), b.clone()]);
    assert_eq!(ids(&tree[0]["children"]), [a1.clone(), a3.clone()]);
    assert_eq!(ids(&tree[1]["children"]), [b1.clone(), a2.clone()]);
    assert_eq!(ids(&tree[1]["children"][1]["children"]), [a2x.as_str()]);
    assert_eq!(tree[1]["children"][1]["parent_id"], b.as_str());
    assert_positions_follow_order(&tree);

    // To the top level: the end of the top-level items.
    expect(
        patch(
            &app,
            &format!("/api/v1/agenda/{a2}"),
            tok,
            &json!({"parent_id": null}),
        )
        .await,
        200,
    )
    .await;
    let tree = agenda(&app, tok, &m).await;
    assert_eq!(ids(&tree), [a.clone(), b.clone(), a2.clone()]);
    assert_eq!(tree[2]["parent_id"], Value::Null);
    assert_eq!(ids(&tree[2]["children"]), [a2x.as_str()]);
    assert_eq!(ids(&tree[1]["children"]), [b1.as_str()]);
    assert_positions_follow_order(&tree);

    // A title-only patch does not move the item.
    expect(
        patch(
            &app,
            &format!("/api/v1/agenda/{a1}"),
            tok,
            &json!({"title": "A1 mới"}),
        )
        .await,
        200,
    )
    .await;
    let tree = agenda(&app, tok, &m).await;
    assert_eq!(ids(&tree[0]["children"]), [a1, a3]);
    assert_eq!(tree[0]["children"][0]["title"], "A1 mới");
}

async fn agenda_cycles_are_refused(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = &admin.token;
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let a = add_item(&app, tok, &m, "A", None).await;
    let a1 = add_item(&app, tok, &m, "A1", Some(&a)).await;
    let a1x = add_item(&app, tok, &m, "A1x", Some(&a1)).await;
    add_item(&app, tok, &m, "B", None).await;
    let before = agenda(&app, tok, &m).await;
    for (item, parent) in [(&a, &a), (&a, &a1), (&a, &a1x), (&a1, &a1x), (&a1x, &a1x)] {
        assert_problem(
            patch(
                &app,
                &format!("/api/v1/agenda/{item}"),
                tok,
                &json!({"parent_id": parent, "title": "Không được đổi"}),
            )
            .await,
            422,
            "agenda_cycle",
        )
        .await;
    }
    let other = create_meeting(&app, tok, "Phiên khác").await;
    let foreign = add_item(&app, tok, &other, "X", None).await;
    assert_problem(
        patch(
            &app,
            &format!("/api/v1/agenda/{a1}"),
            tok,
            &json!({"parent_id": foreign}),
        )
        .await,
        422,
        "invalid_parent",
    )
    .await;
    assert_eq!(agenda(&app, tok, &m).await, before);
    assert_eq!(titles(&agenda(&app, tok, &other).await), ["X"]);
}

async fn reorder_takes_exactly_the_siblings(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = &admin.token;
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let a = add_item(&app, tok, &m, "A", None).await;
    let b = add_item(&app, tok, &m, "B", None).await;
    let c = add_item(&app, tok, &m, "C", None).await;
    let a1 = add_item(&app, tok, &m, "A1", Some(&a)).await;
    let a2 = add_item(&app, tok, &m, "A2", Some(&a)).await;
    let a3 = add_item(&app, tok, &m, "A3", Some(&a)).await;
    let order = format!("/api/v1/meetings/{m}/agenda/order");

    let tree = tree_of(
        expect(
            put(&app, &order, tok, &json!({"item_ids": [c, a, b]})).await,
            200,
        )
        .await,
    );
    assert_eq!(ids(&tree), [c.clone(), a.clone(), b.clone()], "{tree}");
    let tree = tree_of(
        expect(
            put(&app, &order, tok, &json!({"item_ids": [a3, a1, a2]})).await,
            200,
        )
        .await,
    );
    assert_eq!(ids(&tree), [c.clone(), a.clone(), b.clone()]);
    assert_eq!(
        ids(&tree[1]["children"]),
        [a3.clone(), a1.clone(), a2.clone()]
    );
    let before = agenda(&app, tok, &m).await;
    assert_eq!(before, tree);
    assert_positions_follow_order(&before);

    let unknown = uuid::Uuid::new_v4().to_string();
    let other = create_meeting(&app, tok, "Phiên khác").await;
    let foreign = add_item(&app, tok, &other, "X", None).await;
    let bad: [Value; 9] = [
        json!([a, b]),                // missing
        json!([c, a, b, a1]),         // extra, from another parent
        json!([c, a, a, b]),          // duplicate
        json!([c, a, b, b]),          // duplicate, right length + 1
        json!([a1, a2, b]),           // mixed parents
        json!([a3, a1, a2, unknown]), // unknown id
        json!([a3, a1, foreign]),     // another meeting's item
        json!([]),                    // nothing
        json!([a3, a1, a1]),          // duplicate replacing one, right length
    ];
    for ids in bad {
        assert_problem(
            put(&app, &order, tok, &json!({"item_ids": ids})).await,
            422,
            "invalid_order",
        )
        .await;
    }
    assert_eq!(agenda(&app, tok, &m).await, before);

    // A new item goes after its reordered siblings.
    let d = add_item(&app, tok, &m, "D", None).await;
    let a4 = add_item(&app, tok, &m, "A4", Some(&a)).await;
    let tree = agenda(&app, tok, &m).await;
    assert_eq!(ids(&tree), [c.as_str(), a.as_str(), b.as_str(), d.as_str()]);
    assert_eq!(
        ids(&tree[1]["children"]),
        [a3.as_str(), a1.as_str(), a2.as_str(), a4.as_str()]
    );
    assert_positions_follow_order(&tree);
}

async fn deleting_an_item_removes_its_subtree(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = &admin.token;
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let a = add_item(&app, tok, &m, "A", None).await;
    let b = add_item(&app, tok, &m, "B", None).await;
    let c = add_item(&app, tok, &m, "C", None).await;
    let a1 = add_item(&app, tok, &m, "A1", Some(&a)).await;
    let a1x = add_item(&app, tok, &m, "A1x", Some(&a1)).await;
    let res = delete(&app, &format!("/api/v1/agenda/{a}"), tok).await;
    assert_eq!(res.status(), 204);
    let tree = agenda(&app, tok, &m).await;
    assert_eq!(ids(&tree), [b.clone(), c.clone()]);
    // `cascade=true` is accepted when nothing is attached too.
    let b1 = add_item(&app, tok, &m, "B1", Some(&b)).await;
    let res = delete(&app, &format!("/api/v1/agenda/{b1}?cascade=true"), tok).await;
    assert_eq!(res.status(), 204);
    assert_eq!(agenda(&app, tok, &m).await, tree);
    assert_positions_follow_order(&tree);
    for gone in [&a, &a1, &a1x] {
        assert!(find(&tree, gone).is_none());
        assert_problem(
            patch(
                &app,
                &format!("/api/v1/agenda/{gone}"),
                tok,
                &json!({"title": "x"}),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            delete(&app, &format!("/api/v1/agenda/{gone}"), tok).await,
            404,
            "not_found",
        )
        .await;
    }
    // New items still go after the remaining ones.
    let d = add_item(&app, tok, &m, "D", None).await;
    let tree = agenda(&app, tok, &m).await;
    assert_eq!(ids(&tree), [b, c, d]);
    assert_positions_follow_order(&tree);
}

async fn concurrent_reorders_never_mix(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = &admin.token;
    let m = create_meeting(&app, tok, "Phiên họp").await;
    let mut items = Vec::new();
    for i in 0..8 {
        items.push(add_item(&app, tok, &m, &format!("Mục {i}"), None).await);
    }
    let order = format!("/api/v1/meetings/{m}/agenda/order");
    for round in 0..6 {
        let mut first = items.clone();
        first.rotate_left(round + 1);
        let mut second = items.clone();
        second.reverse();
        second.rotate_left(round);
        assert_ne!(first, second);
        let results = futures_util::future::join_all([&first, &second].map(|ids| {
            app.client
                .put(app.url(&order))
                .bearer_auth(tok)
                .json(&json!({"item_ids": ids}))
                .send()
        }))
        .await;
        for res in results {
            let res = res.unwrap_or_else(|e| panic!("PUT order: {e}"));
            expect(res, 200).await;
        }
        let tree = agenda(&app, tok, &m).await;
        let got = ids(&tree);
        assert!(
            got == first || got == second,
            "round {round}: the order {got:?} is neither {first:?} nor {second:?}"
        );
        assert_positions_follow_order(&tree);
    }
}

/// Deleting the meeting's current item, or an item a speaker request names, works (only
/// documents and polls hold an item) and leaves no reference to the deleted item.
async fn deleting_a_referenced_item(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let tok = &c.admin.token;
    let m = &c.meeting;
    let a = add_item(&app, tok, m, "A", None).await;
    let a1 = add_item(&app, tok, m, "A1", Some(&a)).await;
    let b = add_item(&app, tok, m, "B", None).await;
    advance_to(&app, tok, m, "live").await;
    let path = format!("/api/v1/meetings/{m}");
    expect(
        patch(&app, &path, &c.chair.token, &json!({"current_item_id": a1})).await,
        200,
    )
    .await;
    let speaker = expect(
        app.post(
            &format!("{path}/speakers"),
            Some(&c.member.token),
            &json!({"agenda_item_id": a1}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(speaker["agenda_item_id"], a1.as_str());

    let res = delete(&app, &format!("/api/v1/agenda/{a}"), tok).await;
    assert_eq!(
        res.status(),
        204,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let got = meeting(&app, tok, m).await;
    assert_eq!(ids(&got["agenda"]), [b.as_str()]);
    assert_eq!(got["current_item_id"], Value::Null, "{got}");
    let speakers = &got["speakers"];
    assert_eq!(ids(speakers), [id_of(&speaker)], "{got}");
    assert_eq!(speakers[0]["agenda_item_id"], Value::Null, "{speakers}");
    assert_eq!(speakers[0]["state"], "waiting");

    // Items of another meeting are no current item, and no topic to speak on.
    let other = create_meeting(&app, tok, "Phiên khác").await;
    let foreign = add_item(&app, tok, &other, "X", None).await;
    crate::support::expect_problem_status(
        patch(&app, &path, tok, &json!({"current_item_id": foreign})).await,
        422,
    )
    .await;
    crate::support::expect_problem_status(
        app.post(
            &format!("{path}/speakers"),
            Some(&c.member2.token),
            &json!({"agenda_item_id": foreign}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(meeting(&app, tok, m).await["current_item_id"], Value::Null);
}

/// A under B and B under A at the same time: one move wins, the other is a cycle; the tree never
/// loses both items into a loop.
async fn racing_moves_never_make_a_cycle(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", Role::Admin).await;
    let tok = &admin.token;
    let m = create_meeting(&app, tok, "Phiên họp").await;
    for round in 0..5 {
        let a = add_item(&app, tok, &m, &format!("A{round}"), None).await;
        let b = add_item(&app, tok, &m, &format!("B{round}"), None).await;
        let moves = [(&a, &b), (&b, &a)].map(|(item, parent)| {
            app.client
                .patch(app.url(&format!("/api/v1/agenda/{item}")))
                .bearer_auth(tok)
                .json(&json!({"parent_id": parent}))
                .send()
        });
        let mut moved = 0;
        for res in futures_util::future::join_all(moves).await {
            let res = res.unwrap();
            if res.status() == 200 {
                moved += 1;
            } else {
                assert_problem(res, 422, "agenda_cycle").await;
            }
        }
        assert_eq!(moved, 1, "round {round}");
        let tree = agenda(&app, tok, &m).await;
        let top = tree.as_array().unwrap();
        let pair: Vec<&Value> = top
            .iter()
            .filter(|i| i["id"] == a.as_str() || i["id"] == b.as_str())
            .collect();
        assert_eq!(pair.len(), 1, "round {round}: {tree}");
        assert_eq!(
            pair[0]["children"].as_array().map(Vec::len),
            Some(1),
            "{tree}"
        );
        let res = delete(&app, &format!("/api/v1/agenda/{}", id_of(pair[0])), tok).await;
        assert_eq!(res.status(), 204);
        assert_eq!(agenda(&app, tok, &m).await, json!([]));
    }
}

/// An agenda has at most `meetings.max_agenda_depth` levels (5 by default), whether items are
/// added under others or moved there with their sub-items.
async fn agenda_depth_is_bounded(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let (m, tok) = (&c.meeting, c.admin.token.as_str());
    let mut parent: Option<String> = None;
    let mut chain = Vec::new();
    for level in 1..=5 {
        let id = add_item(&app, tok, m, &format!("Mức {level}"), parent.as_deref()).await;
        chain.push(id.clone());
        parent = Some(id);
    }
    let res = app
        .post(
            &format!("/api/v1/meetings/{m}/agenda"),
            Some(tok),
            &json!({"title": "Mức 6", "parent_id": parent}),
        )
        .await;
    assert_problem(res, 422, "agenda_too_deep").await;

    // A two-level subtree fits under level 3, not under level 4.
    let top = add_item(&app, tok, m, "Khác", None).await;
    add_item(&app, tok, m, "Khác con", Some(&top)).await;
    let res = patch(
        &app,
        &format!("/api/v1/agenda/{top}"),
        tok,
        &json!({"parent_id": chain[3]}),
    )
    .await;
    assert_problem(res, 422, "agenda_too_deep").await;
    let moved = expect(
        patch(
            &app,
            &format!("/api/v1/agenda/{top}"),
            tok,
            &json!({"parent_id": chain[2]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["parent_id"], chain[2].as_str());
}

backend_tests!(
    agenda_depth_is_bounded,
    agenda_items_form_a_tree,
    agenda_editing_is_for_managers,
    moving_an_item_takes_its_subtree,
    agenda_cycles_are_refused,
    reorder_takes_exactly_the_siblings,
    deleting_an_item_removes_its_subtree,
    concurrent_reorders_never_mix,
    deleting_a_referenced_item,
    racing_moves_never_make_a_cycle,
);
