//! Annotation costs: the export of a 100-page PDF with 1,000 annotations (in-process: the
//! annotation objects and the update; and end to end over HTTP), and the listing of a document
//! with 5,000 annotations over HTTP, on SQLite and PostgreSQL.
//! Run: `cargo bench -p ecabinet-tests --bench annotations`; figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use ecabinet::annotations::ExportItem;
use ecabinet::annotations::export::additions;
use ecabinet::annotations::rules::{Data, Highlight, Ink, Note};
use ecabinet::documents::pdf::{Limits, inspect};
use ecabinet::documents::stamp::tail_with;
use ecabinet::users::Role;
use ecabinet_tests::{Backend, TestApp, pdfs, spawn_app};
use serde_json::{Value, json};

const LIMITS: Limits = Limits {
    max_pages: 5_000,
    max_objects: 1_000_000,
    max_decompressed_bytes: 64 << 20,
};

/// The i-th of a mix: 40 % ink (one stroke of 40 points), 40 % highlights, 20 % notes.
fn data(i: usize) -> (&'static str, Value) {
    let f = (i % 97) as f64 / 100.0;
    match i % 5 {
        0 | 1 => (
            "ink",
            json!({"strokes": [{"points": (0..40).map(|k| [0.1 + f * 0.5 + k as f64 * 0.005, 0.2 + (k % 7) as f64 * 0.01]).collect::<Vec<_>>(),
                "color": "#c01010", "width": 0.003}]}),
        ),
        2 | 3 => (
            "highlight",
            json!({"rects": [[0.1, f * 0.9, 0.6, 0.02], [0.1, f * 0.9 + 0.025, 0.4, 0.02]], "color": "#ffe000"}),
        ),
        _ => (
            "note",
            json!({"x": 0.8, "y": f, "text": format!("Ý kiến số {i}: đề nghị làm rõ căn cứ pháp lý")}),
        ),
    }
}

fn export_in_process(c: &mut Criterion) {
    let file = pdfs::simple(100, "Tờ trình");
    let (_, plan) = inspect(&file, &LIMITS).unwrap();
    let items: Vec<ExportItem> = (0..1_000)
        .map(|i| {
            let (kind, value) = data(i);
            let data = match kind {
                "ink" => Data::Ink(serde_json::from_value::<Ink>(value).unwrap()),
                "highlight" => Data::Highlight(serde_json::from_value::<Highlight>(value).unwrap()),
                _ => Data::Note(serde_json::from_value::<Note>(value).unwrap()),
            };
            ExportItem {
                id: format!("a{i}"),
                page: i % 100 + 1,
                data,
                author: "Nguyễn Văn An".into(),
                updated_at: chrono::Utc::now().naive_utc(),
                replies: Vec::new(),
            }
        })
        .collect();
    let mut group = c.benchmark_group("export");
    group.sample_size(20);
    group.bench_function("objects_and_update_100_pages_1000_annotations", |b| {
        b.iter(|| {
            let adds = additions(&plan, &items).unwrap();
            tail_with(&plan, None, &adds).unwrap()
        })
    });
    group.bench_function("with_watermark_100_pages_1000_annotations", |b| {
        b.iter(|| {
            let adds = additions(&plan, &items).unwrap();
            tail_with(&plan, Some("Nguyễn Thị Hương · 28/11/2026 · MẬT"), &adds).unwrap()
        })
    });
    group.finish();
}

async fn upload(app: &TestApp, token: &str, meeting: &str, pages: usize) -> String {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/meetings/{meeting}/documents")))
        .query(&[("title", "Tài liệu")])
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .body(pdfs::simple(pages, "bench"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A meeting with a member, a 100-page document carrying `n` annotations of that member (a
/// fifth of them shared); returns the app, the member's token and the document.
async fn annotated(
    backend: Backend,
    n: usize,
) -> (ecabinet_tests::TestEnv, TestApp, String, String) {
    let (env, app) = spawn_app(backend).await;
    let (_, admin) = app.signed_in("quantri", Role::Admin).await;
    let (member, token) = app.signed_in("uyvien", Role::Member).await;
    let meeting = app
        .post(
            "/api/v1/meetings",
            Some(&admin),
            &json!({"title": "Đo", "starts_at": "2026-12-01T08:00:00Z"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/meetings/{meeting}/participants"),
        Some(&admin),
        &json!({"user_id": member["id"], "role": "member"}),
    )
    .await;
    app.post(
        &format!("/api/v1/meetings/{meeting}/state"),
        Some(&admin),
        &json!({"state": "scheduled"}),
    )
    .await;
    let doc = upload(&app, &admin, &meeting, 100).await;
    let mut pending = Vec::new();
    for i in 0..n {
        let (kind, data) = data(i);
        let body = json!({"id": format!("a{i:05}"), "page": i % 100 + 1, "kind": kind, "shared": i % 5 == 0, "data": data});
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/documents/{doc}/annotations")),
            token.clone(),
        );
        pending.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
        }));
        if pending.len() == 16 {
            for p in pending.drain(..) {
                p.await.unwrap();
            }
        }
    }
    for p in pending {
        p.await.unwrap();
    }
    (env, app, token, doc)
}

fn over_http(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for (name, backend) in [("sqlite", Backend::Sqlite), ("postgres", Backend::Postgres)] {
        let (_env, app, token, doc) = rt.block_on(annotated(backend, 5_000));
        let list = app.url(&format!("/api/v1/documents/{doc}/annotations"));
        let count = rt.block_on(async {
            let v: Value = app
                .client
                .get(&list)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["annotations"].as_array().unwrap().len()
        });
        assert_eq!(count, 5_000);
        let mut group = c.benchmark_group(format!("http_{name}"));
        group.sample_size(20);
        group.bench_function("list_5000_annotations", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let res = app
                        .client
                        .get(&list)
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 200);
                    res.bytes().await.unwrap().len()
                })
            })
        });
        group.finish();
        drop(app);

        let (_env, app, token, doc) = rt.block_on(annotated(backend, 1_000));
        let export = app.url(&format!("/api/v1/documents/{doc}/file?annotations=mine"));
        let mut group = c.benchmark_group(format!("http_{name}"));
        group.sample_size(20);
        group.bench_function("export_100_pages_1000_annotations", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let res = app
                        .client
                        .get(&export)
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 200);
                    res.bytes().await.unwrap().len()
                })
            })
        });
        group.finish();
    }
}

criterion_group!(benches, export_in_process, over_http);
criterion_main!(benches);
