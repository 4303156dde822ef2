//! The one error type of the HTTP API and its mapping to RFC 9457 problem documents.
//!
//! Policy: every failure a client can cause has its own status and a stable snake_case `code`
//! (the contract's promise to outside clients); nothing internal ever reaches the body. A
//! database that cannot be reached is a 503 so that clients retry; anything unexpected is a
//! 500 whose cause chain is logged, never sent.

use std::time::Duration;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Everything a handler or domain function can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request could not be parsed at all (bad JSON syntax, bad path or query).
    #[error("{detail}")]
    Malformed { code: &'static str, detail: String },
    /// No valid credentials were presented.
    #[error("{detail}")]
    Unauthenticated { code: &'static str, detail: String },
    /// Credentials are valid but the caller may not do this.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// Unknown, or not visible to this caller.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The path exists but not with this method.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The resource is in a state that does not allow this.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// An update was based on a version that is no longer the latest; the problem carries
    /// `current_version` so the client can re-read and retry.
    #[error("{detail}")]
    Stale {
        detail: String,
        current_version: i64,
    },
    /// The body is larger than the configured limit.
    #[error("the request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The body is not of a media type this endpoint accepts.
    #[error("{detail}")]
    UnsupportedMediaType { detail: String },
    /// The body parses but its content is not acceptable.
    #[error("{detail}")]
    Invalid { code: &'static str, detail: String },
    /// An uploaded file is not an acceptable PDF; `reason` says why (see docs/api.md).
    #[error("{detail}")]
    InvalidPdf {
        reason: &'static str,
        detail: String,
    },
    /// A `Range` outside the file.
    #[error("the requested range is outside the file of {len} bytes")]
    RangeNotSatisfiable { len: u64 },
    /// Too many attempts; try again after the given time.
    #[error("too many requests, retry in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// The database (or another dependency) does not answer right now.
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// A bug or an unexpected failure; logged with its cause chain.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn malformed(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Malformed {
            code,
            detail: detail.into(),
        }
    }
    pub fn unauthenticated(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unauthenticated {
            code,
            detail: detail.into(),
        }
    }
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
        }
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            detail: detail.into(),
        }
    }
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    /// A "not found" (of the meeting an item belongs to) said of the item itself: a caller
    /// who may not see that meeting is told that this item is not there for them, as for any
    /// unknown id, not about a meeting they never named.
    #[must_use]
    pub fn not_found_as(self, what: &'static str) -> Self {
        match self {
            Self::NotFound { .. } => Self::NotFound { what },
            other => other,
        }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { code, .. }
            | Self::Unauthenticated { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Conflict { code, .. }
            | Self::Invalid { code, .. } => code,
            Self::NotFound { .. } => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Stale { .. } => "stale_version",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::InvalidPdf { .. } => "invalid_pdf",
            Self::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The problem document sent for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        Problem {
            r#type: format!("urn:ecabinet:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code(),
            reason: match self {
                Self::InvalidPdf { reason, .. } => Some(reason),
                _ => None,
            },
            current_version: match self {
                Self::Stale {
                    current_version, ..
                } => Some(*current_version),
                _ => None,
            },
        }
    }
}

/// An RFC 9457 problem document with the contract's `code` extension.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:ecabinet:problem:<code>`.
    #[schema(example = "urn:ecabinet:problem:not_found")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case error code; see docs/api.md for the list.
    #[schema(example = "not_found")]
    pub code: &'static str,
    /// For `invalid_pdf`: why the file was refused (`encrypted`, `broken`, `broken_xref`,
    /// `page_tree_cycle`, `no_pages`, `too_many_pages`, `too_many_objects`, `hostile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// For `stale_version`: the latest version of what the update was based on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Malformed { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } | Self::Stale { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid { .. } | Self::InvalidPdf { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(err) => tracing::error!(error = ?err, "internal error"),
            Self::Unavailable => tracing::warn!("dependency unavailable"),
            _ => {}
        }
        let mut builder = HttpResponse::build(self.status_code());
        builder.content_type("application/problem+json");
        match self {
            Self::RateLimited { retry_after } => {
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                builder.insert_header((header::RETRY_AFTER, secs.max(1).to_string()));
            }
            Self::Unavailable => {
                builder.insert_header((header::RETRY_AFTER, "1"));
            }
            Self::Unauthenticated { .. } => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::RangeNotSatisfiable { len } => {
                builder.insert_header((header::CONTENT_RANGE, format!("bytes */{len}")));
            }
            _ => {}
        }
        builder.json(self.problem())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => Self::NotFound { what: "resource" },
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::BrokenTransactionManager => Self::Unavailable,
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if is_transient(info.message()) =>
            {
                Self::Unavailable
            }
            other => Self::Internal(other.into()),
        }
    }
}

/// Messages of database errors that mean "try again later", not "bug".
fn is_transient(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "database is locked",
        "server closed the connection",
        "could not connect",
        "terminating connection",
        "connection refused",
        "no connection to the server",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(_: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

/// Turns actix's bare 405 (a path matched, not its method) into a problem document, keeping
/// the `Allow` header actix lists the path's methods in (RFC 9110 §15.5.6).
pub fn method_not_allowed<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    let allow = res.response().headers().get(header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut problem = ApiError::MethodNotAllowed.error_response();
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    let res = actix_web::dev::ServiceResponse::new(req, problem);
    Ok(actix_web::middleware::ErrorHandlerResponse::Response(
        res.map_into_right_body(),
    ))
}

/// Maps the JSON extractor's failures onto the contract's statuses.
pub fn json_error(err: actix_web::error::JsonPayloadError, limit: usize) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::PayloadTooLarge { limit },
        E::ContentType => ApiError::UnsupportedMediaType {
            detail: "the body must be application/json".into(),
        },
        E::Deserialize(e) if e.is_data() => ApiError::invalid("invalid_body", e.to_string()),
        E::Deserialize(e) => ApiError::malformed("malformed_json", e.to_string()),
        other => ApiError::malformed("malformed_body", other.to_string()),
    }
}

/// Maps path and query extractor failures: an unparsable path segment is simply not found.
pub fn path_error(_: actix_web::error::PathError) -> ApiError {
    ApiError::NotFound { what: "resource" }
}

pub fn query_error(_: actix_web::error::QueryPayloadError) -> ApiError {
    ApiError::malformed(
        "malformed_query",
        "the query string has an unknown parameter or a value of the wrong type",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_has_contract_fields() {
        let err = ApiError::conflict("already_voted", "you have already voted");
        let p = err.problem();
        assert_eq!(p.status, 409);
        assert_eq!(p.code, "already_voted");
        assert_eq!(p.r#type, "urn:ecabinet:problem:already_voted");
        assert_eq!(p.title, "Conflict");
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let err = ApiError::internal(anyhow::anyhow!("secret table name users_v2"));
        assert!(!err.problem().detail.contains("users_v2"));
    }

    #[test]
    fn retry_after_rounds_up() {
        let err = ApiError::RateLimited {
            retry_after: Duration::from_millis(1500),
        };
        let resp = err.error_response();
        assert_eq!(
            resp.headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.as_bytes()),
            Some(&b"2"[..])
        );
    }
}
