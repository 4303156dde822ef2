//! Voting rules of contract v2, as Vietnamese councils vote: the chair is a voting participant
//! unless the meeting says otherwise; "quá nửa tổng số thành viên" (`absolute_all`) counts
//! against every voting participant, the absent too; a secret poll shows no counts until it
//! closes (API and events); and its ballots' idempotency keys never reach the database.

use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use ecabinet::users::Role;
use ecabinet_tests::{Backend, TestApp, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    Cast, Person, add_participant, advance_to, cast, check_in, events, expect, get_json, patch,
    person,
};

async fn new_poll(app: &TestApp, token: &str, meeting: &str, body: Value) -> String {
    let poll = expect(
        app.post(
            &format!("/api/v1/meetings/{meeting}/polls"),
            Some(token),
            &body,
        )
        .await,
        201,
    )
    .await;
    poll["id"].as_str().unwrap().to_owned()
}

async fn act(app: &TestApp, token: &str, poll: &str, what: &str) -> Value {
    expect(
        app.post(
            &format!("/api/v1/polls/{poll}/{what}"),
            Some(token),
            &json!({}),
        )
        .await,
        200,
    )
    .await
}

async fn vote(app: &TestApp, who: &Person, poll: &str, choice: &str, key: Option<&str>) -> u16 {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/polls/{poll}/ballots")))
        .bearer_auth(&who.token)
        .json(&json!({"choice": choice}));
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.unwrap().status().as_u16()
}

/// The cast's meeting live with the chair and both members checked in.
async fn room(app: &TestApp) -> Cast {
    let c = cast(app).await;
    advance_to(app, &c.admin.token, &c.meeting, "live").await;
    for p in [&c.chair, &c.member, &c.member2, &c.observer] {
        check_in(app, p, &c.meeting).await;
    }
    c
}

async fn the_chair_votes_unless_the_meeting_says_otherwise(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = room(&app).await;
    let m = &c.meeting;
    let meeting = get_json(&app, &format!("/api/v1/meetings/{m}"), &c.admin.token).await;
    assert_eq!(meeting["chair_votes"], true, "{meeting}");
    let attendance = get_json(
        &app,
        &format!("/api/v1/meetings/{m}/attendance"),
        &c.admin.token,
    )
    .await;
    // Chair and two members vote; the secretary and the observer do not.
    assert_eq!(attendance["counts"]["voting_total"], 3, "{attendance}");
    assert_eq!(attendance["counts"]["voting_present"], 3, "{attendance}");

    let p = new_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Thông qua chương trình", "majority": "simple"}),
    )
    .await;
    let opened = act(&app, &c.chair.token, &p, "open").await;
    assert_eq!(opened["eligible"], 3, "the chair is counted: {opened}");
    assert_eq!(opened["members"], 3, "{opened}");
    assert_eq!(vote(&app, &c.chair, &p, "yes", None).await, 201);
    assert_eq!(vote(&app, &c.member, &p, "no", None).await, 201);
    assert_eq!(vote(&app, &c.clerk, &p, "yes", None).await, 403);
    assert_eq!(vote(&app, &c.observer, &p, "yes", None).await, 403);
    let closed = act(&app, &c.chair.token, &p, "close").await;
    assert_eq!(closed["tally"], json!({"yes": 1, "no": 1, "abstain": 0}));
    assert_eq!(closed["voted"], 2);
    let named = closed["ballots"].as_array().unwrap();
    assert!(
        named
            .iter()
            .any(|b| b["user_id"] == c.chair.id.as_str() && b["choice"] == "yes"),
        "{closed}"
    );

    // Only the meeting's managers turn it off; it applies to polls opened from then on.
    assert_problem(
        patch(
            &app,
            &format!("/api/v1/meetings/{m}"),
            &c.chair.token,
            &json!({"chair_votes": false}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let meeting = expect(
        patch(
            &app,
            &format!("/api/v1/meetings/{m}"),
            &c.admin.token,
            &json!({"chair_votes": false}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(meeting["chair_votes"], false);
    let attendance = get_json(
        &app,
        &format!("/api/v1/meetings/{m}/attendance"),
        &c.admin.token,
    )
    .await;
    assert_eq!(attendance["counts"]["voting_total"], 2, "{attendance}");
    let p2 = new_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Biểu quyết thứ hai", "majority": "simple"}),
    )
    .await;
    let opened = act(&app, &c.chair.token, &p2, "open").await;
    assert_eq!(opened["eligible"], 2, "{opened}");
    assert_eq!(opened["members"], 2, "{opened}");
    assert_eq!(vote(&app, &c.chair, &p2, "yes", None).await, 403);
    assert_eq!(vote(&app, &c.member, &p2, "yes", None).await, 201);
}

async fn a_majority_of_all_members_counts_the_absent(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let m = &c.meeting;
    // Seven voting participants: the chair, the two members and four more, three of whom stay
    // away. Four are present.
    let mut extra = Vec::new();
    for i in 0..4 {
        let p = person(&app, &format!("thanhvien{i}"), Role::Member).await;
        add_participant(&app, &c.admin.token, m, &p.id, "member").await;
        extra.push(p);
    }
    advance_to(&app, &c.admin.token, m, "live").await;
    for p in [&c.chair, &c.member, &c.member2, &extra[0]] {
        check_in(&app, p, m).await;
    }

    // Without a majority named, a poll takes the organisation's: absolute_all by default.
    let p = new_poll(&app, &c.chair.token, m, json!({"title": "Quyết định A"})).await;
    let opened = act(&app, &c.chair.token, &p, "open").await;
    assert_eq!(opened["majority"], "absolute_all");
    assert_eq!(
        (opened["eligible"].as_u64(), opened["members"].as_u64()),
        (Some(4), Some(7))
    );
    // Three of four present for: over half of those present, not over half of all seven.
    for who in [&c.chair, &c.member, &c.member2] {
        assert_eq!(vote(&app, who, &p, "yes", None).await, 201);
    }
    let closed = act(&app, &c.chair.token, &p, "close").await;
    assert_eq!(closed["result"], "rejected", "{closed}");
    assert_eq!(closed["members"], 7);

    // The same ballots under "quá nửa số thành viên có mặt" pass.
    let p = new_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Quyết định B", "majority": "absolute"}),
    )
    .await;
    act(&app, &c.chair.token, &p, "open").await;
    for who in [&c.chair, &c.member, &c.member2] {
        assert_eq!(vote(&app, who, &p, "yes", None).await, 201);
    }
    assert_eq!(
        act(&app, &c.chair.token, &p, "close").await["result"],
        "adopted"
    );

    // Four of seven for is over half of all members.
    let p = new_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Quyết định C", "majority": "absolute_all"}),
    )
    .await;
    act(&app, &c.chair.token, &p, "open").await;
    for who in [&c.chair, &c.member, &c.member2, &extra[0]] {
        assert_eq!(vote(&app, who, &p, "yes", None).await, 201);
    }
    let closed = act(&app, &c.chair.token, &p, "close").await;
    assert_eq!(closed["result"], "adopted", "{closed}");
    // The audit chain records what the rule was decided against.
    let audit = get_json(&app, &format!("/api/v1/meetings/{m}/audit"), &c.admin.token).await;
    let text = audit.to_string();
    assert!(text.contains("\"members\":7"), "{text}");
    // An unknown majority is refused.
    assert_eq!(
        app.post(
            &format!("/api/v1/meetings/{m}/polls"),
            Some(&c.chair.token),
            &json!({"title": "X", "majority": "most"}),
        )
        .await
        .status()
        .as_u16(),
        422
    );
}

async fn secret_tallies_stay_hidden_until_close(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = room(&app).await;
    let m = &c.meeting;
    let p = new_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Bỏ phiếu kín nhân sự", "secret": true, "majority": "simple"}),
    )
    .await;
    let opened = act(&app, &c.chair.token, &p, "open").await;
    assert!(opened["tally"].is_null(), "{opened}");
    assert_eq!(vote(&app, &c.member, &p, "no", None).await, 201);
    assert_eq!(vote(&app, &c.chair, &p, "yes", None).await, 201);
    // Nobody sees counts while it is open: not the chair, not a member.
    for who in [&c.chair, &c.member, &c.admin] {
        let poll = get_json(&app, &format!("/api/v1/polls/{p}"), &who.token).await;
        assert!(poll["tally"].is_null(), "{poll}");
        assert_eq!(poll["voted"], 2, "{poll}");
        assert_eq!(poll["eligible"], 3, "{poll}");
    }
    // Wait for the coalesced tally event, then read the log: voted, but no counts.
    let mut tallies = Vec::new();
    for _ in 0..100 {
        let log = events(&app, &c.admin.token, m, 0).await;
        tallies = log["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "poll.tally")
            .cloned()
            .collect();
        if tallies.iter().any(|e| e["data"]["voted"] == 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        tallies.iter().any(|e| e["data"]["voted"] == 2),
        "no tally event: {tallies:?}"
    );
    let log = events(&app, &c.admin.token, m, 0).await;
    for e in log["events"].as_array().unwrap() {
        if e["type"].as_str().is_some_and(|t| t.starts_with("poll.")) {
            let data = &e["data"];
            assert!(
                data.get("tally").is_none_or(Value::is_null),
                "an open secret poll's event shows counts: {e}"
            );
        }
    }
    let before_close = crate::support::last_seq(&log);

    // Closed: the counts are there, in the API and in the final tally event.
    let closed = act(&app, &c.chair.token, &p, "close").await;
    assert_eq!(closed["tally"], json!({"yes": 1, "no": 1, "abstain": 0}));
    let got = get_json(&app, &format!("/api/v1/polls/{p}"), &c.member.token).await;
    assert_eq!(got["tally"], closed["tally"]);
    let after = events(&app, &c.admin.token, m, before_close).await;
    let last_tally = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "poll.tally")
        .cloned()
        .unwrap();
    assert_eq!(last_tally["data"]["tally"], closed["tally"], "{last_tally}");

    // A named poll's tally stays live, as before.
    let named = new_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Biểu quyết công khai", "majority": "simple"}),
    )
    .await;
    act(&app, &c.chair.token, &named, "open").await;
    assert_eq!(vote(&app, &c.member, &named, "yes", None).await, 201);
    let poll = get_json(&app, &format!("/api/v1/polls/{named}"), &c.member.token).await;
    assert_eq!(poll["tally"]["yes"], 1, "{poll}");
}

#[derive(QueryableByName)]
struct Text1 {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

/// Every value of every row of every table, as text.
fn whole_database(backend: Backend, env: &ecabinet_tests::TestEnv) -> String {
    match backend {
        Backend::Sqlite => {
            // The files themselves: free pages and the write-ahead log included.
            let mut all = Vec::new();
            for entry in std::fs::read_dir(env.data.path()).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with("ecabinet.db") {
                    all.extend(std::fs::read(&path).unwrap());
                }
            }
            String::from_utf8_lossy(&all).into_owned()
        }
        Backend::Postgres => {
            let mut conn = PgConnection::establish(&env.pg.as_ref().unwrap().url).unwrap();
            let tables: Vec<Text1> = diesel::sql_query(
                "SELECT table_name::text AS v FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .load(&mut conn)
            .unwrap();
            let mut all = String::new();
            for t in tables {
                let rows: Vec<Text1> =
                    diesel::sql_query(format!("SELECT t::text AS v FROM \"{}\" t", t.v))
                        .load(&mut conn)
                        .unwrap();
                for r in rows {
                    all.push_str(&r.v);
                    all.push('\n');
                }
            }
            all
        }
    }
}

async fn secret_ballot_keys_never_reach_the_database(backend: Backend) {
    let (env, app) = spawn_app(backend).await;
    let c = room(&app).await;
    let m = &c.meeting;
    let p = new_poll(
        &app,
        &c.chair.token,
        m,
        json!({"title": "Bầu chức danh", "secret": true, "majority": "simple"}),
    )
    .await;
    act(&app, &c.chair.token, &p, "open").await;
    // Keys shaped as a clock-based client made them: they would date each ballot.
    let keys = ["b-mf3k2x9q-a1", "b-mf3k2xa2-b2", "b-mf3k2xb7-c3"];
    for (who, key) in [&c.chair, &c.member, &c.member2].into_iter().zip(keys) {
        assert_eq!(vote(&app, who, &p, "yes", Some(key)).await, 201);
    }
    // A retry with the same key still finds its ballot (the stored hash answers it).
    assert_eq!(vote(&app, &c.member, &p, "yes", Some(keys[1])).await, 201);
    let open_db = whole_database(backend, &env);
    for key in keys {
        assert!(!open_db.contains(key), "the key {key} is stored as sent");
    }
    act(&app, &c.chair.token, &p, "close").await;
    let closed_db = whole_database(backend, &env);
    for key in keys {
        assert!(!closed_db.contains(key), "the key {key} is stored as sent");
    }
    // Once closed, not even the hashes are kept.
    if backend == Backend::Postgres {
        let mut conn = PgConnection::establish(&env.pg.as_ref().unwrap().url).unwrap();
        let left: Vec<Text1> = diesel::sql_query(format!(
            "SELECT count(*)::text AS v FROM poll_voters WHERE poll_id = '{p}' AND idempotency_key IS NOT NULL"
        ))
        .load(&mut conn)
        .unwrap();
        assert_eq!(left[0].v, "0");
    } else {
        let mut conn = diesel::SqliteConnection::establish(
            env.data.path().join("ecabinet.db").to_str().unwrap(),
        )
        .unwrap();
        let left: Vec<Text1> = diesel::sql_query(format!(
            "SELECT CAST(count(*) AS TEXT) AS v FROM poll_voters WHERE poll_id = '{p}' AND idempotency_key IS NOT NULL"
        ))
        .load(&mut conn)
        .unwrap();
        assert_eq!(left[0].v, "0");
    }
}

backend_tests!(
    the_chair_votes_unless_the_meeting_says_otherwise,
    a_majority_of_all_members_counts_the_absent,
    secret_tallies_stay_hidden_until_close,
    secret_ballot_keys_never_reach_the_database,
);
