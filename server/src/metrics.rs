//! Prometheus metrics: the registry, the families every part of the server updates, the
//! request-tracking middleware and the text exposition served at `/metrics`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::state::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route pattern, e.g. `/api/v1/meetings/{id}`, never the raw path (bounded labels).
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<RequestLabels, Counter>,
    pub http_duration: HistogramFamily<RouteLabels>,
    pub login_failures: Counter,
    pub live_sessions: Gauge,
    pub live_events: Counter,
    pub live_slow_closed: Counter,
    pub ballots: Counter,
    pub ballot_batches: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ecabinet");
        let http_requests = Family::<RequestLabels, Counter>::default();
        let http_duration: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        let login_failures = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            http_duration.clone(),
        );
        registry.register(
            "login_failures",
            "Sign-in attempts with wrong credentials",
            login_failures.clone(),
        );
        let live_sessions = Gauge::default();
        let live_events = Counter::default();
        let live_slow_closed = Counter::default();
        registry.register(
            "live_sessions",
            "Open live-channel sessions",
            live_sessions.clone(),
        );
        registry.register(
            "live_events",
            "Durable events fanned out to rooms",
            live_events.clone(),
        );
        registry.register(
            "live_slow_closed",
            "Sessions cut off because their queue filled",
            live_slow_closed.clone(),
        );
        let ballots = Counter::default();
        let ballot_batches = Counter::default();
        registry.register(
            "ballots",
            "Ballots committed (new or changed)",
            ballots.clone(),
        );
        registry.register(
            "ballot_batches",
            "Transactions that committed ballots (group commit)",
            ballot_batches.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            login_failures,
            live_sessions,
            live_events,
            live_slow_closed,
            ballots,
            ballot_batches,
        }
    }
}

impl Metrics {
    /// The text exposition format.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Counts and times every request by method, route pattern and status.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().to_string();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let status = res.status().as_u16();
        state
            .metrics
            .http_requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.clone(),
                status,
            })
            .inc();
        state
            .metrics
            .http_duration
            .get_or_create(&RouteLabels { method, route })
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}
