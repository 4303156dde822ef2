//! Serving the tablet client: the built files of `web/` (`web.dir`, default `web/dist`), with
//! every path that is not a file answered by `index.html` so the client's own routes work on
//! reload. Until the client is built, `/` says where the API is.
//!
//! The default `web/dist` is relative to the working directory, which suits a checkout; a
//! server started elsewhere (the Debian package's unit, a container) finds the client beside
//! its executable or where the package installs it (`resolve`).

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, web};

/// Where the package puts the client.
const PACKAGED: &str = "/usr/share/ecabinet/web";

/// The client's directory: `configured` when it holds a built client or was given as an
/// absolute path; otherwise the first built one of `<exe dir>/web`,
/// `<exe dir>/../share/ecabinet/web`, `/usr/share/ecabinet/web` and the checkout's `web/dist`
/// seen from `target/<profile>/`; else `configured` (and the placeholder page).
pub fn resolve(configured: &Path) -> PathBuf {
    if configured.is_absolute() || configured.join("index.html").is_file() {
        return configured.to_path_buf();
    }
    let mut candidates = Vec::new();
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        candidates.push(exe_dir.join("web"));
        candidates.push(exe_dir.join("../share/ecabinet/web"));
        candidates.push(PACKAGED.into());
        candidates.push(exe_dir.join("../..").join(configured));
    } else {
        candidates.push(PACKAGED.into());
    }
    first_built(&candidates).unwrap_or_else(|| configured.to_path_buf())
}

fn first_built(candidates: &[PathBuf]) -> Option<PathBuf> {
    candidates
        .iter()
        .find(|d| d.join("index.html").is_file())
        .cloned()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_built_client_is_taken() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(b.path().join("index.html"), "<!doctype html>").unwrap();
        let found = first_built(&[a.path().to_path_buf(), b.path().to_path_buf()]);
        assert_eq!(found.as_deref(), Some(b.path()));
        assert_eq!(first_built(&[a.path().to_path_buf()]), None);
        // An absolute setting is kept as given, built or not.
        assert_eq!(resolve(a.path()), a.path());
    }
}
