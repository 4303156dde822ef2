//! HTTP endpoints of the agenda.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{AgendaItem, ItemPatch, NewItem, Order};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::meetings::handlers::manage;
use crate::state::AppState;

/// Adds an item (or a sub-item with `parent_id`) at the end of its siblings.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/agenda", tag = "agenda", params(("id" = String, Path)),
    request_body = NewItem, security(("bearer" = [])),
    responses((status = 201, body = AgendaItem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<NewItem>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let new = body.into_inner();
    let max_depth = state.settings.meetings.max_agenda_depth;
    let item = state
        .commit(move |c| {
            manage(c, &id, &user)?;
            super::add(c, &id, new, max_depth)
        })
        .await?;
    Ok(HttpResponse::Created().json(item))
}

/// Changes an item; a new `parent_id` moves it.
#[utoipa::path(patch, path = "/api/v1/agenda/{item_id}", tag = "agenda", params(("item_id" = String, Path)),
    request_body = ItemPatch, security(("bearer" = [])),
    responses((status = 200, body = AgendaItem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<ItemPatch>,
) -> Result<HttpResponse, ApiError> {
    let item_id = path.into_inner();
    let patch = body.into_inner();
    let max_depth = state.settings.meetings.max_agenda_depth;
    let item = state
        .commit(move |c| {
            let meeting_id = super::meeting_of(c, &item_id)?;
            manage(c, &meeting_id, &user).map_err(|e| e.not_found_as("agenda item"))?;
            super::update(c, &meeting_id, &item_id, patch, max_depth)
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// Also remove the documents and polls attached to the item and its sub-items.
    #[serde(default)]
    pub cascade: bool,
}

/// Deletes an item and its sub-items.
#[utoipa::path(delete, path = "/api/v1/agenda/{item_id}", tag = "agenda",
    params(("item_id" = String, Path), DeleteQuery), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: web::Query<DeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    let item_id = path.into_inner();
    let cascade = query.cascade;
    state
        .commit(move |c| {
            let meeting_id = super::meeting_of(c, &item_id)?;
            manage(c, &meeting_id, &user).map_err(|e| e.not_found_as("agenda item"))?;
            Ok((
                (),
                super::delete(c, &meeting_id, &item_id, cascade, &user.id)?,
            ))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets the order of the items sharing one parent.
#[utoipa::path(put, path = "/api/v1/meetings/{id}/agenda/order", tag = "agenda", params(("id" = String, Path)),
    request_body = Order, security(("bearer" = [])),
    responses((status = 200, body = Vec<AgendaItem>), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn reorder(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<Order>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let order = body.into_inner();
    let agenda = state
        .commit(move |c| {
            manage(c, &id, &user)?;
            super::reorder(c, &id, order)
        })
        .await?;
    Ok(HttpResponse::Ok().json(agenda))
}
