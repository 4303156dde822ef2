//! Notifications pushed to their user's tablets: `notification.new {"notification",
//! "unread"}`, an ephemeral message sent to every live session of the user, in whichever
//! meeting's room it is, on every instance (docs/live.md, "Notifications"). Not replayed: a
//! tablet that was not connected reads `GET /api/v1/me/notifications`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use super::Hub;
use super::protocol;
use crate::db::Db;
use crate::notifications::Created;

/// Sends each created notification to its user with their unread count (read after the
/// commit, so it includes the new ones).
pub async fn push(hub: Arc<Hub>, db: Db, created: Vec<Created>) {
    if created.is_empty() {
        return;
    }
    let users: Vec<String> = created.iter().map(|c| c.user_id.clone()).collect();
    let counts = db
        .read(move |c| {
            let mut out = HashMap::new();
            for user in users {
                if let Entry::Vacant(slot) = out.entry(user) {
                    let n = crate::notifications::unread(c, slot.key())?;
                    slot.insert(n);
                }
            }
            Ok(out)
        })
        .await;
    let counts = match counts {
        Ok(counts) => counts,
        Err(e) => {
            tracing::warn!(error = %e, "could not count unread notifications; not pushed");
            return;
        }
    };
    for c in created {
        let unread = counts.get(&c.user_id).copied().unwrap_or(0);
        let text = protocol::ephemeral(
            "notification.new",
            &serde_json::json!({"notification": c.notification, "unread": unread}),
        );
        hub.send_to_user_everywhere(&c.user_id, text);
    }
}
