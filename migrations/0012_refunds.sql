-- Refunds: money given back along a committed transfer, debiting its destination and crediting
-- its source. A refund is a transfer row of its own (kind 'refund', `refund_of` naming the
-- original), with the pending-row promise, idempotency key, sweeper and long-poll of every
-- submission. Append-only: never edit.
ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
  CHECK (kind IN ('transfer', 'deposit', 'withdrawal', 'capture', 'void', 'expire', 'refund')) NOT VALID;

ALTER TABLE transfers
  -- Refunds only: the transfer refunded.
  ADD COLUMN refund_of uuid,
  -- On a refunded transfer: what its refunds gave back so far, in `currency` (source side), and
  -- took back from the destination, in destination_currency. Written by the processor only,
  -- under the original row's lock (see processor/src/data-access/refunds.ts), and only upward.
  ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0,
  ADD COLUMN refunded_destination_amount bigint NOT NULL DEFAULT 0;

-- The cap, once more in the database: whatever the processor decides, a transfer's refunds never
-- exceed it on either side. (Rows written before have 0 and 0: nothing to scan.)
ALTER TABLE transfers ADD CONSTRAINT transfers_refund_fields CHECK (
  (kind = 'refund') = (refund_of IS NOT NULL)
  AND refunded_amount >= 0 AND refunded_destination_amount >= 0
  AND (refunded_amount = 0 AND refunded_destination_amount = 0
       OR (status = 'committed' AND refunded_amount <= amount
           AND refunded_destination_amount <= coalesce(destination_amount, amount)))
) NOT VALID;

-- GET /v1/transfers?refund_of=: the refunds of a transfer.
CREATE INDEX transfers_refund_of ON transfers (refund_of) WHERE refund_of IS NOT NULL;
