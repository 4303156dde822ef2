-- A scheduled meeting can be cancelled before it goes live (issue 22): the state `cancelled`.
ALTER TABLE meetings DROP CONSTRAINT meetings_state_check;
ALTER TABLE meetings ADD CONSTRAINT meetings_state_check
    CHECK (state IN ('draft', 'scheduled', 'live', 'closed', 'cancelled'));
