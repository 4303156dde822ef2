//! Rendering the meeting's record: the biên bản of a large meeting (40 participants, 30 items,
//! 20 polls, 60 speeches, 20,000 characters of notes in one item) to PDF and to .docx, and the
//! demo meeting's. Target: the large biên bản under 150 ms.
//! Run: `cargo bench -p ecabinet --bench record`; figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use ecabinet::minutes::render::{self, Fonts, samples};

fn record(c: &mut Criterion) {
    let fonts = Fonts::load(None);
    let large = samples::large();
    let demo = samples::demo();
    let mut group = c.benchmark_group("record");
    group.sample_size(20);
    group.bench_function("minutes_pdf_large", |b| {
        b.iter(|| render::minutes_pdf(&large, &fonts).unwrap())
    });
    group.bench_function("minutes_pdf_demo", |b| {
        b.iter(|| render::minutes_pdf(&demo, &fonts).unwrap())
    });
    group.bench_function("conclusions_pdf_large", |b| {
        b.iter(|| render::conclusions_pdf(&large, &fonts).unwrap())
    });
    group.bench_function("minutes_docx_large", |b| {
        b.iter(|| render::minutes_docx(&large).unwrap())
    });
    group.finish();
}

criterion_group!(benches, record);
criterion_main!(benches);
