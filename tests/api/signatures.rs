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

backend_tests!(signed_uploads_are_checked_signature_by_signature);
