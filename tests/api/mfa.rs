//! The second factor (contract v2, "Second factor (TOTP)"), driven with a TOTP written here from
//! RFC 6238 (checked against its test vectors), independent of the server's crate: enrolment,
//! confirmation with recovery codes, the code step of a sign-in, every way a code or a challenge
//! can be refused, the rate limit, roles that must enrol, and resets.

use ecabinet::users::Role;
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use crate::support::{expect, person};

/// RFC 4226's HOTP over HMAC-SHA-1, truncated to `digits`.
fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

fn totp_at(secret: &[u8], unix: u64) -> String {
    hotp(secret, unix / 30, 6)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// RFC 4648 base32 without padding, as authenticator apps read it.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base32") as u64;
        bits = bits << 5 | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[test]
fn the_tests_totp_matches_rfc_6238() {
    let secret = b"12345678901234567890";
    for (t, code) in [
        (59u64, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(hotp(secret, t / 30, 8), code);
    }
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQ"), b"1234567890");
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    app.post(path, token, &body).await
}

async fn delete_with(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Enrols and confirms; answers the secret and the recovery codes.
async fn enrol(app: &TestApp, token: &str) -> (Vec<u8>, Vec<String>) {
    let e = expect(
        post(app, "/api/v1/me/mfa/totp", Some(token), json!({})).await,
        201,
    )
    .await;
    let uri = e["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(
        uri.contains(&format!("secret={}", e["secret"].as_str().unwrap())),
        "{uri}"
    );
    let secret = base32_decode(e["secret"].as_str().unwrap());
    assert!(secret.len() >= 20, "160-bit secrets");
    // A wrong first code leaves it pending.
    assert_problem(
        post(
            app,
            "/api/v1/me/mfa/totp/confirm",
            Some(token),
            json!({"code": "000000"}),
        )
        .await,
        422,
        "invalid_code",
    )
    .await;
    let code = totp_at(&secret, now());
    let done = expect(
        post(
            app,
            "/api/v1/me/mfa/totp/confirm",
            Some(token),
            json!({"code": code}),
        )
        .await,
        200,
    )
    .await;
    let codes: Vec<String> = done["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn password_step(app: &TestApp, username: &str) -> String {
    let res = app.login_raw(username, ecabinet_tests::PASSWORD).await;
    let body = expect(res, 200).await;
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(
        body.get("access_token").is_none() && body.get("device_token").is_none(),
        "no tokens before the code: {body}"
    );
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn code_step(app: &TestApp, mfa_token: &str, code: &str) -> reqwest::Response {
    post(
        app,
        "/api/v1/auth/mfa",
        None,
        json!({"mfa_token": mfa_token, "code": code}),
    )
    .await
}

async fn a_code_opens_a_sign_in_once(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    // This test is about which codes count, not how many may be tried (codes_are_rate_limited).
    settings.auth.code_burst_per_user = 100;
    let app = TestApp::start(settings).unwrap();
    let me = person(&app, "chutich", Role::Member).await;
    let other = person(&app, "phochutich", Role::Member).await;
    // Confirming with nothing pending.
    assert_problem(
        post(
            &app,
            "/api/v1/me/mfa/totp/confirm",
            Some(&me.token),
            json!({"code": "123456"}),
        )
        .await,
        409,
        "mfa_not_pending",
    )
    .await;
    let (secret, recovery) = enrol(&app, &me.token).await;
    assert_problem(
        post(&app, "/api/v1/me/mfa/totp", Some(&me.token), json!({})).await,
        409,
        "mfa_already_active",
    )
    .await;
    let (other_secret, _) = enrol(&app, &other.token).await;

    // The password alone gives no tokens; the code does, once per time step.
    let t = now();
    // Wait for a step no code was accepted in yet (the confirmation took the current one).
    let fresh_at = (t / 30 + 1) * 30;
    tokio::time::sleep(std::time::Duration::from_secs(fresh_at - t)).await;
    let step_code = totp_at(&secret, now());
    let first = password_step(&app, "chutich").await;
    assert_problem(code_step(&app, &first, "000000").await, 401, "invalid_code").await;
    assert_problem(
        code_step(&app, &first, &totp_at(&other_secret, now())).await,
        401,
        "invalid_code",
    )
    .await;
    assert_problem(
        code_step(&app, &first, &totp_at(&secret, now() + 90)).await,
        401,
        "invalid_code",
    )
    .await;
    assert_problem(
        code_step(&app, &first, &totp_at(&secret, now() - 90)).await,
        401,
        "invalid_code",
    )
    .await;
    let signed = expect(code_step(&app, &first, &step_code).await, 200).await;
    let access = signed["access_token"].as_str().unwrap();
    assert_eq!(signed["user"]["username"], "chutich");
    // A completed sign-in hands the device its token (api.md, "Login limits and device
    // tokens"); the password step alone did not.
    assert!(
        signed["device_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("d1.")),
        "{signed}"
    );
    expect(app.get("/api/v1/me", Some(access)).await, 200).await;
    // The challenge is used up, and the same step's code does not open another sign-in.
    assert_problem(
        code_step(&app, &first, &step_code).await,
        401,
        "invalid_mfa_token",
    )
    .await;
    let second = password_step(&app, "chutich").await;
    assert_problem(
        code_step(&app, &second, &step_code).await,
        401,
        "invalid_code",
    )
    .await;
    assert_problem(
        code_step(&app, "not-a-token", &step_code).await,
        401,
        "invalid_mfa_token",
    )
    .await;

    // A recovery code works once, whatever its case and dashes.
    let rec = recovery[0].to_lowercase().replace('-', "");
    expect(code_step(&app, &second, &rec).await, 200).await;
    let third = password_step(&app, "chutich").await;
    assert_problem(
        code_step(&app, &third, &recovery[0]).await,
        401,
        "invalid_code",
    )
    .await;
    expect(code_step(&app, &third, &recovery[1]).await, 200).await;

    // Turning it off needs a code; then the password alone signs in again.
    assert_problem(
        delete_with(
            &app,
            "/api/v1/me/mfa/totp",
            &me.token,
            json!({"code": "000000"}),
        )
        .await,
        422,
        "invalid_code",
    )
    .await;
    let res = delete_with(
        &app,
        "/api/v1/me/mfa/totp",
        &me.token,
        json!({"code": recovery[2]}),
    )
    .await;
    assert_eq!(res.status(), 204);
    let plain = expect(
        app.login_raw("chutich", ecabinet_tests::PASSWORD).await,
        200,
    )
    .await;
    assert!(plain["access_token"].is_string(), "{plain}");
    assert_problem(
        delete_with(
            &app,
            "/api/v1/me/mfa/totp",
            &me.token,
            json!({"code": "000000"}),
        )
        .await,
        409,
        "mfa_not_active",
    )
    .await;
}

async fn secrets_are_not_stored_in_the_clear(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap();
    let me = person(&app, "thuky", Role::Secretary).await;
    let e = expect(
        post(&app, "/api/v1/me/mfa/totp", Some(&me.token), json!({})).await,
        201,
    )
    .await;
    let secret = e["secret"].as_str().unwrap().to_owned();
    let raw = base32_decode(&secret);
    let stored: Vec<String> = env.query_strings("SELECT secret AS v FROM user_mfa");
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&secret));
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&stored[0])
        .unwrap();
    assert!(
        !bytes.windows(raw.len()).any(|w| w == raw.as_slice()),
        "the secret is encrypted"
    );
    assert!(env.data.path().join("mfa-key").exists());
}

async fn codes_are_rate_limited(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.auth.code_burst_per_user = 3;
    settings.auth.code_refill_secs_per_user = 3600;
    let app = TestApp::start(settings).unwrap();
    let me = person(&app, "uyvien", Role::Member).await;
    let (secret, _) = enrol(&app, &me.token).await;
    let challenge = password_step(&app, "uyvien").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            code_step(&app, &challenge, "000000")
                .await
                .status()
                .as_u16(),
        );
    }
    // The confirmation took two attempts of three (a wrong code, then the right one); one wrong
    // code more, then 429.
    assert_eq!(statuses, [401, 429, 429, 429, 429], "{statuses:?}");
    let res = code_step(&app, &challenge, &totp_at(&secret, now())).await;
    assert_eq!(res.status(), 429, "even the right code waits");
    assert!(res.headers().get("retry-after").is_some());
}

async fn roles_that_must_enrol_do(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.auth.mfa_required_roles = vec![Role::Admin];
    let app = TestApp::start(settings).unwrap();
    let admin = person(&app, "quantri", Role::Admin).await;
    let member = person(&app, "uyvien", Role::Member).await;
    assert_problem(
        app.get("/api/v1/users", Some(&admin.token)).await,
        403,
        "mfa_enrollment_required",
    )
    .await;
    expect(app.get("/api/v1/me", Some(&admin.token)).await, 200).await;
    expect(app.get("/api/v1/meetings", Some(&member.token)).await, 200).await;
    let (_, _) = enrol(&app, &admin.token).await;
    expect(app.get("/api/v1/users", Some(&admin.token)).await, 200).await;

    // An admin resets a member's lost second factor; members may not.
    let (_, _) = enrol(&app, &member.token).await;
    let path = format!("/api/v1/users/{}/mfa", member.id);
    let res = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&member.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let plain = expect(app.login_raw("uyvien", ecabinet_tests::PASSWORD).await, 200).await;
    assert!(plain["access_token"].is_string(), "{plain}");
}

backend_tests!(
    a_code_opens_a_sign_in_once,
    secrets_are_not_stored_in_the_clear,
    codes_are_rate_limited,
    roles_that_must_enrol_do,
);
