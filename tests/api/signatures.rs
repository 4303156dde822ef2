//! Signatures in documents (contract v2, "Signatures"): a PDF signed by an outside tool
//! (pyHanko, tests/tools/sign_pdf.py) is uploaded and every signature in it is listed and
//! checked as poppler's pdfsig would: the earlier one valid but no longer covering the whole
//! file, the last one covering it; trusted only with the CA as a trust anchor; a changed byte
//! makes the signature invalid.

use std::path::Path;
use std::process::Command;

use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests};
use serde_json::Value;

use crate::support::{create_meeting, expect, get_json, person};

fn repo_path(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Signs `input` into `output` with pyHanko (field `field`, key `kind`).
fn sign(keys: &Path, input: &Path, output: &Path, field: &str, kind: &str) {
    let out = Command::new("python3")
        .arg(repo_path("tools/sign_pdf.py"))
        .arg(keys)
        .arg(input)
        .arg(output)
        .arg(field)
        .arg(kind)
        .output()
        .expect("python3 with pyHanko (scripts/install-tools.sh)");
    assert!(
        out.status.success(),
        "pyHanko failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PDF whose page text is in the clear ("… - page 1"), so a test can change a byte of it.
fn plain_pdf(path: &Path) {
    std::fs::write(path, ecabinet_tests::pdfs::simple(2, "to-trinh")).unwrap();
}

async fn upload(app: &TestApp, token: &str, meeting: &str, bytes: Vec<u8>) -> Value {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/meetings/{meeting}/documents")))
        .query(&[("title", "Tờ trình đã ký")])
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .body(bytes)
        .send()
        .await
        .unwrap();
    expect(res, 201).await
}

async fn signed_uploads_are_checked_signature_by_signature(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let keys = work.path();
    let (plain, one, two) = (
        keys.join("in.pdf"),
        keys.join("one.pdf"),
        keys.join("two.pdf"),
    );
    plain_pdf(&plain);
    sign(keys, &plain, &one, "ThuKy", "ec");
    sign(keys, &one, &two, "ChuToa", "rsa");

    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.signing.trust_anchors = vec![keys.join("ca.pem")];
    let app = TestApp::start(settings).unwrap();
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let m = create_meeting(&app, &admin.token, "Phiên họp").await;

    let doc = upload(&app, &admin.token, &m, std::fs::read(&two).unwrap()).await;
    let id = doc["id"].as_str().unwrap();
    let list = get_json(
        &app,
        &format!("/api/v1/documents/{id}/signatures"),
        &admin.token,
    )
    .await;
    let sigs = list.as_array().unwrap();
    assert_eq!(sigs.len(), 2, "{list}");
    let (first, last) = (&sigs[0], &sigs[1]);
    assert_eq!(first["field"], "ThuKy", "{list}");
    assert_eq!(last["field"], "ChuToa", "{list}");
    for s in sigs {
        assert_eq!(s["valid"], true, "{s}");
        assert_eq!(s["trusted"], true, "{s}");
        assert_eq!(s["sub_filter"], "ETSI.CAdES.detached");
        assert_eq!(s["signer"]["common_name"], "Nguyễn Văn Hùng");
        assert_eq!(s["signer"]["issuer"], "Test CA ký số");
        assert!(s["signed_at"].is_string(), "{s}");
    }
    assert_eq!(first["covers_whole_document"], false);
    assert_eq!(first["modified_after"], true);
    assert_eq!(last["covers_whole_document"], true);
    assert_eq!(last["modified_after"], false);

    // pdfsig (poppler) agrees on the same bytes.
    let out = Command::new("pdfsig")
        .arg(&two)
        .output()
        .expect("pdfsig (poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("Signature is Valid").count(), 2, "{text}");

    // A changed byte inside the signed range: no longer valid.
    let mut tampered = std::fs::read(&one).unwrap();
    let at = tampered
        .windows(6)
        .position(|w| w == b"page 1")
        .expect("the page text is in the clear");
    tampered[at + 5] = b'9';
    let doc = upload(&app, &admin.token, &m, tampered).await;
    let list = get_json(
        &app,
        &format!(
            "/api/v1/documents/{}/signatures",
            doc["id"].as_str().unwrap()
        ),
        &admin.token,
    )
    .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["valid"], false, "{list}");

    // Without the CA as an anchor: valid, not trusted. An unsigned file has none; a version
    // that does not exist is 404, and so is a document of a meeting the caller cannot see.
    let app2 = TestApp::start(env.settings()).unwrap();
    let admin2 = person(&app2, "quantri2", ecabinet::users::Role::Admin).await;
    let outsider = person(&app2, "nguoingoai", ecabinet::users::Role::Member).await;
    let m2 = create_meeting(&app2, &admin2.token, "Phiên họp khác").await;
    let doc = upload(&app2, &admin2.token, &m2, std::fs::read(&one).unwrap()).await;
    let path = format!(
        "/api/v1/documents/{}/signatures",
        doc["id"].as_str().unwrap()
    );
    let list = get_json(&app2, &path, &admin2.token).await;
    assert_eq!(list[0]["valid"], true, "{list}");
    assert_eq!(list[0]["trusted"], false, "{list}");
    assert_eq!(list[0]["covers_whole_document"], true, "{list}");
    let doc = upload(&app2, &admin2.token, &m2, std::fs::read(&plain).unwrap()).await;
    let list = get_json(
        &app2,
        &format!(
            "/api/v1/documents/{}/signatures",
            doc["id"].as_str().unwrap()
        ),
        &admin2.token,
    )
    .await;
    assert_eq!(list, serde_json::json!([]));
    assert_problem(
        app2.get(&format!("{path}?version=7"), Some(&admin2.token))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app2.get(&path, Some(&outsider.token)).await,
        404,
        "not_found",
    )
    .await;
}

/// RSA-PSS (pyHanko's `prefer_pss`) is checked with the parameters the signature names.
async fn rsa_pss_signatures_are_checked(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let keys = work.path();
    let (plain, signed) = (keys.join("in.pdf"), keys.join("pss.pdf"));
    plain_pdf(&plain);
    sign(keys, &plain, &signed, "ChuToa", "rsa-pss");
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.signing.trust_anchors = vec![keys.join("ca.pem")];
    let app = TestApp::start(settings).unwrap();
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let m = create_meeting(&app, &admin.token, "Phiên họp").await;
    let bytes = std::fs::read(&signed).unwrap();
    // id-RSASSA-PSS (1.2.840.113549.1.1.10) is in the CMS, hex in /Contents.
    let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
    assert!(text.contains("06092a864886f70d01010a"), "a PSS signature");
    let doc = upload(&app, &admin.token, &m, bytes.clone()).await;
    let list = get_json(
        &app,
        &format!(
            "/api/v1/documents/{}/signatures",
            doc["id"].as_str().unwrap()
        ),
        &admin.token,
    )
    .await;
    assert_eq!(list[0]["valid"], true, "{list}");
    assert_eq!(list[0]["trusted"], true, "{list}");
    // The same file with one byte of its CMS changed no longer holds.
    let mut broken = bytes;
    let contents = broken.windows(9).rposition(|w| w == b"/Contents").unwrap();
    // The hex after "/Contents <": the CMS ("3082" and a two-byte length), then zeros. A
    // byte near its end lies in the signature value.
    let hex_start = contents + broken[contents..].iter().position(|b| *b == b'<').unwrap() + 1;
    let head = std::str::from_utf8(&broken[hex_start..hex_start + 8]).unwrap();
    assert_eq!(&head[..4].to_ascii_lowercase(), "3082", "{head}");
    let cms_len = 4 + usize::from_str_radix(&head[4..], 16).unwrap();
    let at = hex_start + 2 * (cms_len - 20);
    broken[at] = if broken[at] == b'0' { b'1' } else { b'0' };
    let doc = upload(&app, &admin.token, &m, broken).await;
    let list = get_json(
        &app,
        &format!(
            "/api/v1/documents/{}/signatures",
            doc["id"].as_str().unwrap()
        ),
        &admin.token,
    )
    .await;
    assert_eq!(list[0]["valid"], false, "{list}");
}

/// A PDF signed in-process, as the server signs (an rcgen CA, a P-256 leaf), and its anchor.
fn signed_in_process() -> (Vec<u8>, std::path::PathBuf, tempfile::TempDir) {
    use der::Decode;
    use ecabinet::signatures::cades;
    use ecabinet::signatures::incremental::{FieldSpec, Placement, prepare};
    use p256::ecdsa::signature::Signer as _;
    use p256::pkcs8::DecodePrivateKey;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "CA thử");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "Trần Thị Bình");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let chain = vec![
        x509_cert::Certificate::from_der(cert.der()).unwrap(),
        x509_cert::Certificate::from_der(ca_cert.der()).unwrap(),
    ];
    let signer = p256::ecdsa::SigningKey::from_pkcs8_der(&key.serialize_der()).unwrap();
    let spec = FieldSpec {
        name: "ThuKy".into(),
        placement: Some(Placement {
            page: 1,
            rect: [300.0, 100.0, 480.0, 160.0],
        }),
        lines: vec!["Ký số bởi: Trần Thị Bình".into()],
        image: None,
        color: [0.0, 0.0, 0.6],
        signer_name: None,
        reason: None,
        location: None,
        signed_at: chrono::Utc::now().fixed_offset(),
    };
    let prepared = prepare(
        &ecabinet_tests::pdfs::simple(1, "to-trinh"),
        &spec,
        cades::contents_room(&chain).unwrap(),
    )
    .unwrap();
    let attrs = cades::signed_attributes(&prepared.digest(), &chain[0]).unwrap();
    let sig: p256::ecdsa::Signature = signer.sign(&cades::to_sign(&attrs).unwrap());
    let cms = cades::signed_data(&chain, attrs, sig.to_der().as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("ca.pem");
    std::fs::write(&anchor, ca_cert.pem()).unwrap();
    (prepared.embed(&cms).unwrap(), anchor, dir)
}

/// Rewrites the signature's `/ByteRange` array (same width, padded).
fn forged_range(pdf: &[u8], text: &str) -> Vec<u8> {
    let at = pdf.windows(10).rposition(|w| w == b"/ByteRange").unwrap();
    let open = at + pdf[at..].iter().position(|b| *b == b'[').unwrap();
    let close = open + pdf[open..].iter().position(|b| *b == b']').unwrap() + 1;
    let padded = format!("{text:<width$}", width = close - open);
    assert_eq!(padded.len(), close - open);
    let mut out = pdf.to_vec();
    out[open..close].copy_from_slice(padded.as_bytes());
    out
}

/// The known attacks on PDF signatures, over HTTP: each upload's signature is reported
/// invalid, or valid but modified after, never a 5xx.
async fn known_signature_attacks_are_recognised(backend: Backend) {
    let (pdf, anchor, _keep) = signed_in_process();
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.signing.trust_anchors = vec![anchor];
    let app = TestApp::start(settings).unwrap();
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let m = create_meeting(&app, &admin.token, "Phiên họp").await;
    let check = |bytes: Vec<u8>| {
        let (app, token, m) = (&app, admin.token.clone(), m.clone());
        async move {
            let doc = upload(app, &token, &m, bytes).await;
            get_json(
                app,
                &format!(
                    "/api/v1/documents/{}/signatures",
                    doc["id"].as_str().unwrap()
                ),
                &token,
            )
            .await
        }
    };
    let intact = check(pdf.clone()).await;
    assert_eq!(intact[0]["valid"], true, "{intact}");
    assert_eq!(intact[0]["trusted"], true, "{intact}");
    let len = pdf.len();
    // Universal signature forgery: ranges outside the file, overlapping, empty.
    for text in [
        format!("[0 10 20 {len}]"),
        format!("[0 {} 10 {}]", len / 2, len - 10),
        "[0 0 0 0]".to_owned(),
        "[0 10]".to_owned(),
    ] {
        let list = check(forged_range(&pdf, &text)).await;
        assert_eq!(list[0]["valid"], false, "{text}: {list}");
    }
    // Signature wrapping: the range leaves out something else than the signature's /Contents.
    let at = pdf.windows(10).rposition(|w| w == b"/ByteRange").unwrap();
    let list = check(forged_range(
        &pdf,
        &format!("[0 {at} {} {}]", at + 4, len - at - 4),
    ))
    .await;
    assert_eq!(list[0]["valid"], false, "{list}");
    // A flipped byte inside the signed range (in the header's binary comment).
    let mut flipped = pdf.clone();
    let first_line = flipped.iter().position(|b| *b == b'\n').unwrap();
    flipped[first_line + 2] ^= 1;
    let list = check(flipped).await;
    assert_eq!(list[0]["valid"], false, "{list}");
    // Incremental saving attack: a later revision changes the page; the signature still holds
    // for its revision and says that bytes came after it.
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let mut inc = lopdf::IncrementalDocument::create_from(pdf.clone(), doc);
    let page = inc.get_prev_documents().get_pages()[&1];
    inc.opt_clone_object_to_new_document(page).unwrap();
    let content = inc.new_document.add_object(lopdf::Stream::new(
        lopdf::Dictionary::new(),
        b"BT /F1 40 Tf 100 500 Td (KHONG DONG Y) Tj ET".to_vec(),
    ));
    inc.new_document
        .get_object_mut(page)
        .unwrap()
        .as_dict_mut()
        .unwrap()
        .set("Contents", lopdf::Object::Reference(content));
    let mut changed = Vec::new();
    inc.save_to(&mut changed).unwrap();
    let list = check(changed).await;
    assert_eq!(list[0]["valid"], true, "{list}");
    assert_eq!(list[0]["modified_after"], true, "{list}");
    assert_eq!(list[0]["covers_whole_document"], false, "{list}");
}

backend_tests!(
    signed_uploads_are_checked_signature_by_signature,
    rsa_pss_signatures_are_checked,
    known_signature_attacks_are_recognised
);
