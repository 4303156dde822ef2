ALTER TABLE polls DROP COLUMN deemed;
ALTER TABLE meetings DROP COLUMN silence;
ALTER TABLE meetings DROP COLUMN deadline;
ALTER TABLE meetings DROP COLUMN kind;
