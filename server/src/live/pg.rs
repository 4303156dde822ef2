//! With PostgreSQL, several instances share one database: each commit of an event also
//! `NOTIFY`s `ecabinet_events` (sent by PostgreSQL only when the transaction commits), and
//! every instance `LISTEN`s, then reads the new rows in seq order and fans them out. The
//! notification is only a wake-up; the rows are the truth, so a lost one costs latency, never
//! an event (after a reconnect every room is re-read). Ephemeral events travel on
//! `ecabinet_ephemeral`, tagged with the sending instance so it does not deliver them twice.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use super::hub::Wake;

pub const EVENTS_CHANNEL: &str = "ecabinet_events";
pub const EPHEMERAL_CHANNEL: &str = "ecabinet_ephemeral";
/// PostgreSQL refuses notification payloads of 8000 bytes or more.
pub const MAX_PAYLOAD: usize = 7_900;

/// `meeting_id:seq`, the payload of an event notification.
pub fn event_payload(meeting_id: &str, seq: i64) -> String {
    format!("{meeting_id}:{seq}")
}

fn parse_event(payload: &str) -> Option<Wake> {
    let (meeting_id, seq) = payload.rsplit_once(':')?;
    Some(Wake::Committed {
        meeting_id: meeting_id.to_owned(),
        seq: seq.parse().ok()?,
    })
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

/// Listens for other instances' events and sends this instance's ephemeral ones, reconnecting
/// after any failure.
pub async fn bridge(
    url: String,
    instance: String,
    wake: mpsc::UnboundedSender<Wake>,
    mut outgoing: mpsc::UnboundedReceiver<super::hub::EphemeralOut>,
) {
    loop {
        match tokio_postgres::connect(&url, NoTls).await {
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
                    let _ = wake.send(Wake::Resync);
                    loop {
                        tokio::select! {
                            n = notifications.recv() => match n {
                                Some(n) => {
                                    let w = if n.channel() == EVENTS_CHANNEL {
                                        parse_event(n.payload())
                                    } else {
                                        parse_ephemeral(n.payload(), &instance)
                                    };
                                    if let Some(w) = w && wake.send(w).is_err() {
                                        return;
                                    }
                                }
                                None => break,
                            },
                            out = outgoing.recv() => match out {
                                Some(out) => {
                                    // `u`: the one user whose sessions receive it (private annotations).
                                    let payload = serde_json::json!({"o": instance, "m": out.meeting_id, "u": out.user_id, "t": out.text}).to_string();
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
    fn payloads() {
        match parse_event(&event_payload("0193-ab:cd", 42)) {
            Some(Wake::Committed { meeting_id, seq }) => {
                assert_eq!((meeting_id.as_str(), seq), ("0193-ab:cd", 42))
            }
            other => panic!("{other:?}"),
        }
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
