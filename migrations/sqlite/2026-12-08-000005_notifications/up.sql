-- Each user's notifications (a written meeting sent to them, a session scheduled, moved or
-- cancelled, a reminder to answer): what happened as a kind and the values a client needs to
-- say it in its language (JSON), kept until the user's account or the meeting is deleted.
CREATE TABLE notifications (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    meeting_id TEXT REFERENCES meetings (id) ON DELETE CASCADE,
    params TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
-- Newest first per user (ids are UUID v7: their order is their creation order).
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_meeting ON notifications (meeting_id);
