-- Voting rules of Vietnamese councils (contract v2): the chair votes unless the meeting says
-- otherwise; "quá nửa tổng số thành viên" (absolute_all) counts against every voting
-- participant, present or not, fixed when the poll opens (`members`).
ALTER TABLE meetings ADD COLUMN chair_votes BOOLEAN NOT NULL DEFAULT TRUE;
-- When the meeting was really held (it went live, it closed): the planned `starts_at` is not
-- the record's.
ALTER TABLE meetings ADD COLUMN started_at TIMESTAMP;
ALTER TABLE meetings ADD COLUMN ended_at TIMESTAMP;
ALTER TABLE polls DROP CONSTRAINT polls_majority_check;
ALTER TABLE polls ADD CONSTRAINT polls_majority_check
    CHECK (majority IN ('simple', 'absolute', 'absolute_all', 'two_thirds'));
ALTER TABLE polls ADD COLUMN members INTEGER;
