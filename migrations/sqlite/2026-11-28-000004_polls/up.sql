-- Polls (biểu quyết), their ballots and the per-meeting audit chain of decisions.
CREATE TABLE polls (
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

CREATE INDEX polls_meeting ON polls (meeting_id, created_at);
CREATE INDEX polls_agenda_item ON polls (agenda_item_id);

-- Who may vote, fixed when the poll opens: the member's seat and the person who casts it
-- (the member, or their substitute when the substitute attends).
CREATE TABLE poll_eligible (
    poll_id TEXT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    voter_id TEXT NOT NULL,
    seat_id TEXT NOT NULL,
    PRIMARY KEY (poll_id, voter_id)
) WITHOUT ROWID;

-- Named polls: who chose what. One ballot per seat, enforced here.
CREATE TABLE ballots (
    poll_id TEXT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    cast_by TEXT NOT NULL,
    choice TEXT NOT NULL,
    receipt TEXT NOT NULL,
    idempotency_key TEXT,
    cast_at TIMESTAMP NOT NULL,
    PRIMARY KEY (poll_id, user_id)
);

-- Secret polls: who voted, and, apart, what was chosen. Nothing links the two tables: no user
-- id, no time, no order (WITHOUT ROWID: no insertion-ordered rowid; choice ids are random
-- UUID v4, and the choices are rewritten in random order when the poll closes).
CREATE TABLE poll_voters (
    poll_id TEXT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    receipt TEXT NOT NULL,
    idempotency_key TEXT,
    PRIMARY KEY (poll_id, user_id)
) WITHOUT ROWID;

CREATE TABLE poll_choices (
    poll_id TEXT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    choice TEXT NOT NULL,
    PRIMARY KEY (poll_id, id)
) WITHOUT ROWID;

-- The hash chain of a meeting's decisions: hash = SHA-256(prev_hash || canonical JSON).
CREATE TABLE audit_entries (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (meeting_id, seq)
);
