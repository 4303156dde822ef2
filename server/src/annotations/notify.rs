//! What the live channel is told about private annotations: their changes go, as ephemeral
//! `annotation.private.created|updated|deleted` events, to the sessions of their author only
//! (every device of theirs in the meeting's room, on every instance). Shared annotations need
//! nothing here: their durable events travel the meeting's log like every other change.
//!
//! Must never: hand a private annotation to the room's broadcast or to the event log.

use serde_json::{Value, json};

use crate::live::Hub;
use crate::live::protocol;

/// Messages above this size are sent as a reference the tablet fetches with
/// `GET /api/v1/annotations/{id}`: other instances receive ephemeral events through a
/// PostgreSQL notification, which cannot carry more than 8000 bytes.
const INLINE_MAX: usize = crate::live::pg::MAX_PAYLOAD - 400;

/// Sends a private change to the author's own sessions.
pub fn tell_author(hub: &Hub, meeting_id: &str, author_id: &str, kind: &str, data: &Value) {
    let mut text = protocol::ephemeral(kind, data);
    if text.len() > INLINE_MAX {
        let reference = json!({
            "id": data["id"], "document_id": data["document_id"], "version": data["version"],
            "user_id": author_id, "fetch": true,
        });
        text = protocol::ephemeral(kind, &reference);
    }
    hub.send_to_user(meeting_id, author_id, text);
}
