//! The OpenAPI document served at `/api/v1/openapi.json`, generated from the handlers'
//! annotations. Every route of `routes::configure` must be listed here; an integration test
//! checks both agree.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{
    agenda, annotations, attendance, audit, auth, documents, events, health, live, meetings, polls,
    speakers, users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "ecabinet", description = "Paperless meeting server API (contract v1)"),
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        auth::handlers::login,
        auth::handlers::refresh,
        auth::handlers::logout,
        auth::handlers::me,
        users::handlers::create,
        users::handlers::list,
        meetings::handlers::create,
        meetings::handlers::list,
        meetings::handlers::get,
        meetings::handlers::update,
        meetings::handlers::delete,
        meetings::handlers::calendar,
        crate::organization::get,
        crate::organization::update,
        crate::workdays::handlers::get,
        crate::workdays::handlers::put,
        crate::notifications::handlers::list,
        crate::notifications::handlers::read,
        crate::notifications::handlers::read_all,
        users::handlers::update,
        crate::auth::mfa_handlers::enrol,
        crate::auth::mfa_handlers::confirm,
        crate::auth::mfa_handlers::disable,
        crate::auth::mfa_handlers::reset,
        crate::auth::mfa_handlers::login,
        crate::auth::device_handlers::list,
        crate::auth::device_handlers::rename,
        crate::auth::device_handlers::end,
        crate::auth::device_handlers::end_all,
        crate::auth::device_handlers::change_password,
        crate::minutes::handlers::get,
        crate::minutes::handlers::update,
        crate::minutes::handlers::preview,
        crate::minutes::handlers::preview_docx,
        crate::minutes::handlers::finalize,
        crate::signatures::handlers::list,
        crate::signatures::handlers::start,
        crate::signatures::handlers::complete,
        crate::signatures::handlers::seal,
        crate::signatures::handlers::signed,
        crate::signatures::handlers::get_image,
        crate::signatures::handlers::put_image,
        crate::signatures::handlers::delete_image,
        meetings::handlers::set_state,
        meetings::handlers::add_participant,
        meetings::handlers::update_participant,
        meetings::handlers::remove_participant,
        agenda::handlers::add,
        agenda::handlers::update,
        agenda::handlers::delete,
        agenda::handlers::reorder,
        attendance::handlers::check_in,
        attendance::handlers::mark,
        attendance::handlers::list,
        speakers::handlers::request,
        speakers::handlers::list,
        speakers::handlers::reorder,
        speakers::handlers::set_state,
        events::handlers::list,
        documents::handlers::upload,
        documents::handlers::replace,
        documents::handlers::get,
        documents::handlers::update,
        documents::handlers::delete,
        documents::handlers::file,
        documents::handlers::board_book,
        annotations::handlers::create,
        annotations::handlers::list,
        annotations::handlers::get,
        annotations::handlers::update,
        annotations::handlers::delete,
        annotations::handlers::reply,
        annotations::handlers::delete_reply,
        live::handlers::live,
        polls::handlers::create,
        polls::handlers::get,
        polls::handlers::update,
        polls::handlers::delete,
        polls::handlers::open,
        polls::handlers::close,
        polls::handlers::cast,
        audit::handlers::list,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in and sessions"),
        (name = "users", description = "The user directory"),
        (name = "operations", description = "Health and metrics"),
        (name = "meetings", description = "Meetings and their life cycle"),
        (name = "participants", description = "Who takes part, in which role, with which substitute"),
        (name = "agenda", description = "The agenda tree"),
        (name = "attendance", description = "Check-in and attendance"),
        (name = "speakers", description = "The speaker queue"),
        (name = "events", description = "The durable per-meeting event log"),
        (name = "documents", description = "PDF documents, their versions and the board book"),
        (name = "polls", description = "Polls (biểu quyết), ballots and results; docs/polls.md"),
        (name = "audit", description = "The per-meeting hash chain of decisions"),
        (name = "annotations", description = "Ink, highlights and notes on documents; docs/annotations.md"),
        (name = "live", description = "The live channel (websocket); protocol in docs/live.md"),
        (name = "notifications", description = "A user's notifications; docs/notifications.md"),
        (name = "calendar", description = "Working days and holidays, for deadlines in working days; docs/api.md"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_owned())
});

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT.as_str())
}
