//! Signing (contract v2, "Signatures"): the biên bản signed three times in its order — the
//! meeting's secretary and the chair in two phases with keys that stay on their side (made
//! here with `rcgen`, signing with `p256` as a token would), then the organisation's seal
//! configured on the server as a PKCS#12 — and checked by the server, by poppler's `pdfsig`
//! (the CA in an NSS database made with `certutil`) and by pyHanko. Then what must be
//! refused: blocks out of turn or of others, a block twice, a signature over other bytes, a
//! document that changed meanwhile, certificates that may not sign, a broken seal
//! configuration, and signed files that do not only add valid signatures.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests};
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{Value, json};

use crate::support::{Cast, add_participant, advance_to, cast, create_meeting, expect, get_json};

fn repo_path(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A test CA and what it issues.
struct Pki {
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
    ca_der: Vec<u8>,
}

/// A signer's key and chain (base64 DER, leaf first), as a token holds them.
struct Holder {
    key: p256::ecdsa::SigningKey,
    chain: Vec<String>,
    key_der: Vec<u8>,
    cert_der: Vec<u8>,
}

impl Holder {
    fn sign(&self, to_sign: &[u8]) -> String {
        let sig: p256::ecdsa::Signature = self.key.sign(to_sign);
        B64.encode(sig.to_der().as_bytes())
    }
}

impl Pki {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "Test CA ký số");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).unwrap();
        Self {
            ca_pem: cert.pem(),
            ca_der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        }
    }

    fn issue_with(&self, name: &str, usages: Vec<KeyUsagePurpose>, expired: bool) -> Holder {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = usages;
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key_der = key.serialize_der();
        Holder {
            key: p256::ecdsa::SigningKey::from_pkcs8_der(&key_der).unwrap(),
            chain: vec![B64.encode(cert.der()), B64.encode(&self.ca_der)],
            key_der,
            cert_der: cert.der().to_vec(),
        }
    }

    fn issue(&self, name: &str) -> Holder {
        self.issue_with(
            name,
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ],
            false,
        )
    }

    /// A PKCS#12 of `holder`'s key and chain, under `password`.
    fn pkcs12(&self, holder: &Holder, password: &str) -> Vec<u8> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKeyChain};
        let chain = vec![
            Certificate::from_der(&holder.cert_der).unwrap(),
            Certificate::from_der(&self.ca_der).unwrap(),
        ];
        let mut store = KeyStore::new();
        store.add_entry(
            "seal",
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(&holder.key_der, [1u8; 4], chain)),
        );
        store.writer(password).write().unwrap()
    }
}

/// A PNG of a signature (or a seal): a blue stroke on a transparent ground.
fn signature_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().unwrap();
        let data: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                let ink = (y as i64 - (h as i64 / 2)).abs() < 3 + (x as i64 % 7);
                [20, 40, 160, if ink { 255 } else { 0 }]
            })
            .collect();
        writer.write_image_data(&data).unwrap();
    }
    out
}

struct Room {
    _env: TestEnv,
    app: TestApp,
    cast: Cast,
    minutes: String,
    work: tempfile::TempDir,
    pki: Pki,
}

/// A closed meeting with its record finalised, on a server with the CA as its anchor and a
/// seal issued by it.
async fn room(backend: Backend) -> Room {
    let work = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    std::fs::write(work.path().join("ca.pem"), &pki.ca_pem).unwrap();
    let seal = pki.issue("UBND xã Đông Hòa");
    std::fs::write(work.path().join("seal.p12"), pki.pkcs12(&seal, "mật-khẩu")).unwrap();
    std::fs::write(work.path().join("seal.pass"), "mật-khẩu\n").unwrap();
    std::fs::write(work.path().join("seal.png"), signature_png(120, 120)).unwrap();
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.signing.trust_anchors = vec![work.path().join("ca.pem")];
    settings.signing.key_file = Some(work.path().join("seal.p12"));
    settings.signing.key_password_file = Some(work.path().join("seal.pass"));
    settings.signing.seal_image = Some(work.path().join("seal.png"));
    let app = TestApp::start(settings).unwrap();
    let cast = cast(&app).await;
    advance_to(&app, &cast.admin.token, &cast.meeting, "closed").await;
    let done = expect(
        app.post(
            &format!("/api/v1/meetings/{}/minutes/finalize", cast.meeting),
            Some(&cast.chair.token),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let minutes = done["minutes_document_id"].as_str().unwrap().to_owned();
    Room {
        _env: env,
        app,
        cast,
        minutes,
        work,
        pki,
    }
}

async fn prepare(app: &TestApp, token: &str, doc: &str, body: Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/documents/{doc}/signing"),
        Some(token),
        &body,
    )
    .await
}

async fn complete(app: &TestApp, token: &str, signing: &str, signature: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/signings/{signing}/complete"),
        Some(token),
        &json!({ "signature": signature }),
    )
    .await
}

/// Prepares and completes a signing of `block` by `holder`; the new document.
async fn sign_block(app: &TestApp, token: &str, doc: &str, block: &str, holder: &Holder) -> Value {
    let started = expect(
        prepare(
            app,
            token,
            doc,
            json!({"certificate_chain": holder.chain, "block": block, "reason": "Ký biên bản"}),
        )
        .await,
        201,
    )
    .await;
    let to_sign = B64.decode(started["to_sign"].as_str().unwrap()).unwrap();
    assert_eq!(to_sign[0], 0x31, "to_sign is a DER SET");
    let signing = started["signing_id"].as_str().unwrap();
    expect(
        complete(app, token, signing, &holder.sign(&to_sign)).await,
        201,
    )
    .await
}

async fn file(app: &TestApp, token: &str, doc: &str) -> Vec<u8> {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/documents/{doc}/file")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

/// pdfsig's report with the CA trusted in a fresh NSS database.
fn pdfsig(work: &Path, pdf: &Path) -> String {
    let nss = work.join("nss");
    if !nss.exists() {
        std::fs::create_dir_all(&nss).unwrap();
        let db = format!("sql:{}", nss.display());
        let ok = Command::new("certutil")
            .args(["-N", "-d", &db, "--empty-password"])
            .status()
            .expect("certutil (libnss3-tools, scripts/install-tools.sh)");
        assert!(ok.success());
        let ok = Command::new("certutil")
            .args(["-A", "-d", &db, "-n", "test-ca", "-t", "CT,C,C", "-i"])
            .arg(work.join("ca.pem"))
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let out = Command::new("pdfsig")
        .arg("-nssdir")
        .arg(format!("sql:{}", nss.display()))
        .arg(pdf)
        .output()
        .expect("pdfsig (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pyhanko(work: &Path, pdf: &Path) -> String {
    let out = Command::new("python3")
        .arg(repo_path("tools/validate_pdf.py"))
        .arg(work.join("ca.pem"))
        .arg(pdf)
        .output()
        .expect("python3 with pyHanko (scripts/install-tools.sh)");
    assert!(
        out.status.success(),
        "pyHanko failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// pdfsig and pyHanko both find `signatures` valid and trusted signatures in `bytes`, the last
/// covering the whole file; pyHanko's lines, one per signature.
fn outside_verifiers_agree(work: &Path, bytes: &[u8], signatures: usize) -> Vec<String> {
    let pdf = work.join("to-verify.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    let report = pdfsig(work, &pdf);
    assert_eq!(
        report.matches("Signature is Valid.").count(),
        signatures,
        "{report}"
    );
    assert_eq!(
        report.matches("Certificate is Trusted.").count(),
        signatures,
        "{report}"
    );
    assert_eq!(
        report.matches("Total document signed").count(),
        1,
        "{report}"
    );
    let hanko = pyhanko(work, &pdf);
    let lines: Vec<String> = hanko.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), signatures, "{hanko}");
    assert!(
        lines.iter().all(|l| l.contains("INTACT:TRUSTED")),
        "{hanko}"
    );
    assert!(
        lines.last().is_some_and(|l| l.ends_with("ENTIRE_FILE")),
        "{hanko}"
    );
    lines
}

async fn the_record_is_signed_by_the_secretary_the_chair_and_the_seal(backend: Backend) {
    let r = room(backend).await;
    let (app, c, doc) = (&r.app, &r.cast, r.minutes.as_str());
    let clerk = r.pki.issue("Lê Thị Thư");
    let chair = r.pki.issue("Nguyễn Văn Hùng");

    // The chair's turn comes after the secretary's; a member signs no block.
    assert_problem(
        prepare(
            app,
            &c.chair.token,
            doc,
            json!({"certificate_chain": chair.chain, "block": "chair"}),
        )
        .await,
        409,
        "signing_order",
    )
    .await;
    assert_problem(
        prepare(
            app,
            &c.member.token,
            doc,
            json!({"certificate_chain": clerk.chain, "block": "secretary"}),
        )
        .await,
        403,
        "signing_not_allowed",
    )
    .await;
    assert_problem(
        prepare(
            app,
            &c.clerk.token,
            doc,
            json!({"certificate_chain": clerk.chain, "block": "chair"}),
        )
        .await,
        403,
        "signing_not_allowed",
    )
    .await;

    // The secretary's signature image: kept as sent, drawn where she signs.
    let image = signature_png(300, 100);
    let put_image = |token: &str, ct: &str, body: Vec<u8>| {
        app.client
            .put(app.url("/api/v1/me/signature-image"))
            .bearer_auth(token)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    assert_problem(
        put_image(&c.clerk.token, "image/gif", b"GIF89a".to_vec())
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    assert_problem(
        put_image(&c.clerk.token, "image/png", b"not a png".to_vec())
            .await
            .unwrap(),
        422,
        "invalid_image",
    )
    .await;
    assert_eq!(
        put_image(&c.clerk.token, "image/png", image.clone())
            .await
            .unwrap()
            .status(),
        204
    );
    let kept = app
        .client
        .get(app.url("/api/v1/me/signature-image"))
        .bearer_auth(&c.clerk.token)
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 200);
    assert_eq!(kept.bytes().await.unwrap().as_ref(), image.as_slice());
    assert_problem(
        app.get("/api/v1/me/signature-image", Some(&c.chair.token))
            .await,
        404,
        "not_found",
    )
    .await;
    let before = file(app, &c.clerk.token, doc).await;

    let after_secretary = sign_block(app, &c.clerk.token, doc, "secretary", &clerk).await;
    let signed_once = file(app, &c.clerk.token, doc).await;
    let added = String::from_utf8_lossy(&signed_once[before.len()..]).into_owned();
    assert!(
        added.contains("/Im1 Do") && added.contains("/SMask"),
        "her picture is drawn"
    );
    assert_eq!(after_secretary["version"], 2, "{after_secretary}");
    assert_eq!(after_secretary["kind"], "minutes");
    assert_problem(
        prepare(
            app,
            &c.clerk.token,
            doc,
            json!({"certificate_chain": clerk.chain, "block": "secretary"}),
        )
        .await,
        409,
        "block_signed",
    )
    .await;

    // Two signings prepared on the same version: the second to complete finds it changed.
    let body = json!({"certificate_chain": chair.chain, "block": "chair"});
    let first = expect(prepare(app, &c.chair.token, doc, body.clone()).await, 201).await;
    let second = expect(prepare(app, &c.chair.token, doc, body).await, 201).await;
    // A signature over other bytes is refused, and the signing stays open.
    assert_problem(
        complete(
            app,
            &c.chair.token,
            second["signing_id"].as_str().unwrap(),
            &chair.sign(b"other bytes"),
        )
        .await,
        422,
        "invalid_signature",
    )
    .await;
    // Somebody else's signing is not found.
    assert_problem(
        complete(
            app,
            &c.clerk.token,
            first["signing_id"].as_str().unwrap(),
            &chair.sign(b"x"),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let to_sign = |v: &Value| B64.decode(v["to_sign"].as_str().unwrap()).unwrap();
    let after_chair = expect(
        complete(
            app,
            &c.chair.token,
            first["signing_id"].as_str().unwrap(),
            &chair.sign(&to_sign(&first)),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(after_chair["version"], 3);
    assert_problem(
        complete(
            app,
            &c.chair.token,
            second["signing_id"].as_str().unwrap(),
            &chair.sign(&to_sign(&second)),
        )
        .await,
        409,
        "stale_version",
    )
    .await;
    assert_problem(
        complete(
            app,
            &c.chair.token,
            first["signing_id"].as_str().unwrap(),
            &chair.sign(&to_sign(&first)),
        )
        .await,
        409,
        "signing_done",
    )
    .await;

    // The seal: not for the chair; the admin seals.
    assert_problem(
        app.post(
            &format!("/api/v1/documents/{doc}/seal"),
            Some(&c.chair.token),
            &json!({}),
        )
        .await,
        403,
        "signing_not_allowed",
    )
    .await;
    let sealed = expect(
        app.post(
            &format!("/api/v1/documents/{doc}/seal"),
            Some(&c.admin.token),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(sealed["version"], 4);

    // The server's own check.
    let list = get_json(
        app,
        &format!("/api/v1/documents/{doc}/signatures"),
        &c.member.token,
    )
    .await;
    let sigs = list.as_array().unwrap();
    assert_eq!(sigs.len(), 3, "{list}");
    let fields: Vec<&str> = sigs.iter().map(|s| s["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["ThuKy", "ChuToa", "DauCoQuan"]);
    let names: Vec<&str> = sigs
        .iter()
        .map(|s| s["signer"]["common_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lê Thị Thư", "Nguyễn Văn Hùng", "UBND xã Đông Hòa"]);
    for s in sigs {
        assert_eq!(s["valid"], true, "{s}");
        assert_eq!(s["trusted"], true, "{s}");
        assert_eq!(s["sub_filter"], "ETSI.CAdES.detached");
        assert!(s["signed_at"].is_string(), "{s}");
    }
    assert_eq!(sigs[0]["modified_after"], true);
    assert_eq!(sigs[2]["covers_whole_document"], true);
    assert_eq!(sigs[2]["modified_after"], false);

    // Each signature is in the audit chain.
    let audit = get_json(
        app,
        &format!("/api/v1/meetings/{}/audit", c.meeting),
        &c.admin.token,
    )
    .await;
    let text = audit.to_string();
    assert_eq!(text.matches("document.signed").count(), 3, "{text}");
    assert!(text.contains("certificate_sha256"), "{text}");

    // Outside verifiers agree on the bytes served.
    let bytes = file(app, &c.member.token, doc).await;
    // Pictures for the secretary and the seal; the chair, who has none, gets a text box.
    assert_eq!(
        String::from_utf8_lossy(&bytes).matches("/Im1 Do").count(),
        2
    );
    let lines = outside_verifiers_agree(r.work.path(), &bytes, 3);
    assert!(
        lines[2].starts_with("DauCoQuan INTACT:TRUSTED,UNTOUCHED"),
        "{lines:?}"
    );

    // Signed three times and sealed: no block is left.
    assert_problem(
        app.post(
            &format!("/api/v1/documents/{doc}/seal"),
            Some(&c.admin.token),
            &json!({}),
        )
        .await,
        409,
        "block_signed",
    )
    .await;
}

async fn signers_and_signed_files_that_do_not_qualify_are_refused(backend: Backend) {
    let r = room(backend).await;
    let (app, c) = (&r.app, &r.cast);
    // An uploaded document of an open meeting: no blocks in turn, signed by its chair without
    // a block.
    let open = create_meeting(app, &c.admin.token, "Phiên họp chuyên đề").await;
    add_participant(app, &c.admin.token, &open, &c.chair.id, "chair").await;
    add_participant(app, &c.admin.token, &open, &c.member.id, "member").await;
    advance_to(app, &c.admin.token, &open, "scheduled").await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/meetings/{open}/documents")))
        .query(&[("title", "Tờ trình")])
        .bearer_auth(&c.admin.token)
        .header("content-type", "application/pdf")
        .body(ecabinet_tests::pdfs::simple(2, "to-trinh"))
        .send()
        .await
        .unwrap();
    let doc = expect(res, 201).await;
    let doc = doc["id"].as_str().unwrap();

    for (chain, why) in [
        (json!([]), "an empty chain"),
        (json!(["not base64!"]), "not base64"),
        (
            json!([B64.encode(b"not a certificate")]),
            "not a certificate",
        ),
        (
            json!(
                r.pki
                    .issue_with("Hết hạn", vec![KeyUsagePurpose::DigitalSignature], true)
                    .chain
            ),
            "expired",
        ),
        (
            json!(
                r.pki
                    .issue_with("Chỉ mã hóa", vec![KeyUsagePurpose::KeyEncipherment], false)
                    .chain
            ),
            "no signing usage",
        ),
    ] {
        let res = prepare(
            app,
            &c.chair.token,
            doc,
            json!({"certificate_chain": chain}),
        )
        .await;
        assert_eq!(res.status(), 422, "{why}");
        assert_problem(res, 422, "invalid_certificate").await;
    }
    let chair = r.pki.issue("Nguyễn Văn Hùng");
    assert_problem(
        prepare(
            app,
            &c.member.token,
            doc,
            json!({"certificate_chain": chair.chain}),
        )
        .await,
        403,
        "signing_not_allowed",
    )
    .await;
    assert_problem(
        prepare(
            app,
            &c.outsider.token,
            doc,
            json!({"certificate_chain": chair.chain}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let signed = expect(
        prepare(
            app,
            &c.chair.token,
            doc,
            json!({"certificate_chain": chair.chain, "location": "Đông Hòa"}),
        )
        .await,
        201,
    )
    .await;
    let to_sign = B64.decode(signed["to_sign"].as_str().unwrap()).unwrap();
    let v2 = expect(
        complete(
            app,
            &c.chair.token,
            signed["signing_id"].as_str().unwrap(),
            &chair.sign(&to_sign),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["pages"], 2);

    // A signed file from an outside tool: only when it adds valid signatures to this version.
    let current = file(app, &c.chair.token, doc).await;
    let post_signed = |bytes: Vec<u8>| {
        app.client
            .post(app.url(&format!("/api/v1/documents/{doc}/signed")))
            .bearer_auth(&c.chair.token)
            .header("content-type", "application/pdf")
            .body(bytes)
            .send()
    };
    // Not beginning with the current bytes.
    assert_problem(
        post_signed(ecabinet_tests::pdfs::simple(1, "khac"))
            .await
            .unwrap(),
        422,
        "invalid_signature",
    )
    .await;
    // The current bytes with an unsigned update appended: no signature added.
    let mut appended = current.clone();
    appended.extend_from_slice(b"\n% nothing signed here\n");
    assert_problem(
        post_signed(appended).await.unwrap(),
        422,
        "invalid_signature",
    )
    .await;
    // Signed by pyHanko on top of this version: taken as version 3, both signatures valid.
    let (input, output) = (r.work.path().join("v2.pdf"), r.work.path().join("v3.pdf"));
    std::fs::write(&input, &current).unwrap();
    let keys = r.work.path().join("outside");
    std::fs::create_dir_all(&keys).unwrap();
    let out = Command::new("python3")
        .arg(repo_path("tools/sign_pdf.py"))
        .arg(&keys)
        .arg(&input)
        .arg(&output)
        .arg("NgoaiVien")
        .arg("ec")
        .output()
        .expect("python3 with pyHanko");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outside = std::fs::read(&output).unwrap();
    // A byte changed in what the outside signature covers: refused.
    // (a hex digit of the CMS in its /Contents: the file still reads the same.)
    let mut broken = outside.clone();
    let at = current.len()
        + outside[current.len()..]
            .windows(9)
            .position(|w| w == b"/Contents")
            .expect("the signature's /Contents")
        + 200;
    broken[at] = if broken[at] == b'1' { b'2' } else { b'1' };
    assert_problem(post_signed(broken).await.unwrap(), 422, "invalid_signature").await;
    let v3 = expect(post_signed(outside).await.unwrap(), 201).await;
    assert_eq!(v3["version"], 3);
    let list = get_json(
        app,
        &format!("/api/v1/documents/{doc}/signatures"),
        &c.chair.token,
    )
    .await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    assert!(
        list.as_array().unwrap().iter().all(|s| s["valid"] == true),
        "{list}"
    );
    // The version the outside tool signed is gone by now: a prefix of version 2 no longer is.
    let mut late = current.clone();
    late.extend_from_slice(b"\n");
    assert_problem(post_signed(late).await.unwrap(), 422, "invalid_signature").await;
}

async fn a_broken_seal_configuration_stops_the_server(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let seal = pki.issue("UBND xã Đông Hòa");
    std::fs::write(work.path().join("seal.p12"), pki.pkcs12(&seal, "đúng")).unwrap();
    std::fs::write(work.path().join("wrong.pass"), "sai").unwrap();
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.signing.key_file = Some(work.path().join("seal.p12"));
    settings.signing.key_password_file = Some(work.path().join("wrong.pass"));
    let Err(err) = TestApp::start(settings.clone()) else {
        panic!("the server started with a seal it cannot open");
    };
    assert!(format!("{err:#}").contains("seal.p12"), "{err:#}");
    settings.signing.key_file = Some(work.path().join("missing.p12"));
    assert!(TestApp::start(settings).is_err());

    // Without a seal configured, sealing says so.
    let app = TestApp::start(env.settings()).unwrap();
    let c = cast(&app).await;
    advance_to(&app, &c.admin.token, &c.meeting, "closed").await;
    let done = expect(
        app.post(
            &format!("/api/v1/meetings/{}/minutes/finalize", c.meeting),
            Some(&c.chair.token),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let doc = done["conclusions_document_id"].as_str().unwrap();
    assert_problem(
        app.post(
            &format!("/api/v1/documents/{doc}/seal"),
            Some(&c.admin.token),
            &json!({}),
        )
        .await,
        409,
        "seal_not_configured",
    )
    .await;
}

/// The summary of a meeting held in writing has one block, the chair's: the chair signs it
/// first (no secretary's turn to wait for), the seal may follow; outside verifiers agree.
async fn the_summary_of_a_written_meeting_is_signed_by_the_chair(backend: Backend) {
    let r = room(backend).await;
    let (app, c) = (&r.app, &r.cast);
    let (id, polls) = crate::support::consultation(
        app,
        &c.admin.token,
        &[
            (&c.chair, "chair"),
            (&c.clerk, "secretary"),
            (&c.member, "member"),
        ],
        "Xin ý kiến về kế hoạch năm 2027",
        "agree",
        &["Thông qua kế hoạch năm 2027"],
    )
    .await;
    crate::support::answer(app, &c.member, &polls[0], json!({"choice": "agree"})).await;
    expect(
        crate::support::set_state(app, &c.chair.token, &id, "closed").await,
        200,
    )
    .await;
    let done = expect(
        app.post(
            &format!("/api/v1/meetings/{id}/minutes/finalize"),
            Some(&c.clerk.token),
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(done["number"], "01/BC-UBND", "{done}");
    let doc = done["minutes_document_id"].as_str().unwrap();
    let clerk = r.pki.issue("Lê Thị Thư");
    assert_problem(
        prepare(
            app,
            &c.clerk.token,
            doc,
            json!({"certificate_chain": clerk.chain, "block": "secretary"}),
        )
        .await,
        422,
        "invalid_block",
    )
    .await;
    let chair = r.pki.issue("Nguyễn Văn Hùng");
    sign_block(app, &c.chair.token, doc, "chair", &chair).await;
    let sealed = app
        .post(
            &format!("/api/v1/documents/{doc}/seal"),
            Some(&c.clerk.token),
            &json!({}),
        )
        .await;
    assert_eq!(sealed.status(), 201);
    let bytes = file(app, &c.member.token, doc).await;
    outside_verifiers_agree(r.work.path(), &bytes, 2);
}

backend_tests!(
    the_record_is_signed_by_the_secretary_the_chair_and_the_seal,
    the_summary_of_a_written_meeting_is_signed_by_the_chair,
    signers_and_signed_files_that_do_not_qualify_are_refused,
    a_broken_seal_configuration_stops_the_server
);
