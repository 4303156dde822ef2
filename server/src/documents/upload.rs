//! Receiving an uploaded file: the request body (raw `application/pdf`, or the `file` field
//! of `multipart/form-data`) streamed to a staging file while its SHA-256 is computed and its
//! size counted, refused as soon as it passes the limit or its first bytes are not a PDF's.
//! The bytes are held in memory only a chunk at a time.

use std::path::{Path, PathBuf};

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::error::ApiError;

/// A file received whole into the staging area.
#[derive(Debug)]
pub struct Received {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
}

/// Removes the staged file when dropped unless it was kept: an upload that fails or is cut
/// off half-way leaves nothing behind.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    keep: bool,
}

impl Staged {
    pub fn new(path: PathBuf) -> Self {
        Self { path, keep: false }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// The file was moved elsewhere; nothing to remove.
    pub fn moved(mut self) {
        self.keep = true;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
            let _ = std::fs::remove_file(self.path.with_extension("plan"));
        }
    }
}

/// How far into a file its `%PDF-` header may start (readers accept leading junk).
const HEADER_WINDOW: usize = 1024;

enum Body {
    Raw(web::Payload),
    Multipart(Multipart),
}

/// Checks the declared type and length before a byte is read.
fn body_kind(req: &HttpRequest, payload: web::Payload, limit: u64) -> Result<Body, ApiError> {
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > limit
    {
        return Err(ApiError::PayloadTooLarge {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        });
    }
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let essence = mime.split(';').next().unwrap_or("").trim().to_owned();
    match essence.as_str() {
        "application/pdf" => Ok(Body::Raw(payload)),
        "multipart/form-data" => Ok(Body::Multipart(Multipart::new(
            req.headers(),
            payload.into_inner(),
        ))),
        _ => Err(ApiError::UnsupportedMediaType {
            detail:
                "send the file as application/pdf or as the `file` field of multipart/form-data"
                    .into(),
        }),
    }
}

/// Receives the body into `staged`.
pub async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    staged: &Staged,
    limit: u64,
) -> Result<Received, ApiError> {
    match body_kind(req, payload, limit)? {
        Body::Raw(payload) => write_stream(payload, staged.path(), limit).await,
        Body::Multipart(mut multipart) => {
            while let Some(field) = multipart.next().await {
                let field =
                    field.map_err(|e| ApiError::malformed("malformed_multipart", e.to_string()))?;
                if field.name() == Some("file") {
                    return write_stream(field, staged.path(), limit).await;
                }
                // Other fields are skipped, but still read, to reach the next one.
                let mut field = field;
                while let Some(chunk) = field.next().await {
                    chunk.map_err(|e| ApiError::malformed("malformed_multipart", e.to_string()))?;
                }
            }
            Err(ApiError::malformed(
                "missing_file",
                "the multipart body has no `file` field",
            ))
        }
    }
}

async fn write_stream<S, E>(mut body: S, path: &Path, limit: u64) -> Result<Received, ApiError>
where
    S: Stream<Item = Result<web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let file = tokio::fs::File::create(path)
        .await
        .map_err(ApiError::internal)?;
    // Few, large writes: each one is a trip to the blocking pool.
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    let mut total: u64 = 0;
    let mut head = Vec::with_capacity(HEADER_WINDOW);
    let mut header_seen = false;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::malformed("upload_interrupted", format!("the upload was cut off: {e}"))
        })?;
        total += chunk.len() as u64;
        if total > limit {
            return Err(ApiError::PayloadTooLarge {
                limit: usize::try_from(limit).unwrap_or(usize::MAX),
            });
        }
        if !header_seen {
            let take = (HEADER_WINDOW - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            if find(&head, b"%PDF-") {
                header_seen = true;
            } else if head.len() >= HEADER_WINDOW {
                return Err(not_a_pdf());
            }
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    if !header_seen {
        return Err(if total == 0 {
            ApiError::UnsupportedMediaType {
                detail: "the body is empty; send a PDF".into(),
            }
        } else {
            not_a_pdf()
        });
    }
    out.flush().await.map_err(ApiError::internal)?;
    Ok(Received {
        path: path.to_owned(),
        sha256: hex::encode(hasher.finalize()),
        bytes: total,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn not_a_pdf() -> ApiError {
    ApiError::UnsupportedMediaType {
        detail: "the file is not a PDF".into(),
    }
}
