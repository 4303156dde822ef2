//! `GET /api/v1/meetings/{id}/live`: checks the `Origin` before the upgrade, then hands the
//! connection to its session task.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::outbox::Outbox;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// True when a browser's `Origin` may open the live channel: the server's own origin, or one
/// listed in `allowed_origins`. Clients that send no `Origin` (not browsers) are let through:
/// the check exists against other web pages using a member's browser.
pub fn origin_allowed(req: &HttpRequest, allowed: &[String]) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return true;
    };
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let info = req.connection_info();
    let host = info.host();
    ["http://", "https://"]
        .iter()
        .any(|scheme| origin.eq_ignore_ascii_case(&format!("{scheme}{host}")))
}

/// Opens the live channel of a meeting (websocket; see docs/live.md).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/live", tag = "live", params(("id" = String, Path)),
    responses((status = 101, description = "switching to the websocket protocol"),
              (status = 403, body = Problem, description = "the Origin is not allowed")))]
pub async fn live(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    if !origin_allowed(&req, &state.settings.allowed_origins) {
        return Err(ApiError::forbidden(
            "origin_not_allowed",
            "this origin may not open the live channel",
        )
        .into());
    }
    // actix-ws reads the client's frames; what the server sends does not go through its
    // `Session` (a channel and a task away from the socket) but through the session's outbox,
    // which is the response body itself (see outbox.rs).
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    drop(session);
    let max = state.settings.live.max_message_bytes;
    let stream = stream
        .max_frame_size(max)
        .aggregate_continuations()
        .max_continuation_size(max);
    let outbox = Arc::new(Outbox::new(state.settings.live.queue_capacity, 0));
    let response = response.map_body(|_, input| outbox.body(input).boxed());
    let hub = state.hub.clone();
    let state = state.into_inner();
    actix_web::rt::spawn(super::session::run(
        state,
        hub,
        path.into_inner(),
        outbox,
        stream,
    ));
    Ok(response)
}
