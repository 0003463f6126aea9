import { LRUCache } from 'lru-cache';
import { decide, type Cells, type CellStore } from '../../domain/rate-limits/gcra';
import type { DecisionStore } from '../../domain/rate-limits/decision';
import type { BlockSettings, Limit } from '../../domain/rate-limits/policies';

type Entry = Cells | { offence: number; until_us: number } | { count: number };

/**
 * The per-process fallback when Redis is unreachable: the same algorithm over an LRU map
 * bounded in entries (a flood of distinct IPs evicts the oldest state, it cannot grow the heap),
 * each entry expiring when its state would be empty anyway. The caller gives it each
 * process's share of the quotas (policies.ts `shareOf`).
 */
export function createMemoryStore(options: {
  hard_pct: number;
  blocks: BlockSettings;
  entries_max: number;
  now_us?: () => number;
}): DecisionStore & {
  /** Lifts a block held in this process (the operator's lift reaches Redis and this). */
  lift(key: string): boolean;
} {
  const map = new LRUCache<string, Entry>({ max: options.entries_max });
  const now_us =
    options.now_us ?? (() => Math.round(performance.timeOrigin * 1_000 + performance.now() * 1_000));
  const store: CellStore = {
    block(key, now) {
      const b = map.get(key);
      if (!b || !('until_us' in b) || b.until_us <= now) return undefined;
      return { left_ms: Math.ceil((b.until_us - now) / 1_000), offence: b.offence };
    },
    cells(key) {
      const c = map.get(key);
      return c && 'tat' in c ? c : undefined;
    },
    setCells(key, cells, ttl_ms) {
      map.set(key, cells, { ttl: ttl_ms });
    },
    offend(key, memory_ms) {
      const o = map.get(key);
      const count = (o && 'count' in o ? o.count : 0) + 1;
      map.set(key, { count }, { ttl: memory_ms });
      return count;
    },
    setBlock(key, offence, until_us, period_ms) {
      map.set(key, { offence, until_us }, { ttl: period_ms });
    },
  };
  const settings = { hard_pct: options.hard_pct, blocks: options.blocks };
  return {
    decide: async (limits: Limit[]) => decide(store, limits, settings, now_us()),
    lift: (key) => map.delete(key),
  };
}
