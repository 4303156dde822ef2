//! `GET /api/v1/meetings/{id}/audit`: the meeting's hash chain, for anyone who may see the
//! meeting (participants check their receipts against it).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::Entry;
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::meetings::access;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditLog {
    pub meeting_id: String,
    pub entries: Vec<Entry>,
    /// The last entry's hash (the genesis value when there is none yet).
    pub head: String,
    /// Whether the chain recomputes intact right now.
    pub intact: bool,
}

/// The meeting's hash-chained log of decisions.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/audit", tag = "audit", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = AuditLog), (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = path.into_inner();
    let log = state
        .db
        .read(move |c| {
            access::load(c, &meeting_id, &user)?;
            let stored = super::entries(c, &meeting_id)?;
            let intact = super::verify_chain(&meeting_id, &stored).is_ok();
            let head = stored
                .last()
                .map_or_else(|| super::GENESIS.to_owned(), |e| e.hash.clone());
            let entries = stored
                .into_iter()
                .map(Entry::try_from)
                .collect::<Result<_, _>>()?;
            Ok(AuditLog {
                meeting_id,
                entries,
                head,
                intact,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(log))
}
