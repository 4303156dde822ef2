//! HTTP endpoints of signatures: checking them, two-phase signing, the seal, and signed
//! files from outside tools. Thin: the rules live in `signing`.

use std::io::Read;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use x509_cert::Certificate;

use super::SignatureInfo;
use super::signing::{self, Block, Completion, SigningRequest, Started};
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
    if let Some(found) = state.verified.get(&version.sha256) {
        return Ok(HttpResponse::Ok().json(found.as_slice()));
    }
    let bytes = read_blob(&state, version.sha256.clone(), true).await?;
    let anchors = state.trust_anchors.clone();
    let found = web::block(move || super::verify(&bytes, &anchors))
        .await
        .map_err(ApiError::internal)?;
    let found = std::sync::Arc::new(found);
    state.verified.insert(version.sha256, found.clone());
    Ok(HttpResponse::Ok().json(found.as_slice()))
}

/// Reads one stored version's bytes.
async fn version_bytes(state: &AppState, sha256: String) -> Result<Vec<u8>, ApiError> {
    read_blob(state, sha256, false).await
}

/// A stored file's bytes; with `original`, the bytes as uploaded when the stored file is
/// their decrypted copy (their signatures were made over those).
async fn read_blob(state: &AppState, sha256: String, original: bool) -> Result<Vec<u8>, ApiError> {
    let blobs = state.files.blobs.clone();
    web::block(move || {
        let mut bytes = Vec::new();
        let kept = if original {
            blobs.original(&sha256)?
        } else {
            None
        };
        match kept {
            Some(mut f) => f.read_to_end(&mut bytes)?,
            None => blobs.open(&sha256)?.read_to_end(&mut bytes)?,
        };
        Ok::<_, std::io::Error>(bytes)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

fn optional_text(
    value: Option<String>,
    code: &'static str,
    what: &str,
) -> Result<Option<String>, ApiError> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| crate::patch::line(&v, TEXT_MAX, code, what))
        .transpose()
}

const TEXT_MAX: usize = 200;

/// Prepares a signing: the current version with an empty signature appended, kept pending.
async fn begin(
    state: &AppState,
    user: &AuthUser,
    document_id: String,
    chain: Vec<Certificate>,
    block: Option<Block>,
    reason: Option<String>,
    location: Option<String>,
) -> Result<(String, Vec<u8>), ApiError> {
    let (who, configured) = (user.clone(), state.settings.organization.clone());
    let mut plan = state
        .db
        .read(move |c| signing::plan(c, &document_id, &who, block, &configured))
        .await?;
    if block == Some(Block::Organization) {
        plan.image = state.seal_image.as_deref().cloned();
    }
    let bytes = version_bytes(state, plan.version.sha256.clone()).await?;
    let (plan, chain, prepared, to_sign) = web::block(move || {
        let (prepared, to_sign) =
            signing::prepare_bytes(&bytes, &plan, &chain, block, reason, location)?;
        Ok::<_, ApiError>((plan, chain, prepared, to_sign))
    })
    .await
    .map_err(ApiError::internal)??;
    let who = user.clone();
    let to_sign_kept = to_sign.clone();
    let id = state
        .db
        .write(move |c| {
            signing::record_pending(c, &plan, &who, block, &prepared, &to_sign_kept, &chain)
        })
        .await?;
    Ok((id, to_sign))
}

/// Checks the signature, embeds it and records the signed version.
async fn finish(
    state: &AppState,
    user: &AuthUser,
    signing_id: String,
    signature: Vec<u8>,
) -> Result<crate::documents::Document, ApiError> {
    let who = user.clone();
    let row = state
        .db
        .read(move |c| signing::pending(c, &signing_id, &who))
        .await?;
    let (row, bytes, fingerprint) = web::block(move || {
        let (bytes, fingerprint) = signing::finish(&row, &signature)?;
        Ok::<_, ApiError>((row, bytes, fingerprint))
    })
    .await
    .map_err(ApiError::internal)??;
    let file = state.files.ingest_bytes(&state.db, bytes).await?;
    let who = user.clone();
    state
        .commit(move |c| {
            let doc = crate::documents::get(c, &row.document_id)?;
            access::load_for_change(c, &doc.meeting_id, &who)?;
            signing::record_signed(c, &row, &who, &file, &fingerprint)
        })
        .await
}

/// Two-phase signing, first phase: what the signer must sign.
#[utoipa::path(post, path = "/api/v1/documents/{id}/signing", tag = "signatures",
    params(("id" = String, Path)), request_body = SigningRequest, security(("bearer" = [])),
    responses((status = 201, body = Started), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<SigningRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let chain = signing::read_chain(&req.certificate_chain)?;
    let reason = optional_text(req.reason, "invalid_reason", "reason")?;
    let location = optional_text(req.location, "invalid_location", "location")?;
    let (signing_id, to_sign) = begin(
        &state,
        &user,
        path.into_inner(),
        chain,
        req.block,
        reason,
        location,
    )
    .await?;
    Ok(HttpResponse::Created().json(Started {
        signing_id,
        to_sign: B64.encode(to_sign),
    }))
}

/// Two-phase signing, second phase: the signature over `to_sign`; the signed version.
#[utoipa::path(post, path = "/api/v1/signings/{id}/complete", tag = "signatures",
    params(("id" = String, Path)), request_body = Completion, security(("bearer" = [])),
    responses((status = 201, body = crate::documents::Document), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn complete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<Completion>,
) -> Result<HttpResponse, ApiError> {
    let signature = B64
        .decode(body.signature.trim())
        .map_err(|_| ApiError::invalid("invalid_signature", "signature is not base64"))?;
    let doc = finish(&state, &user, path.into_inner(), signature).await?;
    Ok(HttpResponse::Created().json(doc))
}

/// The organisation's seal, with the key configured on the server.
#[utoipa::path(post, path = "/api/v1/documents/{id}/seal", tag = "signatures",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = crate::documents::Document), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn seal(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some(seal) = state.seal.clone() else {
        return Err(ApiError::conflict(
            "seal_not_configured",
            "no seal is configured on the server (signing.key_file)",
        ));
    };
    let (signing_id, to_sign) = begin(
        &state,
        &user,
        path.into_inner(),
        seal.chain().to_vec(),
        Some(Block::Organization),
        None,
        None,
    )
    .await?;
    let signature = web::block(move || seal.sign(&to_sign))
        .await
        .map_err(ApiError::internal)?;
    let doc = finish(&state, &user, signing_id, signature).await?;
    Ok(HttpResponse::Created().json(doc))
}

fn refused(detail: impl Into<String>) -> ApiError {
    ApiError::invalid("invalid_signature", detail)
}

/// A file signed by an outside tool, taken as the next version when it only adds valid
/// signatures to the current one.
#[utoipa::path(post, path = "/api/v1/documents/{id}/signed", tag = "signatures",
    params(("id" = String, Path)), security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = crate::documents::Document), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem),
              (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn signed(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (doc_id, who) = (id.clone(), user.clone());
    let (row, version) = state
        .db
        .read(move |c| {
            let row = crate::documents::get(c, &doc_id)?;
            let access = access::load(c, &row.meeting_id, &who)
                .map_err(|_| ApiError::NotFound { what: "document" })?;
            if !access.can_view() {
                return Err(ApiError::NotFound { what: "document" });
            }
            if !access.is_presider() {
                return Err(ApiError::forbidden(
                    "signing_not_allowed",
                    "only the meeting's chair and its managers add signed versions",
                ));
            }
            let version = crate::documents::version(c, &row.id, row.current_version)?;
            Ok((row, version))
        })
        .await?;
    let file = state.files.ingest(&state.db, &req, payload).await?;
    let prev = version_bytes(&state, version.sha256.clone()).await?;
    let next = version_bytes(&state, file.sha256.clone()).await?;
    let anchors = state.trust_anchors.clone();
    let added = web::block(move || {
        if next.len() <= prev.len() || !next.starts_with(&prev) {
            return Err(refused(
                "the file does not begin with the current version's bytes",
            ));
        }
        let added: Vec<_> = super::verify_ranges(&next, &anchors)
            .into_iter()
            .filter(|(_, end)| *end > prev.len())
            .map(|(s, _)| s)
            .collect();
        let Some(last) = added.last() else {
            return Err(refused("the file adds no signature"));
        };
        if added.iter().any(|s| !s.valid) {
            return Err(refused("an added signature does not verify"));
        }
        if !last.covers_whole_document {
            return Err(refused("the last signature does not cover the whole file"));
        }
        Ok(added)
    })
    .await
    .map_err(ApiError::internal)??;
    let doc = state
        .commit(move |c| {
            let fresh = crate::documents::get(c, &row.id)?;
            access::load_for_change(c, &fresh.meeting_id, &user)?;
            if fresh.current_version != row.current_version {
                return Err(ApiError::Stale {
                    detail: "the document gained a version meanwhile".into(),
                    current_version: fresh.current_version.into(),
                });
            }
            let (doc, events) = crate::documents::add_signed_version(c, &fresh, &user.id, &file)?;
            for s in &added {
                crate::audit::append(
                    c,
                    &doc.meeting_id,
                    "document.signed",
                    &serde_json::json!({
                        "document_id": doc.id,
                        "version": doc.version,
                        "sha256": doc.sha256,
                        "field": s.field,
                        "signer": s.signer,
                    }),
                )?;
            }
            Ok((doc, events))
        })
        .await?;
    Ok(HttpResponse::Created().json(doc))
}

/// The caller's signature image, as uploaded.
#[utoipa::path(get, path = "/api/v1/me/signature-image", tag = "signatures", security(("bearer" = [])),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn get_image(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let png = state
        .db
        .read(move |c| super::images::load(c, &user.id))
        .await?
        .ok_or(ApiError::NotFound {
            what: "signature image",
        })?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("cache-control", "private, no-cache"))
        .body(png))
}

/// Sets the caller's signature image (a PNG, ≤ 512 KiB, ≤ 2000 pixels a side).
#[utoipa::path(put, path = "/api/v1/me/signature-image", tag = "signatures", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 204), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn put_image(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let png_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("image/png"));
    if !png_type {
        return Err(ApiError::UnsupportedMediaType {
            detail: "a signature image is sent as image/png".into(),
        });
    }
    let png = body.to_vec();
    let png = web::block(move || super::images::decode(&png).map(|_| png))
        .await
        .map_err(ApiError::internal)??;
    state
        .db
        .write(move |c| super::images::save(c, &user.id, &png))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes the caller's signature image: their signatures show as text again.
#[utoipa::path(delete, path = "/api/v1/me/signature-image", tag = "signatures", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_image(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let had = state
        .db
        .write(move |c| super::images::delete(c, &user.id))
        .await?;
    if had {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound {
            what: "signature image",
        })
    }
}
