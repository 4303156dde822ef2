ALTER TABLE polls DROP COLUMN members;
UPDATE polls SET majority = 'absolute' WHERE majority = 'absolute_all';
ALTER TABLE polls DROP CONSTRAINT polls_majority_check;
ALTER TABLE polls ADD CONSTRAINT polls_majority_check
    CHECK (majority IN ('simple', 'absolute', 'two_thirds'));
ALTER TABLE meetings DROP COLUMN ended_at;
ALTER TABLE meetings DROP COLUMN started_at;
ALTER TABLE meetings DROP COLUMN chair_votes;
