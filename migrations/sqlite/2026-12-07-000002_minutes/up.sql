-- The meeting's record (contract v2, "Minutes and conclusions"): the secretary's notes and the
-- chair's conclusions, kept while the meeting runs and frozen when finalised.
CREATE TABLE minutes (
    meeting_id TEXT NOT NULL PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'final')),
    version INTEGER NOT NULL DEFAULT 0,
    opening TEXT NOT NULL DEFAULT '',
    closing TEXT NOT NULL DEFAULT '',
    number TEXT,
    conclusions_number TEXT,
    minutes_document_id TEXT REFERENCES documents (id),
    conclusions_document_id TEXT REFERENCES documents (id),
    updated_by TEXT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    finalized_by TEXT REFERENCES users (id),
    finalized_at TIMESTAMP
);

CREATE TABLE minutes_items (
    meeting_id TEXT NOT NULL REFERENCES minutes (meeting_id) ON DELETE CASCADE,
    agenda_item_id TEXT NOT NULL REFERENCES agenda_items (id) ON DELETE CASCADE,
    notes TEXT NOT NULL DEFAULT '',
    conclusion TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (meeting_id, agenda_item_id)
);

-- Số văn bản: one register per organisation, kind (BB, TB) and year; a number is taken in the
-- transaction that records the document, so none is skipped and none given twice.
CREATE TABLE registers (
    organization TEXT NOT NULL,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (organization, kind, year)
);

CREATE TABLE register_entries (
    organization TEXT NOT NULL,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    document_id TEXT NOT NULL REFERENCES documents (id),
    issued_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization, kind, year, number)
);

-- The organisation's names as its documents print them, editable over the API; the
-- configuration gives the values until an admin saves them.
CREATE TABLE organization_settings (
    id TEXT NOT NULL PRIMARY KEY,
    data TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);

-- What a document is: an uploaded document, or one of the meeting's record.
ALTER TABLE documents ADD COLUMN kind TEXT NOT NULL DEFAULT 'document'
    CHECK (kind IN ('document', 'minutes', 'conclusions'));
