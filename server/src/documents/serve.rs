//! Sending a file: a stored blob, optionally followed by a recipient's stamp tail, streamed from
//! disk in large reads off the executor, with `ETag`/`If-None-Match`, single `Range` requests
//! (206, 416), a UTF-8 file name in `Content-Disposition` and no caching by shared proxies.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, ByteRangeSpec, Charset, ContentDisposition, DispositionParam, DispositionType,
    ExtendedValue, Range,
};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::stream;

use crate::error::ApiError;

/// How much is read from disk per step: large reads keep the trips to the blocking pool and
/// the socket writes few.
const CHUNK: u64 = 1024 * 1024;

/// A file to send: `file` (its first `file_len` bytes) then `tail`.
#[derive(Debug)]
pub struct Outgoing {
    pub file: File,
    pub file_len: u64,
    pub tail: Option<Arc<Vec<u8>>>,
    pub etag: String,
    pub filename: String,
}

impl Outgoing {
    fn len(&self) -> u64 {
        self.file_len + self.tail.as_ref().map_or(0, |t| t.len() as u64)
    }
}

/// The single range asked for, `Ok(None)` for the whole file, `Err` when unsatisfiable.
fn requested_range(req: &HttpRequest, len: u64, etag: &str) -> Result<Option<(u64, u64)>, ()> {
    let Some(value) = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    // A range of another version of the file would splice two files together.
    if let Some(if_range) = req
        .headers()
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        && if_range.trim() != etag
    {
        return Ok(None);
    }
    match value.parse::<Range>() {
        Ok(Range::Bytes(specs)) if specs.len() == 1 => {
            let spec: &ByteRangeSpec = &specs[0];
            spec.to_satisfiable_range(len).map(Some).ok_or(())
        }
        // Several ranges, or another unit: answered with the whole file, as RFC 9110 allows.
        _ => Ok(None),
    }
}

fn disposition(filename: &str) -> ContentDisposition {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    ContentDisposition {
        disposition: DispositionType::Inline,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: filename.as_bytes().to_vec(),
            }),
        ],
    }
}

/// The response for `out`, honouring the request's conditions and range.
pub fn respond(req: &HttpRequest, out: Outgoing) -> Result<HttpResponse, ApiError> {
    let len = out.len();
    let mut builder = HttpResponse::build(StatusCode::OK);
    builder
        .insert_header((header::ETAG, out.etag.clone()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            crate::headers::DOWNLOAD_CSP,
        ));
    if crate::conditional::none_match(req, &out.etag) {
        return Ok(builder.status(StatusCode::NOT_MODIFIED).finish());
    }
    let (start, end) = match requested_range(req, len, &out.etag) {
        Ok(Some((start, end))) => {
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
            (start, end)
        }
        Ok(None) => (0, len.saturating_sub(1)),
        Err(()) => return Err(ApiError::RangeNotSatisfiable { len }),
    };
    let body_len = if len == 0 { 0 } else { end - start + 1 };
    builder
        .content_type("application/pdf")
        .insert_header(disposition(&out.filename))
        .no_chunking(body_len);
    Ok(builder.streaming(body(out, start, body_len)))
}

/// Streams `count` bytes from `start` of the file-then-tail.
fn body(
    out: Outgoing,
    start: u64,
    count: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    struct State {
        out: Option<Outgoing>,
        pos: u64,
        left: u64,
    }
    let state = State {
        out: Some(out),
        pos: start,
        left: count,
    };
    stream::try_unfold(state, |mut st| async move {
        if st.left == 0 {
            return Ok(None);
        }
        let Some(out) = st.out.take() else {
            return Ok(None);
        };
        if st.pos < out.file_len {
            let want = CHUNK.min(st.left).min(out.file_len - st.pos);
            let pos = st.pos;
            let (out, chunk) = actix_web::rt::task::spawn_blocking(move || {
                let mut buf = vec![0u8; usize::try_from(want).unwrap_or(0)];
                out.file.read_exact_at(&mut buf, pos)?;
                Ok::<_, std::io::Error>((out, buf))
            })
            .await
            .map_err(std::io::Error::other)??;
            st.pos += want;
            st.left -= want;
            st.out = Some(out);
            Ok(Some((Bytes::from(chunk), st)))
        } else {
            let tail = out.tail.clone().unwrap_or_default();
            let from = usize::try_from(st.pos - out.file_len).unwrap_or(usize::MAX);
            let to = from
                .saturating_add(usize::try_from(st.left).unwrap_or(usize::MAX))
                .min(tail.len());
            let chunk = Bytes::copy_from_slice(tail.get(from..to).unwrap_or_default());
            st.left = 0;
            Ok(Some((chunk, st)))
        }
    })
}
