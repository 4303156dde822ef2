//! One websocket session: the hello, the replay of missed events, the welcome, then live
//! events and client requests until the connection ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_http::ws::OpCode;
use actix_web::web::Bytes;
use actix_ws::{AggregatedMessage, AggregatedMessageStream};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde_json::Value;

use super::close;
use super::hub::{Hub, JoinError, Outbound, Room, SessionHandle};
use super::outbox::{Outbox, close_frame, control_frame, text_frame};
use super::protocol::{self, Auth, Ballot, Hello, PresenterPage, Request, Stroke};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::events;
use crate::meetings::MeetingRole;
use crate::meetings::access::{self, Access};
use crate::state::AppState;

/// Events read from the database per replay page.
const REPLAY_PAGE: i64 = 500;

/// Why the session ended, and what to tell the client.
struct End(u16, String);

impl End {
    fn new(code: u16, why: &str) -> Self {
        Self(code, why.to_owned())
    }
}

/// Queues the close frame; the body ends after it. A client cut off for not keeping up gets it
/// at once, without the frames it did not read (it reconnects with its `last_seq`).
fn close_with(outbox: &Outbox, end: End) {
    outbox.close(close_frame(end.0, &end.1), end.0 == close::TOO_SLOW);
}

/// Runs a connection from its upgrade to its end.
pub async fn run(
    state: Arc<AppState>,
    hub: Arc<Hub>,
    meeting_id: String,
    outbox: Arc<Outbox>,
    mut stream: AggregatedMessageStream,
) {
    let end = match serve(&state, &hub, &meeting_id, &outbox, &mut stream).await {
        Ok(()) => End::new(1000, "bye"),
        Err(end) => end,
    };
    close_with(&outbox, end);
}

async fn serve(
    state: &Arc<AppState>,
    hub: &Arc<Hub>,
    meeting_id: &str,
    outbox: &Arc<Outbox>,
    stream: &mut AggregatedMessageStream,
) -> Result<(), End> {
    // Boxed, and only its outcome kept: the hello, the token's claims and the meeting row are
    // needed to admit the client, not for the hours it then stays connected.
    let Admitted {
        user,
        acting_role,
        expires_at,
        last_seq,
    } = Box::pin(admit(state, hub, meeting_id, stream)).await?;
    outbox.resume_after(last_seq);
    let (room, handle) = hub
        .join(
            meeting_id,
            &user.id,
            &user.session_id,
            user.role,
            outbox.clone(),
        )
        .map_err(|e| match e {
            JoinError::TooManySessions => {
                End::new(close::RATE_LIMITED, "too many sessions for this user")
            }
            JoinError::ShuttingDown => End::new(close::RESTARTING, "the server is restarting"),
        })?;
    let settings = &hub.settings;
    let mut live = Live {
        state,
        hub,
        room: &room,
        handle: &handle,
        outbox,
        user,
        acting_role,
        expires_at,
        limiter: RateLimiter::direct(
            Quota::per_second(
                std::num::NonZeroU32::new(settings.messages_per_sec.max(1))
                    .unwrap_or(std::num::NonZeroU32::MIN),
            )
            .allow_burst(
                std::num::NonZeroU32::new(settings.message_burst.max(1))
                    .unwrap_or(std::num::NonZeroU32::MIN),
            ),
        ),
        refused: 0,
        pages: std::collections::HashMap::new(),
    };
    let outcome = live.run(stream).await;
    hub.leave(&room, &handle);
    outcome
}

/// What a session keeps of its hello.
struct Admitted {
    user: AuthUser,
    acting_role: Option<MeetingRole>,
    expires_at: i64,
    last_seq: i64,
}

/// Waits for the hello and checks its token and the user's access to the meeting.
async fn admit(
    state: &Arc<AppState>,
    hub: &Hub,
    meeting_id: &str,
    stream: &mut AggregatedMessageStream,
) -> Result<Admitted, End> {
    let hello = match tokio::time::timeout(
        Duration::from_secs(hub.settings.hello_timeout_secs),
        stream.recv(),
    )
    .await
    {
        Ok(Some(Ok(AggregatedMessage::Text(text)))) => Request::parse(&text)
            .ok()
            .filter(|r| r.kind == "hello")
            .and_then(|r| r.typed::<Hello>().ok())
            .ok_or_else(|| End::new(close::UNAUTHENTICATED, "the first message must be a hello"))?,
        Ok(_) => {
            return Err(End::new(
                close::UNAUTHENTICATED,
                "the first message must be a hello",
            ));
        }
        Err(_) => {
            return Err(End::new(
                close::UNAUTHENTICATED,
                "no hello within the time limit",
            ));
        }
    };
    let claims = state
        .tokens
        .verify(&hello.token)
        .map_err(|e| End::new(close::UNAUTHENTICATED, e.code()))?;
    // The user and the sign-in session must still stand, with today's role (auth/standing.rs).
    let role = state
        .standings
        .check(&state.db, &claims.sub, &claims.sid)
        .await
        .map_err(|e| match e {
            ApiError::Unavailable => End::new(1011, "the service is temporarily unavailable"),
            e => End::new(close::UNAUTHENTICATED, e.code()),
        })?;
    let user = AuthUser {
        id: claims.sub,
        role,
        session_id: claims.sid,
    };
    let access = load_access(state, meeting_id, &user).await?;
    Ok(Admitted {
        user,
        acting_role: access.acting_role(),
        expires_at: claims.exp,
        // A seq from the future (a client's bug, or a probe) is taken as the log's end: the
        // replay then starts there and the welcome names the meeting's real latest seq
        // instead of echoing the client's number.
        last_seq: hello
            .last_seq
            .unwrap_or(0)
            .clamp(0, access.meeting.last_seq.max(0)),
    })
}

async fn load_access(
    state: &Arc<AppState>,
    meeting_id: &str,
    user: &AuthUser,
) -> Result<Access, End> {
    let (id, who) = (meeting_id.to_owned(), user.clone());
    state
        .db
        .read(move |c| access::load(c, &id, &who))
        .await
        .map_err(|e| match e {
            ApiError::NotFound { .. } => End::new(close::FORBIDDEN, "no access to this meeting"),
            ApiError::Unavailable => End::new(1011, "the service is temporarily unavailable"),
            _ => End::new(1011, "internal error"),
        })
}

struct Live<'a> {
    state: &'a Arc<AppState>,
    hub: &'a Arc<Hub>,
    room: &'a Arc<Room>,
    handle: &'a SessionHandle,
    /// Where this session's frames go; it also knows the seq of the last durable event sent.
    outbox: &'a Arc<Outbox>,
    user: AuthUser,
    /// The role the user acts in (observers keep their ink private); refreshed with each
    /// access check. Only this is kept of the access, not the meeting row: a session is
    /// mostly idle, and thousands of them stay in memory.
    acting_role: Option<MeetingRole>,
    /// When the access token (the hello's, or a later `auth`'s) expires, in seconds.
    expires_at: i64,
    limiter: DefaultDirectRateLimiter,
    refused: u32,
    /// Page counts of the meeting's documents this session drew on (ink batches come every
    /// ~50 ms; the database is asked once per document).
    pages: std::collections::HashMap<String, i32>,
}

impl Live<'_> {
    /// Sends one message; gives up as soon as the hub asks this session to close (a client
    /// that stopped reading would otherwise hold the task here).
    async fn send(&self, text: impl AsRef<[u8]>) -> Result<(), End> {
        self.send_frame(text_frame(text.as_ref()), None).await
    }

    async fn send_frame(&self, frame: Bytes, seq: Option<i64>) -> Result<(), End> {
        tokio::select! {
            biased;
            sent = self.outbox.send(frame, seq) => sent.map_err(|_| self.closing_or(End::new(1001, "connection closed"))),
            _ = self.handle.control.notify.notified() => Err(self.closing()),
        }
    }

    fn closing(&self) -> End {
        self.closing_or(End::new(1011, "closed"))
    }

    fn closing_or(&self, otherwise: End) -> End {
        match self.handle.control.reason() {
            Some((code, why)) => End::new(code, why),
            None => otherwise,
        }
    }

    /// Sends the events after the last sent up to `until` (or all) from the database.
    async fn send_from_db(&mut self, until: Option<i64>) -> Result<(), End> {
        loop {
            let (id, after) = (self.room.meeting_id.clone(), self.outbox.last_sent());
            let limit = until.map_or(REPLAY_PAGE, |u| (u - after).clamp(0, REPLAY_PAGE));
            if limit == 0 {
                return Ok(());
            }
            // What the room holds is sent from there (the same frames for every session); the
            // database is read for the rest, and to learn where the log ends.
            let cached = self
                .room
                .recent_after(after, usize::try_from(limit).unwrap_or(0));
            if !cached.is_empty() {
                for (seq, frame) in (after + 1..).zip(cached) {
                    self.send_frame(frame, Some(seq)).await?;
                }
                continue;
            }
            let page = self
                .state
                .db
                .read(move |c| events::after(c, &id, after, limit))
                .await
                .map_err(|_| End::new(1011, "could not read the meeting's events"))?;
            let full = i64::try_from(page.len()).unwrap_or(0) == limit;
            let mut frames = Vec::with_capacity(page.len());
            for event in &page {
                let text =
                    serde_json::to_vec(event).map_err(|_| End::new(1011, "internal error"))?;
                frames.push(text_frame(&text));
            }
            if let Some(first) = page.first() {
                // The room keeps consecutive seqs only (the log has no holes; this is the proof).
                let run = (first.seq..)
                    .zip(&page)
                    .take_while(|(seq, e)| e.seq == *seq)
                    .count();
                self.room.remember_page(first.seq, &frames[..run]);
            }
            for (event, frame) in page.iter().zip(frames) {
                self.send_frame(frame, Some(event.seq)).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Sends what the hub held back while this session replayed (or after the hub saw a gap),
    /// in seq order without duplicates, filling gaps from the database; once nothing is held
    /// the hub writes to the outbox itself.
    async fn hand_over(&mut self) -> Result<(), End> {
        while let Some(held) = self.outbox.take_held() {
            for item in held {
                match item {
                    Outbound::Event { seq, frame } => {
                        let last = self.outbox.last_sent();
                        if seq <= last {
                            continue;
                        }
                        if seq > last + 1 {
                            self.send_from_db(Some(seq - 1)).await?;
                        }
                        self.send_frame(frame, Some(seq)).await?;
                    }
                    Outbound::Text(frame) => self.send_frame(frame, None).await?,
                }
            }
        }
        Ok(())
    }

    async fn run(&mut self, stream: &mut AggregatedMessageStream) -> Result<(), End> {
        // Boxed: the replay's state (a page of events, the database call) would otherwise be
        // part of every idle session's task for its whole life.
        Box::pin(self.send_from_db(None)).await?;
        self.send(
            serde_json::json!({"type": "welcome", "seq": self.outbox.last_sent()}).to_string(),
        )
        .await?;
        self.send(self.room.presence_snapshot()).await?;
        if let Some(page) = self.room.presenter_page() {
            self.send(page).await?;
        }
        Box::pin(self.hand_over()).await?;

        let settings = &self.hub.settings;
        let mut heartbeat =
            tokio::time::interval(Duration::from_secs(settings.heartbeat_secs.max(1)));
        heartbeat.tick().await;
        let mut last_heard = Instant::now();
        let expiry = tokio::time::sleep(self.expires_in());
        tokio::pin!(expiry);
        loop {
            tokio::select! {
                // Boxed, like requests below: a session's task stays small while it idles.
                () = self.outbox.held() => Box::pin(self.hand_over()).await?,
                msg = stream.recv() => {
                    last_heard = Instant::now();
                    match msg {
                        Some(Ok(AggregatedMessage::Text(text))) => {
                            let exp = self.expires_at;
                            Box::pin(self.on_request(&text)).await?;
                            if self.expires_at != exp {
                                expiry.as_mut().reset(tokio::time::Instant::now() + self.expires_in());
                            }
                        }
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            self.send_frame(control_frame(OpCode::Pong, &bytes), None).await?;
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => {}
                        Some(Ok(AggregatedMessage::Binary(_))) => {
                            self.send(protocol::error(None, "unsupported", "send text frames")).await?;
                        }
                        Some(Ok(AggregatedMessage::Close(_))) | None => return Ok(()),
                        Some(Err(_)) => return Err(End::new(1009, "message too large or malformed frame")),
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > Duration::from_secs(settings.client_timeout_secs) {
                        return Err(End::new(1001, "no answer to heartbeats"));
                    }
                    // A session ended on another instance (a device signed out, a password
                    // changed) closes here within a heartbeat and the standing cache's life.
                    if let Err(ApiError::Unauthenticated { .. }) = self
                        .state
                        .standings
                        .check(&self.state.db, &self.user.id, &self.user.session_id)
                        .await
                    {
                        return Err(End::new(close::UNAUTHENTICATED, "this sign-in session has ended"));
                    }
                    self.send_frame(control_frame(OpCode::Ping, b""), None).await?;
                }
                () = &mut expiry => {
                    let _ = self.send(protocol::error(None, "token_expired", "send a fresh token with {\"type\":\"auth\"}")).await;
                    return Err(End::new(close::UNAUTHENTICATED, "the access token expired"));
                }
                _ = self.handle.control.notify.notified() => return Err(self.closing()),
            }
        }
    }

    /// Time left on the access token.
    fn expires_in(&self) -> Duration {
        Duration::from_secs(
            u64::try_from(self.expires_at - chrono::Utc::now().timestamp()).unwrap_or(0),
        )
    }

    async fn on_request(&mut self, text: &str) -> Result<(), End> {
        if self.limiter.check().is_err() {
            self.refused += 1;
            if self.refused > self.hub.settings.message_burst {
                return Err(End::new(close::RATE_LIMITED, "too many messages"));
            }
            return self
                .send(protocol::error(
                    None,
                    "rate_limited",
                    "too many messages; slow down",
                ))
                .await;
        }
        let request = match Request::parse(text) {
            Ok(r) => r,
            Err(code) => {
                return self
                    .send(protocol::error(None, code, "not a JSON object with a type"))
                    .await;
            }
        };
        let reference = request.reference.clone();
        if request.kind == "ping" {
            return self
                .send(serde_json::json!({"type": "pong", "ref": reference}).to_string())
                .await;
        }
        // Boxed: the request's future (database reads, a ballot) lives only while it runs
        // instead of enlarging every idle session's task.
        let answer = match Box::pin(self.handle_request(&request)).await {
            Ok(extra) => protocol::ack(reference.as_ref(), extra),
            Err((code, detail)) => protocol::error(reference.as_ref(), code, &detail),
        };
        self.send(answer).await
    }

    async fn handle_request(&mut self, request: &Request) -> Result<Value, (&'static str, String)> {
        let invalid = |code: &'static str| (code, format!("invalid {} request", request.kind));
        match request.kind.as_str() {
            "auth" => {
                let auth: Auth = request.typed().map_err(invalid)?;
                let claims = self
                    .state
                    .tokens
                    .verify(&auth.token)
                    .map_err(|e| (e.code(), e.to_string()))?;
                if claims.sub != self.user.id {
                    return Err(("forbidden", "the token belongs to another user".into()));
                }
                self.expires_at = claims.exp;
                Ok(serde_json::json!({"expires_at": claims.exp}))
            }
            "presenter.page" => {
                let page: PresenterPage = request.typed().map_err(invalid)?;
                self.may_present().await?;
                self.check_page(&page.document_id, page.page, "invalid_page")
                    .await?;
                let data = serde_json::json!({"document_id": page.document_id, "page": page.page, "user_id": self.user.id});
                self.hub.relay(
                    &self.room.meeting_id,
                    protocol::ephemeral("presenter.page", &data),
                    Some(self.handle.id),
                );
                Ok(Value::Null)
            }
            "annotation.stroke" => {
                let stroke: Stroke = request.typed().map_err(invalid)?;
                self.check_stroke(&stroke)?;
                self.check_page(&stroke.document_id, stroke.page, "invalid_stroke")
                    .await?;
                let mut data =
                    serde_json::to_value(&stroke).map_err(|_| invalid("invalid_request"))?;
                data["user_id"] = Value::from(self.user.id.clone());
                self.hub.relay(
                    &self.room.meeting_id,
                    protocol::ephemeral("annotation.stroke", &data),
                    Some(self.handle.id),
                );
                Ok(Value::Null)
            }
            "ballot" => {
                let ballot: Ballot = request.typed().map_err(invalid)?;
                let key = ballot
                    .key
                    .filter(|k| !k.is_empty() && k.len() <= crate::polls::ballots::KEY_MAX)
                    .or_else(|| request.reference_key());
                let receipt = self
                    .state
                    .polls
                    .cast(crate::polls::ballots::BallotRequest {
                        poll_id: ballot.poll_id,
                        user: self.user.clone(),
                        choice: ballot.choice,
                        key,
                        comment: ballot.comment,
                    })
                    .await
                    .map_err(|e| (e.code(), e.to_string()))?;
                // Sent only now: `cast` returns after the ballot's transaction committed.
                serde_json::to_value(receipt)
                    .map_err(|_| ("internal_error", "internal error".into()))
            }
            "hello" => Err((
                "already_joined",
                "this session has said hello already".into(),
            )),
            _ => Err((
                "unknown_type",
                format!("unknown request type {:?}", request.kind),
            )),
        }
    }

    /// The chair, the meeting's managers and the presenter of the current item turn pages.
    async fn may_present(&mut self) -> Result<(), (&'static str, String)> {
        let access = load_access(self.state, &self.room.meeting_id, &self.user)
            .await
            .map_err(|_| ("forbidden", "no access to this meeting".to_owned()))?;
        self.acting_role = access.acting_role();
        if access.is_presider() {
            return Ok(());
        }
        let Some(item) = access.meeting.current_item_id else {
            return Err((
                "forbidden",
                "only the chair or the current presenter turns pages".into(),
            ));
        };
        let (meeting_id, user_id) = (self.room.meeting_id.clone(), self.user.id.clone());
        let presents = self
            .state
            .db
            .read(move |c| {
                Ok(
                    crate::agenda::get_in_meeting(c, &meeting_id, &item)?.presenter_id
                        == Some(user_id),
                )
            })
            .await
            .unwrap_or(false);
        if presents {
            Ok(())
        } else {
            Err((
                "forbidden",
                "only the chair or the current presenter turns pages".into(),
            ))
        }
    }

    /// Pages are turned, and ink relayed, only on a page of a live document of this meeting
    /// (its current version); `code` names a page outside it.
    async fn check_page(
        &mut self,
        document_id: &str,
        page: u32,
        code: &'static str,
    ) -> Result<(), (&'static str, String)> {
        let unknown = || {
            (
                "unknown_document",
                "no such document in this meeting".to_owned(),
            )
        };
        // Ids are UUIDs: anything else is refused before it costs a database read.
        if uuid::Uuid::try_parse(document_id).is_err() {
            return Err(unknown());
        }
        let pages = match self.pages.get(document_id) {
            Some(p) => *p,
            None => {
                let (id, meeting) = (document_id.to_owned(), self.room.meeting_id.clone());
                let pages = self
                    .state
                    .db
                    .read(move |c| {
                        let doc = crate::documents::get(c, &id)?;
                        if doc.meeting_id != meeting {
                            return Err(ApiError::NotFound { what: "document" });
                        }
                        Ok(crate::documents::version(c, &doc.id, doc.current_version)?.pages)
                    })
                    .await
                    .map_err(|_| unknown())?;
                if self.pages.len() >= 64 {
                    self.pages.clear();
                }
                self.pages.insert(document_id.to_owned(), pages);
                pages
            }
        };
        if page == 0 || i64::from(page) > i64::from(pages) {
            // Forgotten: the document may have a new version with more pages by now.
            self.pages.remove(document_id);
            return Err((code, format!("page must be from 1 to {pages}")));
        }
        Ok(())
    }

    fn check_stroke(&self, stroke: &Stroke) -> Result<(), (&'static str, String)> {
        if self.acting_role == Some(MeetingRole::Observer) {
            return Err(("forbidden", "observers keep their ink private".into()));
        }
        let limit = self.hub.settings.max_stroke_points;
        let points_ok = stroke.points.len() <= limit
            && stroke.points.iter().all(|p| {
                (2..=3).contains(&p.len())
                    && p.iter().all(|v| v.is_finite())
                    && (0.0..=1.0).contains(&p[0])
                    && (0.0..=1.0).contains(&p[1])
            });
        let color_ok = stroke.color.len() == 7
            && stroke.color.starts_with('#')
            && stroke.color[1..].chars().all(|c| c.is_ascii_hexdigit());
        let width_ok = stroke.width.is_finite() && stroke.width > 0.0 && stroke.width <= 0.1;
        // Relayed to every tablet as it is: only a UUID, never arbitrary text.
        let id_ok =
            stroke.stroke_id.len() == 36 && uuid::Uuid::try_parse(&stroke.stroke_id).is_ok();
        if !(points_ok && color_ok && width_ok && id_ok) {
            return Err((
                "invalid_stroke",
                format!(
                    "a UUID stroke_id, at most {limit} points inside the page (0..1), a #rrggbb colour, a width in (0, 0.1]"
                ),
            ));
        }
        Ok(())
    }
}
