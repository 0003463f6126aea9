-- Two-phase transfers: a transfer (or withdrawal) submitted with manual capture is decided like any
-- other but only reserves its amount on the source account (status 'held'); a later capture posts
-- the entries for all or part of it, a void or the expiry releases it. Append-only: never edit.
--
-- Accounts: `held` is the sum of the account's open reservations; `available` = balance - held is
-- what transfers and new holds may draw on. Both are updated by the processor's one netted,
-- late-locked UPDATE per batch, like `balance`. Only customer accounts are ever held.
ALTER TABLE accounts ADD COLUMN held bigint NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD CONSTRAINT accounts_held_range CHECK (held >= 0 AND (kind = 'customer' OR held = 0));
ALTER TABLE accounts ADD CONSTRAINT customer_available_not_negative CHECK (kind <> 'customer' OR balance - held >= 0);

-- Transfers gain the follow-ups of a hold as rows of their own (kinds capture / void / expire,
-- `hold_id` naming the hold), so they reuse the pending-row promise, the idempotency key, the
-- sweeper and the long-poll of every submission. A capture row owns the entries it posts.
-- The hold's own row is the reservation record: its status goes held -> captured | voided |
-- expired exactly once (the processor changes it only under the row's lock, and only from
-- 'held'), with how much was captured and released, when, and by which follow-up.
ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
  CHECK (kind IN ('transfer', 'deposit', 'withdrawal', 'capture', 'void', 'expire')) NOT VALID;
ALTER TABLE transfers DROP CONSTRAINT transfers_status_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_status_check
  CHECK (status IN ('pending', 'committed', 'rejected', 'held', 'captured', 'voided', 'expired')) NOT VALID;

ALTER TABLE transfers
  -- Holds only (manual capture): when the reservation lapses. Set when the hold is accepted.
  ADD COLUMN expires_at       timestamptz,
  -- Follow-ups only: the hold they act on.
  ADD COLUMN hold_id          uuid,
  -- Holds only, once resolved: what was posted and what was given back (captured + released = amount).
  ADD COLUMN captured_amount  bigint,
  ADD COLUMN released_amount  bigint,
  ADD COLUMN resolved_by      uuid,
  ADD COLUMN resolved_at      timestamptz,
  -- Holds only: when an expiry command was last published for it (the sweeper's claim).
  ADD COLUMN expiry_requested_at timestamptz;

ALTER TABLE transfers ADD CONSTRAINT transfers_hold_fields CHECK (
  (kind IN ('capture', 'void', 'expire')) = (hold_id IS NOT NULL)
  AND (status NOT IN ('held', 'captured', 'voided', 'expired') OR expires_at IS NOT NULL)
  AND (expires_at IS NULL OR kind IN ('transfer', 'withdrawal'))
  AND ((status IN ('captured', 'voided', 'expired'))
       = (resolved_at IS NOT NULL AND resolved_by IS NOT NULL AND captured_amount IS NOT NULL
          AND released_amount IS NOT NULL))
  AND (captured_amount IS NULL OR (captured_amount >= 0 AND released_amount >= 0
                                   AND captured_amount + released_amount = amount))
) NOT VALID; -- no row written before has any of these

-- The expiry sweeper's work: open holds by expiry.
CREATE INDEX transfers_holds_open ON transfers (expires_at) WHERE status = 'held';
