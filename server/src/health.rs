//! Liveness, readiness and metrics endpoints for operators and load balancers.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Status {
    /// `ok`.
    pub status: &'static str,
}

/// 200 while the process serves.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Status)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Status), (status = 503, body = Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.db.ping().await {
        Ok(HttpResponse::Ok().json(Status { status: "ok" }))
    } else {
        Err(ApiError::Unavailable)
    }
}

/// Prometheus text exposition, to the configured token or on the metrics listener only
/// (settings `[metrics]`).
#[utoipa::path(get, path = "/metrics", tag = "operations", security(("bearer" = [])),
    responses((status = 200, content_type = "text/plain", body = String), (status = 401, body = Problem),
              (status = 404, body = Problem)))]
pub async fn metrics(
    state: web::Data<AppState>,
    exposure: web::Data<crate::metrics::Exposure>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    exposure.check(&req)?;
    let body = state.metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(body))
}
