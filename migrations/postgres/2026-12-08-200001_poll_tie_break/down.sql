ALTER TABLE polls DROP COLUMN tie_break;
