-- The hot ledger tables lose their per-row foreign-key checks; the books become append-only
-- instead. Measured on the development machine: the checks tripled the cost of inserting
-- entries (each one an index probe plus a row lock, WAL-logged, on the transfer just written)
-- and added 45 % to inserting transfers, a third of the processor's database time per batch.
-- What they guarded is guaranteed otherwise:
--   * entries and transfers are written only by the processor, together, in one transaction,
--     for accounts and tenants it has just read;
--   * nothing is ever deleted from the books: the triggers below refuse DELETE on tenants,
--     accounts, transfers and entries, so nothing can be orphaned afterwards;
--   * the invariant check (platform/ledger-invariants.ts), run by the tests and by the
--     benchmark on everything it wrote, also reports orphaned entries and transfers.
ALTER TABLE entries DROP CONSTRAINT entries_transfer_id_fkey;
ALTER TABLE entries DROP CONSTRAINT entries_account_id_fkey;
ALTER TABLE transfers DROP CONSTRAINT transfers_tenant_id_fkey;

CREATE FUNCTION refuse_ledger_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the books are append-only: DELETE on % is refused', TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER tenants_append_only BEFORE DELETE ON tenants
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_delete();
CREATE TRIGGER accounts_append_only BEFORE DELETE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_delete();
CREATE TRIGGER transfers_append_only BEFORE DELETE ON transfers
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_delete();
CREATE TRIGGER entries_append_only BEFORE DELETE ON entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_delete();
