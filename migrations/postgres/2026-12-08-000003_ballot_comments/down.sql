ALTER TABLE ballots DROP COLUMN comment;
