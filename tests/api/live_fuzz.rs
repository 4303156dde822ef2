//! The live channel fed random and mutated frames (seeded, so a failure replays): requests of
//! every type with fields of the wrong types, unknown types, text that is not JSON, deep JSON,
//! oversized frames, binary frames and floods. Every frame is answered by an `error` whose code
//! docs/live.md or docs/polls.md documents, or by the close codes docs/live.md lists; nothing
//! else, no panic, and the server keeps serving (a fresh tablet joins and is welcomed, and
//! `/healthz` answers) however the sessions ended.

use std::collections::HashSet;
use std::time::Duration;

use ecabinet_tests::live::{LiveClient, Next, live_url};
use ecabinet_tests::{Backend, TestEnv, backend_tests};
use futures_util::SinkExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// Every backticked snake_case word of the two documents: what a code must be found among.
fn documented_words() -> HashSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut words = HashSet::new();
    for doc in ["docs/live.md", "docs/polls.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for (i, part) in text.split('`').enumerate() {
            if i % 2 == 1 {
                words.insert(part.to_owned());
            }
        }
    }
    words
}

const CLOSE_CODES: [u16; 7] = [4401, 4403, 4408, 4429, 1009, 1012, 1001];

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..8) {
        0 => Value::Null,
        1 => json!(rng.random::<bool>()),
        2 => json!(rng.random::<i64>()),
        3 => json!(rng.random::<f64>() * 1e12),
        4 => json!("x".repeat(rng.random_range(0..300))),
        5 => json!("Tán thành 🗳 \u{202e}\u{0000}"),
        6 if depth < 4 => Value::Array(
            (0..rng.random_range(0..5))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ if depth < 4 => {
            let mut m = serde_json::Map::new();
            for k in [
                "document_id",
                "page",
                "stroke_id",
                "points",
                "poll_id",
                "choice",
                "token",
            ] {
                if rng.random::<bool>() {
                    m.insert(k.into(), random_value(rng, depth + 1));
                }
            }
            Value::Object(m)
        }
        _ => json!(42),
    }
}

/// One hostile frame, as text.
fn hostile(rng: &mut StdRng, big: usize) -> String {
    const TYPES: [&str; 9] = [
        "ping",
        "auth",
        "presenter.page",
        "annotation.stroke",
        "ballot",
        "hello",
        "",
        "PING",
        "annotation.stroke\u{0000}",
    ];
    match rng.random_range(0..9) {
        // A known type with fields of any type.
        0..=3 => {
            let mut v = match random_value(rng, 1) {
                Value::Object(m) => Value::Object(m),
                other => json!({"data": other}),
            };
            v["type"] = json!(TYPES[rng.random_range(0..TYPES.len())]);
            if rng.random::<bool>() {
                v["ref"] = random_value(rng, 2);
            }
            v.to_string()
        }
        // The type itself of the wrong type.
        4 => json!({"type": random_value(rng, 2), "ref": 1}).to_string(),
        // Not JSON, or not an object.
        5 => {
            let bytes: Vec<u8> = (0..rng.random_range(1..200))
                .map(|_| rng.random())
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        6 => [
            "1",
            "[]",
            "null",
            "\"ping\"",
            "{",
            "{\"type\":",
            "[{\"type\":\"ping\"}]",
        ][rng.random_range(0..7)]
        .to_owned(),
        // Deep JSON: arrays or objects nested thousands deep.
        7 => {
            let depth = rng.random_range(100..5_000);
            if rng.random::<bool>() {
                format!("{}{}", "[".repeat(depth), "]".repeat(depth))
            } else {
                format!(
                    "{{\"type\":\"ping\",\"ref\":{}1{}}}",
                    "{\"a\":".repeat(depth),
                    "}".repeat(depth)
                )
            }
        }
        // Over the message limit.
        _ => json!({"type": "ping", "ref": "x".repeat(big + 10)}).to_string(),
    }
}

async fn the_live_channel_survives_hostile_frames(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.live.max_message_bytes = 16 * 1024;
    let big = settings.live.max_message_bytes;
    let app = ecabinet_tests::TestApp::start(settings).unwrap();
    let (_, secretary) = app
        .signed_in("thuky", ecabinet::users::Role::Secretary)
        .await;
    let (member_u, member) = app.signed_in("uyvien", ecabinet::users::Role::Member).await;
    let m = app
        .post(
            "/api/v1/meetings",
            Some(&secretary),
            &json!({"title": "Phiên họp", "starts_at": "2026-12-01T01:00:00Z"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/meetings/{m}/participants"),
        Some(&secretary),
        &json!({"user_id": member_u["id"], "role": "member"}),
    )
    .await;
    for state in ["scheduled", "live"] {
        app.post(
            &format!("/api/v1/meetings/{m}/state"),
            Some(&secretary),
            &json!({"state": state}),
        )
        .await;
    }
    let url = live_url(app.port, &m);
    let documented = documented_words();
    let mut rng = StdRng::seed_from_u64(0x0ECA_B1E7);
    let mut codes_seen: HashSet<String> = HashSet::new();
    let mut closes = Vec::new();
    let mut tablet = LiveClient::join(&url, &member, 0).await;
    tablet.replay().await;
    let mut sent = 0;
    while sent < 300 {
        sent += 1;
        let frame = hostile(&mut rng, big);
        let shown: String = frame.chars().take(120).collect();
        let shown = format!("{} bytes: {shown}", frame.len());
        let delivered = if rng.random_range(0..20) == 0 {
            tablet
                .ws
                .send(tokio_tungstenite::tungstenite::Message::binary(
                    frame.into_bytes(),
                ))
                .await
                .is_ok()
        } else {
            tablet.send_raw(frame).await
        };
        // A probe after every frame: the answers in between must be documented errors.
        let probe = format!("probe-{sent}");
        let mut ended = None;
        if delivered
            && tablet
                .send_raw(json!({"type": "ping", "ref": probe}).to_string())
                .await
        {
            loop {
                match tablet.next(Duration::from_secs(10)).await {
                    Next::Json(v) if v["type"] == "pong" && v["ref"] == probe.as_str() => break,
                    Next::Json(v) if v["type"] == "error" => {
                        let code = v["code"].as_str().unwrap_or_default().to_owned();
                        assert!(
                            documented.contains(&code),
                            "undocumented error code {code:?}: {v}"
                        );
                        if code == "rate_limited" {
                            // The probe itself may have been the message refused: after a
                            // pause, ask again (bounded by the rate limit's own close).
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            if !tablet
                                .send_raw(json!({"type": "ping", "ref": probe}).to_string())
                                .await
                            {
                                ended = Some(tablet.closed(Duration::from_secs(5)).await);
                                break;
                            }
                        }
                        codes_seen.insert(code);
                    }
                    Next::Json(v) => assert!(
                        ["pong", "ack", "presence", "welcome"]
                            .contains(&v["type"].as_str().unwrap_or(""))
                            || v.get("seq").is_some(),
                        "unexpected answer to a hostile frame: {v}"
                    ),
                    Next::Closed(code) => {
                        ended = Some(code);
                        break;
                    }
                    Next::Timeout => panic!("no answer within 10 s to frame {sent} ({shown})"),
                }
            }
        } else {
            ended = Some(tablet.closed(Duration::from_secs(5)).await);
        }
        if let Some(code) = ended {
            let code = code.unwrap_or(0);
            assert!(
                CLOSE_CODES.contains(&code),
                "closed with {code}, which docs/live.md does not list (frame {sent})"
            );
            closes.push(code);
            tablet = LiveClient::join(&url, &member, 0).await;
            tablet.replay().await;
        }
    }
    // A flood without reading: the server answers or cuts it off, and stays up.
    for i in 0..3_000 {
        if !tablet
            .send_raw(json!({"type": "ping", "ref": i}).to_string())
            .await
        {
            break;
        }
    }
    let mut flood_end = None;
    for _ in 0..4_000 {
        match tablet.next(Duration::from_secs(10)).await {
            Next::Json(v) if v["type"] == "error" => {
                let code = v["code"].as_str().unwrap_or_default().to_owned();
                assert!(
                    documented.contains(&code),
                    "undocumented error code {code:?}"
                );
            }
            Next::Json(v) if v["type"] == "pong" && v["ref"] == 2_999 => break,
            Next::Json(_) => {}
            Next::Closed(code) => {
                flood_end = code;
                break;
            }
            Next::Timeout => break,
        }
    }
    if let Some(code) = flood_end {
        assert!(CLOSE_CODES.contains(&code), "flood closed with {code}");
    }
    // Unknown types, non-JSON and the message limit were all met along the way.
    assert!(codes_seen.contains("unknown_type"), "{codes_seen:?}");
    assert!(codes_seen.contains("malformed"), "{codes_seen:?}");
    assert!(
        closes.contains(&1009),
        "no oversized frame was cut: {closes:?}"
    );
    // Still serving: a fresh tablet is welcomed, and health answers.
    let mut fresh = LiveClient::join(&url, &member, 0).await;
    let (_, seq) = fresh.replay().await;
    assert!(seq >= 0);
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

backend_tests!(the_live_channel_survives_hostile_frames);
