//! Documents' files kept in the database (`--blobs postgres`, the default on PostgreSQL;
//! contract v2, "Operations"): two instances on one PostgreSQL, each with its own data
//! directory, serve every document whichever received it, Range included; a file damaged in
//! the database is never served; `--blobs` values that cannot work stop the server at start.

use diesel::{Connection, PgConnection, RunQueryDsl};
use ecabinet_tests::{Backend, TestApp, TestEnv, pdfs};
use sha2::{Digest, Sha256};

use crate::support::{create_meeting, id_of, person, upload_pdf};

async fn upload(app: &TestApp, token: &str, meeting: &str, bytes: Vec<u8>) -> String {
    id_of(&upload_pdf(app, token, meeting, "Tờ trình", bytes).await)
}

async fn file(app: &TestApp, token: &str, doc: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(&format!("/api/v1/documents/{doc}/file")))
        .bearer_auth(token);
    if let Some(r) = range {
        req = req.header("range", r);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_serve_every_document_from_the_database() {
    let env = TestEnv::new(Backend::Postgres);
    let one = TestApp::start(env.settings()).unwrap();
    let other_data = tempfile::tempdir().unwrap();
    let mut settings = env.settings();
    settings.data = other_data.path().to_path_buf();
    let other = TestApp::start(settings).unwrap();

    let admin = person(&one, "quantri", ecabinet::users::Role::Admin).await;
    let m = create_meeting(&one, &admin.token, "Phiên họp liên huyện").await;
    // Over three chunks, so reading back crosses chunk boundaries.
    let bytes = pdfs::sized(4, 900_000, "To trinh");
    assert!(bytes.len() > 3 << 20, "{}", bytes.len());
    let doc = upload(&one, &admin.token, &m, bytes.clone()).await;
    let sha = hex::encode(Sha256::digest(&bytes));
    let cached = other_data
        .path()
        .join("blob-cache")
        .join(&sha[..2])
        .join(&sha);
    assert!(!cached.exists(), "copied before anyone asked");

    let whole = file(&other, &admin.token, &doc, None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let from = (1 << 20) - 10;
    let part = file(
        &other,
        &admin.token,
        &doc,
        Some(&format!("bytes={from}-{}", from + 99)),
    )
    .await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.bytes().await.unwrap().as_ref(),
        &bytes[from..from + 100]
    );
    assert!(cached.is_file(), "served without a local copy");
    // The rows hold it: one file, its chunks.
    let rows = env.query_strings(&format!(
        "SELECT count(*)::text AS v FROM blob_chunks WHERE name = '{sha}'"
    ));
    assert_eq!(rows, ["4"]);

    // A file damaged in the database: a third instance (no local copy) refuses to serve it.
    let damaged = upload(&one, &admin.token, &m, pdfs::simple(2, "hong")).await;
    let damaged_sha = hex::encode(Sha256::digest(pdfs::simple(2, "hong")));
    let pg = env.pg.as_ref().unwrap();
    let mut c = PgConnection::establish(&pg.url).unwrap();
    diesel::sql_query(format!(
        "UPDATE blob_chunks SET data = overlay(data placing '\\x00'::bytea from 20) WHERE name = '{damaged_sha}'"
    ))
    .execute(&mut c)
    .unwrap();
    let third_data = tempfile::tempdir().unwrap();
    let mut settings = env.settings();
    settings.data = third_data.path().to_path_buf();
    let third = TestApp::start(settings).unwrap();
    let res = file(&third, &admin.token, &damaged, None).await;
    assert_eq!(res.status(), 500);
    // The intact one is still served there.
    let res = file(&third, &admin.token, &doc, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().len(), bytes.len());

    third.stop().await;
    other.stop().await;
    one.stop().await;
}

#[tokio::test]
async fn blob_locations_that_cannot_work_stop_the_server() {
    let env = TestEnv::new(Backend::Sqlite);
    for (value, says) in [
        ("postgres", "needs a PostgreSQL"),
        ("s3://bucket?region=x", "not available"),
        ("ftp://x", "expected"),
    ] {
        let mut settings = env.settings();
        settings.blobs = Some(value.into());
        let err = TestApp::start(settings).unwrap_err();
        assert!(format!("{err:#}").contains(says), "{value}: {err:#}");
    }
    // dir: elsewhere works, and the file lands there.
    let dir = tempfile::tempdir().unwrap();
    let mut settings = env.settings();
    settings.blobs = Some(format!("dir:{}", dir.path().display()));
    let app = TestApp::start(settings).unwrap();
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let m = create_meeting(&app, &admin.token, "Phiên họp").await;
    let bytes = pdfs::simple(1, "x");
    upload(&app, &admin.token, &m, bytes.clone()).await;
    let sha = hex::encode(Sha256::digest(&bytes));
    assert!(dir.path().join(&sha[..2]).join(&sha).is_file());
    app.stop().await;
}
