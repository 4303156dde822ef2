//! Serving the tablet client: the built files of `web/` (`web.dir`, default `web/dist`), with
//! every path that is not a file answered by `index.html` so the client's own routes work on
//! reload. Until the client is built, `/` says where the API is.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, web};

/// Registers the client's files at `/`, or the placeholder page when they are not built.
pub fn configure(cfg: &mut web::ServiceConfig, dir: &Path) {
    let index = dir.join("index.html");
    if !index.is_file() {
        cfg.route("/", web::get().to(placeholder));
        return;
    }
    let index: PathBuf = index;
    cfg.service(
        Files::new("/", dir)
            .index_file("index.html")
            .use_etag(true)
            .default_handler(fn_service(move |req: ServiceRequest| {
                let index = index.clone();
                async move {
                    let (req, _) = req.into_parts();
                    let mut res = NamedFile::open_async(&index).await?.into_response(&req);
                    res.headers_mut()
                        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                    Ok(ServiceResponse::new(req, res))
                }
            })),
    );
}

async fn placeholder() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>ecabinet</title>\
         <h1>ecabinet</h1><p>Máy chủ họp không giấy đang chạy; giao diện web chưa được build \
         (<code>web/dist</code>). The meeting server is running; the web client is not built.</p>\
         <p><a href=\"/api/v1/openapi.json\">API (OpenAPI)</a></p></html>",
        )
}
