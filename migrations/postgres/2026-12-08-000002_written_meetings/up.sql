-- Meetings held in writing (lấy ý kiến bằng văn bản; contract v2): a meeting's kind, the
-- deadline by which members answer (the server closes the meeting then), and what a member's
-- silence counts as.
ALTER TABLE meetings ADD COLUMN kind TEXT NOT NULL DEFAULT 'session'
    CHECK (kind IN ('session', 'written'));
ALTER TABLE meetings ADD COLUMN deadline TIMESTAMP;
ALTER TABLE meetings ADD COLUMN silence TEXT CHECK (silence IN ('agree', 'none'));
