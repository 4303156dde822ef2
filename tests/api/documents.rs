//! Documents: upload (raw and multipart), validation in the child process, versions,
//! downloads with Range and ETag, recipient watermarks, the board book, and every bad input.

use std::io::{Read, Write};
use std::time::Duration;

use ecabinet::users::Role;
use ecabinet_tests::{Backend, TestApp, TestEnv, assert_problem, backend_tests, pdfs, spawn_app};
use serde_json::{Value, json};

use crate::support::{
    Cast, add_item, advance_to, cast, delete, event_types, events, expect, get_json, id_of,
    meeting, patch, person,
};

async fn upload_as(
    app: &TestApp,
    token: &str,
    meeting: &str,
    title: &str,
    item: Option<&str>,
    bytes: Vec<u8>,
    content_type: &str,
) -> reqwest::Response {
    let mut query = vec![("title", title.to_owned())];
    if let Some(item) = item {
        query.push(("agenda_item_id", item.to_owned()));
    }
    app.client
        .post(app.url(&format!("/api/v1/meetings/{meeting}/documents")))
        .query(&query)
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("upload")
}

async fn upload(app: &TestApp, token: &str, meeting: &str, title: &str, bytes: Vec<u8>) -> Value {
    expect(
        upload_as(app, token, meeting, title, None, bytes, "application/pdf").await,
        201,
    )
    .await
}

async fn download(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("download")
}

/// Files stored under the blob directory (not counting staging).
fn stored_files(env: &TestEnv) -> Vec<String> {
    if env.backend == Backend::Postgres {
        // Files kept in the database: each row has its local copy in the instance that
        // stored it, so the copies tell the rows too; check they agree.
        let rows = env.query_strings("SELECT name AS v FROM blob_store WHERE plan IS NOT NULL");
        let copies = local_files(env);
        for row in &rows {
            assert!(copies.contains(row), "{row} stored without its local copy");
        }
        assert_eq!(
            rows.len(),
            copies.iter().filter(|f| !f.contains('.')).count(),
            "rows {rows:?}, copies {copies:?}"
        );
        return copies;
    }
    local_files(env)
}

fn local_files(env: &TestEnv) -> Vec<String> {
    let root = env.blob_dir();
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("blobs dir").flatten() {
        if dir.file_name() == "staging" {
            continue;
        }
        for f in std::fs::read_dir(dir.path())
            .expect("blob subdir")
            .flatten()
        {
            out.push(f.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

fn staging_files(env: &TestEnv) -> usize {
    std::fs::read_dir(env.blob_dir().join("staging"))
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn uploads_raw_and_multipart_and_stores_bytes_once(backend: Backend) {
    let (env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let pdf = pdfs::simple(3, "Báo cáo");
    let doc = upload(
        &app,
        &c.secretary.token,
        &c.meeting,
        "Báo cáo kinh tế – xã hội",
        pdf.clone(),
    )
    .await;
    assert_eq!(doc["title"], "Báo cáo kinh tế – xã hội");
    assert_eq!(doc["pages"], 3);
    assert_eq!(doc["bytes"], pdf.len());
    assert_eq!(doc["version"], 1);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&pdf))
    };
    assert_eq!(doc["sha256"], sha.as_str());

    // The same bytes again, as multipart, into a second document.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(pdf.clone())
            .file_name("bao-cao.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let res = app
        .client
        .post(app.url(&format!("/api/v1/meetings/{}/documents", c.meeting)))
        .query(&[("title", "Bản sao")])
        .bearer_auth(&c.secretary.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let copy = expect(res, 201).await;
    assert_ne!(copy["id"], doc["id"]);
    assert_eq!(copy["sha256"], sha.as_str());
    assert_eq!(stored_files(&env), vec![sha.clone(), format!("{sha}.plan")]);
    assert_eq!(staging_files(&env), 0);

    let detail = meeting(&app, &c.secretary.token, &c.meeting).await;
    let titles: Vec<_> = detail["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].clone())
        .collect();
    assert_eq!(
        titles,
        vec![json!("Báo cáo kinh tế – xã hội"), json!("Bản sao")]
    );
    let log = events(&app, &c.secretary.token, &c.meeting, 0).await;
    let added = event_types(&log)
        .iter()
        .filter(|t| *t == "document.added")
        .count();
    assert_eq!(added, 2);
}

async fn downloads_honour_range_etag_and_names(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let pdf = pdfs::simple(2, "Tờ trình");
    let doc = upload(
        &app,
        &c.secretary.token,
        &c.meeting,
        "Tờ trình số 12/TTr-UBND",
        pdf.clone(),
    )
    .await;
    let path = format!("/api/v1/documents/{}/file", id_of(&doc));

    let res = download(&app, &c.secretary.token, &path).await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("private")
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains("filename*=UTF-8''T%E1%BB%9D%20tr%C3%ACnh"),
        "{disposition}"
    );
    // Opened directly, the file runs nothing with the site's origin.
    assert_eq!(headers["content-security-policy"], "sandbox");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());

    let res = app
        .client
        .get(app.url(&path))
        .bearer_auth(&c.secretary.token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    let res = app
        .client
        .get(app.url(&path))
        .bearer_auth(&c.secretary.token)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 10-19/{}", pdf.len()).as_str()
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), &pdf[10..20]);

    let res = app
        .client
        .get(app.url(&path))
        .bearer_auth(&c.secretary.token)
        .header("range", "bytes=-7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &pdf[pdf.len() - 7..]);

    let res = app
        .client
        .get(app.url(&path))
        .bearer_auth(&c.secretary.token)
        .header("range", format!("bytes={}-", pdf.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{}", pdf.len()).as_str()
    );
    assert_problem(res, 416, "range_not_satisfiable").await;

    // A stale If-Range gets the whole file, never a splice of two versions.
    let res = app
        .client
        .get(app.url(&path))
        .bearer_auth(&c.secretary.token)
        .header("range", "bytes=0-3")
        .header("if-range", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn only_participants_see_documents(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let doc = upload(
        &app,
        &c.secretary.token,
        &c.meeting,
        "Dự thảo",
        pdfs::simple(1, "x"),
    )
    .await;
    let id = id_of(&doc);
    let paths = [
        format!("/api/v1/documents/{id}"),
        format!("/api/v1/documents/{id}/file"),
        format!("/api/v1/meetings/{}/board-book", c.meeting),
    ];
    // A draft meeting: members do not see it yet, outsiders never.
    for who in [&c.member, &c.observer, &c.outsider] {
        for path in &paths {
            assert_problem(download(&app, &who.token, path).await, 404, "not_found").await;
        }
    }
    advance_to(&app, &c.admin.token, &c.meeting, "scheduled").await;
    for who in [&c.member, &c.observer, &c.chair] {
        for path in &paths {
            assert_eq!(
                download(&app, &who.token, path).await.status(),
                200,
                "{path}"
            );
        }
    }
    for path in &paths {
        assert_problem(
            download(&app, &c.outsider.token, path).await,
            404,
            "not_found",
        )
        .await;
    }
    // Readers do not upload, rename or delete.
    let res = upload_as(
        &app,
        &c.member.token,
        &c.meeting,
        "x",
        None,
        pdfs::simple(1, "m"),
        "application/pdf",
    )
    .await;
    assert_problem(res, 403, "forbidden").await;
    let res = patch(
        &app,
        &format!("/api/v1/documents/{id}"),
        &c.member.token,
        &json!({"title": "y"}),
    )
    .await;
    assert_problem(res, 403, "forbidden").await;
    assert_problem(
        delete(&app, &format!("/api/v1/documents/{id}"), &c.observer.token).await,
        403,
        "forbidden",
    )
    .await;
    // An outsider cannot even learn the document exists.
    let res = upload_as(
        &app,
        &c.outsider.token,
        &c.meeting,
        "x",
        None,
        pdfs::simple(1, "o"),
        "application/pdf",
    )
    .await;
    assert_problem(res, 404, "not_found").await;
    assert_problem(
        delete(&app, &format!("/api/v1/documents/{id}"), &c.outsider.token).await,
        404,
        "not_found",
    )
    .await;
}

async fn replacing_content_keeps_old_versions(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let v1 = pdfs::simple(1, "bản 1");
    let v2 = pdfs::simple(4, "bản 2");
    let doc = upload(
        &app,
        &c.secretary.token,
        &c.meeting,
        "Nghị quyết",
        v1.clone(),
    )
    .await;
    let id = id_of(&doc);
    let res = app
        .client
        .put(app.url(&format!("/api/v1/documents/{id}/content")))
        .bearer_auth(&c.clerk.token)
        .header("content-type", "application/pdf")
        .body(v2.clone())
        .send()
        .await
        .unwrap();
    let replaced = expect(res, 200).await;
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["pages"], 4);

    let detail = get_json(&app, &format!("/api/v1/documents/{id}"), &c.secretary.token).await;
    let versions: Vec<_> = detail["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].clone())
        .collect();
    assert_eq!(versions, vec![json!(1), json!(2)]);
    let file = |v: &str| format!("/api/v1/documents/{id}/file{v}");
    let latest = download(&app, &c.secretary.token, &file(""))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(latest.as_ref(), v2.as_slice());
    let old = download(&app, &c.secretary.token, &file("?version=1"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(old.as_ref(), v1.as_slice());
    assert_problem(
        download(&app, &c.secretary.token, &file("?version=3")).await,
        404,
        "not_found",
    )
    .await;
    let log = events(&app, &c.secretary.token, &c.meeting, 0).await;
    assert!(event_types(&log).contains(&"document.replaced".to_owned()));
    // Both versions' hashes are in the meeting's audit chain, and so is the deletion.
    expect(
        delete(&app, &format!("/api/v1/documents/{id}"), &c.secretary.token).await,
        204,
    )
    .await;
    let audit = get_json(
        &app,
        &format!("/api/v1/meetings/{}/audit", c.meeting),
        &c.secretary.token,
    )
    .await;
    let entries: Vec<(String, Value)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"].as_str().unwrap_or("").starts_with("document."))
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["data"].clone()))
        .collect();
    let kinds: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["document.added", "document.replaced", "document.deleted"]
    );
    assert_eq!(entries[0].1["sha256"], doc["sha256"]);
    assert_eq!(entries[1].1["sha256"], replaced["sha256"]);
    assert_eq!(entries[1].1["version"], 2);
}

async fn closed_meetings_take_no_documents(backend: Backend) {
    let (env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let doc = upload(
        &app,
        &c.secretary.token,
        &c.meeting,
        "Biên bản",
        pdfs::simple(1, "b"),
    )
    .await;
    advance_to(&app, &c.admin.token, &c.meeting, "closed").await;
    let res = upload_as(
        &app,
        &c.secretary.token,
        &c.meeting,
        "Muộn",
        None,
        pdfs::simple(2, "late"),
        "application/pdf",
    )
    .await;
    assert_problem(res, 409, "meeting_closed").await;
    let res = app
        .client
        .put(app.url(&format!("/api/v1/documents/{}/content", id_of(&doc))))
        .bearer_auth(&c.secretary.token)
        .header("content-type", "application/pdf")
        .body(pdfs::simple(2, "late"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "meeting_closed").await;
    assert_problem(
        delete(
            &app,
            &format!("/api/v1/documents/{}", id_of(&doc)),
            &c.secretary.token,
        )
        .await,
        409,
        "meeting_closed",
    )
    .await;
    // Refused before the body was stored.
    assert_eq!(stored_files(&env).len(), 2);
    // Still readable.
    assert_eq!(
        download(
            &app,
            &c.chair.token,
            &format!("/api/v1/documents/{}/file", id_of(&doc))
        )
        .await
        .status(),
        200
    );
}

async fn bad_files_are_refused_and_leave_nothing(backend: Backend) {
    let (env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let t = &c.secretary.token;
    let m = &c.meeting;
    let pdf = "application/pdf";
    // (what, body, content type, status, code, reason)
    type Case<'a> = (&'a str, Vec<u8>, &'a str, u16, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "empty",
            Vec::new(),
            pdf,
            415,
            "unsupported_media_type",
            None,
        ),
        (
            "jpeg named .pdf",
            pdfs::jpeg(),
            pdf,
            415,
            "unsupported_media_type",
            None,
        ),
        (
            "wrong media type",
            pdfs::simple(1, "t"),
            "text/plain",
            415,
            "unsupported_media_type",
            None,
        ),
        (
            "truncated",
            pdfs::truncated(),
            pdf,
            422,
            "invalid_pdf",
            None,
        ),
        (
            "broken xref",
            pdfs::broken_xref(),
            pdf,
            422,
            "invalid_pdf",
            Some("broken_xref"),
        ),
        (
            "cyclic page tree",
            pdfs::cyclic_page_tree(),
            pdf,
            422,
            "invalid_pdf",
            Some("page_tree_cycle"),
        ),
        (
            "decompression bomb",
            pdfs::decompression_bomb(200 << 20),
            pdf,
            422,
            "invalid_pdf",
            Some("decompression_bomb"),
        ),
        (
            "10,000 pages",
            pdfs::simple(10_000, "p"),
            pdf,
            422,
            "invalid_pdf",
            Some("too_many_pages"),
        ),
        (
            "encrypted",
            pdfs::encrypted(),
            pdf,
            422,
            "invalid_pdf",
            Some("password_required"),
        ),
    ];
    for (what, bytes, ct, status, code, reason) in cases {
        let res = upload_as(&app, t, m, what, None, bytes, ct).await;
        let problem = assert_problem(res, status, code).await;
        if let Some(reason) = reason {
            assert_eq!(problem["reason"], reason, "{what}: {problem}");
        }
    }
    let res = upload_as(&app, t, m, "", None, pdfs::simple(1, "t"), pdf).await;
    assert_problem(res, 422, "invalid_title").await;
    assert!(
        meeting(&app, t, m).await["documents"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(stored_files(&env).is_empty(), "{:?}", stored_files(&env));
    assert_eq!(staging_files(&env), 0);
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}

/// Opens a raw connection and sends a request head for an upload.
fn raw_upload_head(app: &TestApp, c: &Cast, length: u64) -> std::net::TcpStream {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST /api/v1/meetings/{}/documents?title=Big HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/pdf\r\nContent-Length: {length}\r\n\r\n",
        c.meeting, c.secretary.token
    )
    .unwrap();
    stream
}

async fn oversized_and_cut_off_uploads(backend: Backend) {
    let (env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    // 1 GiB declared: answered 413 at once, after a few bytes only.
    let status = {
        let mut stream = raw_upload_head(&app, &c, 1 << 30);
        stream.write_all(b"%PDF-1.7\n").unwrap();
        let mut answer = vec![0u8; 512];
        let n = stream.read(&mut answer).unwrap();
        String::from_utf8_lossy(&answer[..n]).into_owned()
    };
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");

    // The same without a declared length (chunked): cut when the limit is passed.
    let limit = app.state.settings.documents.max_upload_bytes as usize;
    let chunk = vec![b'%'; 1 << 20];
    let body = futures_util::stream::iter((0..limit / chunk.len() + 2).map(move |i| {
        let mut c = chunk.clone();
        if i == 0 {
            c[..9].copy_from_slice(b"%PDF-1.7\n");
        }
        Ok::<_, std::io::Error>(c)
    }));
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/meetings/{}/documents?title=Big",
            c.meeting
        )))
        .bearer_auth(&c.secretary.token)
        .header("content-type", "application/pdf")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await;
    // The server may answer before reading the rest, which the client can see as a reset.
    if let Ok(res) = res {
        assert_problem(res, 413, "payload_too_large").await;
    }

    // Cut off half-way: nothing recorded, nothing left in staging.
    {
        let mut stream = raw_upload_head(&app, &c, 100_000);
        stream.write_all(&pdfs::simple(1, "cut")[..200]).unwrap();
        stream.shutdown(std::net::Shutdown::Both).unwrap();
    }
    let mut settled = false;
    for _ in 0..50 {
        if staging_files(&env) == 0 {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(settled, "staging not cleaned up");
    assert!(
        meeting(&app, &c.secretary.token, &c.meeting).await["documents"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(stored_files(&env).is_empty());
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}

async fn a_checker_that_hangs_is_killed(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.documents.checker = Some(vec!["sh".into(), "-c".into(), "sleep 30".into()]);
    settings.documents.check_timeout_ms = 500;
    let app = TestApp::start(settings).unwrap();
    let c = cast(&app).await;
    let started = std::time::Instant::now();
    let res = upload_as(
        &app,
        &c.secretary.token,
        &c.meeting,
        "x",
        None,
        pdfs::simple(1, "h"),
        "application/pdf",
    )
    .await;
    let problem = assert_problem(res, 422, "invalid_pdf").await;
    assert_eq!(problem["reason"], "hostile");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(stored_files(&env).is_empty());
}

async fn watermarks_name_the_reader(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let pdf = pdfs::simple(5, "Mật");
    let doc = upload(
        &app,
        &c.secretary.token,
        &c.meeting,
        "Tài liệu mật",
        pdf.clone(),
    )
    .await;
    let res = patch(
        &app,
        &format!("/api/v1/meetings/{}", c.meeting),
        &c.secretary.token,
        &json!({"watermark": "{display_name} · {date} · MẬT"}),
    )
    .await;
    expect(res, 200).await;
    advance_to(&app, &c.admin.token, &c.meeting, "scheduled").await;
    let path = format!("/api/v1/documents/{}/file", id_of(&doc));

    let mut tails = Vec::new();
    for who in [&c.member, &c.chair] {
        let res = download(&app, &who.token, &path).await;
        assert_eq!(res.status(), 200);
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let body = res.bytes().await.unwrap().to_vec();
        // The original bytes untouched, then a small tail.
        assert!(body.starts_with(&pdf));
        let tail = body[pdf.len()..].to_vec();
        assert!(tail.len() < 64 * 1024, "tail of {} bytes", tail.len());
        // Every page draws the stamp; the file still opens.
        for content in pdfs::page_contents(&body) {
            let text = String::from_utf8_lossy(&content).into_owned();
            assert!(text.contains("/ECabinetStamp Do"), "{text}");
        }
        let reopened = lopdf::Document::load_mem(&body).unwrap();
        assert_eq!(reopened.get_pages().len(), 5);
        // Range and conditional requests on the stamped file.
        let res = app
            .client
            .get(app.url(&path))
            .bearer_auth(&who.token)
            .header("range", format!("bytes={}-", pdf.len()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 206);
        assert_eq!(res.bytes().await.unwrap().as_ref(), tail.as_slice());
        let res = app
            .client
            .get(app.url(&path))
            .bearer_auth(&who.token)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304);
        tails.push((etag, tail));
    }
    assert_ne!(tails[0].0, tails[1].0, "each reader has their own file");
    assert_ne!(tails[0].1, tails[1].1);
    // The reader's name is in the stamp's font map (UTF-16 of "Người dùng uyvien").
    let name_hex: String = "Người dùng uyvien"
        .encode_utf16()
        .map(|u| format!("{u:04X}"))
        .collect();
    let tail_text = String::from_utf8_lossy(&tails[0].1).into_owned();
    let member_stamp =
        lopdf::Document::load_mem(&[pdf.clone(), tails[0].1.clone()].concat()).unwrap();
    let mut mapped = String::new();
    for object in member_stamp.objects.values() {
        if let Ok(stream) = object.as_stream()
            && let Ok(content) = stream
                .decompressed_content()
                .or_else(|_| Ok::<_, ()>(stream.content.clone()))
        {
            let text = String::from_utf8_lossy(&content);
            if text.contains("beginbfchar") {
                mapped.push_str(&text);
            }
        }
    }
    assert!(!mapped.is_empty(), "no ToUnicode map in {tail_text:.200}");
    for ch in name_hex
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
    {
        assert!(
            mapped.contains(&format!("<{ch}>")),
            "{ch} missing from the stamp font map"
        );
    }
    // Without a watermark the file is the original.
    let res = patch(
        &app,
        &format!("/api/v1/meetings/{}", c.meeting),
        &c.secretary.token,
        &json!({"watermark": null}),
    )
    .await;
    expect(res, 200).await;
    let plain = download(&app, &c.member.token, &path)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(plain.as_ref(), pdf.as_slice());
}

/// The titles of the outline, depth first, indented by level.
fn outline_titles(doc: &lopdf::Document) -> Vec<String> {
    fn walk(
        doc: &lopdf::Document,
        first: Option<lopdf::ObjectId>,
        depth: usize,
        out: &mut Vec<String>,
    ) {
        let mut next = first;
        let mut guard = 0;
        while let Some(id) = next {
            guard += 1;
            assert!(guard < 1000, "outline loops");
            let item = doc.get_dictionary(id).unwrap();
            let title = item.get(b"Title").unwrap();
            let title = lopdf::decode_text_string(title).unwrap();
            out.push(format!("{}{}", "  ".repeat(depth), title));
            let child = item.get(b"First").and_then(|o| o.as_reference()).ok();
            walk(doc, child, depth + 1, out);
            next = item.get(b"Next").and_then(|o| o.as_reference()).ok();
        }
    }
    let catalog = doc.catalog().unwrap();
    let outlines = catalog.get(b"Outlines").unwrap().as_reference().unwrap();
    let first = doc
        .get_dictionary(outlines)
        .unwrap()
        .get(b"First")
        .unwrap()
        .as_reference()
        .ok();
    let mut out = Vec::new();
    walk(doc, first, 0, &mut out);
    out
}

async fn the_board_book_follows_the_agenda(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let t = &c.secretary.token;
    let m = &c.meeting;
    let first = add_item(&app, t, m, "Báo cáo tình hình", None).await;
    let sub = add_item(&app, t, m, "Kinh tế", Some(&first)).await;
    let second = add_item(&app, t, m, "Kế hoạch năm 2027", None).await;
    // Uploaded out of agenda order.
    for (title, item, pages) in [
        ("Kế hoạch", &second, 3),
        ("Báo cáo chung", &first, 2),
        ("Số liệu kinh tế", &sub, 4),
    ] {
        expect(
            upload_as(
                &app,
                t,
                m,
                title,
                Some(item),
                pdfs::simple(pages, title),
                "application/pdf",
            )
            .await,
            201,
        )
        .await;
    }
    upload(&app, t, m, "Phụ lục", pdfs::simple(1, "pl")).await;
    let path = format!("/api/v1/meetings/{m}/board-book");
    let res = download(&app, t, &path).await;
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let book = res.bytes().await.unwrap().to_vec();
    let doc = lopdf::Document::load_mem(&book).unwrap();
    // One agenda page, then 2 + 4 + 3 + 1 pages in agenda order.
    assert_eq!(doc.get_pages().len(), 1 + 2 + 4 + 3 + 1);
    let contents = pdfs::page_contents(&book);
    let order: Vec<String> = contents[1..]
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    assert!(
        order[0].contains("page 1") && order[2].contains("page 1") && order[6].contains("page 1")
    );
    assert_eq!(
        outline_titles(&doc),
        vec![
            "1. Báo cáo tình hình",
            "  Báo cáo chung",
            "  1.1. Kinh tế",
            "    Số liệu kinh tế",
            "2. Kế hoạch năm 2027",
            "  Kế hoạch",
            "Tài liệu khác",
            "  Phụ lục",
        ]
    );
    // One language per book, the reader's: an English reader's book heads its own pages in
    // English (the documents' titles are the meeting's own).
    let english = download(&app, t, &format!("{path}?lang=en")).await;
    assert_eq!(english.status(), 200);
    let english = lopdf::Document::load_mem(&english.bytes().await.unwrap()).unwrap();
    let titles = outline_titles(&english);
    assert_eq!(titles.last().map(String::as_str), Some("  Phụ lục"));
    assert!(titles.contains(&"Other documents".to_owned()), "{titles:?}");
    assert!(!titles.contains(&"Tài liệu khác".to_owned()), "{titles:?}");
    // Cached while nothing changes; rebuilt when the agenda changes.
    let again = download(&app, t, &path).await;
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    let res = patch(
        &app,
        &format!("/api/v1/agenda/{second}"),
        t,
        &json!({"title": "Kế hoạch 2027 (sửa)"}),
    )
    .await;
    expect(res, 200).await;
    let changed = download(&app, t, &path).await;
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

async fn documents_can_be_renamed_moved_and_deleted(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let t = &c.secretary.token;
    let item = add_item(&app, t, &c.meeting, "Mục 1", None).await;
    let doc = upload(&app, t, &c.meeting, "Cũ", pdfs::simple(1, "d")).await;
    let path = format!("/api/v1/documents/{}", id_of(&doc));
    let res = patch(
        &app,
        &path,
        t,
        &json!({"title": "Mới", "agenda_item_id": item}),
    )
    .await;
    let updated = expect(res, 200).await;
    assert_eq!(updated["title"], "Mới");
    assert_eq!(updated["agenda_item_id"], item.as_str());
    let res = patch(&app, &path, t, &json!({"agenda_item_id": "nope"})).await;
    assert_problem(res, 422, "invalid_agenda_item").await;
    let res = patch(&app, &path, t, &json!({"agenda_item_id": null})).await;
    assert_eq!(expect(res, 200).await["agenda_item_id"], Value::Null);

    expect(delete(&app, &path, t).await, 204).await;
    assert_problem(app.get(&path, Some(t)).await, 404, "not_found").await;
    assert_problem(
        app.get(&format!("{path}/file"), Some(t)).await,
        404,
        "not_found",
    )
    .await;
    assert!(
        meeting(&app, t, &c.meeting).await["documents"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let log = events(&app, t, &c.meeting, 0).await;
    assert!(event_types(&log).contains(&"document.deleted".to_owned()));
    assert!(event_types(&log).contains(&"document.updated".to_owned()));
}

async fn agenda_items_with_documents_are_not_deleted_by_accident(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    let t = &c.secretary.token;
    let parent = add_item(&app, t, &c.meeting, "Mục cha", None).await;
    let child = add_item(&app, t, &c.meeting, "Mục con", Some(&parent)).await;
    let doc = expect(
        upload_as(
            &app,
            t,
            &c.meeting,
            "Tờ trình",
            Some(&child),
            pdfs::simple(1, "c"),
            "application/pdf",
        )
        .await,
        201,
    )
    .await;
    let res = delete(&app, &format!("/api/v1/agenda/{parent}"), t).await;
    assert_problem(res, 409, "agenda_item_in_use").await;
    assert_eq!(
        get_json(&app, &format!("/api/v1/documents/{}", id_of(&doc)), t).await["agenda_item_id"],
        child.as_str()
    );

    let res = delete(&app, &format!("/api/v1/agenda/{parent}?cascade=true"), t).await;
    expect(res, 204).await;
    assert_problem(
        app.get(&format!("/api/v1/documents/{}", id_of(&doc)), Some(t))
            .await,
        404,
        "not_found",
    )
    .await;
    let log = events(&app, t, &c.meeting, 0).await;
    assert!(event_types(&log).contains(&"document.deleted".to_owned()));
}

async fn unknown_documents_are_404(backend: Backend) {
    let (_env, app) = spawn_app(backend).await;
    let admin = person(&app, "admin", Role::Admin).await;
    for path in ["/api/v1/documents/nope", "/api/v1/documents/nope/file"] {
        assert_problem(app.get(path, Some(&admin.token)).await, 404, "not_found").await;
    }
    let res = upload_as(
        &app,
        &admin.token,
        "nope",
        "x",
        None,
        pdfs::simple(1, "x"),
        "application/pdf",
    )
    .await;
    assert_problem(res, 404, "not_found").await;
}

/// Everything the server writes into its data directory is its own: directories 0700, files
/// 0600 (the SQLite database and its WAL, stored files, plans, board books).
async fn stored_files_are_private(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;

    let (env, app) = spawn_app(backend).await;
    let c = cast(&app).await;
    upload(
        &app,
        &c.secretary.token,
        &c.meeting,
        "Tờ trình",
        pdfs::simple(2, "Tờ trình"),
    )
    .await;
    let res = download(
        &app,
        &c.secretary.token,
        &format!("/api/v1/meetings/{}/board-book", c.meeting),
    )
    .await;
    assert_eq!(res.status(), 200);
    fn walk(dir: &std::path::Path, seen: &mut Vec<(String, u32, bool)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            let mode = meta.permissions().mode() & 0o777;
            seen.push((entry.path().display().to_string(), mode, meta.is_dir()));
            if meta.is_dir() {
                walk(&entry.path(), seen);
            }
        }
    }
    let mut seen = Vec::new();
    walk(env.data.path(), &mut seen);
    let files = seen.iter().filter(|(_, _, dir)| !dir).count();
    assert!(
        files >= 3,
        "a stored file, its plan and a book at least: {seen:?}"
    );
    if backend == Backend::Sqlite {
        assert!(seen.iter().any(|(p, _, _)| p.ends_with("ecabinet.db")));
    }
    for (path, mode, dir) in &seen {
        let want = if *dir { 0o700 } else { 0o600 };
        assert_eq!(mode & 0o077, 0, "{path} is {mode:o}, want {want:o}");
    }
    let data_mode = std::fs::metadata(env.data.path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(data_mode, 0o700);
}

/// Concurrent requests for one board book share one build (in the checking child); a book
/// over the page limit is 422 board_book_too_large at once, every time, without a build.
async fn board_books_are_built_once_and_bounded(backend: Backend) {
    let env = TestEnv::new(backend);
    let mut settings = env.settings();
    settings.documents.board_book_max_pages = 6;
    let app = TestApp::start(settings).unwrap();
    let c = cast(&app).await;
    let (t, m) = (c.secretary.token.as_str(), c.meeting.as_str());
    upload(&app, t, m, "Tờ trình", pdfs::simple(3, "Tờ trình")).await;
    let path = format!("/api/v1/meetings/{m}/board-book");
    let requests = (0..6).map(|_| download(&app, t, &path));
    let answers = futures_util::future::join_all(requests).await;
    let mut bodies = Vec::new();
    for res in answers {
        assert_eq!(res.status(), 200);
        bodies.push(res.bytes().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(
        app.state.files.books_built(),
        1,
        "one build for six requests"
    );

    // 3 + 3 pages of documents and the agenda page: 7, found by the build, remembered.
    let extra = id_of(&upload(&app, t, m, "Phụ lục", pdfs::simple(3, "Phụ lục")).await);
    for _ in 0..3 {
        let res = download(&app, t, &path).await;
        assert_problem(res, 422, "board_book_too_large").await;
    }
    assert_eq!(
        app.state.files.books_built(),
        2,
        "the refused book was built once"
    );
    // 3 + 4 pages of documents: refused from the plan, without a build.
    expect(
        delete(&app, &format!("/api/v1/documents/{extra}"), t).await,
        204,
    )
    .await;
    upload(&app, t, m, "Phụ lục lớn", pdfs::simple(4, "Phụ lục lớn")).await;
    let res = download(&app, t, &path).await;
    assert_problem(res, 422, "board_book_too_large").await;
    assert_eq!(
        app.state.files.books_built(),
        2,
        "a book too large by its plan is not built"
    );
}

backend_tests!(
    board_books_are_built_once_and_bounded,
    stored_files_are_private,
    uploads_raw_and_multipart_and_stores_bytes_once,
    downloads_honour_range_etag_and_names,
    only_participants_see_documents,
    replacing_content_keeps_old_versions,
    closed_meetings_take_no_documents,
    bad_files_are_refused_and_leave_nothing,
    oversized_and_cut_off_uploads,
    a_checker_that_hangs_is_killed,
    watermarks_name_the_reader,
    the_board_book_follows_the_agenda,
    documents_can_be_renamed_moved_and_deleted,
    agenda_items_with_documents_are_not_deleted_by_accident,
    unknown_documents_are_404,
);
