//! The two long-lived tasks behind voting.
//!
//! Group commit: every ballot (HTTP or live channel) goes into one queue; a few workers each
//! take whatever has queued up (up to `polls.batch_max`, waiting at most
//! `polls.batch_window_ms` for more) and cast it in one write transaction, then answer every
//! caller. A burst of a thousand ballots thus costs tens of transactions, not a thousand, and a
//! lone ballot waits for no one. The answer is sent only after the commit returned. A database
//! error inside a batch aborts only that transaction; its ballots are then retried one by one,
//! so one bad ballot never costs the others theirs.
//!
//! Coalesced tallies: committed ballots mark their poll; a `poll.tally` event (durable, in the
//! meeting's log) is written at most once per `polls.tally_interval_ms` per poll: at once when
//! the poll has been quiet that long, else at the end of the interval. 500 members voting at once
//! thus cost a few tally events, not 500.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::time::Instant;

use super::PollState;
use super::ballots::{self, BallotRequest, Batch, Receipt};
use crate::config::PollSettings;
use crate::db::{Db, DbConnection, write_transaction};
use crate::error::ApiError;
use crate::events::{self, EventBus};
use crate::metrics::Metrics;

struct Job {
    request: BallotRequest,
    reply: oneshot::Sender<Result<Receipt, ApiError>>,
}

/// Handle to the ballot queue and the tally coalescer.
#[derive(Debug, Clone)]
pub struct PollService {
    jobs: mpsc::Sender<Job>,
    tallies: mpsc::UnboundedSender<(String, String)>,
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
    pub fn start(db: Db, bus: EventBus, settings: PollSettings, metrics: Arc<Metrics>) -> Self {
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
        Self { jobs, tallies }
    }

    /// Casts a ballot; returns once it is committed (or refused).
    pub async fn cast(&self, request: BallotRequest) -> Result<Receipt, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .try_send(Job { request, reply })
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

    /// Asks for a `poll.tally` of this poll soon.
    pub fn tally_changed(&self, poll_id: String, meeting_id: String) {
        let _ = self.tallies.send((poll_id, meeting_id));
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
    tallies: mpsc::UnboundedSender<(String, String)>,
    metrics: Arc<Metrics>,
) {
    while let Some(jobs) = next_batch(&rx, &settings).await {
        let (requests, replies): (Vec<_>, Vec<_>) =
            jobs.into_iter().map(|j| (j.request, j.reply)).unzip();
        let full_sync = settings.sqlite_full_sync;
        let n = requests.len();
        let outcome = db.read(move |c| Ok(commit(c, &requests, full_sync))).await;
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
        if committed > 0 {
            metrics.ballots.inc_by(committed as u64);
            metrics.ballot_batches.inc();
        }
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
        for t in touched {
            let _ = tallies.send(t);
        }
    }
}

type Outcome = (Vec<Result<Receipt, ApiError>>, Vec<(String, String)>);

/// Casts a batch in one transaction, or, when that fails for a database reason, one by one.
fn commit(conn: &mut DbConnection, requests: &[BallotRequest], full_sync: bool) -> Outcome {
    // Acknowledged means durable: with SQLite's WAL at `synchronous = NORMAL` a power cut could
    // undo the last commits, so ballot transactions sync fully (one fsync per batch).
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    if sqlite && full_sync {
        let _ = conn.batch_execute("PRAGMA synchronous = FULL");
    }
    let outcome = match write_transaction(conn, |c| cast_all(c, requests)) {
        Ok(done) => done,
        Err(_) if requests.len() > 1 => {
            let mut results = Vec::with_capacity(requests.len());
            let mut touched = Vec::new();
            for r in requests {
                match write_transaction(conn, |c| cast_all(c, std::slice::from_ref(r))) {
                    Ok((mut one, t)) => {
                        results.push(one.pop().unwrap_or_else(|| Err(ApiError::Unavailable)));
                        touched.extend(t);
                    }
                    Err(e) => results.push(Err(e)),
                }
            }
            (results, touched)
        }
        Err(e) => (vec![Err(e)], Vec::new()),
    };
    if sqlite && full_sync {
        let _ = conn.batch_execute("PRAGMA synchronous = NORMAL");
    }
    outcome
}

fn cast_all(conn: &mut DbConnection, requests: &[BallotRequest]) -> Result<Outcome, ApiError> {
    let mut batch = Batch::default();
    let mut results = Vec::with_capacity(requests.len());
    for r in requests {
        let result = ballots::cast(conn, &mut batch, r);
        // After a database error the transaction may be unusable (PostgreSQL aborts it): give
        // up on the batch so that the caller retries each ballot alone.
        if let Err(e @ (ApiError::Internal(_) | ApiError::Unavailable)) = result {
            return Err(e);
        }
        results.push(result);
    }
    batch.finish(conn)?;
    Ok((results, std::mem::take(&mut batch.touched)))
}

/// Writes `poll.tally` events, at most one per interval per poll.
async fn coalesce_tallies(
    db: Db,
    bus: EventBus,
    interval: Duration,
    mut rx: mpsc::UnboundedReceiver<(String, String)>,
) {
    let mut pending: HashMap<String, String> = HashMap::new();
    let mut last: HashMap<String, Instant> = HashMap::new();
    loop {
        let now = Instant::now();
        let due_at = pending
            .keys()
            .map(|p| last.get(p).map_or(now, |t| *t + interval))
            .min();
        tokio::select! {
            received = rx.recv() => match received {
                Some((poll_id, meeting_id)) => {
                    pending.insert(poll_id, meeting_id);
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
            emit_tally(&db, &bus, poll_id).await;
        }
        // Polls quiet for a while need no memory: their next tally goes out at once anyway.
        last.retain(|_, t| now.duration_since(*t) < interval * 4);
    }
}

async fn emit_tally(db: &Db, bus: &EventBus, poll_id: String) {
    let written = db
        .write(move |c| {
            let row = super::get(c, &poll_id)?;
            // A closed poll had its final tally written with `poll.closed`.
            if row.state()? != PollState::Open {
                return Ok(None);
            }
            let poll = super::view(c, row)?;
            events::append(c, &poll.meeting_id, "poll.tally", &super::tally_data(&poll)).map(Some)
        })
        .await;
    match written {
        Ok(Some(event)) => bus.publish(vec![event]),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not write a poll tally"),
    }
}
