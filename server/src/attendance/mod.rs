//! Attendance (điểm danh): self check-in, check-in or absence set by the meeting's
//! presiders, and the counts that quorum rules read.

pub mod handlers;

use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::meetings::MeetingState;
use crate::meetings::access::Access;
use crate::meetings::participants::{self, Participant};
use crate::patch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Present,
    Absent,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    pub user_id: String,
    pub status: Status,
    pub reason: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub present: usize,
    pub absent: usize,
    pub substituted: usize,
    pub unknown: usize,
    /// Participants who vote: members, and the chair unless the meeting says otherwise.
    pub voting_total: usize,
    /// Of those, present in person or through their substitute.
    pub voting_present: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttendanceList {
    pub participants: Vec<Participant>,
    pub counts: Counts,
}

/// Counts attendance states; pure, so quorum rules can be tested without a database.
/// `chair_votes`: whether the chair is a voting participant (the meeting's setting).
pub fn count(list: &[Participant], chair_votes: bool) -> Counts {
    let mut c = Counts::default();
    for p in list {
        match p.attendance.as_str() {
            "present" => c.present += 1,
            "absent" => c.absent += 1,
            "substituted" => c.substituted += 1,
            _ => c.unknown += 1,
        }
        if p.role.votes(chair_votes) {
            c.voting_total += 1;
            if matches!(p.attendance.as_str(), "present" | "substituted") {
                c.voting_present += 1;
            }
        }
    }
    c
}

fn require_attendable(access: &Access) -> Result<(), ApiError> {
    access.require_open()?;
    if access.state != MeetingState::Scheduled && access.state != MeetingState::Live {
        return Err(ApiError::conflict(
            "meeting_not_open",
            "check-in opens once the meeting is scheduled",
        ));
    }
    Ok(())
}

/// The caller checks themself in (or, as a substitute, the member they stand in for).
pub fn check_in(
    conn: &mut DbConnection,
    access: &Access,
) -> Result<(Participant, Vec<Event>), ApiError> {
    require_attendable(access)?;
    let (user_id, status) = match (&access.participant, &access.substituting) {
        (Some(own), _) => (own.user_id.clone(), "present"),
        (None, Some(member)) => (member.user_id.clone(), "substituted"),
        (None, None) => {
            return Err(ApiError::forbidden(
                "forbidden",
                "only participants check in",
            ));
        }
    };
    let record = participants::set_attendance(
        conn,
        access.meeting_id(),
        &user_id,
        status,
        None,
        Some(&access.user_id),
    )?;
    let event = events::append(conn, access.meeting_id(), "participant.checked_in", &record)?;
    Ok((record, vec![event]))
}

/// A presider checks someone in or marks them absent with a reason.
pub fn mark(
    conn: &mut DbConnection,
    access: &Access,
    mark: Mark,
) -> Result<(Participant, Vec<Event>), ApiError> {
    require_attendable(access)?;
    participants::find(conn, access.meeting_id(), &mark.user_id)?.ok_or_else(|| {
        ApiError::invalid(
            "unknown_participant",
            "this user does not take part in the meeting",
        )
    })?;
    let reason = patch::optional_text(mark.reason.as_deref(), 500, "invalid_reason", "a reason")?;
    let (status, event_type) = match mark.status {
        Status::Present => ("present", "participant.checked_in"),
        Status::Absent => ("absent", "participant.attendance"),
    };
    let reason = if mark.status == Status::Absent {
        reason
    } else {
        None
    };
    let record = participants::set_attendance(
        conn,
        access.meeting_id(),
        &mark.user_id,
        status,
        reason,
        Some(&access.user_id),
    )?;
    let event = events::append(conn, access.meeting_id(), event_type, &record)?;
    Ok((record, vec![event]))
}

pub fn list(conn: &mut DbConnection, meeting_id: &str) -> Result<AttendanceList, ApiError> {
    let participants = participants::list(conn, meeting_id)?;
    let chair_votes = crate::meetings::get(conn, meeting_id)?.chair_votes;
    Ok(AttendanceList {
        counts: count(&participants, chair_votes),
        participants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meetings::MeetingRole;

    fn p(role: MeetingRole, attendance: &str) -> Participant {
        Participant {
            user_id: String::new(),
            username: String::new(),
            display_name: String::new(),
            role,
            substitute_id: None,
            substitute_name: None,
            attendance: attendance.into(),
            absence_reason: None,
            checked_in_at: None,
        }
    }

    #[test]
    fn counts() {
        let list = [
            p(MeetingRole::Chair, "present"),
            p(MeetingRole::Member, "present"),
            p(MeetingRole::Member, "substituted"),
            p(MeetingRole::Member, "absent"),
            p(MeetingRole::Member, "unknown"),
            p(MeetingRole::Observer, "present"),
        ];
        // The chair votes by default: a voting participant, present.
        assert_eq!(
            count(&list, true),
            Counts {
                present: 3,
                absent: 1,
                substituted: 1,
                unknown: 1,
                voting_total: 5,
                voting_present: 3
            }
        );
        // A meeting whose chair does not vote counts only the members.
        assert_eq!(
            count(&list, false),
            Counts {
                present: 3,
                absent: 1,
                substituted: 1,
                unknown: 1,
                voting_total: 4,
                voting_present: 2
            }
        );
    }
}
