//! Who may see and change a meeting. Every meeting-scoped request starts by loading an
//! `Access`: a meeting the caller may not see is a 404, whatever the request was.

use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::events;
use crate::users::Role;

use super::participants::{self, ParticipantRow};
use super::{MeetingRole, MeetingRow, MeetingState, Mover};

/// The caller's standing in one meeting.
#[derive(Debug, Clone)]
pub struct Access {
    pub meeting: MeetingRow,
    pub state: MeetingState,
    pub user_id: String,
    pub system_role: Role,
    /// The caller's own participant record.
    pub participant: Option<ParticipantRow>,
    /// The member's record when the caller attends as their substitute.
    pub substituting: Option<ParticipantRow>,
}

/// Loads the caller's access to a meeting, or 404 when they may not see it.
pub fn load(
    conn: &mut DbConnection,
    meeting_id: &str,
    user: &AuthUser,
) -> Result<Access, ApiError> {
    let meeting = super::get(conn, meeting_id)?;
    let state = meeting.state()?;
    let participant = participants::find(conn, meeting_id, &user.id)?;
    let substituting = participants::substituted_by(conn, meeting_id, &user.id)?;
    let access = Access {
        meeting,
        state,
        user_id: user.id.clone(),
        system_role: user.role,
        participant,
        substituting,
    };
    if access.can_view() {
        Ok(access)
    } else {
        Err(ApiError::NotFound { what: "meeting" })
    }
}

/// Locks the meeting for the rest of the write transaction, then loads the access.
pub fn load_for_change(
    conn: &mut DbConnection,
    meeting_id: &str,
    user: &AuthUser,
) -> Result<Access, ApiError> {
    events::lock_meeting(conn, meeting_id)?;
    load(conn, meeting_id, user)
}

impl Access {
    pub fn meeting_id(&self) -> &str {
        &self.meeting.id
    }

    fn is_staff(&self) -> bool {
        self.system_role.is_staff()
    }

    /// The caller's own role in the meeting, if they are a participant.
    pub fn own_role(&self) -> Option<MeetingRole> {
        self.participant.as_ref().and_then(|p| p.role().ok())
    }

    /// Staff and the meeting's own secretary see it from the draft on; other participants and
    /// substitutes once it is scheduled.
    pub fn can_view(&self) -> bool {
        self.is_manager()
            || ((self.participant.is_some() || self.substituting.is_some())
                && self.state != MeetingState::Draft)
    }

    /// Admins, secretaries and the meeting's own secretary prepare the meeting.
    pub fn is_manager(&self) -> bool {
        self.is_staff() || self.own_role() == Some(MeetingRole::Secretary)
    }

    /// Managers and the chair run the meeting.
    pub fn is_presider(&self) -> bool {
        self.is_manager() || self.own_role() == Some(MeetingRole::Chair)
    }

    pub fn require(&self, mover: Mover) -> Result<(), ApiError> {
        let allowed = match mover {
            Mover::Managers => self.is_manager(),
            Mover::Presiders => self.is_presider(),
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "forbidden",
                "your role in this meeting does not allow this",
            ))
        }
    }

    /// Refuses any change to a closed or cancelled meeting.
    pub fn require_open(&self) -> Result<(), ApiError> {
        match self.state {
            MeetingState::Closed => Err(ApiError::conflict(
                "meeting_closed",
                "the meeting is closed and can no longer change",
            )),
            MeetingState::Cancelled => Err(ApiError::conflict(
                "meeting_cancelled",
                "the meeting was cancelled and can no longer change",
            )),
            _ => Ok(()),
        }
    }

    /// The participant record the caller attends as: their own, or the member's they stand in
    /// for. `None` for staff who are not participants.
    pub fn attendee(&self) -> Option<&ParticipantRow> {
        self.participant.as_ref().or(self.substituting.as_ref())
    }

    /// The role the caller acts in: their own, or `member` when substituting.
    pub fn acting_role(&self) -> Option<MeetingRole> {
        self.own_role()
            .or(self.substituting.as_ref().map(|_| MeetingRole::Member))
    }
}
