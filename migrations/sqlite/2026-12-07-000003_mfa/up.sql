-- The second factor (contract v2, "Second factor (TOTP)"): a TOTP secret per user, encrypted
-- (AES-256-GCM, base64 of nonce and ciphertext), active once confirmed with a first code; the
-- last time step accepted, so that none is accepted twice; recovery codes and the challenges
-- between the two steps of a sign-in, as SHA-256 only.
CREATE TABLE user_mfa (
    user_id TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT FALSE,
    last_step BIGINT,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP
);

CREATE TABLE mfa_recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_challenges (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
