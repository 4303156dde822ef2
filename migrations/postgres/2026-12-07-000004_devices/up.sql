-- Each sign-in session (a family of refresh tokens) is a device the user can see, name and end
-- ("Thiết bị đã đăng nhập"): a lost tablet is cut off from anywhere.
CREATE TABLE device_sessions (
    family_id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX device_sessions_user ON device_sessions (user_id);
