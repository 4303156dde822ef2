//! With PostgreSQL, several instances share one database. Commits write events only; each
//! instance tells the others what it committed at most every `live.signal_batch_ms` (5 ms), in
//! one `NOTIFY ecabinet_events` naming the instance and, per meeting, the newest seq, so the
//! NOTIFY rate does not grow with the event rate (PostgreSQL serialises NOTIFYs at commit).
//! Every instance `LISTEN`s, then reads the new rows in seq order and fans them out. A
//! notification is only a wake-up; the rows are the truth. One that is lost (the sender died
//! between its commit and its signal, the LISTEN connection dropped) costs latency, never an
//! event: every open room is compared with the database every `live.catch_up_ms`, and after
//! a reconnect at once. Ephemeral events travel on `ecabinet_ephemeral`, tagged with the
//! sending instance so it does not deliver them twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio_postgres::{AsyncMessage, NoTls};

use super::hub::Wake;
use crate::events::Event;

pub const EVENTS_CHANNEL: &str = "ecabinet_events";
pub const EPHEMERAL_CHANNEL: &str = "ecabinet_ephemeral";
/// PostgreSQL refuses notification payloads of 8000 bytes or more.
pub const MAX_PAYLOAD: usize = 7_900;
/// The signal that tells every instance to compare all its rooms (this one fell behind its
/// own bus and no longer knows what it committed).
const EVERYTHING: &str = "*";

/// `instance|meeting:seq,meeting:seq`: what `instance` committed since its last signal, split
/// into payloads PostgreSQL accepts.
pub fn signal_payloads(instance: &str, newest: &HashMap<String, i64>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = format!("{instance}|");
    let empty = current.len();
    let mut entries: Vec<_> = newest.iter().collect();
    entries.sort();
    for (meeting, seq) in entries {
        let entry = format!("{meeting}:{seq}");
        if current.len() + entry.len() + 1 > MAX_PAYLOAD && current.len() > empty {
            out.push(std::mem::replace(&mut current, format!("{instance}|")));
        }
        if current.len() > empty {
            current.push(',');
        }
        current.push_str(&entry);
    }
    if current.len() > empty {
        out.push(current);
    }
    out
}

/// The wake-ups a signal from another instance asks for (none for this instance's own).
fn parse_signal(payload: &str, instance: &str) -> Vec<Wake> {
    let Some((from, list)) = payload.split_once('|') else {
        return Vec::new();
    };
    if from == instance {
        return Vec::new();
    }
    if list == EVERYTHING {
        return vec![Wake::Resync];
    }
    list.split(',')
        .filter_map(|entry| {
            let (meeting_id, seq) = entry.rsplit_once(':')?;
            Some(Wake::Committed {
                meeting_id: meeting_id.to_owned(),
                seq: seq.parse().ok()?,
            })
        })
        .collect()
}

fn parse_ephemeral(payload: &str, instance: &str) -> Option<Wake> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    if v["o"].as_str()? == instance {
        return None;
    }
    Some(Wake::Ephemeral {
        meeting_id: v["m"].as_str()?.to_owned(),
        user_id: v["u"].as_str().map(str::to_owned),
        text: v["t"].as_str()?.to_owned(),
    })
}

/// What the bridge needs besides its connection.
pub struct Bridge {
    pub url: String,
    pub instance: String,
    pub wake: mpsc::UnboundedSender<Wake>,
    pub outgoing: mpsc::UnboundedReceiver<super::hub::EphemeralOut>,
    /// This instance's committed events.
    pub committed: broadcast::Receiver<Arc<Event>>,
    pub batch: Duration,
    pub catch_up: Duration,
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Listens for other instances' events, signals this instance's, sends its ephemeral ones,
/// and asks for the periodic catch-up; reconnects after any failure.
pub async fn bridge(mut b: Bridge) {
    let mut newest: HashMap<String, i64> = HashMap::new();
    let mut fell_behind = false;
    let mut flush_at: Option<tokio::time::Instant> = None;
    loop {
        match tokio_postgres::connect(&b.url, NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut notifications) = mpsc::unbounded_channel();
                let pump = actix_web::rt::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(Ok(message)) = messages.next().await {
                        if let AsyncMessage::Notification(n) = message
                            && tx.send(n).is_err()
                        {
                            break;
                        }
                    }
                });
                let listening = client
                    .batch_execute(&format!(
                        "LISTEN {EVENTS_CHANNEL}; LISTEN {EPHEMERAL_CHANNEL};"
                    ))
                    .await;
                if listening.is_ok() {
                    // Whatever was committed while we were not listening.
                    let _ = b.wake.send(Wake::Resync);
                    let mut catch_up = tokio::time::interval(b.catch_up);
                    catch_up.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    catch_up.tick().await;
                    if !newest.is_empty() || fell_behind {
                        // What a lost connection kept from being told.
                        flush_at = Some(tokio::time::Instant::now());
                    }
                    loop {
                        let flush = async {
                            match flush_at {
                                Some(at) => tokio::time::sleep_until(at).await,
                                None => std::future::pending().await,
                            }
                        };
                        tokio::select! {
                            n = notifications.recv() => match n {
                                Some(n) => {
                                    let wakes = if n.channel() == EVENTS_CHANNEL {
                                        parse_signal(n.payload(), &b.instance)
                                    } else {
                                        parse_ephemeral(n.payload(), &b.instance).into_iter().collect()
                                    };
                                    for w in wakes {
                                        if b.wake.send(w).is_err() {
                                            return;
                                        }
                                    }
                                }
                                None => break,
                            },
                            committed = b.committed.recv() => match committed {
                                Ok(event) => {
                                    let seq = newest.entry(event.meeting_id.clone()).or_insert(0);
                                    *seq = (*seq).max(event.seq);
                                    flush_at.get_or_insert_with(|| tokio::time::Instant::now() + b.batch);
                                }
                                Err(broadcast::error::RecvError::Lagged(_)) => {
                                    fell_behind = true;
                                    flush_at.get_or_insert_with(tokio::time::Instant::now);
                                }
                                Err(broadcast::error::RecvError::Closed) => return,
                            },
                            () = flush => {
                                flush_at = None;
                                let payloads = if fell_behind {
                                    vec![format!("{}|{EVERYTHING}", b.instance)]
                                } else {
                                    signal_payloads(&b.instance, &newest)
                                };
                                let mut sent = true;
                                for payload in payloads {
                                    if client.execute("SELECT pg_notify($1, $2)", &[&EVENTS_CHANNEL, &payload]).await.is_err() {
                                        sent = false;
                                        break;
                                    }
                                    b.metrics.pg_signals.inc();
                                }
                                if !sent {
                                    // Kept for the next connection; the others' catch-up
                                    // covers the wait.
                                    break;
                                }
                                newest.clear();
                                fell_behind = false;
                            },
                            _ = catch_up.tick() => {
                                if b.wake.send(Wake::Resync).is_err() {
                                    return;
                                }
                            },
                            out = b.outgoing.recv() => match out {
                                Some(out) => {
                                    // `u`: the one user whose sessions receive it (private annotations).
                                    let payload = serde_json::json!({"o": b.instance, "m": out.meeting_id, "u": out.user_id, "t": out.text}).to_string();
                                    if payload.len() < MAX_PAYLOAD
                                        && client.execute("SELECT pg_notify($1, $2)", &[&EPHEMERAL_CHANNEL, &payload]).await.is_err()
                                    {
                                        break;
                                    }
                                }
                                None => return,
                            },
                        }
                    }
                }
                pump.abort();
                tracing::warn!("live: lost the PostgreSQL notification connection; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "live: cannot listen for notifications; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_round_trip_and_split() {
        let mut newest = HashMap::new();
        newest.insert("0193-ab:cd".to_owned(), 42);
        newest.insert("m2".to_owned(), 7);
        let payloads = signal_payloads("i1", &newest);
        assert_eq!(payloads, ["i1|0193-ab:cd:42,m2:7"]);
        assert!(
            parse_signal(&payloads[0], "i1").is_empty(),
            "its own signal"
        );
        let wakes = parse_signal(&payloads[0], "i2");
        assert!(
            matches!(&wakes[0], Wake::Committed { meeting_id, seq: 42 } if meeting_id == "0193-ab:cd")
        );
        assert!(matches!(&wakes[1], Wake::Committed { meeting_id, seq: 7 } if meeting_id == "m2"));
        assert!(matches!(
            parse_signal("i1|*", "i2").as_slice(),
            [Wake::Resync]
        ));
        // A thousand meetings at once: several payloads, each under PostgreSQL's limit,
        // together naming every meeting.
        let many: HashMap<String, i64> = (0..1000)
            .map(|i| (format!("0190e7a2-0000-7000-8000-{i:012}"), i))
            .collect();
        let payloads = signal_payloads("instance", &many);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() < MAX_PAYLOAD));
        let named: usize = payloads.iter().map(|p| parse_signal(p, "x").len()).sum();
        assert_eq!(named, 1000);
    }

    #[test]
    fn payloads() {
        let p = serde_json::json!({"o": "a", "m": "m1", "t": "{}"}).to_string();
        assert!(parse_ephemeral(&p, "a").is_none());
        assert!(matches!(
            parse_ephemeral(&p, "b"),
            Some(Wake::Ephemeral { user_id: None, .. })
        ));
        let p = serde_json::json!({"o": "a", "m": "m1", "u": "u1", "t": "{}"}).to_string();
        assert!(matches!(
            parse_ephemeral(&p, "b"),
            Some(Wake::Ephemeral { user_id: Some(u), .. }) if u == "u1"
        ));
    }
}
