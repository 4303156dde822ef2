-- A picture of each user's handwritten signature (a PNG, base64), drawn where they sign the
-- meeting's record (Nghị định 30/2020, Phụ lục I).
CREATE TABLE signature_images (
    user_id TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    png TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
