-- Who breaks a tie in this poll ('chair': the chair's answer decides; NULL: no one), fixed
-- when the poll is created (meetings held in writing take polls.written_ties).
ALTER TABLE polls ADD COLUMN tie_break TEXT;
