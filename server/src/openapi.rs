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
        polls::handlers::answers,
        polls::handlers::my_ballot,
        audit::handlers::list,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth, &Truthful),
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

/// Declares the answers every operation can give besides its own: errors are RFC 9457
/// problems (`application/problem+json`, not the `application/json` the annotations imply),
/// protected routes may answer 401 and 403 (`mfa_enrollment_required`), anything with a path
/// id 404, anything with a body or query 400/413/415/422, anything 429 (rate limits) and
/// 500/503 (the database unreachable). Declared here once rather than on each handler, so
/// an operation added tomorrow tells the truth too; the test `openapi_declares_every_answer`
/// calls every operation in the ways that produce these and fails on an undeclared one.
struct Truthful;

const PROBLEM_JSON: &str = "application/problem+json";

fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// Moves a problem body declared as `application/json` to `application/problem+json`.
fn problem_media_type(response: &mut utoipa::openapi::RefOr<utoipa::openapi::Response>) {
    let utoipa::openapi::RefOr::T(response) = response else {
        return;
    };
    let is_problem = response.content.get("application/json").is_some_and(|c| {
        matches!(&c.schema, Some(utoipa::openapi::RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"))
    });
    if is_problem && let Some(content) = response.content.shift_remove("application/json") {
        response.content.insert(PROBLEM_JSON.to_owned(), content);
    }
}

impl Modify for Truthful {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let responses = &mut op.responses.responses;
                for response in responses.values_mut() {
                    problem_media_type(response);
                }
                let protected = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query));
                let has_body = op.request_body.is_some();
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(description));
                };
                if protected {
                    add(
                        "401",
                        "Not signed in, or the token expired (`unauthorized`)",
                    );
                    add(
                        "403",
                        "Not allowed, or a second factor must be enrolled first",
                    );
                }
                if path.contains('{') {
                    add("404", "No such resource, or not visible to the caller");
                }
                if has_body || has_query {
                    add(
                        "400",
                        "A malformed request (`invalid_body`, `invalid_query`)",
                    );
                    add("422", "The request is well-formed but not acceptable");
                }
                if has_body {
                    add(
                        "413",
                        "The body is larger than the limit (`payload_too_large`)",
                    );
                    add("415", "The body's media type is not accepted");
                }
                add("429", "Too many requests (rate limits)");
                add("500", "An internal error (`internal`)");
                add("503", "The database is unreachable (`service_unavailable`)");
            }
        }
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
