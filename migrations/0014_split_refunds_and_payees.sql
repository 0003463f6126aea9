-- Refunds of split transfers, leg by leg, and the legs' payees. Append-only: never edit.
--
-- A split is refunded per leg: the business a leg paid gives back along that leg, in the leg's
-- currency, at the leg's recorded rate. Each leg keeps its own refunded totals (what its refunds
-- gave back to the source, in the split's currency, and took back from the leg's destination, in
-- the leg's currency), written by the processor only, under the split's row lock, only upward;
-- the split's own refunded_amount / refunded_destination_amount stay 0 (the API sums the legs).
ALTER TABLE transfer_legs
  ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0,
  ADD COLUMN refunded_destination_amount bigint NOT NULL DEFAULT 0,
  -- The owner of the leg's destination, set by the processor once the split is decided held or
  -- committed (as transfers.destination_tenant_id): that payee may read the split, its own legs only.
  ADD COLUMN destination_tenant_id uuid;

-- The cap, in the database too: a leg's refunds never exceed it on either side.
ALTER TABLE transfer_legs ADD CONSTRAINT transfer_legs_refund_cap CHECK (
  refunded_amount >= 0 AND refunded_destination_amount >= 0
  AND (refunded_amount = 0 AND refunded_destination_amount = 0
       OR (refunded_amount <= amount AND refunded_destination_amount <= destination_amount))
);

-- A refund of a split: the index of the leg refunded.
ALTER TABLE transfers ADD COLUMN refund_leg int;
ALTER TABLE transfers ADD CONSTRAINT transfers_refund_leg CHECK (
  refund_leg IS NULL OR (kind = 'refund' AND refund_leg >= 0 AND refund_leg < 16)
) NOT VALID;

-- Legs decided before this migration: their payees, as the processor now records them.
UPDATE transfer_legs l SET destination_tenant_id = a.tenant_id
  FROM transfers t, accounts a
 WHERE t.id = l.transfer_id AND a.id = l.destination_account_id AND t.status NOT IN ('pending', 'rejected');

-- GET /v1/transfers?account_id=<a leg's destination>, and a payee's list of the splits that paid it.
CREATE INDEX transfer_legs_destination_account ON transfer_legs (destination_account_id, transfer_id);
CREATE INDEX transfer_legs_destination_tenant ON transfer_legs (destination_tenant_id, transfer_id)
  WHERE destination_tenant_id IS NOT NULL;
