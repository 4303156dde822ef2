-- Reminders sent to members of a meeting held in writing who had not answered every poll:
-- one row per meeting, member and offset before the deadline ("2wd", "2h"). Whoever inserts
-- the row sends the reminder; an instance that finds it there already does not (INSERT … ON
-- CONFLICT DO NOTHING), so each is sent once however many instances look.
CREATE TABLE reminders_sent (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    offset_key TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (meeting_id, user_id, offset_key)
);
