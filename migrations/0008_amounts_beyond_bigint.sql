-- A Kafka command may carry an amount of up to 19 digits, beyond what a BIGINT holds (2^63-1).
-- Such a command is a rejection (amount_out_of_range), and its producer reads it with GET like
-- any other, with the amount it sent. The amount column cannot hold it, so such a row keeps it
-- in amount_as_sent (exact, numeric) and leaves amount NULL. Only a rejected row may do so:
-- every row that moves money keeps its amount in the BIGINT column. Widening amount itself to
-- numeric would rewrite the whole table and slow every read and write of the hottest table
-- for the sake of a rejection.
ALTER TABLE transfers ALTER COLUMN amount DROP NOT NULL;
ALTER TABLE transfers ADD COLUMN amount_as_sent numeric(20, 0);
ALTER TABLE transfers ADD CONSTRAINT transfers_amount_recorded CHECK (
  CASE WHEN amount IS NULL
    THEN status = 'rejected' AND coalesce(amount_as_sent > 9223372036854775807, false)
    ELSE amount_as_sent IS NULL
  END
) NOT VALID; -- rows written before hold an amount and no amount_as_sent: no need to scan them
