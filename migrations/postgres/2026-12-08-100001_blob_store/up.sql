-- Documents' files kept in the database itself (`--blobs postgres`, the default on
-- PostgreSQL): every instance serves every document and one backup holds everything. A file
-- is a row of `blob_store` (its name is its SHA-256, or that followed by '.original' for the
-- bytes an encrypted upload came as) and its bytes in ~1 MiB chunks, so neither an upload nor
-- a download needs a whole file in memory.
CREATE TABLE blob_store (
    name TEXT PRIMARY KEY NOT NULL,
    size BIGINT NOT NULL,
    plan BYTEA,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE blob_chunks (
    name TEXT NOT NULL REFERENCES blob_store (name) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (name, idx)
);
