-- Meetings, their participants, agenda, speaker queue and the per-meeting event log.
CREATE TABLE meetings (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    location TEXT,
    starts_at TIMESTAMP NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'live', 'closed')),
    watermark TEXT,
    speech_limit_secs INTEGER,
    current_item_id TEXT,
    -- The latest event seq; incremented in the same transaction as each event row, which also
    -- serializes concurrent writers of one meeting.
    last_seq BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE participants (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('chair', 'secretary', 'member', 'observer')),
    substitute_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    attendance TEXT NOT NULL CHECK (attendance IN ('unknown', 'present', 'absent', 'substituted')),
    absence_reason TEXT,
    checked_in_at TIMESTAMP,
    checked_in_by TEXT,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);

CREATE INDEX participants_user ON participants (user_id);
CREATE INDEX participants_substitute ON participants (substitute_id);

CREATE TABLE agenda_items (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    parent_id TEXT REFERENCES agenda_items (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    duration_minutes INTEGER,
    presenter_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, parent_id, position);

CREATE TABLE speakers (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    agenda_item_id TEXT REFERENCES agenda_items (id) ON DELETE SET NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'speaking', 'done', 'withdrawn')),
    position INTEGER NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    limit_secs INTEGER
);

CREATE INDEX speakers_meeting ON speakers (meeting_id, state, position);

CREATE TABLE events (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (meeting_id, seq)
);
