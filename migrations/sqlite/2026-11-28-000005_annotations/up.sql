-- Annotations of documents: ink, highlights and notes, anchored to (document, version, page),
-- private to their author unless shared with the meeting.

CREATE TABLE annotations (
    -- Chosen by the client (idempotent creation) or by the server.
    id TEXT PRIMARY KEY NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- The version the annotation is anchored to; moves forward when the content is replaced.
    document_version INTEGER NOT NULL,
    page INTEGER NOT NULL,
    kind TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    -- The page no longer exists in the anchored version (kept, never dropped).
    orphaned BOOLEAN NOT NULL,
    author_id TEXT NOT NULL REFERENCES users (id),
    -- The validated `data` object as JSON.
    data TEXT NOT NULL,
    -- Revision for optimistic concurrency: every change adds one.
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE INDEX annotations_author ON annotations (document_id, author_id);
CREATE INDEX annotations_shared ON annotations (document_id, shared);

-- Replies to shared notes.
CREATE TABLE annotation_replies (
    id TEXT PRIMARY KEY NOT NULL,
    annotation_id TEXT NOT NULL REFERENCES annotations (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users (id),
    text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX annotation_replies_annotation ON annotation_replies (annotation_id, created_at);
