-- A member's comment with a named ballot (ý kiến khác, or any answer in writing; contract v2).
ALTER TABLE ballots ADD COLUMN comment TEXT;
