//! Notifications by e-mail, when `notifications.smtp` is configured: each notification for a
//! user with an address becomes a message in `mail_outbox`, written in the notification's
//! transaction (so a message exists exactly when its notification does) and sent by `run`, a
//! background task, never by a request. A failed send is retried after `retry_secs`, doubled
//! each time, up to `max_attempts` tries, then given up and logged. An instance claims a
//! message by moving its next attempt a lease ahead (the update names the attempt time it
//! read, so of two instances only one wins), which also retries a message whose sender died.
//!
//! The text is Vietnamese: the people notified are Vietnamese officials, and mail has no
//! language switch; the tablet words the same notification in the user's language.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, Utc};
use diesel::prelude::*;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

use super::Created;
use crate::config::SmtpSettings;
use crate::db::schema::mail_outbox as m;
use crate::db::{self, Db, DbConnection};
use crate::error::ApiError;

/// How long a claimed message is left to its sender before another instance may try it.
const LEASE_SECS: i64 = 120;
/// The longest wait between two tries.
const RETRY_MAX_SECS: u64 = 24 * 3600;
/// Messages one look takes.
const BATCH: i64 = 20;

/// A time as the organisation reads it: `08:00 ngày 26/04/2027`.
fn local(value: &Value, offset: FixedOffset) -> Option<String> {
    let at: DateTime<Utc> = value.as_str()?.parse().ok()?;
    Some(
        at.with_timezone(&offset)
            .format("%H:%M ngày %d/%m/%Y")
            .to_string(),
    )
}

/// The subject and body of the mail for a notification.
pub fn render(kind: &str, params: &Value, utc_offset_minutes: i32) -> (String, String) {
    let offset = FixedOffset::east_opt(utc_offset_minutes * 60).unwrap_or(Utc.fix());
    let title = params["title"].as_str().unwrap_or("");
    let starts = local(&params["starts_at"], offset).unwrap_or_default();
    let deadline = local(&params["deadline"], offset).unwrap_or_default();
    let place = params["location"]
        .as_str()
        .map(|l| format!(" tại {l}"))
        .unwrap_or_default();
    let (subject, body) = match kind {
        "written_sent" => (
            format!("Xin ý kiến bằng văn bản: {title}"),
            format!(
                "Đồng chí được đề nghị cho ý kiến bằng văn bản về \"{title}\".\nThời hạn trả lời: {deadline}."
            ),
        ),
        "meeting_scheduled" => (
            format!("Giấy mời họp: {title}"),
            format!("Cuộc họp \"{title}\" diễn ra lúc {starts}{place}."),
        ),
        "meeting_moved" => {
            let written = params["meeting_kind"] == "written";
            let body = if written {
                format!("Thời hạn cho ý kiến về \"{title}\" nay là {deadline}.")
            } else {
                format!("Cuộc họp \"{title}\" nay diễn ra lúc {starts}{place}.")
            };
            (format!("Thay đổi lịch họp: {title}"), body)
        }
        "meeting_cancelled" => (
            format!("Hủy cuộc họp: {title}"),
            format!("Cuộc họp \"{title}\" dự kiến lúc {starts}{place} đã bị hủy."),
        ),
        "written_reminder" => (
            format!("Nhắc việc: cho ý kiến về {title}"),
            format!(
                "Đồng chí còn {} nội dung chưa cho ý kiến về \"{title}\".\nThời hạn trả lời: {deadline}.",
                params["unanswered"].as_u64().unwrap_or(1)
            ),
        ),
        other => (title.to_owned(), other.to_owned()),
    };
    (
        subject,
        format!("{body}\n\n-- \nHệ thống phòng họp không giấy ecabinet\n"),
    )
}

/// Writes the mail of `created` notifications for users who have an address; call in their
/// transaction.
pub fn enqueue(
    conn: &mut DbConnection,
    created: &[Created],
    utc_offset_minutes: i32,
) -> Result<(), ApiError> {
    if created.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = created.iter().map(|c| c.user_id.clone()).collect();
    let addresses = crate::users::emails(conn, &ids)?;
    let now = db::now();
    for c in created {
        let Some((_, to)) = addresses.iter().find(|(id, _)| *id == c.user_id) else {
            continue;
        };
        let (subject, body) = render(
            &c.notification.kind,
            &c.notification.params,
            utc_offset_minutes,
        );
        diesel::insert_into(m::table)
            .values((
                m::id.eq(db::new_id()),
                m::to_address.eq(to),
                m::subject.eq(subject),
                m::body.eq(body),
                m::attempts.eq(0),
                m::next_attempt_at.eq(now),
                m::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Queryable)]
struct Outgoing {
    id: String,
    to_address: String,
    subject: String,
    body: String,
    attempts: i32,
}

/// Takes the messages due now for this instance.
fn claim(conn: &mut DbConnection) -> Result<Vec<Outgoing>, ApiError> {
    let now = db::now();
    let due: Vec<(String, NaiveDateTime)> = m::table
        .filter(m::sent_at.is_null())
        .filter(m::failed_at.is_null())
        .filter(m::next_attempt_at.le(now))
        .order(m::next_attempt_at.asc())
        .limit(BATCH)
        .select((m::id, m::next_attempt_at))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, at) in due {
        let taken = diesel::update(
            m::table
                .find(&id)
                .filter(m::next_attempt_at.eq(at))
                .filter(m::sent_at.is_null()),
        )
        .set(m::next_attempt_at.eq(now + chrono::TimeDelta::seconds(LEASE_SECS)))
        .execute(conn)?;
        if taken == 1 {
            out.push(
                m::table
                    .find(&id)
                    .select((m::id, m::to_address, m::subject, m::body, m::attempts))
                    .first(conn)?,
            );
        }
    }
    Ok(out)
}

/// Records how sending went.
fn record(
    conn: &mut DbConnection,
    id: &str,
    attempts: i32,
    outcome: Result<(), String>,
    settings: &SmtpSettings,
) -> Result<(), ApiError> {
    let now = db::now();
    let target = m::table.find(id);
    match outcome {
        Ok(()) => {
            diesel::update(target)
                .set((m::sent_at.eq(now), m::attempts.eq(attempts)))
                .execute(conn)?;
        }
        Err(error) if attempts >= i32::try_from(settings.max_attempts).unwrap_or(i32::MAX) => {
            diesel::update(target)
                .set((
                    m::failed_at.eq(now),
                    m::attempts.eq(attempts),
                    m::last_error.eq(error),
                ))
                .execute(conn)?;
        }
        Err(error) => {
            let wait = settings
                .retry_secs
                .saturating_mul(1 << (attempts - 1).clamp(0, 16))
                .min(RETRY_MAX_SECS);
            let wait = chrono::TimeDelta::seconds(i64::try_from(wait).unwrap_or(0));
            diesel::update(target)
                .set((
                    m::next_attempt_at.eq(now + wait),
                    m::attempts.eq(attempts),
                    m::last_error.eq(error),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The SMTP transport the settings describe.
pub fn transport(settings: &SmtpSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = if settings.starttls {
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)?
    } else {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
    };
    let mut builder = builder
        .port(settings.port)
        .timeout(Some(Duration::from_secs(30)));
    if let Some(user) = &settings.username {
        let password = std::env::var(&settings.password_env).unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// Checks the settings at start: the sender must be an address mail can come from.
pub fn check(settings: &SmtpSettings) -> anyhow::Result<()> {
    settings
        .from
        .parse::<Mailbox>()
        .map_err(|e| anyhow::anyhow!("notifications.smtp.from {:?}: {e}", settings.from))?;
    transport(settings)?;
    Ok(())
}

async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    mail: &Outgoing,
) -> Result<(), String> {
    let to: Mailbox = mail.to_address.parse().map_err(|e| format!("{e}"))?;
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&mail.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| format!("{e}"))?;
    transport
        .send(message)
        .await
        .map(drop)
        .map_err(|e| format!("{e}"))
}

/// Sends the outbox, forever: every `poll_ms`, the messages due.
pub async fn run(db: Db, settings: SmtpSettings) {
    let (transport, from) = match (transport(&settings), settings.from.parse::<Mailbox>()) {
        (Ok(t), Ok(f)) => (t, f),
        (Err(e), _) => {
            tracing::error!(error = %e, "mail: no SMTP transport; notifications are not mailed");
            return;
        }
        (_, Err(e)) => {
            tracing::error!(error = %e, "mail: bad sender; notifications are not mailed");
            return;
        }
    };
    let every = Duration::from_millis(settings.poll_ms.max(100));
    loop {
        match db.write(claim).await {
            Ok(batch) => {
                for mail in batch {
                    let attempts = mail.attempts.saturating_add(1);
                    let outcome = send(&transport, &from, &mail).await;
                    match &outcome {
                        Ok(()) => tracing::info!(mail_id = %mail.id, "mail: sent"),
                        Err(e) => {
                            tracing::warn!(mail_id = %mail.id, attempts, error = %e, "mail: not sent")
                        }
                    }
                    let id = mail.id.clone();
                    let settings = settings.clone();
                    if let Err(e) = db
                        .write(move |c| record(c, &id, attempts, outcome, &settings))
                        .await
                    {
                        tracing::warn!(error = %e, "mail: could not record an attempt");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "mail: could not read the outbox"),
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_says_when_in_the_organisations_time() {
        let params = serde_json::json!({
            "title": "Xin ý kiến về tờ trình số 12",
            "meeting_kind": "written",
            "starts_at": "2027-04-26T01:00:00Z",
            "location": null,
            "deadline": "2027-05-05T10:00:00Z",
            "unanswered": 2,
        });
        let (subject, body) = render("written_reminder", &params, 420);
        assert_eq!(
            subject,
            "Nhắc việc: cho ý kiến về Xin ý kiến về tờ trình số 12"
        );
        assert!(body.contains("còn 2 nội dung"), "{body}");
        assert!(body.contains("17:00 ngày 05/05/2027"), "{body}");
        let (_, body) = render(
            "meeting_scheduled",
            &serde_json::json!({"title": "Phiên họp", "starts_at": "2027-04-26T01:00:00Z", "location": "Hội trường"}),
            420,
        );
        assert!(
            body.contains("08:00 ngày 26/04/2027 tại Hội trường"),
            "{body}"
        );
    }
}
