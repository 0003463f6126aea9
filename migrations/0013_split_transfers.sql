-- Split transfers: one source debited the sum of up to 16 destination legs, each credited (and
-- converted, when its currency differs) on its own; all commit or none. The transfer row keeps
-- source, amount (the sum) and currency, with destination_account_id null; the legs are here,
-- in request order, written by the processor with the decision. Append-only: never edit.
CREATE TABLE transfer_legs (
  transfer_id            uuid NOT NULL,
  position               int NOT NULL CHECK (position >= 0 AND position < 16),
  destination_account_id uuid NOT NULL,
  -- In the transfer's currency: what the source pays this leg.
  amount                 bigint NOT NULL CHECK (amount > 0),
  -- Once committed: what the destination was credited, in its currency, and the rate applied
  -- (null within one currency); null on a rejected split or a hold not yet captured.
  destination_amount     bigint CHECK (destination_amount > 0),
  destination_currency   text,
  rate_numerator         numeric,
  rate_denominator       numeric,
  PRIMARY KEY (transfer_id, position),
  UNIQUE (transfer_id, destination_account_id)
);

-- A rejected split: the index of the leg whose reason it was (null when the reason is the
-- whole transfer's: the source, the funds for the sum).
ALTER TABLE transfers ADD COLUMN failed_leg int;
