CREATE TABLE polls_old (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    agenda_item_id TEXT REFERENCES agenda_items (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    secret BOOLEAN NOT NULL,
    -- JSON array of option keys, e.g. ["yes","no","abstain"].
    options TEXT NOT NULL,
    majority TEXT NOT NULL CHECK (majority IN ('simple', 'absolute', 'two_thirds')),
    quorum INTEGER,
    allow_change BOOLEAN NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
    -- Snapshot at opening: how many may vote.
    eligible INTEGER,
    -- Frozen at closing: JSON {option: count}, ballots cast, and the result.
    final_tally TEXT,
    voted INTEGER,
    result TEXT CHECK (result IN ('adopted', 'rejected', 'no_quorum')),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    opened_at TIMESTAMP,
    closed_at TIMESTAMP
);
INSERT INTO polls_old (id, meeting_id, agenda_item_id, title, secret, options, majority, quorum, allow_change, state, eligible, final_tally, voted, result, created_by, created_at, opened_at, closed_at)
    SELECT id, meeting_id, agenda_item_id, title, secret, options, CASE majority WHEN 'absolute_all' THEN 'absolute' ELSE majority END, quorum, allow_change, state, eligible, final_tally, voted, result, created_by, created_at, opened_at, closed_at FROM polls;
DROP TABLE polls;
ALTER TABLE polls_old RENAME TO polls;
CREATE INDEX polls_meeting ON polls (meeting_id, created_at);
CREATE INDEX polls_agenda_item ON polls (agenda_item_id);

ALTER TABLE meetings DROP COLUMN ended_at;
ALTER TABLE meetings DROP COLUMN started_at;
ALTER TABLE meetings DROP COLUMN chair_votes;
