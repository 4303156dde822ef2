DROP TABLE device_sessions;
