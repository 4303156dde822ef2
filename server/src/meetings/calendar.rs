//! A meeting as an iCalendar event (RFC 5545), so that participants carry an invitation into
//! the calendar of their phone or desktop: the same `UID` every time, a `SEQUENCE` that grows
//! with every change of the meeting (its event log's seq), so a moved meeting replaces the
//! entry it had rather than adding a second one. Built with the `icalendar` crate, which
//! escapes and folds the text.

use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

use super::{Meeting, MeetingState};

/// How long a meeting lasts in the calendar when its agenda gives no durations.
pub const DEFAULT_MINUTES: i64 = 120;

/// The `.ics` text of `meeting`, lasting `minutes` (its agenda's planned time), with a link to
/// it in the tablet client at `link`.
pub fn ics(meeting: &Meeting, minutes: i64, link: &str, now: DateTime<Utc>) -> String {
    let minutes = if minutes > 0 {
        minutes
    } else {
        DEFAULT_MINUTES
    };
    let status = match meeting.state {
        MeetingState::Draft => EventStatus::Tentative,
        MeetingState::Scheduled | MeetingState::Live | MeetingState::Closed => {
            EventStatus::Confirmed
        }
        // Calendars then strike the entry out (it keeps its UID, with a higher SEQUENCE).
        MeetingState::Cancelled => EventStatus::Cancelled,
    };
    let mut event = Event::new();
    event
        .uid(&format!("{}@ecabinet", meeting.id))
        .timestamp(now)
        .sequence(u32::try_from(meeting.last_seq.max(0)).unwrap_or(u32::MAX))
        .summary(&meeting.title)
        .starts(meeting.starts_at)
        .ends(meeting.starts_at + Duration::minutes(minutes))
        .status(status)
        .url(link);
    if let Some(location) = &meeting.location {
        event.location(location);
    }
    if let Some(description) = &meeting.description {
        event.description(description);
    }
    let mut calendar = Calendar::new();
    calendar.push(event.done());
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meeting() -> Meeting {
        let at = "2026-12-08T01:30:00Z".parse().unwrap();
        Meeting {
            id: "m1".into(),
            title: "Phiên họp thường kỳ; tháng 12, UBND xã".into(),
            description: Some("Dòng một\nDòng hai".into()),
            location: Some("Phòng họp số 1".into()),
            starts_at: at,
            state: MeetingState::Scheduled,
            watermark: None,
            speech_limit_secs: None,
            current_item_id: None,
            last_seq: 7,
            created_by: "u".into(),
            created_at: at,
            updated_at: at,
            chair_votes: true,
            started_at: None,
            ended_at: None,
            kind: crate::meetings::written::Kind::Session,
            deadline: None,
            silence: None,
        }
    }

    #[test]
    fn an_invitation_names_the_meeting_and_replaces_earlier_ones() {
        let now = "2026-12-07T08:00:00Z".parse().unwrap();
        let text = ics(&meeting(), 90, "https://ecabinet.local/#/meetings/m1", now);
        let unfolded = text.replace("\r\n ", "");
        for line in [
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "UID:m1@ecabinet",
            "SEQUENCE:7",
            "DTSTART:20261208T013000Z",
            "DTEND:20261208T030000Z",
            "STATUS:CONFIRMED",
            // Commas, semicolons and line breaks are escaped as RFC 5545 asks.
            "SUMMARY:Phiên họp thường kỳ\\; tháng 12\\, UBND xã",
            "DESCRIPTION:Dòng một\\nDòng hai",
            "LOCATION:Phòng họp số 1",
            "END:VCALENDAR",
        ] {
            assert!(unfolded.contains(line), "{line} missing in:\n{text}");
        }
        assert!(
            text.lines().all(|l| l.len() <= 76),
            "lines are folded: {text}"
        );
        // No agenda durations: two hours.
        let text = ics(&meeting(), 0, "x", now);
        assert!(text.contains("DTEND:20261208T033000Z"), "{text}");
        // A cancelled meeting stays in the calendar, struck out.
        let cancelled = Meeting {
            state: MeetingState::Cancelled,
            ..meeting()
        };
        let text = ics(&cancelled, 90, "x", now);
        assert!(text.contains("STATUS:CANCELLED"), "{text}");
    }
}
