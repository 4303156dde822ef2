//! The two long-lived tasks behind voting.
//!
//! Group commit: every ballot (HTTP or live channel) goes into one queue; a few workers each
//! take whatever has queued up (up to `polls.batch_max`, waiting at most
//! `polls.batch_window_ms` for more) and cast it in one write transaction, then answer every
//! caller. A burst of a thousand ballots thus costs tens of transactions, not a thousand, and a
//! lone ballot waits for no one. The answer is sent only after the commit returned. A database
//! error inside a batch aborts only that transaction; its ballots are then retried one by one
//! (a lone ballot too: the error is most often another worker's batch having committed the same
//! seat first, which the retry then sees), so one bad ballot never costs the others theirs.
//!
//! Coalesced tallies: committed ballots mark their poll; a `poll.tally` event (durable, in the
//! meeting's log) is written at most once per `polls.tally_interval_ms` per poll: at once when
//! the poll has been quiet that long, else at the end of the interval. 500 members voting at once
//! thus cost a few tally events, not 500. The batch that brings in the last eligible voter's
//! ballot has its tally written at once, whatever the interval: the room sees the complete
//! count right after the last ballot, not up to an interval later.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::time::Instant;

use super::PollState;
use super::ballots::{self, BallotRequest, Receipt, Touched};
use super::keys::KeyHasher;
use crate::config::PollSettings;
use crate::db::{Db, DbConnection, write_transaction};
use crate::error::ApiError;
use crate::events::{self, EventBus};
use crate::metrics::Metrics;

struct Job {
    request: BallotRequest,
    reply: oneshot::Sender<Result<Receipt, ApiError>>,
    queued: Instant,
}

/// Handle to the ballot queue and the tally coalescer.
#[derive(Debug, Clone)]
pub struct PollService {
    jobs: mpsc::Sender<Job>,
    keys: Arc<KeyHasher>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("poll_id", &self.request.poll_id)
            .finish_non_exhaustive()
    }
}

impl PollService {
    /// Starts the workers and the tally task on the current runtime.
    pub fn start(
        db: Db,
        bus: EventBus,
        settings: PollSettings,
        metrics: Arc<Metrics>,
        keys: KeyHasher,
    ) -> Self {
        let (jobs, rx) = mpsc::channel(settings.queue_capacity.max(1));
        let (tallies, tally_rx) = mpsc::unbounded_channel();
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..settings.batch_workers.max(1) {
            actix_web::rt::spawn(worker(
                db.clone(),
                rx.clone(),
                settings.clone(),
                tallies.clone(),
                metrics.clone(),
            ));
        }
        actix_web::rt::spawn(coalesce_tallies(
            db,
            bus,
            Duration::from_millis(settings.tally_interval_ms.max(1)),
            tally_rx,
        ));
        Self {
            jobs,
            keys: Arc::new(keys),
        }
    }

    /// Casts a ballot; returns once it is committed (or refused).
    pub async fn cast(&self, mut request: BallotRequest) -> Result<Receipt, ApiError> {
        // Only the keyed hash of an idempotency key goes any further (`super::keys`).
        if let Some(key) = &request.key {
            request.key = Some(self.keys.hash(&request.poll_id, key)?);
        }
        let (reply, answer) = oneshot::channel();
        self.jobs
            .try_send(Job {
                request,
                reply,
                queued: Instant::now(),
            })
            .map_err(|e| match e {
                // A full queue means the database is far behind: tell the client to retry.
                mpsc::error::TrySendError::Full(_) => ApiError::Unavailable,
                mpsc::error::TrySendError::Closed(_) => {
                    ApiError::internal(anyhow::anyhow!("ballot workers stopped"))
                }
            })?;
        answer
            .await
            .map_err(|_| ApiError::internal(anyhow::anyhow!("ballot worker dropped a ballot")))?
    }
}

/// Takes the next batch off the queue: what is there, plus what arrives within the window.
async fn next_batch(rx: &Mutex<mpsc::Receiver<Job>>, settings: &PollSettings) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut jobs = vec![first];
    let deadline = Instant::now() + Duration::from_millis(settings.batch_window_ms);
    while jobs.len() < settings.batch_max.max(1) {
        match rx.try_recv() {
            Ok(job) => jobs.push(job),
            Err(mpsc::error::TryRecvError::Empty) => {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(job)) => jobs.push(job),
                    _ => break,
                }
            }
            Err(mpsc::error::TryRecvError::Disconnected) => break,
        }
    }
    Some(jobs)
}

async fn worker(
    db: Db,
    rx: Arc<Mutex<mpsc::Receiver<Job>>>,
    settings: PollSettings,
    tallies: mpsc::UnboundedSender<TallyNeed>,
    metrics: Arc<Metrics>,
) {
    while let Some(jobs) = next_batch(&rx, &settings).await {
        let started = Instant::now();
        let oldest = jobs.iter().map(|j| j.queued).min().unwrap_or(started);
        let (requests, replies): (Vec<_>, Vec<_>) =
            jobs.into_iter().map(|j| (j.request, j.reply)).unzip();
        let full_sync = settings.sqlite_full_sync;
        let n = requests.len();
        let outcome = db
            .read(move |c| {
                let (results, touched) = commit(c, &requests, full_sync);
                Ok((results, completed(c, touched)))
            })
            .await;
        let (results, touched) = match outcome {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(error = %e, "ballot batch could not run");
                (
                    (0..n).map(|_| Err(ApiError::Unavailable)).collect(),
                    Vec::new(),
                )
            }
        };
        let committed = results.iter().filter(|r| r.is_ok()).count();
        tracing::debug!(
            ballots = n,
            committed,
            waited_ms = started.duration_since(oldest).as_secs_f64() * 1000.0,
            took_ms = started.elapsed().as_secs_f64() * 1000.0,
            "ballot batch"
        );
        if committed > 0 {
            metrics.ballots.inc_by(committed as u64);
            metrics.ballot_batches.inc();
        }
        // The tally first: a poll this batch completed gets its final tally written while the
        // acks go out.
        for t in touched {
            let _ = tallies.send(t);
        }
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// What the tally task is asked: a poll got ballots; `complete` when every eligible voter has
/// now voted (its tally then goes out at once instead of waiting for the interval).
#[derive(Debug)]
struct TallyNeed {
    poll_id: String,
    meeting_id: String,
    complete: bool,
}

/// After the commit: which touched polls now have a ballot from every eligible voter. Counted
/// outside the batch's transaction, so that of two batches committing at once on PostgreSQL the
/// later one sees both.
fn completed(conn: &mut DbConnection, touched: Vec<Touched>) -> Vec<TallyNeed> {
    touched
        .into_iter()
        .map(|t| {
            let complete = t.added > 0
                && t.eligible > 0
                && ballots::voted(conn, &t.poll_id, t.secret).is_ok_and(|n| n >= t.eligible);
            TallyNeed {
                poll_id: t.poll_id,
                meeting_id: t.meeting_id,
                complete,
            }
        })
        .collect()
}

type Outcome = ballots::Cast;

/// Casts a batch in one transaction, or, when that fails for a database reason, one by one.
fn commit(conn: &mut DbConnection, requests: &[BallotRequest], full_sync: bool) -> Outcome {
    // Acknowledged means durable: with SQLite's WAL at `synchronous = NORMAL` a power cut could
    // undo the last commits, so ballot transactions sync fully (one fsync per batch).
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    if sqlite && full_sync {
        let _ = conn.batch_execute("PRAGMA synchronous = FULL");
    }
    let outcome = match write_transaction(conn, |c| ballots::cast_batch(c, requests)) {
        Ok(done) => done,
        // Most often another worker's batch committed a ballot for one of these seats first
        // (the primary key refused the second), which a second look sees: each ballot alone,
        // once more, also when the batch was one ballot.
        Err(_) => {
            let mut results = Vec::with_capacity(requests.len());
            let mut touched: Vec<Touched> = Vec::new();
            for r in requests {
                match write_transaction(conn, |c| ballots::cast_batch(c, std::slice::from_ref(r))) {
                    Ok((mut one, t)) => {
                        results.push(one.pop().unwrap_or_else(|| Err(ApiError::Unavailable)));
                        for t in t {
                            match touched.iter_mut().find(|x| x.poll_id == t.poll_id) {
                                Some(x) => x.added += t.added,
                                None => touched.push(t),
                            }
                        }
                    }
                    Err(e) => results.push(Err(e)),
                }
            }
            (results, touched)
        }
    };
    if sqlite && full_sync {
        let _ = conn.batch_execute("PRAGMA synchronous = NORMAL");
    }
    outcome
}

/// Writes `poll.tally` events, at most one per interval per poll, except the one that shows
/// every eligible voter's ballot: that one goes out at once. A tally equal to the last one
/// written for the poll is not written again (two batches committing at once can both report
/// the poll complete, or ask for a tally another one already showed).
async fn coalesce_tallies(
    db: Db,
    bus: EventBus,
    interval: Duration,
    mut rx: mpsc::UnboundedReceiver<TallyNeed>,
) {
    let mut pending: HashMap<String, String> = HashMap::new();
    let mut last: HashMap<String, Instant> = HashMap::new();
    let mut shown: HashMap<String, Shown> = HashMap::new();
    loop {
        let now = Instant::now();
        let due_at = pending
            .keys()
            .map(|p| last.get(p).map_or(now, |t| *t + interval))
            .min();
        tokio::select! {
            // Ballots first: a complete tally must not wait behind a due one.
            biased;
            received = rx.recv() => match received {
                Some(need) if need.complete => {
                    if shown.get(&need.poll_id).is_some_and(|s| s.complete) {
                        continue;
                    }
                    pending.remove(&need.poll_id);
                    last.insert(need.poll_id.clone(), Instant::now());
                    emit_tally(&db, &bus, need.poll_id, &mut shown).await;
                    continue;
                }
                Some(need) => {
                    pending.insert(need.poll_id, need.meeting_id);
                    continue;
                }
                None => return,
            },
            _ = tokio::time::sleep_until(due_at.unwrap_or(now)), if due_at.is_some() => {}
        }
        let now = Instant::now();
        let due: Vec<String> = pending
            .keys()
            .filter(|p| last.get(*p).is_none_or(|t| now >= *t + interval))
            .cloned()
            .collect();
        for poll_id in due {
            pending.remove(&poll_id);
            last.insert(poll_id.clone(), now);
            emit_tally(&db, &bus, poll_id, &mut shown).await;
        }
        // Polls quiet for a while need no memory: their next tally goes out at once anyway.
        last.retain(|_, t| now.duration_since(*t) < interval * 4);
        shown.retain(|_, s| now.duration_since(s.at) < SHOWN_MEMORY);
    }
}

/// The last tally written for a poll.
#[derive(Debug)]
struct Shown {
    at: Instant,
    data: serde_json::Value,
    /// Every eligible voter's ballot is in it.
    complete: bool,
}

/// How long the tally task remembers the last tally it wrote for a poll.
const SHOWN_MEMORY: Duration = Duration::from_secs(3600);

async fn emit_tally(db: &Db, bus: &EventBus, poll_id: String, shown: &mut HashMap<String, Shown>) {
    let before = shown.get(&poll_id).map(|s| s.data.clone());
    let written = db
        .write(move |c| {
            // Take the meeting's lock before reading the poll's state, as `close` does before
            // it changes it: on PostgreSQL a close committing meanwhile would otherwise be read
            // as still open, and this tally would land in the log after `poll.closed`. Locking
            // the poll's row first instead inverted close's order (meeting, then poll) and
            // could deadlock with it. SQLite's write transaction already excludes the close.
            let meeting_id = super::get(c, &poll_id)?.meeting_id;
            events::lock_meeting(c, &meeting_id)?;
            let row = super::get(c, &poll_id)?;
            // A closed poll had its final tally written with `poll.closed`.
            if row.state()? != PollState::Open {
                return Ok(None);
            }
            let poll = super::view(c, row)?;
            let data = super::tally_data(&poll);
            let complete = poll.eligible > 0 && poll.voted >= poll.eligible;
            if before.as_ref() == Some(&data) {
                return Ok(Some((poll.id, data, complete, None)));
            }
            let event = events::append(c, &poll.meeting_id, "poll.tally", &data)?;
            Ok(Some((poll.id, data, complete, Some(event))))
        })
        .await;
    match written {
        Ok(Some((poll_id, data, complete, event))) => {
            shown.insert(
                poll_id,
                Shown {
                    at: Instant::now(),
                    data,
                    complete,
                },
            );
            if let Some(event) = event {
                bus.publish(vec![event]);
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not write a poll tally"),
    }
}
