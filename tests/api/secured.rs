//! Secured PDFs from other agencies (contract v2, "Documents"): a file encrypted with an empty
//! user password (an owner password restricting edits only; every reader opens it without
//! asking) is accepted in RC4, AES-128 and AES-256, and `file` serves its decrypted copy; one
//! that needs a password is 422 `invalid_pdf` with `reason: password_required`. The files are
//! encrypted by pyHanko (tests/tools/encrypt_pdf.py), as another agency's tool would.

use std::path::Path;
use std::process::Command;

use ecabinet_tests::{Backend, assert_problem, backend_tests, pdfs, spawn_app};

use crate::support::{create_meeting, expect, person};

fn encrypt(input: &[u8], user_password: &str, alg: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("in.pdf"), dir.path().join("out.pdf"));
    std::fs::write(&src, input).unwrap();
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/encrypt_pdf.py"))
        .arg(&src)
        .arg(&dst)
        .args(["chu-so-huu", user_password, alg])
        .output()
        .expect("python3 with pyHanko (scripts/install-tools.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(dst).unwrap()
}

async fn secured_pdfs_open_without_a_password_are_accepted(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let m = create_meeting(&app, &admin.token, "Phiên họp").await;
    let upload = |bytes: Vec<u8>| {
        app.client
            .post(app.url(&format!("/api/v1/meetings/{m}/documents")))
            .query(&[("title", "Công văn đến")])
            .bearer_auth(&admin.token)
            .header("content-type", "application/pdf")
            .body(bytes)
            .send()
    };
    let plain = pdfs::simple(3, "cong-van");
    for alg in ["rc4", "aes128", "aes256"] {
        let secured = encrypt(&plain, "", alg);
        assert!(secured.windows(8).any(|w| w == b"/Encrypt"), "{alg}");
        let doc = expect(upload(secured.clone()).await.unwrap(), 201).await;
        assert_eq!(doc["pages"], 3, "{alg}: {doc}");
        let served = app
            .client
            .get(app.url(&format!(
                "/api/v1/documents/{}/file",
                doc["id"].as_str().unwrap()
            )))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_ne!(
            served.as_ref(),
            secured.as_slice(),
            "{alg}: the copy is served"
        );
        let opened = lopdf::Document::load_mem(&served).unwrap();
        assert!(!opened.trailer.has(b"Encrypt"), "{alg}");
        assert_eq!(opened.get_pages().len(), 3, "{alg}");
        // The page text is readable in the clear again.
        let page = *opened.get_pages().get(&1).unwrap();
        let text = String::from_utf8_lossy(&opened.get_page_content(page)).into_owned();
        assert!(text.contains("cong-van"), "{alg}: {text}");
    }
    // A password to open it: refused, saying so.
    let locked = encrypt(&plain, "mat-khau", "aes128");
    let problem = assert_problem(upload(locked).await.unwrap(), 422, "invalid_pdf").await;
    assert_eq!(problem["reason"], "password_required", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("without a password"),
        "{problem}"
    );
}

backend_tests!(secured_pdfs_open_without_a_password_are_accepted);
