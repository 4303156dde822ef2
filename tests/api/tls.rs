//! HTTPS of the server's own (contract v2, "Operations"): a client that trusts a test CA
//! connects over https and wss; the certificate files are replaced while the server runs and
//! a new connection sees the new certificate, while a connection opened before keeps working;
//! the plain redirect listener answers 308; HSTS is sent over HTTPS only.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ecabinet::users::Role;
use ecabinet_tests::live::LiveClient;
use ecabinet_tests::{Backend, TestApp, TestEnv};
use futures_util::{SinkExt, StreamExt};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

struct TestCa {
    der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "CA nội bộ (test)");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        Self {
            der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        }
    }

    /// Writes a server certificate for localhost (with `serial` to tell renewals apart) and
    /// its key to `dir`, returning the certificate's DER.
    fn issue(&self, dir: &Path, serial: u64) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params.serial_number = Some(serial.into());
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        // Written to a temporary name and renamed, as certbot and friends do, so the server
        // never reads half a file.
        let tmp_cert = dir.join("server.crt.tmp");
        let tmp_key = dir.join("server.key.tmp");
        std::fs::write(&tmp_key, key.serialize_pem()).unwrap();
        std::fs::write(&tmp_cert, cert.pem()).unwrap();
        std::fs::rename(&tmp_key, dir.join("server.key")).unwrap();
        std::fs::rename(&tmp_cert, dir.join("server.crt")).unwrap();
        cert.der().to_vec()
    }

    fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls_pki_types::CertificateDer::from(self.der.clone()))
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        // A resumed session shows the certificate of the session it resumes; each request
        // here must see the one served now.
        config.resumption = rustls::client::Resumption::disabled();
        Arc::new(config)
    }
}

fn https_client(config: &Arc<rustls::ClientConfig>) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls((**config).clone())
        .tls_info(true)
        .timeout(Duration::from_secs(10))
        // Each request on a fresh connection, so each sees the certificate served now.
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// The leaf certificate the server presented for `res`.
fn peer_certificate(res: &reqwest::Response) -> Vec<u8> {
    res.extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn https_and_wss_with_a_certificate_swapped_while_running() {
    let env = TestEnv::new(Backend::Sqlite);
    let tls_dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let first = ca.issue(tls_dir.path(), 1);
    let redirect_port = free_port();
    let mut settings = env.settings();
    settings.tls.cert = Some(tls_dir.path().join("server.crt"));
    settings.tls.key = Some(tls_dir.path().join("server.key"));
    settings.tls.reload_check_secs = 1;
    settings.tls.http_redirect = Some(format!("127.0.0.1:{redirect_port}").parse().unwrap());
    let app = TestApp::start(settings).unwrap();
    let base = format!("https://localhost:{}", app.port);
    let config = ca.client_config();
    let client = https_client(&config);

    // HTTPS, with HSTS.
    let res = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(peer_certificate(&res), first);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );

    // Plain HTTP on the HTTPS port gets no answer a browser would take.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/healthz", app.port))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(
        plain.as_ref().map_or(true, |r| !r.status().is_success()),
        "plain HTTP served on the HTTPS port: {plain:?}"
    );

    // The redirect listener: 308 to the same path on HTTPS, no HSTS over plain HTTP.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!(
            "http://127.0.0.1:{redirect_port}/api/v1/meetings?x=1"
        ))
        .header("host", format!("localhost:{redirect_port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 308);
    assert_eq!(
        res.headers()["location"],
        format!("https://localhost:{}/api/v1/meetings?x=1", app.port).as_str()
    );
    assert!(res.headers().get("strict-transport-security").is_none());

    // Sign in and open the live channel over wss.
    app.user("chutich", Role::Secretary).await;
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "chutich", "password": ecabinet_tests::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let created: Value = client
        .post(format!("{base}/api/v1/meetings"))
        .bearer_auth(&token)
        .json(&json!({"title": "Phiên họp qua HTTPS", "starts_at": "2026-12-09T08:00:00+07:00"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let meeting = created["id"].as_str().unwrap().to_owned();
    let url = format!(
        "wss://localhost:{}/api/v1/meetings/{meeting}/live",
        app.port
    );
    let (ws, _) = tokio_tungstenite::connect_async_tls_with_config(
        url.into_client_request().unwrap(),
        None,
        false,
        Some(tokio_tungstenite::Connector::Rustls(config.clone())),
    )
    .await
    .unwrap();
    let mut live = LiveClient { ws };
    live.send(json!({"type": "hello", "token": token, "last_seq": 0}))
        .await;
    // The replay comes over wss, then the welcome.
    let (welcome, replayed) = live.until(|v| v["type"] == "welcome").await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(replayed[0]["type"], "meeting.created");

    // A renewal: the files are replaced; within a few checks a new connection sees it.
    let second = ca.issue(tls_dir.path(), 2);
    assert_ne!(first, second);
    let mut seen = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let res = client.get(format!("{base}/healthz")).send().await.unwrap();
        seen = peer_certificate(&res);
        if seen == second {
            break;
        }
    }
    assert_eq!(seen, second, "the renewed certificate was not served");

    // The socket opened before the renewal still works: a ping is answered.
    live.ws
        .send(Message::Ping(b"still here".to_vec().into()))
        .await
        .unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match live.ws.next().await {
                Some(Ok(Message::Pong(p))) => return Some(p.to_vec()),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(pong.as_deref(), Some(&b"still here"[..]));

    // A broken renewal keeps the certificate that works.
    std::fs::write(tls_dir.path().join("server.crt"), "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let res = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(peer_certificate(&res), second);

    app.stop().await;
}

#[tokio::test]
async fn a_key_that_does_not_match_is_refused_at_start() {
    let env = TestEnv::new(Backend::Sqlite);
    let tls_dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    ca.issue(tls_dir.path(), 1);
    std::fs::rename(
        tls_dir.path().join("server.key"),
        tls_dir.path().join("first.key"),
    )
    .unwrap();
    ca.issue(tls_dir.path(), 2);
    let mut settings = env.settings();
    settings.tls.cert = Some(tls_dir.path().join("server.crt"));
    settings.tls.key = Some(tls_dir.path().join("first.key"));
    let err = TestApp::start(settings).unwrap_err();
    assert!(format!("{err:#}").contains("does not belong"), "{err:#}");

    let mut settings = env.settings();
    settings.tls.cert = Some(tls_dir.path().join("server.crt"));
    let err = TestApp::start(settings).unwrap_err();
    assert!(format!("{err:#}").contains("go together"), "{err:#}");
}
