//! The hub: rooms of sessions per meeting, fan-out with one serialization per event, bounded
//! per-session queues, presence, and the dispatcher that turns committed events (local bus,
//! or PostgreSQL notifications from other instances) into ordered deliveries.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use actix_web::web::Bytes;
use serde::Serialize;
use tokio::sync::{Notify, broadcast, mpsc};

use super::close;
pub use super::outbox::Outbound;
use super::outbox::{Offer, Outbox, text_frame};
use super::protocol;
use super::recent::Recent;
use crate::config::LiveSettings;
use crate::db::Db;
use crate::events::{self, Event};
use crate::metrics::Metrics;

/// Asks a session's task to close with a code.
#[derive(Debug, Default)]
pub struct Control {
    reason: Mutex<Option<(u16, &'static str)>>,
    pub notify: Notify,
}

impl Control {
    /// Asks for a close; true when this was the first request.
    pub fn close(&self, code: u16, why: &'static str) -> bool {
        let first = match self.reason.lock() {
            Ok(mut r) if r.is_none() => {
                *r = Some((code, why));
                true
            }
            _ => false,
        };
        self.notify.notify_one();
        first
    }

    pub fn reason(&self) -> Option<(u16, &'static str)> {
        self.reason.lock().ok().and_then(|r| *r)
    }
}

#[derive(Debug, Clone)]
pub struct SessionHandle {
    pub id: u64,
    pub user_id: String,
    /// The sign-in session (`sid`) its token belongs to.
    pub session_id: String,
    pub role: crate::users::Role,
    outbox: Arc<Outbox>,
    pub control: Arc<Control>,
}

impl SessionHandle {
    /// Queues without waiting; a full queue cuts the session off instead of slowing anyone.
    fn offer(&self, item: &Outbound, metrics: &Metrics) {
        if self.outbox.offer(item) == Offer::Full
            && self
                .control
                .close(close::TOO_SLOW, "too slow; reconnect with your last_seq")
        {
            metrics.live_slow_closed.inc();
        }
    }
}

#[derive(Debug, Default)]
pub struct Room {
    pub meeting_id: String,
    sessions: RwLock<HashMap<u64, SessionHandle>>,
    /// Users whose device count changed since the last presence update.
    presence_dirty: Mutex<HashSet<String>>,
    /// The frames of the room's latest durable events, for replays.
    recent: Mutex<Recent>,
    /// The latest `presenter.page`, for sessions that join while someone presents: they
    /// follow from the page shown now, not from the next page turn.
    presenter: Mutex<Option<String>>,
}

#[derive(Debug, Serialize)]
struct PresenceEntry<'a> {
    user_id: &'a str,
    devices: usize,
}

impl Room {
    pub fn sessions(&self) -> Vec<SessionHandle> {
        self.sessions
            .read()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.sessions.read().map(|s| s.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands the same bytes to every session (but `except`).
    pub fn broadcast(&self, item: &Outbound, except: Option<u64>, metrics: &Metrics) {
        if let Ok(sessions) = self.sessions.read() {
            for s in sessions.values() {
                if Some(s.id) != except {
                    s.offer(item, metrics);
                }
            }
        }
    }

    /// Hands the same bytes to every session of one user (all their devices).
    pub fn send_to_user(&self, user_id: &str, item: &Outbound, metrics: &Metrics) {
        if let Ok(sessions) = self.sessions.read() {
            for s in sessions.values().filter(|s| s.user_id == user_id) {
                s.offer(item, metrics);
            }
        }
    }

    fn device_counts(&self, only: Option<&HashSet<String>>) -> Vec<(String, usize)> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        let sessions = match self.sessions.read() {
            Ok(s) => s,
            Err(_) => return Vec::new(),
        };
        for s in sessions.values() {
            *counts.entry(s.user_id.as_str()).or_default() += 1;
        }
        let mut out: Vec<(String, usize)> = match only {
            Some(users) => users
                .iter()
                .map(|u| (u.clone(), counts.get(u.as_str()).copied().unwrap_or(0)))
                .collect(),
            None => counts.into_iter().map(|(u, n)| (u.to_owned(), n)).collect(),
        };
        out.sort();
        out
    }

    /// The frames of the events `after + 1`, … that the room holds (at most `limit`); empty
    /// when it does not hold `after + 1`.
    pub fn recent_after(&self, after: i64, limit: usize) -> Vec<Bytes> {
        self.recent
            .lock()
            .map(|r| r.after(after, limit))
            .unwrap_or_default()
    }

    /// Keeps the frames of events `start`, `start + 1`, … a session read from the database.
    pub fn remember_page(&self, start: i64, frames: &[Bytes]) {
        if let Ok(mut r) = self.recent.lock() {
            r.add_page(start, frames);
        }
    }

    /// `presence` with every connected user (sent to a session that just joined).
    pub fn presence_snapshot(&self) -> String {
        presence_message(&self.device_counts(None), true)
    }

    /// The latest `presenter.page` shown in this room, if any, marked `"joined": true`: the
    /// page a tablet finds on joining, which it announces rather than jumps to (the user may be
    /// reading something else).
    pub fn presenter_page(&self) -> Option<String> {
        let text = self.presenter.lock().ok().and_then(|p| p.clone())?;
        let mut frame: serde_json::Value = serde_json::from_str(&text).ok()?;
        frame["data"]["joined"] = serde_json::Value::Bool(true);
        Some(frame.to_string())
    }

    fn remember_presenter(&self, text: &str) {
        if let Ok(mut p) = self.presenter.lock() {
            *p = Some(text.to_owned());
        }
    }
}

/// Whether an ephemeral frame is a `presenter.page` (frames from other instances come as text).
fn is_presenter_page(text: &str) -> bool {
    text.contains("\"presenter.page\"")
        && serde_json::from_str::<serde_json::Value>(text)
            .is_ok_and(|v| v["type"] == "presenter.page")
}

fn presence_message(counts: &[(String, usize)], full: bool) -> String {
    let users: Vec<PresenceEntry<'_>> = counts
        .iter()
        .map(|(u, n)| PresenceEntry {
            user_id: u,
            devices: *n,
        })
        .collect();
    protocol::ephemeral(
        "presence",
        &serde_json::json!({"users": users, "full": full}),
    )
}

#[derive(Debug)]
pub enum JoinError {
    TooManySessions,
    ShuttingDown,
}

/// The meeting id an ephemeral event for one user carries when it is for every room the user
/// is in (never a meeting's id: those are UUIDs).
pub const EVERY_ROOM: &str = "*";

/// Work for the dispatcher besides the local bus.
#[derive(Debug)]
pub enum Wake {
    /// Another instance committed `seq` in this meeting.
    Committed { meeting_id: String, seq: i64 },
    /// An ephemeral event from another instance, for one user's sessions when `user_id` is set.
    Ephemeral {
        meeting_id: String,
        user_id: Option<String>,
        text: String,
    },
    /// Notifications may have been missed: re-read every room.
    Resync,
}

/// An ephemeral event for the other instances: the meeting, the one user it is for (or
/// everyone), the serialized message.
#[derive(Debug, Clone)]
pub struct EphemeralOut {
    pub meeting_id: String,
    pub user_id: Option<String>,
    pub text: String,
}

#[derive(Debug)]
pub struct Hub {
    rooms: Mutex<HashMap<String, Arc<Room>>>,
    per_user: Mutex<HashMap<String, usize>>,
    next_id: AtomicU64,
    pub settings: LiveSettings,
    metrics: Arc<Metrics>,
    shutting_down: AtomicBool,
    /// Ephemeral events to pass to other instances (PostgreSQL only).
    outgoing: Mutex<Option<mpsc::UnboundedSender<EphemeralOut>>>,
}

impl Hub {
    pub fn new(settings: LiveSettings, metrics: Arc<Metrics>) -> Self {
        Self {
            rooms: Mutex::default(),
            per_user: Mutex::default(),
            next_id: AtomicU64::new(1),
            settings,
            metrics,
            shutting_down: AtomicBool::new(false),
            outgoing: Mutex::new(None),
        }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn set_outgoing(&self, tx: mpsc::UnboundedSender<EphemeralOut>) {
        if let Ok(mut o) = self.outgoing.lock() {
            *o = Some(tx);
        }
    }

    pub fn room(&self, meeting_id: &str) -> Option<Arc<Room>> {
        self.rooms
            .lock()
            .ok()
            .and_then(|r| r.get(meeting_id).cloned())
    }

    fn rooms(&self) -> Vec<Arc<Room>> {
        self.rooms
            .lock()
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Adds a session to the meeting's room; from now on the hub offers it every event, held
    /// in `outbox` until the session hands over.
    pub fn join(
        &self,
        meeting_id: &str,
        user_id: &str,
        session_id: &str,
        role: crate::users::Role,
        outbox: Arc<Outbox>,
    ) -> Result<(Arc<Room>, SessionHandle), JoinError> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Err(JoinError::ShuttingDown);
        }
        {
            let mut per_user = self.per_user.lock().map_err(|_| JoinError::ShuttingDown)?;
            let n = per_user.entry(user_id.to_owned()).or_default();
            if *n >= self.settings.max_sessions_per_user {
                return Err(JoinError::TooManySessions);
            }
            *n += 1;
        }
        let handle = SessionHandle {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            user_id: user_id.to_owned(),
            session_id: session_id.to_owned(),
            role,
            outbox,
            control: Arc::new(Control::default()),
        };
        let room = {
            let mut rooms = self.rooms.lock().map_err(|_| JoinError::ShuttingDown)?;
            rooms
                .entry(meeting_id.to_owned())
                .or_insert_with(|| {
                    Arc::new(Room {
                        meeting_id: meeting_id.to_owned(),
                        presenter: Mutex::new(None),
                        recent: Mutex::new(Recent::new(
                            self.settings.replay_cache_events,
                            self.settings.replay_cache_bytes,
                        )),
                        ..Default::default()
                    })
                })
                .clone()
        };
        if let Ok(mut s) = room.sessions.write() {
            s.insert(handle.id, handle.clone());
        }
        if let Ok(mut d) = room.presence_dirty.lock() {
            d.insert(user_id.to_owned());
        }
        self.metrics.live_sessions.inc();
        Ok((room, handle))
    }

    pub fn leave(&self, room: &Arc<Room>, handle: &SessionHandle) {
        let removed = room
            .sessions
            .write()
            .map(|mut s| s.remove(&handle.id).is_some())
            .unwrap_or(false);
        if !removed {
            return;
        }
        self.metrics.live_sessions.dec();
        if let Ok(mut per_user) = self.per_user.lock()
            && let Some(n) = per_user.get_mut(&handle.user_id)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_user.remove(&handle.user_id);
            }
        }
        if let Ok(mut d) = room.presence_dirty.lock() {
            d.insert(handle.user_id.clone());
        }
        if let Ok(mut rooms) = self.rooms.lock()
            && room.is_empty()
            && rooms
                .get(&room.meeting_id)
                .is_some_and(|r| Arc::ptr_eq(r, room))
        {
            rooms.remove(&room.meeting_id);
        }
    }

    /// Sends an ephemeral event to the room here and, with PostgreSQL, to other instances.
    pub fn relay(&self, meeting_id: &str, text: String, except: Option<u64>) {
        if let Some(room) = self.room(meeting_id) {
            if is_presenter_page(&text) {
                room.remember_presenter(&text);
            }
            room.broadcast(
                &Outbound::Text(text_frame(text.as_bytes())),
                except,
                &self.metrics,
            );
        }
        self.pass_on(meeting_id, None, text);
    }

    /// Sends an ephemeral event to one user's sessions in the meeting's room, here and, with
    /// PostgreSQL, on other instances: how private annotations reach all the author's devices
    /// and no one else's.
    pub fn send_to_user(&self, meeting_id: &str, user_id: &str, text: String) {
        if let Some(room) = self.room(meeting_id) {
            room.send_to_user(
                user_id,
                &Outbound::Text(text_frame(text.as_bytes())),
                &self.metrics,
            );
        }
        self.pass_on(meeting_id, Some(user_id), text);
    }

    /// Sends an ephemeral event to every session of one user, whatever meeting's room it is
    /// in, here and, with PostgreSQL, on other instances: how notifications reach a user.
    pub fn send_to_user_everywhere(&self, user_id: &str, text: String) {
        self.deliver_to_user_everywhere(user_id, &text);
        self.pass_on(EVERY_ROOM, Some(user_id), text);
    }

    fn deliver_to_user_everywhere(&self, user_id: &str, text: &str) {
        let item = Outbound::Text(text_frame(text.as_bytes()));
        for room in self.rooms() {
            room.send_to_user(user_id, &item, &self.metrics);
        }
    }

    fn pass_on(&self, meeting_id: &str, user_id: Option<&str>, text: String) {
        if let Ok(o) = self.outgoing.lock()
            && let Some(tx) = o.as_ref()
        {
            let _ = tx.send(EphemeralOut {
                meeting_id: meeting_id.to_owned(),
                user_id: user_id.map(str::to_owned),
                text,
            });
        }
    }

    /// Closes every session of `user_id` in the meeting's room.
    pub fn kick(&self, meeting_id: &str, user_id: &str, code: u16, why: &'static str) {
        if let Some(room) = self.room(meeting_id) {
            for s in room.sessions().into_iter().filter(|s| s.user_id == user_id) {
                s.control.close(code, why);
            }
        }
    }

    /// Closes the live sockets of ended sign-in sessions (a device signed out, a password
    /// changed): 4401, as an expired token.
    pub fn end_sessions(&self, session_ids: &[String]) {
        if session_ids.is_empty() {
            return;
        }
        for room in self.rooms() {
            for s in room.sessions() {
                if session_ids.contains(&s.session_id) {
                    s.control
                        .close(close::UNAUTHENTICATED, "this sign-in session has ended");
                }
            }
        }
    }

    /// Closes every session, telling clients to come back (graceful shutdown).
    pub fn close_all(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        for room in self.rooms() {
            for s in room.sessions() {
                s.control.close(
                    close::RESTARTING,
                    "the server is restarting; reconnect with your last_seq",
                );
            }
        }
    }

    /// Sends the coalesced presence changes of every room.
    pub fn flush_presence(&self) {
        for room in self.rooms() {
            let dirty: HashSet<String> = match room.presence_dirty.lock() {
                Ok(mut d) if !d.is_empty() => std::mem::take(&mut *d),
                _ => continue,
            };
            let text = presence_message(&room.device_counts(Some(&dirty)), false);
            room.broadcast(
                &Outbound::Text(text_frame(text.as_bytes())),
                None,
                &self.metrics,
            );
        }
    }

    fn deliver(&self, room: &Room, event: &Event) {
        match serde_json::to_string(event) {
            Ok(text) => {
                let frame = text_frame(text.as_bytes());
                // Before the broadcast: a session joining in between finds the event in one
                // place or the other (or both, and sends it once), never in neither.
                if let Ok(mut r) = room.recent.lock() {
                    r.push(event.seq, frame.clone());
                }
                let item = Outbound::Event {
                    seq: event.seq,
                    frame,
                };
                room.broadcast(&item, None, &self.metrics);
                self.metrics.live_events.inc();
            }
            Err(e) => tracing::error!(error = %e, "event not serializable"),
        }
    }
}

/// Turns committed events into ordered deliveries: keeps, per room, the last seq fanned out,
/// fills gaps from the database (two commits of one meeting can reach the bus out of order,
/// and other instances' commits arrive only as notifications), and re-checks access after
/// events that can take it away.
pub async fn dispatch(
    hub: Arc<Hub>,
    db: Db,
    mut bus: broadcast::Receiver<Arc<Event>>,
    mut wake: mpsc::UnboundedReceiver<Wake>,
) {
    let mut delivered: HashMap<String, i64> = HashMap::new();
    let mut wake_open = true;
    let mut presence = tokio::time::interval(Duration::from_millis(
        hub.settings.presence_interval_ms.max(10),
    ));
    presence.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            received = bus.recv() => match received {
                Ok(event) => {
                    let target = event.seq;
                    catch_up(&hub, &db, &mut delivered, &event.meeting_id, target, Some(&event)).await;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => resync(&hub, &db, &mut delivered).await,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            // Only the PostgreSQL bridge holds a sender: with none left, `recv` would answer at
            // once, forever, and this loop would spin a core.
            w = wake.recv(), if wake_open => match w {
                Some(Wake::Committed { meeting_id, seq }) => {
                    catch_up(&hub, &db, &mut delivered, &meeting_id, seq, None).await;
                }
                Some(Wake::Ephemeral { meeting_id, user_id: Some(user), text }) if meeting_id == EVERY_ROOM => {
                    hub.deliver_to_user_everywhere(&user, &text);
                }
                Some(Wake::Ephemeral { meeting_id, user_id, text }) => {
                    if let Some(room) = hub.room(&meeting_id) {
                        if user_id.is_none() && is_presenter_page(&text) {
                            room.remember_presenter(&text);
                        }
                        let item = Outbound::Text(text_frame(text.as_bytes()));
                        match user_id {
                            Some(user) => room.send_to_user(&user, &item, hub.metrics()),
                            None => room.broadcast(&item, None, hub.metrics()),
                        }
                    }
                }
                Some(Wake::Resync) => resync(&hub, &db, &mut delivered).await,
                None => wake_open = false,
            },
            _ = presence.tick() => {
                hub.flush_presence();
                delivered.retain(|m, _| hub.room(m).is_some());
            }
        }
    }
}

/// Compares every open room with the database in one query and delivers what is missing.
async fn resync(hub: &Arc<Hub>, db: &Db, delivered: &mut HashMap<String, i64>) {
    let ids: Vec<String> = hub.rooms().iter().map(|r| r.meeting_id.clone()).collect();
    if ids.is_empty() {
        return;
    }
    let latest = match db.read(move |c| events::last_seqs(c, &ids)).await {
        Ok(latest) => latest,
        Err(e) => {
            tracing::warn!(error = %e, "live: could not compare rooms with the database");
            return;
        }
    };
    for (id, seq) in latest {
        if delivered.get(&id).is_none_or(|done| seq > *done) {
            catch_up(hub, db, delivered, &id, seq, None).await;
        }
    }
}

/// Delivers the meeting's events up to `target` that this instance has not fanned out yet.
async fn catch_up(
    hub: &Arc<Hub>,
    db: &Db,
    delivered: &mut HashMap<String, i64>,
    meeting_id: &str,
    target: i64,
    known: Option<&Event>,
) {
    let Some(room) = hub.room(meeting_id) else {
        return;
    };
    let done = *delivered.entry(meeting_id.to_owned()).or_insert(target - 1);
    if target <= done {
        return;
    }
    let mut pending: Vec<Event> = Vec::new();
    if target > done + 1 || known.is_none() {
        let id = meeting_id.to_owned();
        match db
            .read(move |c| events::after(c, &id, done, target - done))
            .await
        {
            Ok(rows) => pending = rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not read events to fill a gap; sessions will");
            }
        }
    }
    if let Some(event) = known
        && pending.last().is_none_or(|last| last.seq < event.seq)
    {
        pending.push(event.clone());
    }
    for event in &pending {
        hub.deliver(&room, event);
        delivered.insert(meeting_id.to_owned(), event.seq);
        if matches!(
            event.event_type.as_str(),
            "participant.removed" | "participant.updated" | "meeting.state"
        ) {
            actix_web::rt::spawn(revalidate(hub.clone(), db.clone(), room.clone()));
        }
    }
}

/// Closes the sessions of users who may no longer see the meeting.
async fn revalidate(hub: Arc<Hub>, db: Db, room: Arc<Room>) {
    let mut users: HashMap<String, crate::users::Role> = HashMap::new();
    for s in room.sessions() {
        users.insert(s.user_id.clone(), s.role);
    }
    let meeting_id = room.meeting_id.clone();
    let check = db
        .read(move |c| {
            let mut lost = Vec::new();
            for (user_id, role) in users {
                let who = crate::auth::AuthUser {
                    id: user_id.clone(),
                    role,
                    session_id: String::new(),
                };
                match crate::meetings::access::load(c, &meeting_id, &who) {
                    Ok(_) => {}
                    Err(crate::error::ApiError::NotFound { .. }) => lost.push(user_id),
                    Err(e) => return Err(e),
                }
            }
            Ok(lost)
        })
        .await;
    match check {
        Ok(lost) => {
            for user in lost {
                hub.kick(
                    &room.meeting_id,
                    &user,
                    close::FORBIDDEN,
                    "you no longer have access to this meeting",
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not re-check live access"),
    }
}
