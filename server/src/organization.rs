//! The organisation the server serves (an Ủy ban nhân dân, a department): the rules and
//! names it sets for all its meetings. Today its default majority, which a poll takes when it
//! names none, so that the tablets can say which rule that is; the record's names (cơ quan
//! chủ quản, cơ quan, ký hiệu, địa danh) belong here when the minutes come.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::polls::Majority;
use crate::state::AppState;

/// What every signed-in user may read of the organisation's settings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Organization {
    /// The majority of a poll created without one (`polls.default_majority`).
    pub default_majority: Majority,
}

/// The organisation's settings that tablets show.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization", security(("bearer" = [])),
    responses((status = 200, body = Organization), (status = 401, body = Problem)))]
pub async fn get(state: web::Data<AppState>, _user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(Organization {
        default_majority: state.settings.polls.default_majority,
    }))
}
