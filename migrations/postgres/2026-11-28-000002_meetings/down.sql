DROP TABLE events;
DROP TABLE speakers;
DROP TABLE agenda_items;
DROP TABLE participants;
DROP TABLE meetings;
