-- Cancelled meetings cannot be kept by the older schema: they go back to scheduled.
UPDATE meetings SET state = 'scheduled' WHERE state = 'cancelled';
ALTER TABLE meetings DROP CONSTRAINT meetings_state_check;
ALTER TABLE meetings ADD CONSTRAINT meetings_state_check
    CHECK (state IN ('draft', 'scheduled', 'live', 'closed'));
