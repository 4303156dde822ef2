//! The one route table: every path the server answers, grouped by resource.

use std::path::Path;

use actix_web::{HttpResponse, web};

use crate::error::ApiError;
use crate::{
    agenda, annotations, attendance, audit, auth, client, documents, events, health, live,
    meetings, openapi, polls, speakers, users,
};

pub fn configure(cfg: &mut web::ServiceConfig, web_dir: &Path) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .service(
            web::scope("/api/v1")
                .route("/openapi.json", web::get().to(openapi::document))
                .route("/auth/login", web::post().to(auth::handlers::login))
                .route("/auth/refresh", web::post().to(auth::handlers::refresh))
                .route("/auth/logout", web::post().to(auth::handlers::logout))
                .route("/me", web::get().to(auth::handlers::me))
                .service(
                    web::resource("/users")
                        .route(web::get().to(users::handlers::list))
                        .route(web::post().to(users::handlers::create)),
                )
                .service(
                    web::resource("/meetings")
                        .route(web::get().to(meetings::handlers::list))
                        .route(web::post().to(meetings::handlers::create)),
                )
                .service(
                    web::resource("/meetings/{id}")
                        .route(web::get().to(meetings::handlers::get))
                        .route(web::patch().to(meetings::handlers::update))
                        .route(web::delete().to(meetings::handlers::delete)),
                )
                .route(
                    "/meetings/{id}/calendar.ics",
                    web::get().to(meetings::handlers::calendar),
                )
                .route(
                    "/meetings/{id}/state",
                    web::post().to(meetings::handlers::set_state),
                )
                .route(
                    "/meetings/{id}/participants",
                    web::post().to(meetings::handlers::add_participant),
                )
                .service(
                    web::resource("/meetings/{id}/participants/{user_id}")
                        .route(web::patch().to(meetings::handlers::update_participant))
                        .route(web::delete().to(meetings::handlers::remove_participant)),
                )
                .route(
                    "/meetings/{id}/agenda",
                    web::post().to(agenda::handlers::add),
                )
                .route(
                    "/meetings/{id}/agenda/order",
                    web::put().to(agenda::handlers::reorder),
                )
                .service(
                    web::resource("/agenda/{item_id}")
                        .route(web::patch().to(agenda::handlers::update))
                        .route(web::delete().to(agenda::handlers::delete)),
                )
                .route(
                    "/meetings/{id}/check-in",
                    web::post().to(attendance::handlers::check_in),
                )
                .service(
                    web::resource("/meetings/{id}/attendance")
                        .route(web::get().to(attendance::handlers::list))
                        .route(web::post().to(attendance::handlers::mark)),
                )
                .service(
                    web::resource("/meetings/{id}/speakers")
                        .route(web::get().to(speakers::handlers::list))
                        .route(web::post().to(speakers::handlers::request)),
                )
                .route(
                    "/meetings/{id}/speakers/order",
                    web::put().to(speakers::handlers::reorder),
                )
                .route(
                    "/speakers/{id}/state",
                    web::post().to(speakers::handlers::set_state),
                )
                .route(
                    "/meetings/{id}/events",
                    web::get().to(events::handlers::list),
                )
                .route(
                    "/meetings/{id}/documents",
                    web::post().to(documents::handlers::upload),
                )
                .route(
                    "/meetings/{id}/board-book",
                    web::get().to(documents::handlers::board_book),
                )
                .service(
                    web::resource("/documents/{id}")
                        .route(web::get().to(documents::handlers::get))
                        .route(web::patch().to(documents::handlers::update))
                        .route(web::delete().to(documents::handlers::delete)),
                )
                .route(
                    "/documents/{id}/content",
                    web::put().to(documents::handlers::replace),
                )
                .route(
                    "/documents/{id}/file",
                    web::get().to(documents::handlers::file),
                )
                .service(
                    web::resource("/documents/{id}/annotations")
                        .route(web::get().to(annotations::handlers::list))
                        .route(web::post().to(annotations::handlers::create)),
                )
                .service(
                    web::resource("/annotations/{id}")
                        .route(web::get().to(annotations::handlers::get))
                        .route(web::patch().to(annotations::handlers::update))
                        .route(web::delete().to(annotations::handlers::delete)),
                )
                .route(
                    "/annotations/{id}/replies",
                    web::post().to(annotations::handlers::reply),
                )
                .route(
                    "/annotations/{id}/replies/{reply_id}",
                    web::delete().to(annotations::handlers::delete_reply),
                )
                .route("/meetings/{id}/live", web::get().to(live::handlers::live))
                .route(
                    "/meetings/{id}/polls",
                    web::post().to(polls::handlers::create),
                )
                .service(
                    web::resource("/polls/{id}")
                        .route(web::get().to(polls::handlers::get))
                        .route(web::patch().to(polls::handlers::update))
                        .route(web::delete().to(polls::handlers::delete)),
                )
                .route("/polls/{id}/open", web::post().to(polls::handlers::open))
                .route("/polls/{id}/close", web::post().to(polls::handlers::close))
                .route("/polls/{id}/ballots", web::post().to(polls::handlers::cast))
                .route("/meetings/{id}/audit", web::get().to(audit::handlers::list))
                .default_service(web::to(not_found)),
        );
    client::configure(cfg, web_dir);
    cfg.default_service(web::to(not_found));
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound { what: "route" })
}
