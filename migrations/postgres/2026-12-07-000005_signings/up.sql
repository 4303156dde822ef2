-- Signings under way (contract v2, "Signatures"): a document version with an empty signature
-- appended (base64, its `/Contents` hole at hole_start..hole_end), the attributes the signer
-- signs (base64 DER) and the signer's chain (JSON array of base64 DER, leaf first). A
-- completed signing names the version it made; its block is then taken.
CREATE TABLE signings (
    id TEXT NOT NULL PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents (id),
    base_version INTEGER NOT NULL,
    block TEXT CHECK (block IN ('secretary', 'chair', 'organization')),
    user_id TEXT NOT NULL REFERENCES users (id),
    field TEXT NOT NULL,
    prepared TEXT NOT NULL,
    hole_start BIGINT NOT NULL,
    hole_end BIGINT NOT NULL,
    signed_attributes TEXT NOT NULL,
    certificate_chain TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    version INTEGER
);

CREATE INDEX signings_document ON signings (document_id);

-- Where a document's signatures go (the signature blocks of the meeting's record), as the
-- renderer placed them: JSON [{"block","page","rect":[x1,y1,x2,y2]}].
CREATE TABLE signature_rooms (
    document_id TEXT NOT NULL PRIMARY KEY REFERENCES documents (id),
    rooms TEXT NOT NULL
);
