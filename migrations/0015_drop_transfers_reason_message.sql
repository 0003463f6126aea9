-- transfers.reason_message (0001) was never written nor read: a rejection's reason is its stable
-- code (transfers.reason), and the words a client sees are the API's, not stored. Dropping a
-- column only marks it gone in the catalogue (no table rewrite). Append-only: never edit.
ALTER TABLE transfers DROP COLUMN reason_message;
