//! A session's outgoing frames: the queue between the hub (and the session's own task) and the
//! connection. The websocket response body reads straight from it, so a live event goes from the
//! hub's fan-out to the connection's writer with no task in between: one lock, one push, one
//! wake-up per socket.
//!
//! Owns: the bounded queue of encoded frames, the hand-over between the session's replay and the
//! hub's live stream (which seq was sent last, and the events held back meanwhile), and the
//! close frame that ends the body.
//! Must never: block the hub (a full queue is reported, and the hub cuts the session off), send a
//! durable event twice or out of order, or let a frame follow the close frame.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use actix_http::ws::{CloseReason, OpCode, Parser};
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::web::{Bytes, BytesMut};
use tokio::sync::Notify;

/// Control frames carry at most 125 bytes (RFC 6455, 5.5).
const MAX_CONTROL_PAYLOAD: usize = 125;

/// Bytes the body yields before it lets the connection write them out, and the largest piece
/// of a frame it yields at once. actix-http's writer keeps its buffer's capacity for the life
/// of the connection and fills it up to 32 KiB before writing: a replay or one large event
/// would leave every idle session with a 16–32 KiB buffer. Yielding at most
/// `FLUSH_EVERY + PIECE` bytes between writes keeps the buffer at its initial 8 KiB.
const FLUSH_EVERY: usize = 4096;
const PIECE: usize = 2048;

/// Frames an empty queue keeps room for (see `OutboxBody::poll_next`).
const IDLE_CAPACITY: usize = 8;

/// Durable events the session's own task (its replay, its hand-over) may have queued before it
/// waits for the writer. A replay paced by the connection needs no more (they are several
/// writes' worth), and a queue that grew to its full capacity for every joining tablet left
/// freed, touched memory behind, on which the next connections' buffers were then laid out:
/// idle sessions cost more. The session's answers (acks, pongs, errors) wait only for a full
/// queue, so that a busy room does not hold them back.
const SEND_AHEAD: usize = 32;

/// What the hub hands to sessions: frames already encoded. Server frames are not masked, so the
/// bytes of one event are the same for every socket and are built once per event.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A durable event.
    Event { seq: i64, frame: Bytes },
    /// Anything else (ephemeral events, presence).
    Text(Bytes),
}

/// A text frame.
pub fn text_frame(payload: &[u8]) -> Bytes {
    encode(OpCode::Text, payload)
}

/// A ping or pong frame (the payload cut to what a control frame may carry).
pub fn control_frame(op: OpCode, payload: &[u8]) -> Bytes {
    encode(op, &payload[..payload.len().min(MAX_CONTROL_PAYLOAD)])
}

/// A close frame; the reason is cut at a character boundary to fit a control frame.
pub fn close_frame(code: u16, why: &str) -> Bytes {
    let mut end = why.len().min(MAX_CONTROL_PAYLOAD - 2);
    while !why.is_char_boundary(end) {
        end -= 1;
    }
    let mut buf = BytesMut::with_capacity(4 + end);
    Parser::write_close(
        &mut buf,
        Some(CloseReason {
            code: code.into(),
            description: Some(why[..end].to_owned()),
        }),
        false,
    );
    buf.freeze()
}

fn encode(op: OpCode, payload: &[u8]) -> Bytes {
    let mut buf = BytesMut::with_capacity(payload.len() + 10);
    Parser::write_message(&mut buf, payload, op, true, false);
    buf.freeze()
}

/// What became of an item the hub offered.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
    /// Queued (or, for an event already sent, dropped as a duplicate).
    Queued,
    /// The queue is full: the session does not keep up.
    Full,
    /// The session is closing or its connection is gone.
    Gone,
}

/// The connection is gone (or the session closed): nothing more can be sent.
#[derive(Debug)]
pub struct Gone;

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<Bytes>,
    /// The connection's task, waiting for a frame.
    writer: Option<Waker>,
    /// True once the session's task handed over: the hub then writes events to `frames`
    /// itself, in seq order after `last_sent`. Before (during the replay) and after a gap, the
    /// hub's items wait in `held` for the session's task.
    live: bool,
    held: VecDeque<Outbound>,
    /// The seq of the last durable event queued for this client.
    last_sent: i64,
    /// The first frame is the rest of one the writer has partly taken (see [`PIECE`]).
    front_partial: bool,
    /// A close frame is queued: nothing may follow it.
    closing: bool,
    /// The body was dropped (the connection ended).
    gone: bool,
}

#[derive(Debug)]
pub struct Outbox {
    state: Mutex<State>,
    capacity: usize,
    /// Room in the queue for the session's task, or the connection gone.
    room: Notify,
    /// Items held for the session's task to hand over.
    held_ready: Notify,
}

impl Outbox {
    /// A queue of at most `capacity` frames, for a client that has seen every event up to
    /// `last_sent`.
    pub fn new(capacity: usize, last_sent: i64) -> Self {
        Self {
            state: Mutex::new(State {
                last_sent,
                ..State::default()
            }),
            capacity: capacity.max(1),
            room: Notify::new(),
            held_ready: Notify::new(),
        }
    }

    /// See [`SEND_AHEAD`]; the hub's offers and the session's answers may fill the whole
    /// capacity.
    fn send_ahead(&self) -> usize {
        self.capacity.min(SEND_AHEAD)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across code that can panic; a poisoned one still holds a
        // consistent queue.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The hub's side: queues without waiting. An event the client already has is dropped; one
    /// after a gap is held for the session's task, which reads the missing ones first.
    pub fn offer(&self, item: &Outbound) -> Offer {
        let mut s = self.state();
        if s.closing || s.gone {
            return Offer::Gone;
        }
        if !s.live {
            return self.hold(s, item);
        }
        let frame = match item {
            Outbound::Event { seq, .. } if *seq <= s.last_sent => return Offer::Queued,
            Outbound::Event { seq, .. } if *seq > s.last_sent + 1 => {
                s.live = false;
                return self.hold(s, item);
            }
            Outbound::Event { frame, .. } | Outbound::Text(frame) => frame,
        };
        if s.frames.len() >= self.capacity {
            return Offer::Full;
        }
        if let Outbound::Event { seq, .. } = item {
            s.last_sent = *seq;
        }
        s.frames.push_back(frame.clone());
        let writer = s.writer.take();
        drop(s);
        if let Some(w) = writer {
            w.wake();
        }
        Offer::Queued
    }

    fn hold(&self, mut s: MutexGuard<'_, State>, item: &Outbound) -> Offer {
        if s.held.len() >= self.capacity {
            return Offer::Full;
        }
        s.held.push_back(item.clone());
        drop(s);
        self.held_ready.notify_one();
        Offer::Queued
    }

    /// Resolves when the hub held items back for the session's task (see [`Self::take_held`]).
    pub async fn held(&self) {
        self.held_ready.notified().await;
    }

    /// The session's side of the hand-over: the items the hub held back, or `None` once there
    /// are none left, in which case the hub writes to the queue itself from now on.
    pub fn take_held(&self) -> Option<VecDeque<Outbound>> {
        let mut s = self.state();
        if s.live {
            return None;
        }
        if s.held.is_empty() {
            s.live = true;
            return None;
        }
        Some(std::mem::take(&mut s.held))
    }

    /// Sets where the client's stream resumes (its hello's `last_seq`), before the session joins
    /// its room.
    pub fn resume_after(&self, last_seq: i64) {
        self.state().last_sent = last_seq;
    }

    /// The seq of the last durable event queued for the client.
    pub fn last_sent(&self) -> i64 {
        self.state().last_sent
    }

    /// Queues a frame from the session's own task, waiting while the queue is full (for a
    /// durable event: while [`SEND_AHEAD`] frames wait); a durable event's `seq` becomes the
    /// last sent. Only while the hub holds its items back (before the hand-over) may the
    /// session send durable events.
    pub async fn send(&self, frame: Bytes, seq: Option<i64>) -> Result<(), Gone> {
        let limit = if seq.is_some() {
            self.send_ahead()
        } else {
            self.capacity
        };
        loop {
            {
                let mut s = self.state();
                if s.closing || s.gone {
                    return Err(Gone);
                }
                if s.frames.len() < limit {
                    s.frames.push_back(frame);
                    if let Some(seq) = seq {
                        s.last_sent = seq;
                    }
                    let writer = s.writer.take();
                    drop(s);
                    if let Some(w) = writer {
                        w.wake();
                    }
                    return Ok(());
                }
            }
            // `notify_one` keeps a permit when nobody waits yet: a frame taken between the
            // check above and this wait is not missed.
            self.room.notified().await;
        }
    }

    /// Queues the close frame after the frames already queued (or instead of them, for a
    /// client that does not keep up: it reconnects with its `last_seq` and is sent them
    /// again from the database). Nothing is sent after it.
    pub fn close(&self, frame: Bytes, drop_queued: bool) {
        let mut s = self.state();
        if s.closing || s.gone {
            return;
        }
        if drop_queued {
            // The rest of a frame already partly written must still go out whole.
            let rest = if s.front_partial {
                s.frames.pop_front()
            } else {
                None
            };
            s.frames.clear();
            s.frames.extend(rest);
        }
        s.frames.push_back(frame);
        s.held.clear();
        s.closing = true;
        let writer = s.writer.take();
        drop(s);
        if let Some(w) = writer {
            w.wake();
        }
        self.room.notify_one();
    }

    /// Frames waiting to be written (for tests and metrics).
    pub fn queued(&self) -> usize {
        self.state().frames.len()
    }

    /// The response body of the websocket: the connection's task writes what it yields.
    /// `input` is the body actix-ws made for the same connection; it is kept (never read) so
    /// that dropping this body tells actix-ws's message stream that the connection ended.
    pub fn body(self: &Arc<Self>, input: BoxBody) -> OutboxBody {
        OutboxBody {
            outbox: self.clone(),
            since_flush: 0,
            _input: input,
        }
    }
}

/// See [`Outbox::body`].
pub struct OutboxBody {
    outbox: Arc<Outbox>,
    /// Bytes yielded since the writer last wrote (see [`FLUSH_EVERY`]).
    since_flush: usize,
    _input: BoxBody,
}

impl MessageBody for OutboxBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        if this.since_flush >= FLUSH_EVERY {
            // Pending makes the connection write what it has; the wake brings it back at once.
            this.since_flush = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let outbox = &this.outbox;
        let mut s = outbox.state();
        match s.frames.pop_front() {
            Some(mut frame) if frame.len() > PIECE => {
                let piece = frame.split_to(PIECE);
                s.frames.push_front(frame);
                s.front_partial = true;
                this.since_flush += PIECE;
                Poll::Ready(Some(Ok(piece)))
            }
            Some(frame) => {
                s.front_partial = false;
                // The queue shrinks one frame at a time (or is emptied by a close, which
                // notifies too): a sender waiting for it to drop below its limit is told when
                // it crosses that limit, not at every frame.
                let left = s.frames.len();
                drop(s);
                if left + 1 == outbox.send_ahead() || left + 1 == outbox.capacity {
                    outbox.room.notify_one();
                }
                this.since_flush += frame.len();
                Poll::Ready(Some(Ok(frame)))
            }
            None if s.closing => Poll::Ready(None),
            None => {
                this.since_flush = 0;
                // A burst of live events can fill the queue up to its capacity; a deque keeps
                // its largest size, which would stay with every idle session (8 KiB at 256).
                if s.frames.capacity() > IDLE_CAPACITY {
                    s.frames.shrink_to(IDLE_CAPACITY);
                }
                match &mut s.writer {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for OutboxBody {
    fn drop(&mut self) {
        {
            let mut s = self.outbox.state();
            s.gone = true;
            s.frames.clear();
            s.held.clear();
            s.writer = None;
        }
        self.outbox.room.notify_one();
        self.outbox.held_ready.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Wake;

    struct Counter(std::sync::atomic::AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn event(seq: i64) -> Outbound {
        Outbound::Event {
            seq,
            frame: text_frame(format!("{{\"seq\":{seq}}}").as_bytes()),
        }
    }

    fn poll(body: &mut OutboxBody, waker: &Waker) -> Poll<Option<Bytes>> {
        let mut cx = Context::from_waker(waker);
        Pin::new(body)
            .poll_next(&mut cx)
            .map(|o| o.map(|r| r.unwrap_or_default()))
    }

    fn payload(frame: &Bytes) -> String {
        // Small frames: two header bytes, then the payload.
        String::from_utf8(frame[2..].to_vec()).unwrap()
    }

    #[test]
    fn frames_are_the_websocket_encoding() {
        let f = text_frame(b"hi");
        assert_eq!(&f[..], &[0x81, 2, b'h', b'i']);
        let long = "x".repeat(300);
        let f = text_frame(long.as_bytes());
        assert_eq!(&f[..4], &[0x81, 126, 1, 44]);
        let c = close_frame(4408, &"é".repeat(100));
        assert_eq!(c[0], 0x88);
        assert!(usize::from(c[1]) <= MAX_CONTROL_PAYLOAD);
        assert_eq!(u16::from_be_bytes([c[2], c[3]]), 4408);
        assert!(std::str::from_utf8(&c[4..]).is_ok());
        let p = control_frame(OpCode::Ping, &[7; 200]);
        assert_eq!((p[0], usize::from(p[1])), (0x89, MAX_CONTROL_PAYLOAD));
    }

    #[tokio::test]
    async fn hub_items_wait_for_the_hand_over_then_go_straight_to_the_wire() {
        let outbox = Arc::new(Outbox::new(8, 3));
        let mut body = outbox.body(BoxBody::new(()));
        let counter = Arc::new(Counter(Default::default()));
        let waker = Waker::from(counter.clone());
        assert_eq!(poll(&mut body, &waker), Poll::Pending);

        // During the replay the hub's events are held back.
        assert_eq!(outbox.offer(&event(5)), Offer::Queued);
        assert_eq!(outbox.offer(&event(6)), Offer::Queued);
        assert_eq!(outbox.queued(), 0);
        outbox
            .send(text_frame(b"{\"seq\":4}"), Some(4))
            .await
            .unwrap();
        outbox
            .send(text_frame(b"{\"seq\":5}"), Some(5))
            .await
            .unwrap();
        let held = outbox.take_held().unwrap();
        assert_eq!(held.len(), 2);
        // The session drops 5 (sent) and sends 6 itself; then nothing is held: live.
        outbox
            .send(text_frame(b"{\"seq\":6}"), Some(6))
            .await
            .unwrap();
        assert!(outbox.take_held().is_none());

        // Live: duplicates dropped, the next one queued and the writer woken.
        assert_eq!(outbox.offer(&event(6)), Offer::Queued);
        assert_eq!(outbox.offer(&event(7)), Offer::Queued);
        assert!(counter.0.load(std::sync::atomic::Ordering::SeqCst) >= 1);
        let got: Vec<String> = std::iter::from_fn(|| match poll(&mut body, &waker) {
            Poll::Ready(Some(f)) => Some(payload(&f)),
            _ => None,
        })
        .collect();
        assert_eq!(
            got,
            ["{\"seq\":4}", "{\"seq\":5}", "{\"seq\":6}", "{\"seq\":7}"]
        );

        // A gap sends the hub's items back to the session's task.
        assert_eq!(outbox.offer(&event(9)), Offer::Queued);
        assert_eq!(
            outbox.offer(&Outbound::Text(text_frame(b"{}"))),
            Offer::Queued
        );
        assert_eq!(outbox.queued(), 0);
        assert_eq!(outbox.last_sent(), 7);
        assert_eq!(outbox.take_held().unwrap().len(), 2);
        assert!(outbox.take_held().is_none());
        assert_eq!(outbox.offer(&event(8)), Offer::Queued);
        assert_eq!(outbox.last_sent(), 8);
    }

    #[tokio::test]
    async fn a_full_queue_is_reported_and_the_close_frame_ends_the_body() {
        let outbox = Arc::new(Outbox::new(2, 0));
        let mut body = outbox.body(BoxBody::new(()));
        assert!(outbox.take_held().is_none());
        assert_eq!(outbox.offer(&event(1)), Offer::Queued);
        assert_eq!(outbox.offer(&event(2)), Offer::Queued);
        assert_eq!(outbox.offer(&event(3)), Offer::Full);
        outbox.close(close_frame(4408, "too slow"), true);
        assert_eq!(outbox.offer(&event(3)), Offer::Gone);
        assert!(outbox.send(text_frame(b"x"), None).await.is_err());
        let waker = Waker::noop().clone();
        let Poll::Ready(Some(close)) = poll(&mut body, &waker) else {
            panic!("the close frame comes first when the queue is dropped");
        };
        assert_eq!(close[0], 0x88);
        assert_eq!(poll(&mut body, &waker), Poll::Ready(None));
    }

    #[test]
    fn large_frames_are_yielded_in_pieces_with_writes_between() {
        let outbox = Arc::new(Outbox::new(8, 0));
        let mut body = outbox.body(BoxBody::new(()));
        assert!(outbox.take_held().is_none());
        let big = "x".repeat(3 * PIECE);
        let frame = text_frame(big.as_bytes());
        for seq in 1..=2 {
            assert_eq!(
                outbox.offer(&Outbound::Event {
                    seq,
                    frame: frame.clone()
                }),
                Offer::Queued
            );
        }
        let counter = Arc::new(Counter(Default::default()));
        let waker = Waker::from(counter.clone());
        let mut wire = Vec::new();
        let mut yielded = 0;
        loop {
            match poll(&mut body, &waker) {
                Poll::Ready(Some(piece)) => {
                    assert!(piece.len() <= PIECE);
                    yielded += piece.len();
                    assert!(yielded < FLUSH_EVERY + PIECE, "a write between batches");
                    wire.extend_from_slice(&piece);
                }
                Poll::Pending if outbox.queued() > 0 => yielded = 0,
                _ => break,
            }
        }
        assert!(counter.0.load(std::sync::atomic::Ordering::SeqCst) >= 1);
        assert_eq!(wire, [&frame[..], &frame[..]].concat());
    }

    #[test]
    fn a_drained_queue_gives_back_the_room_a_replay_took() {
        let outbox = Arc::new(Outbox::new(256, 0));
        let mut body = outbox.body(BoxBody::new(()));
        assert!(outbox.take_held().is_none());
        for seq in 1..=200 {
            assert_eq!(outbox.offer(&event(seq)), Offer::Queued);
        }
        assert!(outbox.state().frames.capacity() >= 200);
        let waker = Waker::from(Arc::new(Counter(Default::default())));
        let mut sent = 0;
        loop {
            match poll(&mut body, &waker) {
                Poll::Ready(Some(_)) => sent += 1,
                Poll::Pending if outbox.queued() > 0 => {}
                _ => break,
            }
        }
        assert_eq!(sent, 200);
        assert!(outbox.state().frames.capacity() <= IDLE_CAPACITY);
        // The queue still works at its small size.
        assert_eq!(outbox.offer(&event(201)), Offer::Queued);
        assert_eq!(
            poll(&mut body, &waker).map(|f| f.map(|f| payload(&f))),
            Poll::Ready(Some("{\"seq\":201}".to_owned()))
        );
    }

    #[test]
    fn a_slow_close_keeps_the_rest_of_a_frame_already_begun() {
        let outbox = Arc::new(Outbox::new(8, 0));
        let mut body = outbox.body(BoxBody::new(()));
        assert!(outbox.take_held().is_none());
        let frame = text_frame("y".repeat(2 * PIECE).as_bytes());
        for seq in 1..=3 {
            outbox.offer(&Outbound::Event {
                seq,
                frame: frame.clone(),
            });
        }
        let waker = Waker::noop().clone();
        let Poll::Ready(Some(first)) = poll(&mut body, &waker) else {
            panic!("a first piece");
        };
        outbox.close(close_frame(4408, "too slow"), true);
        let mut wire = first.to_vec();
        for _ in 0..100 {
            match poll(&mut body, &waker) {
                Poll::Ready(Some(piece)) => wire.extend_from_slice(&piece),
                Poll::Ready(None) => break,
                Poll::Pending => {}
            }
        }
        let close = close_frame(4408, "too slow");
        assert_eq!(wire, [&frame[..], &close[..]].concat());
    }

    #[tokio::test]
    async fn the_session_waits_for_room_and_learns_when_the_connection_is_gone() {
        let outbox = Arc::new(Outbox::new(1, 0));
        let mut body = outbox.body(BoxBody::new(()));
        outbox.send(text_frame(b"a"), None).await.unwrap();
        let waiting = {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.send(text_frame(b"b"), None).await.is_ok() })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        let waker = Waker::noop().clone();
        assert!(matches!(poll(&mut body, &waker), Poll::Ready(Some(_))));
        assert!(waiting.await.unwrap());
        drop(body);
        assert!(outbox.send(text_frame(b"c"), None).await.is_err());
        assert_eq!(outbox.offer(&event(1)), Offer::Gone);
    }

    #[tokio::test]
    async fn the_session_sends_a_few_frames_ahead_while_the_hub_may_fill_the_queue() {
        let outbox = Arc::new(Outbox::new(256, 0));
        let mut body = outbox.body(BoxBody::new(()));
        let replay = {
            let outbox = outbox.clone();
            tokio::spawn(async move {
                for seq in 1..=100 {
                    let frame = text_frame(format!("{{\"seq\":{seq}}}").as_bytes());
                    outbox.send(frame, Some(seq)).await.unwrap();
                }
            })
        };
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!replay.is_finished());
        assert_eq!(outbox.queued(), SEND_AHEAD);
        assert!(outbox.state().frames.capacity() < 2 * SEND_AHEAD);
        let waker = Waker::noop().clone();
        let mut seen = 0;
        for _ in 0..10_000 {
            match poll(&mut body, &waker) {
                Poll::Ready(Some(frame)) => {
                    seen += 1;
                    assert_eq!(payload(&frame), format!("{{\"seq\":{seen}}}"));
                }
                _ if replay.is_finished() && outbox.queued() == 0 => break,
                _ => tokio::task::yield_now().await,
            }
        }
        assert_eq!(seen, 100);
        replay.await.unwrap();
        // The hub's offers are not held to it: a burst of live events may use the whole queue.
        assert!(outbox.take_held().is_none());
        for seq in 101..=300 {
            assert_eq!(outbox.offer(&event(seq)), Offer::Queued);
        }
        assert_eq!(outbox.queued(), 200);
        // Nor are the session's answers: an ack does not wait behind a busy room's events.
        let ack = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            outbox.send(text_frame(b"{\"type\":\"ack\"}"), None),
        );
        assert!(
            ack.await
                .expect("an answer waits only for a full queue")
                .is_ok()
        );
        assert_eq!(outbox.queued(), 201);
    }
}
