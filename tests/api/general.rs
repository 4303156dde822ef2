//! The contract's General section: problem documents, health, readiness, metrics, OpenAPI,
//! and bad input of every kind.

use std::time::Duration;

use ecabinet::users::Role;
use ecabinet_tests::proxy::Proxy;
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests, spawn_app};
use serde_json::{Value, json};

async fn health_and_readiness(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(app.get("/readyz", None).await.status(), 200);
}

const METRICS_TOKEN: &str = "scrape-token-0123456789";

async fn metrics_are_exposed(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.metrics.token = Some(METRICS_TOKEN.into());
    let app = TestApp::start(settings).unwrap();
    app.get("/healthz", None).await;
    let _ = app.login_raw("nobody", "wrong password").await;
    let text = app
        .get("/metrics", Some(METRICS_TOKEN))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(text.contains("ecabinet_http_requests_total{"), "{text}");
    assert!(text.contains("route=\"/healthz\""), "{text}");
    assert!(text.contains("ecabinet_login_failures_total 1"), "{text}");
}

/// `/metrics` is served only to its token: without one, or with an access token, it is
/// refused; without any `[metrics]` setting it is not served at all.
async fn metrics_need_their_token(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.metrics.token = Some(METRICS_TOKEN.into());
    let app = TestApp::start(settings).unwrap();
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    assert_problem(
        app.get("/metrics", None).await,
        401,
        "invalid_metrics_token",
    )
    .await;
    assert_problem(
        app.get("/metrics", Some(&admin)).await,
        401,
        "invalid_metrics_token",
    )
    .await;
    assert_problem(
        app.get("/metrics", Some("scrape-token-012345678")).await,
        401,
        "invalid_metrics_token",
    )
    .await;
    assert_eq!(app.get("/metrics", Some(METRICS_TOKEN)).await.status(), 200);
    drop(app);

    let (_env, open) = spawn_app(backend).await;
    assert_problem(open.get("/metrics", None).await, 404, "not_found").await;
}

/// Made-up methods and paths do not grow the scrape: each collapses into one label value.
async fn metrics_labels_stay_bounded(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.metrics.token = Some(METRICS_TOKEN.into());
    let app = TestApp::start(settings).unwrap();
    let scrape = || async {
        app.get("/metrics", Some(METRICS_TOKEN))
            .await
            .text()
            .await
            .unwrap()
    };
    let send_made_up = |round: usize| {
        let app = &app;
        async move {
            for i in 0..100 {
                let method = reqwest::Method::from_bytes(
                    format!("M{round}X{i}{}", "Y".repeat(i * 10)).as_bytes(),
                )
                .unwrap();
                let _ = app
                    .client
                    .request(method, app.url(&format!("/no/such/path/{round}/{i}")))
                    .send()
                    .await;
                let _ = app.get(&format!("/api/v1/made-up-{round}-{i}"), None).await;
            }
        }
    };
    scrape().await;
    send_made_up(0).await;
    let first = scrape().await;
    send_made_up(1).await;
    let second = scrape().await;
    assert!(!second.contains("M1X"), "a made-up method became a label");
    assert!(
        !second.contains("made-up") && !second.contains("/no/such"),
        "a raw path became a label"
    );
    assert!(second.contains("method=\"other\""), "{second}");
    assert_eq!(
        first.lines().count(),
        second.lines().count(),
        "100 more made-up methods and paths added series"
    );
}

/// With `metrics.bind`, the metrics listener serves `/metrics` and nothing else, and the main
/// address no longer serves it.
async fn metrics_on_their_own_listener(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.metrics.bind = Some("127.0.0.1:0".parse().unwrap());
    let app = TestApp::start(settings).unwrap();
    let port = app.metrics_port.unwrap();
    let at = |path: &str| format!("http://127.0.0.1:{port}{path}");
    app.get("/healthz", None).await;
    let res = app.client.get(at("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("ecabinet_http_requests_total")
    );
    let res = app
        .client
        .get(at("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    assert_problem(app.get("/metrics", None).await, 404, "not_found").await;
}

/// Every route the server answers is in the OpenAPI document, and the other way round.
async fn openapi_covers_every_endpoint(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let doc: Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap_or_default();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    let expected = [
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/meetings", "get"),
        ("/api/v1/meetings", "post"),
        ("/api/v1/meetings/{id}", "get"),
        ("/api/v1/meetings/{id}", "patch"),
        ("/api/v1/meetings/{id}/state", "post"),
        ("/api/v1/meetings/{id}/participants", "post"),
        ("/api/v1/meetings/{id}/participants/{user_id}", "patch"),
        ("/api/v1/meetings/{id}/participants/{user_id}", "delete"),
        ("/api/v1/meetings/{id}/agenda", "post"),
        ("/api/v1/meetings/{id}/agenda/order", "put"),
        ("/api/v1/agenda/{item_id}", "patch"),
        ("/api/v1/agenda/{item_id}", "delete"),
        ("/api/v1/meetings/{id}/check-in", "post"),
        ("/api/v1/meetings/{id}/attendance", "get"),
        ("/api/v1/meetings/{id}/attendance", "post"),
        ("/api/v1/meetings/{id}/speakers", "get"),
        ("/api/v1/meetings/{id}/speakers", "post"),
        ("/api/v1/meetings/{id}/speakers/order", "put"),
        ("/api/v1/speakers/{id}/state", "post"),
        ("/api/v1/meetings/{id}/events", "get"),
        ("/api/v1/meetings/{id}/documents", "post"),
        ("/api/v1/meetings/{id}/board-book", "get"),
        ("/api/v1/documents/{id}", "get"),
        ("/api/v1/documents/{id}", "patch"),
        ("/api/v1/documents/{id}", "delete"),
        ("/api/v1/documents/{id}/content", "put"),
        ("/api/v1/documents/{id}/file", "get"),
        ("/api/v1/documents/{id}/annotations", "get"),
        ("/api/v1/documents/{id}/annotations", "post"),
        ("/api/v1/annotations/{id}", "get"),
        ("/api/v1/annotations/{id}", "patch"),
        ("/api/v1/annotations/{id}", "delete"),
        ("/api/v1/annotations/{id}/replies", "post"),
        ("/api/v1/annotations/{id}/replies/{reply_id}", "delete"),
        ("/api/v1/meetings/{id}/live", "get"),
        ("/api/v1/meetings/{id}/polls", "post"),
        ("/api/v1/polls/{id}", "get"),
        ("/api/v1/polls/{id}", "patch"),
        ("/api/v1/polls/{id}", "delete"),
        ("/api/v1/polls/{id}/open", "post"),
        ("/api/v1/polls/{id}/close", "post"),
        ("/api/v1/polls/{id}/ballots", "post"),
        ("/api/v1/polls/{id}/answers", "get"),
        ("/api/v1/polls/{id}/my-ballot", "get"),
        ("/api/v1/meetings/{id}/audit", "get"),
        ("/api/v1/meetings/{id}", "delete"),
        ("/api/v1/meetings/{id}/calendar.ics", "get"),
        ("/api/v1/organization", "get"),
        ("/api/v1/organization", "patch"),
        ("/api/v1/calendar/{year}", "get"),
        ("/api/v1/calendar/{year}", "put"),
        ("/api/v1/me/notifications", "get"),
        ("/api/v1/me/notifications/{id}/read", "post"),
        ("/api/v1/me/notifications/read-all", "post"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/meetings/{id}/minutes", "get"),
        ("/api/v1/meetings/{id}/minutes", "patch"),
        ("/api/v1/meetings/{id}/minutes/preview.pdf", "get"),
        ("/api/v1/meetings/{id}/minutes/preview.docx", "get"),
        ("/api/v1/meetings/{id}/minutes/finalize", "post"),
        ("/api/v1/auth/mfa", "post"),
        ("/api/v1/me/mfa/totp", "post"),
        ("/api/v1/me/mfa/totp", "delete"),
        ("/api/v1/me/mfa/totp/confirm", "post"),
        ("/api/v1/users/{id}/mfa", "delete"),
        ("/api/v1/me/sessions", "get"),
        ("/api/v1/me/sessions/{id}", "patch"),
        ("/api/v1/me/sessions/{id}", "delete"),
        ("/api/v1/me/password", "post"),
        ("/api/v1/users/{id}/sessions", "delete"),
        ("/api/v1/documents/{id}/signatures", "get"),
        ("/api/v1/documents/{id}/signing", "post"),
        ("/api/v1/signings/{id}/complete", "post"),
        ("/api/v1/documents/{id}/seal", "post"),
        ("/api/v1/documents/{id}/signed", "post"),
        ("/api/v1/me/signature-image", "get"),
        ("/api/v1/me/signature-image", "put"),
        ("/api/v1/me/signature-image", "delete"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
        // And the server really answers it (anything but the unknown-route 404).
        let concrete = path
            .replace("{id}", "x")
            .replace("{user_id}", "x")
            .replace("{item_id}", "x");
        let res = app
            .client
            .request(
                method.to_uppercase().parse().unwrap_or_default(),
                app.url(&concrete),
            )
            .send()
            .await;
        let res = res.unwrap_or_else(|e| panic!("{path}: {e}"));
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_ne!(
            body["detail"], "route not found",
            "{method} {path} is not routed"
        );
    }
    let documented: usize = paths
        .values()
        .map(|p| p.as_object().map_or(0, |o| o.len()))
        .sum();
    assert_eq!(
        documented,
        expected.len(),
        "documented operations: {:?}",
        paths.keys()
    );
}

async fn unknown_route_is_problem_404(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    assert_problem(
        app.get("/api/v1/nothing-here", None).await,
        404,
        "not_found",
    )
    .await;
    // A known path with the wrong method is a problem document too.
    let put = app
        .client
        .put(app.url("/api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_problem(put, 405, "method_not_allowed").await;
}

/// Every response carries the browser's defences, answers and problems alike.
async fn security_headers_on_every_response(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    let responses = [
        app.get("/healthz", None).await,
        app.get("/", None).await,
        app.get("/api/v1/me", Some(&admin)).await,
        app.get("/api/v1/me", None).await,
        app.get("/api/v1/nothing-here", None).await,
        app.client
            .delete(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap(),
        app.login_raw("quantri", "wrong password").await,
    ];
    for res in responses {
        let h = res.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no CSP on {} {}", res.status(), res.url()));
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "worker-src 'self' blob:",
            "object-src 'none'",
        ] {
            assert!(csp.contains(directive), "{directive} missing from {csp}");
        }
        assert!(!csp.contains("'unsafe-eval'"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-frame-options"], "DENY");
    }
}

/// A known path asked with a method it does not answer is 405 with `Allow`, also for paths
/// with a single method (`DELETE /me`, `GET /auth/login` were 404).
async fn wrong_methods_get_405_with_allow(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/api/v1/me", "GET"),
        (reqwest::Method::GET, "/api/v1/auth/login", "POST"),
        (reqwest::Method::PUT, "/api/v1/auth/logout", "POST"),
        (reqwest::Method::POST, "/api/v1/meetings/x/events", "GET"),
        (reqwest::Method::DELETE, "/api/v1/polls/x/open", "POST"),
        (reqwest::Method::POST, "/healthz", "GET"),
    ] {
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        let allowed = res
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_problem(res, 405, "method_not_allowed").await;
        assert_eq!(allowed, allow, "{method} {path}");
    }
    let res = app
        .client
        .put(app.url("/api/v1/users"))
        .send()
        .await
        .unwrap();
    let allowed = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        allowed.contains("GET") && allowed.contains("POST"),
        "{allowed}"
    );
}

async fn bad_bodies_get_their_4xx(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    let url = app.url("/api/v1/users");
    let send = |body: String, ct: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(&admin)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let malformed = send("{\"username\": ".into(), "application/json")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(malformed, 400, "malformed_json").await;
    let wrong_type = send(
        json!({"username": 5, "password": "12345678", "role": "member"}).to_string(),
        "application/json",
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(wrong_type, 422, "invalid_body").await;
    let unknown_field = send(
        json!({"username": "abc", "password": "12345678", "role": "member", "is_root": true})
            .to_string(),
        "application/json",
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(unknown_field, 422, "invalid_body").await;
    let not_json = send("username=abc".into(), "application/x-www-form-urlencoded")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(not_json, 415, "unsupported_media_type").await;
    let huge = format!("{{\"username\": \"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let too_big = send(huge, "application/json")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(too_big, 413, "payload_too_large").await;
    // Nothing was created by any of them.
    let list: Value = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(list["users"].as_array().map(Vec::len), Some(1));
}

backend_tests!(
    health_and_readiness,
    metrics_are_exposed,
    metrics_need_their_token,
    metrics_labels_stay_bounded,
    metrics_on_their_own_listener,
    openapi_covers_every_endpoint,
    unknown_route_is_problem_404,
    wrong_methods_get_405_with_allow,
    security_headers_on_every_response,
    bad_bodies_get_their_4xx,
);

/// PostgreSQL goes away: readiness and requests answer 503; it returns: the server recovers
/// without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_gives_503_then_recovers() {
    let env = TestEnv::new(Backend::Postgres);
    let pg = env.pg.as_ref().unwrap_or_else(|| panic!("no pg"));
    let proxy = Proxy::start(pg.host_port())
        .await
        .unwrap_or_else(|e| panic!("proxy: {e}"));
    let mut settings = env.settings();
    settings.database_url = Some(pg.url_via(&format!("127.0.0.1:{}", proxy.port)));
    settings.database.acquire_timeout_ms = 500;
    let app = TestApp::start(settings).unwrap_or_else(|e| panic!("start: {e:#}"));
    app.user("thanhvien", Role::Member).await;
    assert_eq!(app.get("/readyz", None).await.status(), 200);

    proxy.cut();
    assert_problem(app.get("/readyz", None).await, 503, "service_unavailable").await;
    let res = app.login_raw("thanhvien", ecabinet_tests::PASSWORD).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 503, "service_unavailable").await;

    proxy.restore();
    let mut ready = false;
    for _ in 0..50 {
        if app.get("/readyz", None).await.status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        ready,
        "the server did not recover after the database returned"
    );
    assert_eq!(
        app.login_raw("thanhvien", ecabinet_tests::PASSWORD)
            .await
            .status(),
        200
    );
}

/// The built tablet client is served at `/`, its own routes fall back to `index.html`, and the
/// API keeps its problem 404s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_built_client_with_spa_fallback() {
    let env = TestEnv::new(Backend::Sqlite);
    let web = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>ecabinet-client</title>",
    )
    .unwrap();
    std::fs::write(web.path().join("app.js"), "console.log('ecabinet')").unwrap();
    let mut settings = env.settings();
    settings.web.dir = web.path().to_path_buf();
    let app = TestApp::start(settings).unwrap();

    for path in ["/", "/meetings/some-id/reader"] {
        let res = app.get(path, None).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.text().await.unwrap().contains("ecabinet-client"),
            "{path}"
        );
    }
    let js = app.get("/app.js", None).await;
    assert_eq!(js.status(), 200);
    assert!(js.text().await.unwrap().contains("console.log"));
    assert_problem(
        app.get("/api/v1/nothing-here", None).await,
        404,
        "not_found",
    )
    .await;
}
