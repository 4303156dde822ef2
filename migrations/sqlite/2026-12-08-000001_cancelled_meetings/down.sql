-- Cancelled meetings cannot be kept by the older schema: they go back to scheduled.
CREATE TABLE meetings_old (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    location TEXT,
    starts_at TIMESTAMP NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'live', 'closed')),
    watermark TEXT,
    speech_limit_secs INTEGER,
    current_item_id TEXT,
    last_seq BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    chair_votes BOOLEAN NOT NULL DEFAULT TRUE,
    started_at TIMESTAMP,
    ended_at TIMESTAMP
);
INSERT INTO meetings_old (id, title, description, location, starts_at, state, watermark, speech_limit_secs, current_item_id, last_seq, created_by, created_at, updated_at, chair_votes, started_at, ended_at) SELECT id, title, description, location, starts_at, CASE state WHEN 'cancelled' THEN 'scheduled' ELSE state END, watermark, speech_limit_secs, current_item_id, last_seq, created_by, created_at, updated_at, chair_votes, started_at, ended_at FROM meetings;
DROP TABLE meetings;
ALTER TABLE meetings_old RENAME TO meetings;
