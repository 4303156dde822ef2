-- Voting rules of Vietnamese councils (contract v2): the chair votes unless the meeting says
-- otherwise; "quá nửa tổng số thành viên" (absolute_all) counts against every voting
-- participant, present or not, fixed when the poll opens (`members`).
-- SQLite cannot change a CHECK constraint: the table is rebuilt (the server runs SQLite
-- migrations with foreign keys off, so dropping the old table cascades nothing; the
-- children's references name `polls` and find the new one).
ALTER TABLE meetings ADD COLUMN chair_votes BOOLEAN NOT NULL DEFAULT TRUE;
-- When the meeting was really held (it went live, it closed): the planned `starts_at` is not
-- the record's.
ALTER TABLE meetings ADD COLUMN started_at TIMESTAMP;
ALTER TABLE meetings ADD COLUMN ended_at TIMESTAMP;

CREATE TABLE polls_new (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    agenda_item_id TEXT REFERENCES agenda_items (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    secret BOOLEAN NOT NULL,
    -- JSON array of option keys, e.g. ["yes","no","abstain"].
    options TEXT NOT NULL,
    majority TEXT NOT NULL CHECK (majority IN ('simple', 'absolute', 'absolute_all', 'two_thirds')),
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
    closed_at TIMESTAMP,
    -- Snapshot at opening: every voting participant, present or not (absolute_all).
    members INTEGER
);
INSERT INTO polls_new (id, meeting_id, agenda_item_id, title, secret, options, majority, quorum, allow_change, state, eligible, final_tally, voted, result, created_by, created_at, opened_at, closed_at) SELECT id, meeting_id, agenda_item_id, title, secret, options, majority, quorum, allow_change, state, eligible, final_tally, voted, result, created_by, created_at, opened_at, closed_at FROM polls;
DROP TABLE polls;
ALTER TABLE polls_new RENAME TO polls;
CREATE INDEX polls_meeting ON polls (meeting_id, created_at);
CREATE INDEX polls_agenda_item ON polls (agenda_item_id);
