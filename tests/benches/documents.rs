//! Document costs measured in-process: the per-reader watermark (what a stamped download adds),
//! the check of a large upload (what the `pdf-check` child runs), and building a board book.
//! Run: `cargo bench -p ecabinet-tests --bench documents`; figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use criterion::{Criterion, criterion_group, criterion_main};
use ecabinet::documents::book::{BookDocument, Plan, Section, compose};
use ecabinet::documents::pdf::{Limits, inspect};
use ecabinet::documents::stamp::tail;
use ecabinet_tests::pdfs;

const LIMITS: Limits = Limits {
    max_pages: 5_000,
    max_objects: 1_000_000,
    max_decompressed_bytes: 64 << 20,
};

fn watermark(c: &mut Criterion) {
    let file = pdfs::simple(100, "Tờ trình");
    let (_, plan) = inspect(&file, &LIMITS).unwrap();
    c.bench_function("watermark_tail_100_pages", |b| {
        b.iter(|| tail(&plan, "Nguyễn Thị Hương · 28/11/2026 · MẬT").unwrap())
    });
}

fn check(c: &mut Criterion) {
    let file = pdfs::sized(200, 256 * 1024, "lớn");
    assert!(file.len() > 50 << 20);
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.bench_function("inspect_50_mib", |b| {
        b.iter(|| inspect(&file, &LIMITS).unwrap())
    });
    group.finish();
}

fn board_book(c: &mut Criterion) {
    let mut files = HashMap::new();
    let mut sections = Vec::new();
    for i in 0..20 {
        let bytes = pdfs::simple(50, &format!("tài liệu {i}"));
        let sha = format!("{i:064}");
        files.insert(sha.clone(), bytes);
        sections.push(Section {
            heading: format!("{}. Nội dung số {}", i + 1, i + 1),
            depth: 0,
            documents: vec![BookDocument {
                document_id: format!("d{i}"),
                title: format!("Tài liệu {i}"),
                sha256: sha,
                version: 1,
                pages: 50,
            }],
        });
    }
    let plan = Plan {
        meeting_title: "Phiên họp thường kỳ tháng 11/2026".into(),
        contents_heading: "Chương trình họp".into(),
        sections,
    };
    let mut group = c.benchmark_group("board_book");
    group.sample_size(10);
    group.bench_function("compose_20_docs_1000_pages", |b| {
        b.iter(|| compose(&plan, &LIMITS, |sha| Ok(files[sha].clone())).unwrap())
    });
    group.finish();
}

criterion_group!(benches, watermark, check, board_book);
criterion_main!(benches);
