//! HTTP endpoints of meetings and their participants.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::access::{self, Access};
use super::participants::{self, NewParticipant, Participant, ParticipantPatch};
use super::{Meeting, MeetingPatch, MeetingState, Mover, NewMeeting};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::users::Role;
use crate::{agenda, speakers};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingList {
    pub meetings: Vec<Meeting>,
}

/// A meeting with everything a tablet shows of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingDetail {
    #[serde(flatten)]
    pub meeting: Meeting,
    pub agenda: Vec<agenda::AgendaItem>,
    pub participants: Vec<Participant>,
    /// Documents of the meeting, in order.
    pub documents: Vec<crate::documents::Document>,
    /// Polls of the meeting, oldest first.
    pub polls: Vec<crate::polls::Poll>,
    /// The open speaker queue.
    pub speakers: Vec<speakers::Speaker>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateRequest {
    pub state: MeetingState,
}

/// Creates a draft meeting (admins and secretaries).
#[utoipa::path(post, path = "/api/v1/meetings", tag = "meetings", request_body = NewMeeting,
    security(("bearer" = [])),
    responses((status = 201, body = Meeting), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<NewMeeting>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin, Role::Secretary])?;
    let mut new = body.into_inner();
    let day_end = working_day_end(&state)?;
    let organization = state.settings.organization.clone();
    let (default_majority, ties) = (
        state.settings.polls.default_majority,
        state.settings.polls.written_ties,
    );
    let meeting = state
        .commit(move |c| {
            new.deadline = super::written::deadline_from_working_days(
                c,
                new.starts_at,
                new.deadline,
                new.deadline_working_days.take(),
                day_end,
                &organization,
            )?;
            let source = new.from_agenda_item.take();
            let written = new.kind == super::written::Kind::Written;
            let (meeting, mut events) = super::create(c, &user.id, new)?;
            if let Some(item) = source {
                events.extend(from_agenda_item(
                    c,
                    &user,
                    &meeting.id,
                    &item,
                    written,
                    (default_majority, ties),
                )?);
            }
            Ok((meeting, events))
        })
        .await?;
    Ok(HttpResponse::Created().json(meeting))
}

/// Prepares a new written meeting from a session's agenda item: its documents copied, one
/// question titled as the item (the written defaults). The item's meeting must be one the
/// caller may read; anything else reads as an item that is not there.
fn from_agenda_item(
    conn: &mut crate::db::DbConnection,
    user: &AuthUser,
    meeting_id: &str,
    item_id: &str,
    written: bool,
    (default_majority, ties): (crate::polls::Majority, crate::polls::TieBreak),
) -> Result<Vec<crate::events::Event>, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "invalid_agenda_item",
            "from_agenda_item names an agenda item of a session you may read",
        )
    };
    if !written {
        return Err(ApiError::invalid(
            "invalid_agenda_item",
            "only a meeting held in writing is prepared from an agenda item",
        ));
    }
    let source = crate::agenda::meeting_of(conn, item_id).map_err(|_| invalid())?;
    let access = access::load(conn, &source, user).map_err(|_| invalid())?;
    if access.meeting.kind() != super::written::Kind::Session {
        return Err(invalid());
    }
    let item = crate::agenda::get_in_meeting(conn, &source, item_id)?;
    let mut events = crate::documents::copy_item_documents(conn, item_id, meeting_id, &user.id)?;
    let question = crate::polls::NewPoll {
        title: item.title.clone(),
        agenda_item_id: None,
        secret: false,
        options: None,
        majority: None,
        quorum: None,
        allow_change: None,
        tie_break: None,
    }
    .written_defaults(ties);
    let (_, more) = crate::polls::create(conn, meeting_id, question, default_majority, &user.id)?;
    events.extend(more);
    Ok(events)
}

/// Meetings the caller may see.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "meetings", security(("bearer" = [])),
    responses((status = 200, body = MeetingList)))]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let meetings = state
        .db
        .read(move |c| super::list_visible(c, &user.id, user.role.is_staff()))
        .await?;
    Ok(HttpResponse::Ok().json(MeetingList { meetings }))
}

/// A meeting with its agenda, participants, documents, polls and speaker queue.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "meetings", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = MeetingDetail), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let detail = state
        .db
        .read(move |c| {
            let access = access::load(c, &id, &user)?;
            Ok(MeetingDetail {
                meeting: Meeting::try_from(access.meeting)?,
                agenda: agenda::tree(c, &id)?,
                participants: participants::list(c, &id)?,
                documents: crate::documents::list(c, &id)?,
                polls: crate::polls::list(c, &id)?,
                speakers: speakers::open_queue(c, &id)?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// The meeting as an iCalendar invitation (`text/calendar`), for the participants' calendars:
/// its planned length is the sum of its main agenda items' durations.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/calendar.ics", tag = "meetings", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
pub async fn calendar(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (meeting, minutes) = state
        .db
        .read(move |c| {
            let access = access::load(c, &id, &user)?;
            let minutes: i64 = agenda::tree(c, &id)?
                .iter()
                .filter_map(|i| i.duration_minutes)
                .map(i64::from)
                .sum();
            Ok((Meeting::try_from(access.meeting)?, minutes))
        })
        .await?;
    let info = req.connection_info();
    let link = format!(
        "{}://{}/meetings/{}",
        info.scheme(),
        info.host(),
        meeting.id
    );
    let text = super::calendar::ics(&meeting, minutes, &link, chrono::Utc::now());
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"cuoc-hop.ics\"",
        ))
        .body(text))
}

/// Changes the meeting's fields. `current_item_id` alone may also be set by the chair.
#[utoipa::path(patch, path = "/api/v1/meetings/{id}", tag = "meetings", params(("id" = String, Path)),
    request_body = MeetingPatch, security(("bearer" = [])),
    responses((status = 200, body = Meeting), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<MeetingPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mut patch = body.into_inner();
    let day_end = working_day_end(&state)?;
    let organization = state.settings.organization.clone();
    let mailing = state.settings.notifications.smtp.is_some();
    let meeting = state
        .commit(move |c| {
            let access = access::load_for_change(c, &id, &user)?;
            access.require(if patch.presider_only() {
                Mover::Presiders
            } else {
                Mover::Managers
            })?;
            access.require_open()?;
            if let Some(n) = patch.deadline_working_days.take() {
                if access.meeting.kind() == super::written::Kind::Session {
                    super::written::refuse_for_session(true, false)?;
                }
                if access.state != MeetingState::Draft {
                    return Err(ApiError::conflict(
                        "meeting_sent",
                        "a deadline in working days is set while the meeting is a draft; move the deadline itself after",
                    ));
                }
                let starts_at = patch
                    .starts_at
                    .flatten()
                    .unwrap_or_else(|| access.meeting.starts_at.and_utc());
                patch.deadline = super::written::deadline_from_working_days(
                    c,
                    starts_at,
                    patch.deadline,
                    Some(n),
                    day_end,
                    &organization,
                )?;
            }
            let (meeting, events) = super::update(c, &id, patch)?;
            let told = super::notices::on_update(c, &access.meeting, &meeting, &user.id)?;
            super::notices::mail(c, &told, mailing.then_some(&organization))?;
            Ok(((meeting, told), events))
        })
        .await?;
    let (meeting, told) = meeting;
    state.push_notifications(told);
    Ok(HttpResponse::Ok().json(meeting))
}

/// Deletes a draft meeting (its managers).
#[utoipa::path(delete, path = "/api/v1/meetings/{id}", tag = "meetings", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .commit(move |c| {
            let access = access::load_for_change(c, &id, &user)?;
            access.require(Mover::Managers)?;
            super::delete_draft(c, &id, access.state)?;
            Ok(((), Vec::new()))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moves the meeting through `draft → scheduled → live → closed`, or cancels a scheduled one
/// (`scheduled → cancelled`, its managers only).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/state", tag = "meetings", params(("id" = String, Path)),
    request_body = StateRequest, security(("bearer" = [])),
    responses((status = 200, body = Meeting), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn set_state(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<StateRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let to = body.into_inner().state;
    let mailing = state
        .settings
        .notifications
        .smtp
        .is_some()
        .then(|| state.settings.organization.clone());
    let meeting = state
        .commit(move |c| {
            let access = access::load_for_change(c, &id, &user)?;
            let kind = access.meeting.kind();
            let mover = super::transition(kind, access.state, to);
            // Someone who may not move the meeting at all learns nothing about its state rules.
            if !access.is_presider() {
                return Err(ApiError::forbidden(
                    "forbidden",
                    "your role in this meeting does not allow this",
                ));
            }
            access.require(mover?)?;
            if kind == super::written::Kind::Written && to == super::MeetingState::Closed {
                let events = super::written::close(c, &id)?;
                return Ok((
                    (super::Meeting::try_from(super::get(c, &id)?)?, Vec::new()),
                    events,
                ));
            }
            let (meeting, mut events) = super::set_state(c, &id, access.state, to)?;
            if kind == super::written::Kind::Written && to == MeetingState::Scheduled {
                // Sent: its questions open now, in the same transaction (none without voters).
                let sent = access::load_for_change(c, &id, &user)?;
                events.extend(crate::polls::open_drafts(c, &sent)?);
            }
            let told = super::notices::on_state(c, &meeting, access.state, to, &user.id)?;
            super::notices::mail(c, &told, mailing.as_ref())?;
            Ok(((meeting, told), events))
        })
        .await?;
    let (meeting, told) = meeting;
    state.push_notifications(told);
    Ok(HttpResponse::Ok().json(meeting))
}

/// Invites a user with a meeting role.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/participants", tag = "participants",
    params(("id" = String, Path)), request_body = NewParticipant, security(("bearer" = [])),
    responses((status = 201, body = Participant), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_participant(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<NewParticipant>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let new = body.into_inner();
    let participant = state
        .commit(move |c| {
            manage(c, &id, &user)?;
            participants::add(c, &id, new)
        })
        .await?;
    Ok(HttpResponse::Created().json(participant))
}

/// Changes a participant's role or substitute; a member may set their own substitute.
#[utoipa::path(patch, path = "/api/v1/meetings/{id}/participants/{user_id}", tag = "participants",
    params(("id" = String, Path), ("user_id" = String, Path)), request_body = ParticipantPatch,
    security(("bearer" = [])),
    responses((status = 200, body = Participant), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn update_participant(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<ParticipantPatch>,
) -> Result<HttpResponse, ApiError> {
    let (id, target) = path.into_inner();
    let patch = body.into_inner();
    let participant = state
        .commit(move |c| {
            let access = access::load_for_change(c, &id, &user)?;
            access.require_open()?;
            let self_service = !access.is_manager();
            if self_service && target != user.id {
                return Err(ApiError::forbidden(
                    "forbidden",
                    "only the meeting's managers change others",
                ));
            }
            participants::update(c, &id, &target, patch, self_service)
        })
        .await?;
    Ok(HttpResponse::Ok().json(participant))
}

/// Removes a participant.
#[utoipa::path(delete, path = "/api/v1/meetings/{id}/participants/{user_id}", tag = "participants",
    params(("id" = String, Path), ("user_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_participant(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, target) = path.into_inner();
    state
        .commit(move |c| {
            manage(c, &id, &user)?;
            Ok(((), participants::remove(c, &id, &target)?))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// When a working day ends (`meetings.working_day_end`, checked at start).
fn working_day_end(state: &AppState) -> Result<chrono::NaiveTime, ApiError> {
    state
        .settings
        .meetings
        .working_day_end()
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

/// Locks the meeting and checks the caller may prepare it and it is not closed.
pub fn manage(
    c: &mut crate::db::DbConnection,
    meeting_id: &str,
    user: &AuthUser,
) -> Result<Access, ApiError> {
    let access = access::load_for_change(c, meeting_id, user)?;
    access.require(Mover::Managers)?;
    access.require_open()?;
    Ok(access)
}
