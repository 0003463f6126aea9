import type { CurrencyCode } from '../../../contracts/src';
import type { Pool } from '../../../platform/postgres';
import { accountOwners } from '../data-access/accounts';

export interface AccountFacts {
  tenantId: string;
  kind: 'customer' | 'world' | 'fx_house';
  currency: CurrencyCode;
}

/**
 * Owner, kind and currency of accounts. They never change after creation, so they are cached
 * for the life of the process (bounded), which keeps ownership checks off the database.
 */
export function createAccountDirectory(pool: Pool, entriesMax = 100_000) {
  const known = new Map<string, AccountFacts>();
  return {
    async lookup(ids: string[]): Promise<Map<string, AccountFacts>> {
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length > 0) {
        if (known.size + missing.length > entriesMax) known.clear();
        for (const r of await accountOwners(pool, missing))
          known.set(r.id, { tenantId: r.tenant_id, kind: r.kind, currency: r.currency });
      }
      return new Map(ids.flatMap((id) => (known.has(id) ? [[id, known.get(id)!] as const] : [])));
    },
  };
}

export type AccountDirectory = ReturnType<typeof createAccountDirectory>;
