-- The claim takes each endpoint's due attempts up to the room that endpoint has in the claiming
-- dispatcher, so it walks the scheduled attempts per endpoint: it finds the endpoints with
-- scheduled work (a loose scan of this index, one descent per endpoint) and takes the oldest due
-- attempts of each one that has room. A full endpoint's backlog is never read.
-- This replaces the (source_topic, due_at) index, which only that claim used: walking it in due
-- order meant stepping over every attempt of the endpoints that had no room.
CREATE INDEX webhook_attempts_endpoint_due ON webhook_attempts (source_topic, endpoint_id, due_at)
  WHERE status = 'scheduled';
DROP INDEX webhook_attempts_due;

-- Claiming sets only the lease columns, which no index holds: with room left in the page the
-- new row version stays there (a HOT update) and no index gets a new entry. Fan-out fills pages
-- to 70 % and leaves the rest for those versions. Applies to pages written from now on.
ALTER TABLE webhook_attempts SET (fillfactor = 70);
