-- One outbox row per committed batch instead of one per event: the processor's transaction
-- writes (and the relay later reads and deletes) one row for a thousand transfers' events,
-- not three rows per transfer. `events` holds one line per event, in order:
-- "<kafka key>\t<event type>\t<event id>\t<event JSON>" (JSON text never holds a raw tab or
-- newline). lz4 keeps the large value cheap to compress.
CREATE TABLE outbox_batches (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic        text        NOT NULL,
  event_count  integer     NOT NULL CHECK (event_count > 0),
  events       text        COMPRESSION lz4 NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Events not yet relayed when this migration runs are carried over, in their order.
INSERT INTO outbox_batches (topic, event_count, events, created_at)
  SELECT topic, 1, key || E'\t' || event_type || E'\t' || event_id || E'\t' || payload, created_at
    FROM outbox ORDER BY id;

DROP TABLE outbox;
