//! Conditional GETs: `ETag` and `If-None-Match`.
//!
//! Owns: matching a request's `If-None-Match` against an entity tag, and answering a JSON body
//! with a strong tag over its bytes (200), or 304 when the client already holds those bytes.
//! A tablet that reopens a document over meeting-room Wi-Fi then gets its annotation list as a
//! few hundred bytes instead of megabytes, and its browser does the revalidation by itself
//! (`Cache-Control: private, no-cache`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// True when the request's `If-None-Match` names `etag` or is `*`. Weak tags match by their
/// opaque part (RFC 9110, 13.1.2: the weak comparison applies to `If-None-Match`).
pub fn none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// The strong entity tag of a body: 128 bits of its SHA-256, quoted.
pub fn tag_of(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(body)[..16]))
}

/// `value` as a JSON 200 with its `ETag`, or a 304 without a body when `If-None-Match` names
/// the same bytes. The tag covers the serialized body, so it changes with anything the caller
/// would see (a new, edited or deleted annotation, or one that stopped being shared).
pub fn json(req: &HttpRequest, value: &impl Serialize) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let etag = tag_of(&body);
    let not_modified = none_match(req, &etag);
    let mut res = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"));
    Ok(if not_modified {
        res.finish()
    } else {
        res.content_type("application/json").body(body)
    })
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn tags_differ_with_the_bytes_and_are_quoted() {
        let a = tag_of(b"[1]");
        assert_eq!(a, tag_of(b"[1]"));
        assert_ne!(a, tag_of(b"[2]"));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
    }

    #[test]
    fn if_none_match_lists_weak_tags_and_star() {
        let etag = tag_of(b"x");
        let req = |v: &str| {
            TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, v.to_owned()))
                .to_http_request()
        };
        assert!(none_match(&req(&etag), &etag));
        assert!(none_match(&req(&format!("\"other\", W/{etag}")), &etag));
        assert!(none_match(&req("*"), &etag));
        assert!(!none_match(&req("\"other\""), &etag));
        assert!(!none_match(
            &TestRequest::default().to_http_request(),
            &etag
        ));
    }

    #[test]
    fn json_answers_304_without_a_body_for_the_same_bytes() {
        let value = serde_json::json!({"annotations": [{"id": "a"}]});
        let first = json(&TestRequest::default().to_http_request(), &value).unwrap();
        assert_eq!(first.status(), 200);
        let etag = first
            .headers()
            .get(header::ETAG)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, etag.clone()))
            .to_http_request();
        let again = json(&req, &value).unwrap();
        assert_eq!(again.status(), 304);
        assert_eq!(again.headers().get(header::ETAG).unwrap(), etag.as_str());
        assert_eq!(
            again.into_body().size(),
            actix_web::body::BodySize::Sized(0)
        );
        let changed = json(&req, &serde_json::json!({"annotations": []})).unwrap();
        assert_eq!(changed.status(), 200);
    }
}
