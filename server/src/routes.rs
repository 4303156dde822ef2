//! The one route table: every path the server answers, grouped by resource.

use actix_web::{HttpResponse, web};

use crate::error::ApiError;
use crate::{auth, health, openapi, users};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .service(
            web::scope("/api/v1")
                .route("/openapi.json", web::get().to(openapi::document))
                .route("/auth/login", web::post().to(auth::handlers::login))
                .route("/auth/refresh", web::post().to(auth::handlers::refresh))
                .route("/auth/logout", web::post().to(auth::handlers::logout))
                .route("/me", web::get().to(auth::handlers::me))
                .service(
                    web::resource("/users")
                        .route(web::get().to(users::handlers::list))
                        .route(web::post().to(users::handlers::create)),
                ),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound { what: "route" })
}

/// Until the tablet client is built into the binary, `/` says where the API is.
async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>ecabinet</title>\
         <h1>ecabinet</h1><p>Máy chủ họp không giấy đang chạy. The meeting server is running.</p>\
         <p><a href=\"/api/v1/openapi.json\">API (OpenAPI)</a></p></html>",
        )
}
