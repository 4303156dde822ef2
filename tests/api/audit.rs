//! The audit chain over HTTP: what it records, in order, that every hash recomputes from the
//! entry independently of the server's code, that receipts are listed, and who may read it.

use ecabinet_tests::{Backend, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{advance_to, cast, expect, get_json};

/// Canonical JSON written here from scratch: keys sorted, no whitespace.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(canonical).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn the_chain_records_decisions_and_recomputes(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    advance_to(&app, &c.admin.token, m, "live").await;
    for who in [&c.member, &c.member2] {
        expect(
            app.post(
                &format!("/api/v1/meetings/{m}/check-in"),
                Some(&who.token),
                &json!({}),
            )
            .await,
            200,
        )
        .await;
    }
    let poll = expect(
        app.post(
            &format!("/api/v1/meetings/{m}/polls"),
            Some(&c.chair.token),
            &json!({"title": "Quyết nghị", "majority": "absolute"}),
        )
        .await,
        201,
    )
    .await;
    let p = poll["id"].as_str().unwrap().to_owned();
    expect(
        app.post(
            &format!("/api/v1/polls/{p}/open"),
            Some(&c.chair.token),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let receipt = expect(
        app.post(
            &format!("/api/v1/polls/{p}/ballots"),
            Some(&c.member.token),
            &json!({"choice": "yes"}),
        )
        .await,
        201,
    )
    .await;
    expect(
        app.post(
            &format!("/api/v1/polls/{p}/ballots"),
            Some(&c.member2.token),
            &json!({"choice": "no"}),
        )
        .await,
        201,
    )
    .await;
    expect(
        app.post(
            &format!("/api/v1/polls/{p}/close"),
            Some(&c.chair.token),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    advance_to(&app, &c.admin.token, m, "closed").await;

    let log = get_json(
        &app,
        &format!("/api/v1/meetings/{m}/audit"),
        &c.member.token,
    )
    .await;
    assert_eq!(log["intact"], true);
    let entries = log["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "meeting.state",
            "meeting.state",
            "poll.created",
            "poll.opened",
            "poll.closed",
            "meeting.state"
        ]
    );
    let mut prev = "0".repeat(64);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
        assert_eq!(e["prev_hash"], prev.as_str());
        let body = json!({"meeting_id": m, "seq": e["seq"], "kind": e["kind"], "at": e["at"], "data": e["data"]});
        let hash = sha256_hex(format!("{prev}{}", canonical(&body)).as_bytes());
        assert_eq!(e["hash"], hash.as_str(), "entry {i}");
        prev = hash;
    }
    assert_eq!(log["head"], prev.as_str());
    assert_eq!(
        entries[0]["data"],
        json!({"previous": "draft", "state": "scheduled"})
    );
    assert_eq!(entries[3]["data"]["eligible"], 2);
    let closed = &entries[4]["data"];
    assert_eq!(closed["tally"], json!({"yes": 1, "no": 1, "abstain": 0}));
    assert_eq!(
        (closed["result"].as_str(), closed["voted"].as_u64()),
        (Some("rejected"), Some(2))
    );
    // The voter finds their receipt's hash among the published ones.
    let mine = sha256_hex(receipt["receipt"].as_str().unwrap().as_bytes());
    let listed: Vec<&str> = closed["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&mine.as_str()), "{mine} not in {listed:?}");
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "receipts are sorted, not in voting order");
    assert_eq!(closed["ballots"].as_array().map(Vec::len), Some(2));
}

async fn only_the_meetings_people_read_it(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    let path = format!("/api/v1/meetings/{m}/audit");
    // A draft is invisible to members; staff see it.
    assert_problem(
        app.get(&path, Some(&c.member.token)).await,
        404,
        "not_found",
    )
    .await;
    let log = get_json(&app, &path, &c.secretary.token).await;
    assert_eq!(log["entries"], json!([]));
    assert_eq!(log["head"], "0".repeat(64));
    advance_to(&app, &c.admin.token, m, "scheduled").await;
    for who in [&c.member, &c.observer, &c.chair] {
        let log = get_json(&app, &path, &who.token).await;
        assert_eq!(log["entries"].as_array().map(Vec::len), Some(1));
    }
    assert_problem(
        app.get(&path, Some(&c.outsider.token)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/meetings/nope/audit", Some(&c.admin.token))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.get(&path, None).await, 401, "missing_token").await;
}

backend_tests!(
    the_chain_records_decisions_and_recomputes,
    only_the_meetings_people_read_it,
);
