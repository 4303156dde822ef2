//! HTTP endpoints of signatures.

use std::io::Read;

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::SignatureInfo;
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::meetings::access;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// The version to check (default: the latest).
    pub version: Option<i32>,
}

/// Every signature in one version of a document, checked.
#[utoipa::path(get, path = "/api/v1/documents/{id}/signatures", tag = "signatures",
    params(("id" = String, Path), VersionQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<SignatureInfo>), (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let wanted = query.version;
    let version = state
        .db
        .read(move |c| {
            let row = crate::documents::get(c, &id)?;
            access::load(c, &row.meeting_id, &user)
                .map_err(|_| ApiError::NotFound { what: "document" })?;
            crate::documents::version(c, &row.id, wanted.unwrap_or(row.current_version))
        })
        .await?;
    let blobs = state.files.blobs.clone();
    let anchors = state.trust_anchors.clone();
    let found = web::block(move || {
        let mut bytes = Vec::new();
        blobs
            .open(&version.sha256)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(ApiError::internal)?;
        Ok::<_, ApiError>(super::verify(&bytes, &anchors))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(HttpResponse::Ok().json(found))
}
