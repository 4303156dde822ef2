//! HTTP endpoints of the meeting's record.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::finalize::{self, Context, Finalized};
use super::gather::{self, Issue};
use super::register;
use super::{Minutes, MinutesPatch, MinutesState, render};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::meetings::access;
use crate::state::AppState;

/// The record of a meeting: editors and staff at any time, every participant once final.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/minutes", tag = "minutes",
    security(("bearer" = [])),
    responses((status = 200, body = Minutes), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let configured = state.settings.organization.clone();
    let minutes = state
        .db
        .read(move |c| {
            let access = access::load(c, &id, &user)?;
            let row = super::find(c, &id)?;
            let is_final = row
                .as_ref()
                .is_some_and(|r| r.state() == MinutesState::Final);
            if !is_final && !super::may_read_draft(&access) {
                return Err(ApiError::NotFound { what: "minutes" });
            }
            let next = if is_final {
                None
            } else {
                let names = crate::organization::names(c, &configured)?;
                let year = chrono::Datelike::year(&gather::today(&names));
                let kind = finalize::main_kind(access.meeting.kind());
                let n = register::peek(c, crate::organization::ID, kind, year)?;
                Some(register::format(n, kind, &names.sign))
            };
            super::view(c, &id, next)
        })
        .await?;
    Ok(HttpResponse::Ok().json(minutes))
}

/// Changes the record's texts (the chair, the meeting's secretary).
#[utoipa::path(patch, path = "/api/v1/meetings/{id}/minutes", tag = "minutes",
    security(("bearer" = [])), request_body = MinutesPatch,
    responses((status = 200, body = Minutes), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<MinutesPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let patch = body.into_inner();
    let max = state.settings.minutes.max_text_chars;
    let minutes = state
        .commit(move |c| {
            let access = access::load_for_change(c, &id, &user)?;
            super::update(c, &access, patch, max)
        })
        .await?;
    Ok(HttpResponse::Ok().json(minutes))
}

/// The draft record as editors may read it, ready to render.
async fn draft_record(
    state: &AppState,
    user: AuthUser,
    meeting_id: String,
) -> Result<super::record::Record, ApiError> {
    let configured = state.settings.organization.clone();
    state
        .db
        .read(move |c| {
            let access = access::load(c, &meeting_id, &user)?;
            if !super::may_read_draft(&access) {
                return Err(ApiError::NotFound { what: "minutes" });
            }
            if let Some(row) = super::find(c, &meeting_id)? {
                super::require_draft(&row)?;
            }
            let names = crate::organization::names(c, &configured)?;
            gather::record(
                c,
                &meeting_id,
                &names,
                Issue {
                    minutes_number: None,
                    conclusions_number: None,
                    date: gather::today(&names),
                    draft: true,
                },
            )
        })
        .await
}

/// The draft's file name: the biên bản's, or the summary's of a meeting held in writing.
fn draft_file_name(record: &super::record::Record) -> &'static str {
    if record.consultation.is_some() {
        "bao-cao-tong-hop-du-thao"
    } else {
        "bien-ban-du-thao"
    }
}

/// The record's main document (the biên bản, or a written meeting's summary) as it would be
/// finalised now, marked as a draft.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/minutes/preview.pdf", tag = "minutes",
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn preview(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = draft_record(&state, user, path.into_inner()).await?;
    let name = draft_file_name(&record);
    let fonts = state.fonts.clone();
    let pdf = web::block(move || render::record_pdf(&record, &fonts).map(|r| r.bytes))
        .await
        .map_err(ApiError::internal)??;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{name}.pdf\""),
        ))
        .body(pdf))
}

/// The draft biên bản as a Word document, for secretaries who finish it there.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/minutes/preview.docx", tag = "minutes",
    security(("bearer" = [])),
    responses((status = 200,
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn preview_docx(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = draft_record(&state, user, path.into_inner()).await?;
    let name = draft_file_name(&record);
    let docx = web::block(move || render::minutes_docx(&record))
        .await
        .map_err(ApiError::internal)??;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.docx\""),
        ))
        .body(docx))
}

/// Finalises the record of a closed meeting (the chair, the meeting's secretary).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/minutes/finalize", tag = "minutes",
    security(("bearer" = [])),
    responses((status = 201, body = Finalized), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn finalize(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (done, events) = finalize::finalize(
        Context {
            db: &state.db,
            files: &state.files,
            fonts: &state.fonts,
            configured: &state.settings.organization,
        },
        &id,
        &user,
    )
    .await?;
    state.bus.publish(events);
    Ok(HttpResponse::Created().json(done))
}
