-- Every tenant gets its own system accounts ('world' and 'fx_house') per currency, instead of
-- one of each per currency shared by all tenants. A balance is a BIGINT: with one shared world
-- account, one tenant's deposits (each within the per-transfer maximum) could drive it to the
-- 64-bit bound, and from then on every tenant's deposits in that currency were rejected. Now
-- the bound is the tenant's own: a tenant whose net deposits in a currency reach 2^63-1 minor
-- units has its own further deposits rejected amount_out_of_range, and no one else is affected.
-- It also spreads the hottest rows of the ledger (every deposit locked the one world row).
--
-- The processor creates a tenant's system accounts lazily, in the batch transaction that first
-- needs them (INSERT ... ON CONFLICT DO NOTHING on the index below), so they exist for every
-- tenant however it was created, and for currencies added later. They belong to the tenant
-- (tenant_id) but are never customer accounts: every API view of accounts reads kind =
-- 'customer' only, so tenants never see them.
--
-- The shared accounts of the system tenant stay: the books are append-only, and their entries
-- keep every currency summing to zero. They are no longer moved.
DROP INDEX accounts_system_per_currency;
CREATE UNIQUE INDEX accounts_system_per_tenant ON accounts (tenant_id, kind, currency) WHERE kind <> 'customer';
