//! `GET|PUT /api/v1/calendar/{year}`: the organisation's calendar of working days.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::CalendarDay;
use super::store::{self, EnteredDay};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::users::Role;

/// A year of the calendar: every day that is not an ordinary working day, and every day an
/// admin entered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarYear {
    pub year: i32,
    pub days: Vec<CalendarDay>,
}

/// The days an admin enters for a year, replacing those entered before.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarPut {
    pub days: Vec<EnteredDay>,
}

async fn year_of(state: &AppState, year: i32) -> Result<CalendarYear, ApiError> {
    let days = state
        .db
        .read(move |c| Ok(super::Calendar::new(store::entered(c, year..=year)?).year(year)))
        .await?;
    Ok(CalendarYear { year, days })
}

/// The calendar of one year (every signed-in user: tablets show deadlines in working days).
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "calendar", params(("year" = i32, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = CalendarYear), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    _user: AuthUser,
    path: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let year = path.into_inner();
    store::check_year(year)?;
    Ok(HttpResponse::Ok().json(year_of(&state, year).await?))
}

/// Sets the days an admin enters for one year (holidays such as Tết, make-up working days),
/// replacing those entered before (admins).
#[utoipa::path(put, path = "/api/v1/calendar/{year}", tag = "calendar", params(("year" = i32, Path)),
    request_body = CalendarPut, security(("bearer" = [])),
    responses((status = 200, body = CalendarYear), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn put(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<i32>,
    body: web::Json<CalendarPut>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let year = path.into_inner();
    let days = store::check(year, &body.into_inner().days)?;
    state
        .db
        .write(move |c| store::replace_year(c, year, &days, &user.id))
        .await?;
    tracing::info!(year, "working calendar changed");
    Ok(HttpResponse::Ok().json(year_of(&state, year).await?))
}
