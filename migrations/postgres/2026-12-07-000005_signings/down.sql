DROP TABLE signature_rooms;
DROP TABLE signings;
