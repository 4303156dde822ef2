-- Users and their sign-in sessions. Ids are UUID v7 strings; times are UTC timestamps.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'secretary', 'member')),
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- One row per issued refresh token. A sign-in starts a family; every refresh marks the
-- presented token used and issues the next one of the same family. Presenting a used token
-- again revokes the whole family.
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
