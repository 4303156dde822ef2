//! Backup and restore (contract v2, "Operations"), the drill: a meeting with documents,
//! annotations and a vote; an archive taken while ballots arrive; restored into an empty
//! place; the audit chain verifies there and every document downloads with its hash. And the
//! refusals: a non-empty target, a truncated or altered archive, an existing output file.

use std::time::Duration;

use ecabinet_tests::{Backend, TestApp, TestEnv, backend_tests, pdfs};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::support::{
    Person, advance_to, cast, check_in, expect, get_json, id_of, person, upload_pdf,
};

async fn ballot(app: &TestApp, who: &Person, poll: &str, choice: &str) {
    expect(
        app.post(
            &format!("/api/v1/polls/{poll}/ballots"),
            Some(&who.token),
            &json!({"choice": choice}),
        )
        .await,
        201,
    )
    .await;
}

async fn open_poll(app: &TestApp, chair: &Person, meeting: &str, title: &str) -> String {
    let poll = expect(
        app.post(
            &format!("/api/v1/meetings/{meeting}/polls"),
            Some(&chair.token),
            &json!({"title": title}),
        )
        .await,
        201,
    )
    .await;
    let id = id_of(&poll);
    expect(
        app.post(
            &format!("/api/v1/polls/{id}/open"),
            Some(&chair.token),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    id
}

async fn backup_while_ballots_arrive_then_restore_elsewhere(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap();
    let c = cast(&app).await;
    let m = c.meeting.clone();
    let mut documents = Vec::new();
    for (i, title) in ["Tờ trình số 12", "Dự thảo Nghị quyết"].iter().enumerate() {
        let doc = upload_pdf(
            &app,
            &c.secretary.token,
            &m,
            title,
            pdfs::simple(2 + i, title),
        )
        .await;
        documents.push(doc);
    }
    advance_to(&app, &c.admin.token, &m, "live").await;
    let doc0 = id_of(&documents[0]);
    expect(
        app.post(
            &format!("/api/v1/documents/{doc0}/annotations"),
            Some(&c.member.token),
            &json!({"id": "backup-note", "page": 1, "kind": "note", "shared": true,
                    "data": {"x": 0.1, "y": 0.2, "text": "Cần làm rõ nguồn vốn"}}),
        )
        .await,
        201,
    )
    .await;
    let mut voters = vec![&c.member, &c.member2, &c.chair];
    for who in &voters {
        check_in(&app, who, &m).await;
    }
    let first = open_poll(&app, &c.chair, &m, "Thông qua chương trình").await;
    ballot(&app, &c.member, &first, "yes").await;
    ballot(&app, &c.chair, &first, "yes").await;
    expect(
        app.post(
            &format!("/api/v1/polls/{first}/close"),
            Some(&c.chair.token),
            &json!({}),
        )
        .await,
        200,
    )
    .await;

    // A second poll whose ballots arrive while the archive is written.
    let second = open_poll(&app, &c.chair, &m, "Thông qua Nghị quyết").await;
    let archive_dir = tempfile::tempdir().unwrap();
    let archive = archive_dir.path().join("ecabinet.backup");
    let settings = env.settings();
    let out = archive.clone();
    let backup = tokio::spawn(async move { ecabinet::backup::backup(&settings, &out).await });
    for who in voters.drain(..) {
        ballot(&app, who, &second, "yes").await;
    }
    let summary = backup.await.unwrap().unwrap();
    assert_eq!(summary.blobs, 2, "{summary:?}");
    assert!(archive.exists());
    assert!(!archive_dir.path().join("ecabinet.backup.partial").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&archive).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the archive holds keys: {mode:o}");
    }
    // A second backup to the same name is refused; the first is intact.
    assert!(
        ecabinet::backup::backup(&env.settings(), &archive)
            .await
            .is_err()
    );
    let votes_before = get_json(&app, &format!("/api/v1/polls/{first}"), &c.chair.token).await;
    app.stop().await;

    // Into the same, non-empty place: refused.
    let err = ecabinet::backup::restore(&env.settings(), &archive)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("not empty"), "{err:#}");

    // Elsewhere: an empty data directory (and an empty database).
    let elsewhere = TestEnv::new(backend);
    ecabinet::backup::restore(&elsewhere.settings(), &archive)
        .await
        .unwrap();
    let app = TestApp::start(elsewhere.settings()).unwrap();
    let report = ecabinet::audit::verify(&app.state.db, None).await.unwrap();
    assert!(!report.is_empty());
    for (meeting, outcome) in &report {
        assert!(outcome.is_ok(), "audit of {meeting}: {outcome:?}");
    }
    // The people, their tokens (the keys came back) and their documents.
    let login = app.login("thuky").await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    for doc in &documents {
        let id = id_of(doc);
        let res = app
            .client
            .get(app.url(&format!("/api/v1/documents/{id}/file")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            doc["sha256"].as_str().unwrap(),
            "document {id}"
        );
    }
    let votes_after = get_json(&app, &format!("/api/v1/polls/{first}"), &c.chair.token).await;
    assert_eq!(votes_after["tally"], votes_before["tally"]);
    let notes = get_json(
        &app,
        &format!("/api/v1/documents/{doc0}/annotations"),
        &c.member.token,
    )
    .await;
    assert!(
        notes.to_string().contains("Cần làm rõ nguồn vốn"),
        "{notes}"
    );
    // Every ballot of the second poll is either in or not: the count agrees with its
    // receipts in the chain (the audit above), and at most the three cast.
    let second_now = get_json(&app, &format!("/api/v1/polls/{second}"), &c.chair.token).await;
    assert!(second_now["voted"].as_i64().unwrap() <= 3, "{second_now}");
    app.stop().await;
}

async fn damaged_archives_are_refused_before_anything_is_written(backend: Backend) {
    let env = TestEnv::new(backend);
    let app = TestApp::start(env.settings()).unwrap();
    let admin = person(&app, "quantri", ecabinet::users::Role::Admin).await;
    let m = crate::support::create_meeting(&app, &admin.token, "Phiên họp chỉ để hỏng").await;
    upload_pdf(&app, &admin.token, &m, "Tờ trình", pdfs::simple(1, "x")).await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.backup");
    ecabinet::backup::backup(&env.settings(), &archive)
        .await
        .unwrap();
    app.stop().await;
    let bytes = std::fs::read(&archive).unwrap();

    let truncated = dir.path().join("truncated.backup");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let altered = dir.path().join("altered.backup");
    let mut changed = bytes.clone();
    // The meeting's title is in the database's entry, whichever the database.
    let title = "Phiên họp chỉ để hỏng".as_bytes();
    let at = changed
        .windows(title.len())
        .position(|w| w == title)
        .expect("the meeting's title in the archive");
    changed[at] ^= 0x01;
    std::fs::write(&altered, &changed).unwrap();
    for bad in [&truncated, &altered] {
        let target = TestEnv::new(backend);
        let err = ecabinet::backup::restore(&target.settings(), bad)
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("truncated") || text.contains("altered") || text.contains("damaged"),
            "{text}"
        );
        // Nothing was written: the target is as empty as before.
        assert!(!target.data.path().join("ecabinet.db").exists());
        assert!(!target.data.path().join("jwt-secret").exists());
        if let Some(pg) = &target.pg {
            let tables = target.query_strings(
                "SELECT table_name::text AS v FROM information_schema.tables WHERE table_schema = current_schema()",
            );
            assert!(tables.is_empty(), "{} got tables {tables:?}", pg.url);
        }
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
}

backend_tests!(
    backup_while_ballots_arrive_then_restore_elsewhere,
    damaged_archives_are_refused_before_anything_is_written,
);
