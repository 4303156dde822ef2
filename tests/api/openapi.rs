//! The API document tells the whole truth: every operation of `/api/v1/openapi.json` is
//! called the ways that produce its error answers (no token, a member's token on someone
//! else's things, ids that do not exist, a malformed body, a body of the wrong media type, a
//! JSON body of the wrong shape), and every answer's status must be declared for that
//! operation with the media type it came with. The checks an outside OpenAPI tester
//! (schemathesis) makes for status codes and content types, made here without one.

use ecabinet::users::Role;
use ecabinet_tests::{Backend, TestApp, spawn_app};
use serde_json::Value;

use crate::support::person;

struct Call {
    token: Option<String>,
    body: Option<(&'static str, &'static [u8])>,
    label: String,
}

fn media_type(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
}

/// Whether `status` with `media` is declared in `op`'s responses.
fn declared(op: &Value, status: u16, media: Option<&str>) -> Result<(), String> {
    let responses = &op["responses"];
    let Some(response) = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
    else {
        return Err(format!("status {status} is not declared"));
    };
    let content = response["content"].as_object();
    match (media, content) {
        (None, _) => Ok(()),
        (Some(m), Some(c)) if c.contains_key(m) => Ok(()),
        (Some(m), Some(c)) if c.is_empty() => {
            Err(format!("{status} declares no body but {m} came"))
        }
        (Some(m), Some(c)) => Err(format!(
            "{status} came as {m}, declared {:?}",
            c.keys().collect::<Vec<_>>()
        )),
        (Some(m), None) => Err(format!("{status} declares no body but {m} came")),
    }
}

async fn send(app: &TestApp, method: &str, path: &str, call: &Call) -> reqwest::Response {
    let mut req = app
        .client
        .request(method.to_uppercase().parse().unwrap(), app.url(path));
    if let Some(t) = &call.token {
        req = req.bearer_auth(t);
    }
    if let Some((media, bytes)) = call.body {
        req = req.header("content-type", media).body(bytes.to_vec());
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

async fn still_signed_in(app: &TestApp, token: &str) -> bool {
    app.get("/api/v1/me", Some(token)).await.status() == 200
}

async fn openapi_declares_every_answer(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let doc: Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let mut admin = person(&app, "quantri", Role::Admin).await.token;
    let mut member = person(&app, "uyvien", Role::Member).await.token;
    let mut failures = Vec::new();
    let mut calls_made = 0;
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if path.ends_with("/live") {
                // The websocket upgrade; its refusals are tested in live.rs.
                continue;
            }
            let concrete = path
                .split('/')
                .map(|seg| {
                    if seg.starts_with('{') {
                        "0190e7a2-0000-7000-8000-000000000000".to_owned()
                    } else {
                        seg.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let has_body = op.get("requestBody").is_some();
            let mut calls = vec![Call {
                token: None,
                body: None,
                label: "no token".to_owned(),
            }];
            // Signed-in calls: a member and an admin, with the bodies that go wrong.
            for (token, who) in [(&member, "member"), (&admin, "admin")] {
                if has_body {
                    calls.push(Call {
                        token: Some(token.clone()),
                        body: Some(("application/json", b"{\"unclosed\": ")),
                        label: format!("{who}, malformed JSON"),
                    });
                    calls.push(Call {
                        token: Some(token.clone()),
                        body: Some(("application/json", b"{\"id\": 5, \"title\": []}")),
                        label: format!("{who}, wrong shape"),
                    });
                    calls.push(Call {
                        token: Some(token.clone()),
                        body: Some(("text/plain", b"hello")),
                        label: format!("{who}, text/plain"),
                    });
                } else {
                    calls.push(Call {
                        token: Some(token.clone()),
                        body: None,
                        label: who.to_owned(),
                    });
                }
            }
            for call in &calls {
                let res = send(&app, method, &concrete, call).await;
                calls_made += 1;
                let status = res.status().as_u16();
                let media = media_type(&res);
                let has_content =
                    !matches!(status, 204 | 304) && res.content_length().is_none_or(|n| n > 0);
                if let Err(why) = declared(op, status, media.as_deref().filter(|_| has_content)) {
                    failures.push(format!(
                        "{} {path} ({}): {why}",
                        method.to_uppercase(),
                        call.label
                    ));
                }
            }
            // A call may have ended the session it used (logout, ending sessions).
            if !still_signed_in(&app, &admin).await {
                admin = app.login("quantri").await["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned();
            }
            if !still_signed_in(&app, &member).await {
                member = app.login("uyvien").await["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned();
            }
        }
    }
    assert!(calls_made > 300, "only {calls_made} calls made");
    assert!(
        failures.is_empty(),
        "{} undeclared answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

ecabinet_tests::backend_tests!(openapi_declares_every_answer);
