import { LRUCache } from 'lru-cache';
import type { CurrencyCode } from '../../../contracts/src';
import type { Pool, PoolClient } from '../../../platform/postgres';
import * as store from './ledger-store';

/**
 * Facts that never change once true, kept in memory so that a batch does not ask PostgreSQL
 * again: a tenant exists, an account's currency, the id of a tenant's system account. Each is a
 * bounded LRU: past its bound the least recently used entries go, never the whole cache.
 */
export interface ProcessorCache {
  tenants: LRUCache<string, true>;
  currencies: LRUCache<string, CurrencyCode>;
  /** systemAccountKey -> id; only accounts whose creation has committed. */
  systemAccounts: LRUCache<string, string>;
}

export interface ProcessorCacheBounds {
  tenantsMax: number;
  accountsMax: number;
  systemAccountsMax: number;
}

/** ~100 bytes an entry: the defaults hold ~25 MB at most. */
const DEFAULT_BOUNDS: ProcessorCacheBounds = {
  tenantsMax: 50_000,
  accountsMax: 200_000,
  systemAccountsMax: 200_000,
};

export const createProcessorCache = (bounds: Partial<ProcessorCacheBounds> = {}): ProcessorCache => {
  const b = { ...DEFAULT_BOUNDS, ...bounds };
  return {
    tenants: new LRUCache({ max: b.tenantsMax }),
    currencies: new LRUCache({ max: b.accountsMax }),
    systemAccounts: new LRUCache({ max: b.systemAccountsMax }),
  };
};

/**
 * Which of these tenants exist. The answer is built from what this call saw (cache hits and the
 * query), never read back from the cache after the await: another batch may evict in between.
 */
export async function knownTenants(cache: ProcessorCache, pool: Pool, ids: string[]): Promise<Set<string>> {
  const known = new Set(ids.filter((id) => cache.tenants.get(id)));
  const unknown = [...new Set(ids.filter((id) => !known.has(id)))];
  if (unknown.length > 0) {
    const client = await pool.connect();
    try {
      for (const id of await store.existingTenants(client, unknown)) {
        known.add(id);
        cache.tenants.set(id, true);
      }
    } finally {
      client.release();
    }
  }
  return known;
}

/**
 * Currencies of these accounts (those that exist). Built from this call's own hits and query
 * result, so an eviction by this batch or by another partition's during the await cannot lose
 * an account of the batch (which would then be rejected account_not_found).
 */
export async function currenciesOf(
  cache: ProcessorCache,
  client: PoolClient,
  ids: string[],
): Promise<Map<string, CurrencyCode>> {
  const currencies = new Map<string, CurrencyCode>();
  const missing: string[] = [];
  for (const id of ids) {
    const currency = cache.currencies.get(id);
    if (currency) currencies.set(id, currency);
    else missing.push(id);
  }
  if (missing.length > 0)
    for (const [id, currency] of await store.accountCurrencies(client, missing)) {
      currencies.set(id, currency);
      cache.currencies.set(id, currency);
    }
  return currencies;
}

/**
 * Ids of the tenants' system accounts, created in the caller's transaction when missing. They
 * are not cached here: a created row exists only if that transaction commits (rememberSystemAccounts).
 */
export async function systemAccountsOf(
  cache: ProcessorCache,
  client: PoolClient,
  wanted: store.SystemAccountKey[],
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const missing = new Map<string, store.SystemAccountKey>();
  for (const k of wanted) {
    const key = store.systemAccountKey(k);
    const id = cache.systemAccounts.get(key);
    if (id) ids.set(key, id);
    else missing.set(key, k);
  }
  if (missing.size > 0)
    for (const [key, id] of await store.ensureSystemAccounts(client, [...missing.values()])) ids.set(key, id);
  return ids;
}

/** Called once the transaction that used (and maybe created) these system accounts committed. */
export function rememberSystemAccounts(cache: ProcessorCache, ids: Map<string, string>): void {
  for (const [key, id] of ids) cache.systemAccounts.set(key, id);
}
