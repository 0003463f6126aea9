import { LRUCache } from 'lru-cache';
import { decide, type Cells, type CellStore } from '../../domain/rate-limits/gcra';
import type { Decision } from '../../domain/rate-limits/decision';
import type { BlockSettings, Limit } from '../../domain/rate-limits/policies';

type Entry = Cells | { offence: number; until_us: number } | { count: number; until_us: number };

/**
 * The per-process fallback when Redis is unreachable: the same algorithm over an LRU map
 * bounded in entries (a flood of distinct IPs evicts the oldest state, it cannot grow the heap).
 * The caller gives it each process's share of the quotas (policies.ts `shareOf`).
 *
 * Entries carry their own end instead of an LRU time-to-live: state in the past means nothing
 * anyway (cells whose times have passed read as empty; a block or an offence past its end is
 * ignored), and lru-cache empties its whole capacity (arrays of `entries_max`) whenever its
 * last live entry expires, which under load with few subjects happened on nearly every decision.
 */
export function createMemoryStore(options: {
  hard_pct: number;
  blocks: BlockSettings;
  entries_max: number;
  now_us?: () => number;
}): {
  /** A DecisionStore deciding at once: memory needs no round trip. */
  decide(limits: Limit[]): Decision;
  /** Lifts a block held in this process (the operator's lift reaches Redis and this). */
  lift(key: string): boolean;
} {
  const map = new LRUCache<string, Entry>({ max: options.entries_max });
  const now_us =
    options.now_us ?? (() => Math.round(performance.timeOrigin * 1_000 + performance.now() * 1_000));
  let now = 0;
  const store: CellStore = {
    block(key, at) {
      const b = map.get(key);
      if (!b || !('offence' in b) || b.until_us <= at) return undefined;
      return { left_ms: Math.ceil((b.until_us - at) / 1_000), offence: b.offence };
    },
    cells(key) {
      const c = map.get(key);
      return c && 'tat' in c ? c : undefined;
    },
    setCells(key, cells) {
      map.set(key, cells);
    },
    offend(key, memory_ms) {
      const o = map.get(key);
      const count = (o && 'count' in o && o.until_us > now ? o.count : 0) + 1;
      map.set(key, { count, until_us: now + memory_ms * 1_000 });
      return count;
    },
    setBlock(key, offence, until_us) {
      map.set(key, { offence, until_us });
    },
  };
  const settings = { hard_pct: options.hard_pct, blocks: options.blocks };
  return {
    decide: (limits: Limit[]) => {
      now = now_us();
      return decide(store, limits, settings, now);
    },
    lift: (key) => map.delete(key),
  };
}
