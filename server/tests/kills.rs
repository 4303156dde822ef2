//! SIGKILL in the middle of finalising a record (issue 21), on both databases: the server is
//! killed at moments spread over the finalisation (before it reads, while it renders and
//! stores the PDFs, around its transaction), started again, and the record is then either
//! final whole (its number, both documents served, `minutes.finalized` in an intact audit
//! chain) or still a draft that finalises with the very number it would have taken: the
//! register neither loses nor doubles a number.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

mod common;

use std::process::Child;
use std::time::Duration;

use common::Store;
use serde_json::{Value, json};

/// Finalisations interrupted per database.
const ROUNDS: usize = 8;

fn serve(store: &Store) -> (Child, String) {
    let log = std::fs::File::create(store.log()).unwrap();
    common::spawn_serving_to(
        store.command().args(["serve", "--bind", "127.0.0.1:0"]),
        log.into(),
    )
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Value,
) -> (u16, Value) {
    let res = http
        .request(method, url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A closed meeting whose chair is `chair`: its id.
async fn closed_meeting(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    chair: &str,
    round: usize,
) -> String {
    let (status, m) = call(
        http,
        reqwest::Method::POST,
        format!("{base}/api/v1/meetings"),
        admin,
        json!({"title": format!("Phiên họp {round}"), "starts_at": "2026-12-01T01:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201, "{m}");
    let id = m["id"].as_str().unwrap().to_owned();
    let (status, body) = call(
        http,
        reqwest::Method::POST,
        format!("{base}/api/v1/meetings/{id}/participants"),
        admin,
        json!({"user_id": chair, "role": "chair"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    for state in ["scheduled", "live", "closed"] {
        let (status, body) = call(
            http,
            reqwest::Method::POST,
            format!("{base}/api/v1/meetings/{id}/state"),
            admin,
            json!({ "state": state }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    id
}

fn killed_during_finalisation(store: &Store) {
    // A first start creates the schema the users are written into.
    let (child, _) = serve(store);
    common::stop(child);
    let mut people = store.people(1);
    let (chair_id, chair) = people.pop().unwrap();
    let (_, admin) = people.pop().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut meetings = Vec::new();
    let mut killed_after_commit = 0;
    for round in 0..ROUNDS {
        let (mut child, base) = serve(store);
        let id = rt.block_on(closed_meeting(&http, &base, &admin, &chair_id, round));
        meetings.push(id.clone());
        // The kill lands somewhere between before the request is read and after it answered;
        // the last round waits for the answer.
        let delay = if round + 1 == ROUNDS {
            Duration::from_secs(30)
        } else {
            Duration::from_millis(60 * round as u64)
        };
        let answered = rt.block_on(async {
            let request = call(
                &http,
                reqwest::Method::POST,
                format!("{base}/api/v1/meetings/{id}/minutes/finalize"),
                &chair,
                json!({}),
            );
            tokio::select! {
                (status, body) = request => Some((status, body)),
                () = tokio::time::sleep(delay) => None,
            }
        });
        child.kill().unwrap();
        child.wait().unwrap();
        if let Some((status, body)) = &answered {
            assert_eq!(*status, 201, "round {round}: {body}");
        }

        let (child, base) = serve(store);
        let expected = format!("{:02}/BB-UBND", round + 1);
        let minutes = || {
            call(
                &http,
                reqwest::Method::GET,
                format!("{base}/api/v1/meetings/{id}/minutes"),
                &chair,
                Value::Null,
            )
        };
        let record = rt.block_on(async {
            let (status, minutes_now) = minutes().await;
            assert_eq!(status, 200, "{minutes_now}");
            if minutes_now["state"] == "final" {
                killed_after_commit += 1;
                minutes_now
            } else {
                // Not done at all: the number it would have taken is still the next one.
                assert!(
                    answered.is_none(),
                    "round {round}: answered 201, yet a draft"
                );
                assert_eq!(
                    minutes_now["next_number"],
                    expected.as_str(),
                    "{minutes_now}"
                );
                let (status, done) = call(
                    &http,
                    reqwest::Method::POST,
                    format!("{base}/api/v1/meetings/{id}/minutes/finalize"),
                    &chair,
                    json!({}),
                )
                .await;
                assert_eq!(status, 201, "round {round}: {done}");
                minutes().await.1
            }
        });
        assert_eq!(
            record["number"],
            expected.as_str(),
            "round {round}: {record}"
        );
        rt.block_on(async {
            for doc in ["minutes_document_id", "conclusions_document_id"] {
                let doc = record[doc].as_str().unwrap();
                let res = http
                    .get(format!("{base}/api/v1/documents/{doc}/file"))
                    .bearer_auth(&chair)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200, "round {round}: {doc}");
                assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
            }
            let (_, audit) = call(
                &http,
                reqwest::Method::GET,
                format!("{base}/api/v1/meetings/{id}/audit"),
                &chair,
                Value::Null,
            )
            .await;
            assert_eq!(audit["intact"], true, "round {round}: {audit}");
            let finalized = audit["entries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "minutes.finalized")
                .count();
            assert_eq!(finalized, 1, "round {round}: {audit}");
        });
        common::stop(child);
    }
    eprintln!("{killed_after_commit} of {ROUNDS} records were final when the server came back");
    // The first kill comes before anything was done, the last after the answer: both sides.
    assert!(killed_after_commit >= 1, "{killed_after_commit}");
    assert!(killed_after_commit < ROUNDS, "{killed_after_commit}");
}

#[test]
fn a_record_killed_while_finalising_is_whole_or_not_at_all_on_sqlite() {
    killed_during_finalisation(&Store::sqlite());
}

#[test]
fn a_record_killed_while_finalising_is_whole_or_not_at_all_on_postgres() {
    killed_during_finalisation(&Store::postgres());
}
