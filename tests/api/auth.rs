//! The contract's Auth section: login, refresh rotation and reuse, logout, `me`, and every
//! kind of bad token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ecabinet::users::Role;
use ecabinet_tests::{
    Backend, PASSWORD, TEST_JWT_SECRET, TestApp, TestEnv, assert_problem, backend_tests, spawn_app,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

async fn login_returns_the_contract_shape(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let user = app.user("nguyenvanan", Role::Secretary).await;
    let body = app.login("NguyenVanAn").await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(
        body["access_token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 32)
    );
    assert_eq!(body["user"]["id"], user["id"]);
    assert_eq!(body["user"]["username"], "nguyenvanan");
    assert_eq!(body["user"]["display_name"], "Người dùng nguyenvanan");
    assert_eq!(body["user"]["role"], "secretary");
    let token = body["access_token"].as_str().unwrap_or_default();
    let me: Value = app
        .get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["role"], "secretary");
}

async fn unknown_user_and_wrong_password_look_the_same(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    app.user("tranthibinh", Role::Member).await;
    let wrong = assert_problem(
        app.login_raw("tranthibinh", "not the password").await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown = assert_problem(
        app.login_raw("khongtontai", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong, unknown);
}

async fn repeated_failures_are_rate_limited(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.auth.login_burst_per_username = 3;
    settings.auth.login_refill_secs_per_username = 60;
    settings.auth.login_burst_per_address = 6;
    settings.auth.login_refill_secs_per_address = 60;
    let app = TestApp::start(settings).unwrap_or_else(|e| panic!("{e}"));
    app.user("lethicuc", Role::Member).await;
    for _ in 0..3 {
        assert_eq!(
            app.login_raw("lethicuc", "wrong password").await.status(),
            401
        );
    }
    let res = app.login_raw("lethicuc", PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_problem(res, 429, "rate_limited").await;
    // Other usernames from the same address still work until the address budget is spent.
    for i in 0..2 {
        assert_eq!(
            app.login_raw(&format!("someone{i}"), "x").await.status(),
            401
        );
    }
    assert_problem(app.login_raw("someone9", "x").await, 429, "rate_limited").await;
}

/// A login carrying a device token (`None`: a plain client).
async fn login_from(
    app: &TestApp,
    username: &str,
    password: &str,
    device_token: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"username": username, "password": password});
    if let Some(token) = device_token {
        body["device_token"] = json!(token);
    }
    app.post("/api/v1/auth/login", None, &body).await
}

fn device_token_of(login: &Value) -> String {
    let token = login["device_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        token.starts_with("d1."),
        "a sign-in hands out a device token: {login}"
    );
    token
}

/// Issue 23: someone guessing the chair's password locks the username for everyone else, but
/// not for the chair's own tablet, which signed in before (OWASP device cookies).
async fn a_known_device_passes_the_username_lock(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    // Nothing earns an attempt back during the test.
    settings.auth.login_burst_per_username = 3;
    settings.auth.login_refill_secs_per_username = 600;
    settings.auth.login_burst_per_address = 12;
    settings.auth.login_refill_secs_per_address = 600;
    settings.auth.device_token_failures = 2;
    let app = TestApp::start(settings).unwrap_or_else(|e| panic!("{e}"));
    app.user("chutich", Role::Member).await;
    app.user("phochutich", Role::Member).await;

    // The chair's tablet and the vice-chair's sign in once (2 attempts of the address's 12; the
    // chair's took 1 of the username's 3).
    let first = expect_ok(login_from(&app, "ChuTich", PASSWORD, None).await).await;
    for key in [
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "user",
    ] {
        assert!(
            first.get(key).is_some(),
            "the contract's shape stays: {first}"
        );
    }
    let tablet = device_token_of(&first);
    let vice =
        device_token_of(&expect_ok(login_from(&app, "phochutich", PASSWORD, None).await).await);

    // Someone else guesses: the username's other 2 attempts go, then even the right password is
    // refused to a plain client (3 attempts).
    for _ in 0..2 {
        assert_problem(
            login_from(&app, "chutich", "doan mat khau", None).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    assert_problem(
        login_from(&app, "chutich", PASSWORD, None).await,
        429,
        "rate_limited",
    )
    .await;
    // A made-up token, or the vice-chair's, is no token (2 attempts).
    assert_problem(
        login_from(&app, "chutich", PASSWORD, Some("d1.AAAA.9999999999.AAAA")).await,
        429,
        "rate_limited",
    )
    .await;
    assert_problem(
        login_from(&app, "chutich", PASSWORD, Some(&vice)).await,
        429,
        "rate_limited",
    )
    .await;

    // The chair's tablet still gets in, and gets a fresh token (1 attempt).
    let again = expect_ok(login_from(&app, "chutich", PASSWORD, Some(&tablet)).await).await;
    assert_eq!(again["user"]["username"], "chutich");
    let renewed = device_token_of(&again);
    assert_ne!(renewed, tablet);
    let me = app.get("/api/v1/me", again["access_token"].as_str()).await;
    assert_eq!(me.status(), 200);

    // A device token that keeps failing is locked, and is then no token: the username's lock
    // holds it too (3 attempts).
    for _ in 0..2 {
        assert_problem(
            login_from(&app, "chutich", "doan mat khau", Some(&tablet)).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    assert_problem(
        login_from(&app, "chutich", PASSWORD, Some(&tablet)).await,
        429,
        "rate_limited",
    )
    .await;
    // The renewed token is another device as far as the lock goes (1 attempt: 12 of 12).
    expect_ok(login_from(&app, "chutich", PASSWORD, Some(&renewed)).await).await;

    // The per-address limit still applies to known devices.
    assert_problem(
        login_from(&app, "chutich", PASSWORD, Some(&renewed)).await,
        429,
        "rate_limited",
    )
    .await;
}

async fn expect_ok(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), 200);
    res.json().await.unwrap_or_default()
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    app.user("phamvancuong", Role::Member).await;
    let first = app.login("phamvancuong").await;
    let r1 = first["refresh_token"].clone();
    let res = app
        .post("/api/v1/auth/refresh", None, &json!({"refresh_token": r1}))
        .await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap_or_default();
    let r2 = second["refresh_token"].clone();
    assert_ne!(r1, r2);
    assert_eq!(second["user"]["username"], "phamvancuong");
    let at = second["access_token"].as_str().unwrap_or_default();
    assert_eq!(app.get("/api/v1/me", Some(at)).await.status(), 200);

    // The old token again: theft assumed, the whole session ends, the newer token included.
    let reuse = app
        .post("/api/v1/auth/refresh", None, &json!({"refresh_token": r1}))
        .await;
    assert_problem(reuse, 401, "refresh_token_reused").await;
    let after = app
        .post("/api/v1/auth/refresh", None, &json!({"refresh_token": r2}))
        .await;
    assert_problem(after, 401, "refresh_token_reused").await;

    // Another session of the same user is untouched.
    let other = app.login("phamvancuong").await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": other["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

/// A stolen, already used token comes back while the session's latest token is being
/// rotated: whichever commits first, the session ends whole, the token the rotation made
/// included.
async fn reuse_racing_a_rotation_still_ends_the_session(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    app.user("vuthilan", Role::Member).await;
    let refresh = |token: Value| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": token}),
            )
            .await
        }
    };
    for _ in 0..10 {
        let r1 = app.login("vuthilan").await["refresh_token"].clone();
        let second = refresh(r1.clone()).await;
        assert_eq!(second.status(), 200);
        let r2 = second.json::<Value>().await.unwrap_or_default()["refresh_token"].clone();
        let (rotated, reused) = tokio::join!(refresh(r2), refresh(r1));
        assert_eq!(reused.status(), 401);
        if rotated.status() == 200 {
            let r3 = rotated.json::<Value>().await.unwrap_or_default()["refresh_token"].clone();
            assert_problem(refresh(r3).await, 401, "refresh_token_reused").await;
        } else {
            assert_eq!(rotated.status(), 401);
        }
    }
}

async fn concurrent_refreshes_of_one_token_yield_one_pair(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    app.user("dothimai", Role::Member).await;
    let login = app.login("dothimai").await;
    let body = json!({"refresh_token": login["refresh_token"]});
    let attempts = (0..8).map(|_| app.post("/api/v1/auth/refresh", None, &body));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

async fn unknown_refresh_token_is_refused(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": "made-up"}),
        )
        .await;
    assert_problem(res, 401, "invalid_refresh_token").await;
}

async fn logout_revokes_the_session(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    app.user("hoangvandung", Role::Member).await;
    let login = app.login("hoangvandung").await;
    let at = login["access_token"].as_str().unwrap_or_default();
    let res = app.post("/api/v1/auth/logout", Some(at), &json!({})).await;
    assert_eq!(res.status(), 204);
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": login["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 401);
    assert_problem(
        app.post("/api/v1/auth/logout", None, &json!({})).await,
        401,
        "missing_token",
    )
    .await;
}

fn claims(offset_exp: i64, iss: &str, aud: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": iss, "aud": aud, "sub": "someone", "role": "admin", "sid": "s",
           "iat": now - 60, "nbf": now - 60, "exp": now + offset_exp})
}

fn sign(claims: &Value, key: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key),
    )
    .unwrap_or_default()
}

async fn bad_tokens_are_refused(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let secret = TEST_JWT_SECRET.as_bytes();
    let cases = [
        (None, "missing_token"),
        (Some("not-a-jwt".to_owned()), "invalid_token"),
        (
            Some(sign(
                &claims(600, "ecabinet", "ecabinet"),
                b"another-key-another-key-another-key!",
            )),
            "invalid_token",
        ),
        (
            Some(sign(&claims(-30, "ecabinet", "ecabinet"), secret)),
            "token_expired",
        ),
        (
            Some(sign(&claims(600, "someone-else", "ecabinet"), secret)),
            "invalid_token",
        ),
        (
            Some(sign(&claims(600, "ecabinet", "other-app"), secret)),
            "invalid_token",
        ),
        (
            Some(sign(
                &json!({"iss": "ecabinet", "aud": "ecabinet", "sub": "x", "role": "admin", "sid": "s"}),
                secret,
            )),
            "invalid_token",
        ),
        (
            Some({
                let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
                let payload =
                    URL_SAFE_NO_PAD.encode(claims(600, "ecabinet", "ecabinet").to_string());
                format!("{header}.{payload}.")
            }),
            "invalid_token",
        ),
    ];
    for (token, code) in cases {
        let res = app.get("/api/v1/users", token.as_deref()).await;
        assert_eq!(
            res.headers().get("www-authenticate").map(|v| v.as_bytes()),
            Some(&b"Bearer"[..])
        );
        assert_problem(res, 401, code).await;
    }
    // A well-formed token signed with the right key gets in when its user exists (the cases
    // above fail for their own reason, not because forging is broken)...
    let admin = app.user("quantri", Role::Admin).await;
    let mut good = claims(600, "ecabinet", "ecabinet");
    good["sub"] = admin["id"].clone();
    assert_eq!(
        app.get("/api/v1/users", Some(&sign(&good, secret)))
            .await
            .status(),
        200
    );
    // ...and not when it names no user, however well signed.
    assert_problem(
        app.get(
            "/api/v1/users",
            Some(&sign(&claims(600, "ecabinet", "ecabinet"), secret)),
        )
        .await,
        401,
        "invalid_token",
    )
    .await;
}

backend_tests!(
    login_returns_the_contract_shape,
    unknown_user_and_wrong_password_look_the_same,
    repeated_failures_are_rate_limited,
    a_known_device_passes_the_username_lock,
    refresh_rotates_and_reuse_revokes_the_family,
    concurrent_refreshes_of_one_token_yield_one_pair,
    reuse_racing_a_rotation_still_ends_the_session,
    unknown_refresh_token_is_refused,
    logout_revokes_the_session,
    bad_tokens_are_refused,
);
