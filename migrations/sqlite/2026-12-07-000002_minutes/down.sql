ALTER TABLE documents DROP COLUMN kind;
DROP TABLE organization_settings;
DROP TABLE register_entries;
DROP TABLE registers;
DROP TABLE minutes_items;
DROP TABLE minutes;
