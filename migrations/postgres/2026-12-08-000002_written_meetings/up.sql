-- Meetings held in writing (lấy ý kiến bằng văn bản; contract v2): a meeting's kind, the
-- deadline by which members answer (the server closes the meeting then), and what a member's
-- silence counts as.
ALTER TABLE meetings ADD COLUMN kind TEXT NOT NULL DEFAULT 'session'
    CHECK (kind IN ('session', 'written'));
ALTER TABLE meetings ADD COLUMN deadline TIMESTAMP;
ALTER TABLE meetings ADD COLUMN silence TEXT CHECK (silence IN ('agree', 'none'));

-- A closed poll of a written meeting whose silence counts as agreeing: how many members who did
-- not answer were deemed to agree (kept apart from the tally; the result counts them).
ALTER TABLE polls ADD COLUMN deemed INTEGER;
