import { LRUCache } from 'lru-cache';
import type { CurrencyCode } from '../../../contracts/src';
import { createNaturalBatcher } from '../../../platform/natural-batcher';
import type { Pool } from '../../../platform/postgres';
import { accountOwners } from './accounts';

export interface AccountFacts {
  tenantId: string;
  kind: 'customer' | 'world' | 'fx_house';
  currency: CurrencyCode;
}

/**
 * Owner, kind and currency of accounts. They never change after creation, so they are cached
 * for the life of the process (a bounded LRU), which keeps ownership checks off the database; misses
 * of concurrent requests are looked up together, in one query.
 */
export function createAccountDirectory(pool: Pool, entriesMax = 100_000) {
  const known = new LRUCache<string, AccountFacts>({ max: entriesMax });
  const fetcher = createNaturalBatcher<string, AccountFacts | undefined>(
    async (ids) => {
      const found = new Map((await accountOwners(pool, [...new Set(ids)])).map((r) => [r.id, r]));
      return ids.map((id) => {
        const r = found.get(id);
        if (!r) return undefined;
        const facts: AccountFacts = { tenantId: r.tenant_id, kind: r.kind, currency: r.currency };
        known.set(id, facts);
        return facts;
      });
    },
    { batchSizeMax: 500, linger_ms: 0 },
  );
  return {
    async lookup(ids: string[]): Promise<Map<string, AccountFacts>> {
      const facts = await Promise.all(ids.map((id) => known.get(id) ?? fetcher.submit(id)));
      return new Map(ids.flatMap((id, i) => (facts[i] ? [[id, facts[i]] as const] : [])));
    },
  };
}

export type AccountDirectory = ReturnType<typeof createAccountDirectory>;
