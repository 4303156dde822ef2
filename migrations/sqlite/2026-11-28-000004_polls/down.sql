DROP TABLE audit_entries;
DROP TABLE poll_choices;
DROP TABLE poll_voters;
DROP TABLE ballots;
DROP TABLE poll_eligible;
DROP TABLE polls;
