-- PDF documents of meetings, their versions, and the content-addressed files behind them.

-- One row per stored file, keyed by its SHA-256: uploading the same bytes twice stores them
-- once. A row exists only once the file is in place and was validated.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY NOT NULL,
    bytes BIGINT NOT NULL,
    pages INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    agenda_item_id TEXT REFERENCES agenda_items (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    position INTEGER NOT NULL,
    current_version INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- Soft delete: the row and its versions stay for the audit.
    deleted_at TIMESTAMP,
    deleted_by TEXT REFERENCES users (id)
);

CREATE INDEX documents_meeting ON documents (meeting_id, position);
CREATE INDEX documents_item ON documents (agenda_item_id);

CREATE TABLE document_versions (
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    bytes BIGINT NOT NULL,
    pages INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (document_id, version)
);

CREATE INDEX document_versions_sha ON document_versions (sha256);
