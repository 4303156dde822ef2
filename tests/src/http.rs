//! The small HTTP client and statistics the load tools share (`loadtool`, `votebench`,
//! `writtenbench`).

use std::sync::Arc;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

/// JSON calls against one server.
#[derive(Debug, Clone)]
pub struct Http {
    pub client: reqwest::Client,
    pub base: String,
}

impl Http {
    /// A client for many members at once against `url`: a pool of idle connections as large as
    /// the bursts, dropped after 2 s idle (shorter than the server's 5 s keep-alive, so that a
    /// connection idle while tablets join is not reused just as the server closes it).
    pub fn for_crowd(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .pool_max_idle_per_host(512)
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .build()?,
            base: url.trim_end_matches('/').to_owned(),
        })
    }

    /// Sends `body` as JSON and returns the JSON answer; a non-2xx status is an error.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await?;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{path}: {status} {v}");
        }
        Ok(v)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, Some(token), body)
            .await
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                json!({"username": username, "password": password}),
            )
            .await?;
        v["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("no token")
    }
}

/// The `p`-th percentile of sorted values (nearest rank); NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Prints one line of latency figures (milliseconds) for the load tools.
#[allow(clippy::print_stdout)]
pub fn print_summary(name: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    println!(
        "{name} (ms): n {}  p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        v.len(),
        percentile(&v, 50.0),
        percentile(&v, 90.0),
        percentile(&v, 99.0),
        percentile(&v, 100.0)
    );
}

/// Runs `f` over `items` with at most `limit` at once; fails on the first error.
pub async fn each<T, F, Fut, R>(items: Vec<T>, limit: usize, f: F) -> anyhow::Result<Vec<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<R>> + Send,
{
    let gate = Arc::new(Semaphore::new(limit));
    let mut tasks = Vec::new();
    for item in items {
        let (gate, f) = (gate.clone(), f.clone());
        tasks.push(tokio::spawn(async move {
            let _p = gate.acquire_owned().await?;
            f(item).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}
