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

/// The anchor the issue names: the same content through LibreOffice headless, from the .docx
/// (`soffice --convert-to pdf`), timed in the same run. Skipped when LibreOffice is missing.
fn libreoffice_anchor(c: &mut Criterion) {
    let have = std::process::Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("record/libreoffice: skipped, soffice is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let docx = dir.path().join("bien-ban.docx");
    std::fs::write(&docx, render::minutes_docx(&samples::large()).unwrap()).unwrap();
    let profile = format!("-env:UserInstallation=file://{}/lo", dir.path().display());
    let mut group = c.benchmark_group("record");
    group.sample_size(10);
    group.bench_function("libreoffice_docx_to_pdf_large", |b| {
        b.iter(|| {
            let out = std::process::Command::new("soffice")
                .args([
                    profile.as_str(),
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                ])
                .arg(dir.path())
                .arg(&docx)
                .output()
                .unwrap();
            assert!(out.status.success());
        })
    });
    group.finish();
}

criterion_group!(benches, record, libreoffice_anchor);
criterion_main!(benches);
