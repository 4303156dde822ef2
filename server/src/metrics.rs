//! Prometheus metrics: the registry, the families every part of the server updates, the
//! request-tracking middleware, the text exposition served at `/metrics` and who may read it.
//!
//! Must never: make a label value from what a client sends (a made-up method or path would
//! grow the scrape and the server's memory without bound), or serve the scrape to anyone
//! without the configured token or listener.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, ResponseError, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use crate::config::MetricsSettings;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// One of the standard methods, or `other` (`method_label`).
    pub method: String,
    /// The route pattern, e.g. `/api/v1/meetings/{id}`, never the raw path (bounded labels).
    pub route: String,
    pub status: u16,
}

/// The label of a request's method: the methods of RFC 9110 and PATCH as they are, any other
/// token (HTTP allows any) as `other`, so that the label set stays bounded.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// The label of a request's route: the pattern it matched in the route table, or one value
/// for everything that matched none (the raw path is never a label).
pub const UNMATCHED: &str = "unmatched";

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
    pub pg_signals: Counter,
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
        let pg_signals = Counter::default();
        registry.register(
            "pg_signals",
            "NOTIFYs sent to tell other instances of this one's committed events",
            pg_signals.clone(),
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
            pg_signals,
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
    let method = method_label(req.method()).to_owned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| UNMATCHED.to_owned());
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

/// Where and to whom `/metrics` is served (settings `[metrics]`), with the address the
/// metrics listener got once bound.
#[derive(Debug, Clone)]
pub struct Exposure {
    /// SHA-256 of the configured token: compared digest to digest, so the time a comparison
    /// takes says nothing about the token.
    token: Option<[u8; 32]>,
    listener: Option<std::net::SocketAddr>,
}

impl Exposure {
    pub fn new(settings: &MetricsSettings, listener: Option<std::net::SocketAddr>) -> Self {
        Self {
            token: settings
                .token
                .as_deref()
                .map(|t| Sha256::digest(t.as_bytes()).into()),
            listener,
        }
    }

    /// True when the request came in on the metrics listener.
    fn on_listener(&self, req: &HttpRequest) -> bool {
        self.listener
            .is_some_and(|addr| req.app_config().local_addr() == addr)
    }

    /// May this request read the metrics? Not found where they are not served, 401 without
    /// the token where one is configured.
    pub fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let not_here = ApiError::NotFound { what: "resource" };
        match (self.listener.is_some(), self.on_listener(req)) {
            (true, false) => return Err(not_here),
            (false, _) if self.token.is_none() => return Err(not_here),
            _ => {}
        }
        let Some(expected) = self.token else {
            return Ok(());
        };
        let presented = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| <[u8; 32]>::from(Sha256::digest(t.trim().as_bytes())));
        if presented == Some(expected) {
            Ok(())
        } else {
            Err(ApiError::unauthenticated(
                "invalid_metrics_token",
                "the metrics token is missing or wrong",
            ))
        }
    }
}

/// On the metrics listener nothing but `/metrics` is served.
pub async fn listener_serves_metrics_only<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    let elsewhere = req
        .app_data::<web::Data<Exposure>>()
        .is_some_and(|e| e.on_listener(req.request()))
        && req.path() != "/metrics";
    if elsewhere {
        let res = ApiError::NotFound { what: "resource" }.error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
