//! Signing and checking signatures (issue 16): a 100-page PDF signed server side (prepare and
//! complete, ECDSA P-256: placeholder update, digest, signed attributes, the signature, the
//! CMS written in) and a PDF with three signatures verified. Targets: each under 20 ms. The
//! anchor: pyHanko signing the same file with the same key and validating the same
//! three-signature file, timed in the same run (tests/tools/pyhanko_bench.py); ratios printed.
//! Run: `cargo bench -p ecabinet --bench signing`; figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use der::Decode;
use ecabinet::documents::book::{Line, text_pdf};
use ecabinet::signatures::incremental::{FieldSpec, Placement, prepare};
use ecabinet::signatures::{cades, verify};
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use x509_cert::Certificate;

struct Keys {
    anchor: Certificate,
    chain: Vec<Certificate>,
    key: p256::ecdsa::SigningKey,
    key_pem: String,
    cert_pem: String,
    ca_pem: String,
}

fn keys() -> Keys {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "CA thử");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "Nguyễn Văn Hùng");
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let anchor = Certificate::from_der(ca_cert.der()).unwrap();
    Keys {
        chain: vec![Certificate::from_der(cert.der()).unwrap(), anchor.clone()],
        anchor,
        key: p256::ecdsa::SigningKey::from_pkcs8_der(&key.serialize_der()).unwrap(),
        key_pem: key.serialize_pem(),
        cert_pem: cert.pem(),
        ca_pem: ca_cert.pem(),
    }
}

/// A 100-page A4 PDF of Vietnamese text.
fn hundred_pages() -> Vec<u8> {
    let mut lines = Vec::new();
    let mut n = 0;
    loop {
        for _ in 0..200 {
            n += 1;
            lines.push(Line::new(
                &format!(
                    "{n}. Ủy ban nhân dân xã thảo luận và thống nhất nội dung tờ trình số {n}"
                ),
                11.0,
                n % 3,
            ));
        }
        let pdf = text_pdf(&lines).unwrap();
        let pages = lopdf::Document::load_mem(&pdf).unwrap().get_pages().len();
        if pages >= 100 {
            assert_eq!(pages, 100, "tune the lines per round");
            return pdf;
        }
    }
}

fn spec(name: &str) -> FieldSpec {
    FieldSpec {
        name: name.into(),
        placement: Some(Placement {
            page: 100,
            rect: [330.0, 120.0, 510.0, 190.0],
        }),
        lines: vec![
            "Ký số bởi: Nguyễn Văn Hùng".into(),
            "2026-12-07T10:30:00+07:00".into(),
        ],
        image: None,
        color: [0.05, 0.2, 0.6],
        signer_name: Some("Nguyễn Văn Hùng".into()),
        reason: None,
        location: None,
        signed_at: chrono::Utc::now().fixed_offset(),
    }
}

/// Prepare and complete, as the server does for a two-phase signing.
fn sign(pdf: &[u8], k: &Keys, field: &str) -> Vec<u8> {
    let room = cades::contents_room(&k.chain).unwrap();
    let prepared = prepare(pdf, &spec(field), room).unwrap();
    let attrs = cades::signed_attributes(&prepared.digest(), &k.chain[0]).unwrap();
    let to_sign = cades::to_sign(&attrs).unwrap();
    let sig: p256::ecdsa::Signature = k.key.sign(&to_sign);
    let cms = cades::signed_data(&k.chain, attrs, sig.to_der().as_bytes()).unwrap();
    prepared.embed(&cms).unwrap()
}

fn mean_ms(mut f: impl FnMut(), runs: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
}

fn signing(c: &mut Criterion) {
    let k = keys();
    let pdf = hundred_pages();
    let three = sign(
        &sign(&sign(&pdf, &k, "ThuKy"), &k, "ChuToa"),
        &k,
        "DauCoQuan",
    );
    let anchors = [k.anchor.clone()];
    assert!(
        verify(&three, &anchors)
            .iter()
            .all(|s| s.valid && s.trusted)
    );
    eprintln!(
        "signing: {} pages, {} bytes; with three signatures {} bytes",
        100,
        pdf.len(),
        three.len()
    );
    let mut group = c.benchmark_group("signing");
    group.sample_size(30);
    group.bench_function("sign_100_pages_p256", |b| {
        b.iter(|| sign(&pdf, &k, "ChuToa"))
    });
    group.bench_function("verify_3_signatures", |b| {
        b.iter(|| verify(&three, &anchors))
    });
    group.finish();

    // The anchor, in the same run.
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("key.pem"), &k.key_pem).unwrap();
    std::fs::write(path("cert.pem"), &k.cert_pem).unwrap();
    std::fs::write(path("ca.pem"), &k.ca_pem).unwrap();
    std::fs::write(path("in.pdf"), &pdf).unwrap();
    std::fs::write(path("three.pdf"), &three).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/tools/pyhanko_bench.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(dir.path())
        .arg("10")
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let field = |name: &str| -> f64 {
                text.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap()
            };
            let (hanko_sign, hanko_verify) = (field("sign_ms"), field("validate_ms"));
            let ours_sign = mean_ms(|| drop(sign(&pdf, &k, "ChuToa")), 20);
            let ours_verify = mean_ms(|| drop(verify(&three, &anchors)), 20);
            eprintln!(
                "signing/anchor: pyHanko sign {hanko_sign:.1} ms, validate (3 signatures) \
                 {hanko_verify:.1} ms; ecabinet sign {ours_sign:.2} ms, verify {ours_verify:.2} ms; \
                 ratios {:.0}× and {:.0}×",
                hanko_sign / ours_sign,
                hanko_verify / ours_verify
            );
        }
        Ok(o) => eprintln!(
            "signing/anchor: pyHanko failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => eprintln!("signing/anchor: skipped, python3 missing: {e}"),
    }
}

criterion_group!(benches, signing);
criterion_main!(benches);
