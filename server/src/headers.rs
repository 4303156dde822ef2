//! The browser's defences, on every response: a Content-Security-Policy that lets the tablet
//! client run (its own scripts and styles, PDF.js's worker and WebAssembly image decoders, the
//! blobs it makes of downloaded files, its own API and live channel) and nothing else,
//! `nosniff`, no referrer and no framing. Tokens live in the tablet's `localStorage`, so any
//! script injected into the page could take the account over: the policy is the backstop.
//! Files served for download carry `sandbox` instead (`DOWNLOAD_CSP`): a PDF opened directly
//! runs nothing with the site's origin.

use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::DefaultHeaders;

/// The policy of every response that sets none itself. `'wasm-unsafe-eval'` lets PDF.js
/// compile its WebAssembly decoders (JPEG 2000, colour profiles), not run `eval`; inline
/// styles are allowed because the client and PDF.js position elements with `style`.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     worker-src 'self' blob:; img-src 'self' data: blob:; font-src 'self' data: blob:; \
     style-src 'self' 'unsafe-inline'; connect-src 'self' blob:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy of a stored file served for download or reading (`documents::serve`).
pub const DOWNLOAD_CSP: &str = "sandbox";

/// Headers added to every response that does not set them itself.
pub fn defaults() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
}
