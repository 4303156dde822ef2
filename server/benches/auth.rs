//! Sign-in costs: an argon2id hash and verify (what bounds logins per second) and access
//! token issue and verify (what every authenticated request pays).
//! Run: `cargo bench -p ecabinet --bench auth`; figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use ecabinet::auth::password;
use ecabinet::auth::tokens::TokenService;
use ecabinet::config::AuthSettings;
use ecabinet::users::Role;

fn tokens(c: &mut Criterion) {
    let service = TokenService::new(&[42; 64], &AuthSettings::default());
    let token = service
        .issue("01939a7e-7c4d-7a4b-9b1e-5d6f7a8b9c0d", Role::Member, "s")
        .unwrap();
    c.bench_function("access_token_issue", |b| {
        b.iter(|| {
            service
                .issue("01939a7e-7c4d-7a4b-9b1e-5d6f7a8b9c0d", Role::Member, "s")
                .unwrap()
        })
    });
    c.bench_function("access_token_verify", |b| {
        b.iter(|| service.verify(&token).unwrap())
    });
}

fn passwords(c: &mut Criterion) {
    let hash = password::hash("mật khẩu dài đủ").unwrap();
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(20);
    group.bench_function("hash", |b| {
        b.iter(|| password::hash("mật khẩu dài đủ").unwrap())
    });
    group.bench_function("verify", |b| {
        b.iter(|| password::verify("mật khẩu dài đủ", Some(&hash)))
    });
    group.finish();
}

criterion_group!(benches, tokens, passwords);
criterion_main!(benches);
