import { cellsOf, type BlockSettings, type Limit } from './policies';
import { keysOf, type Decision, type LimitState } from './decision';

/**
 * Two theoretical arrival times per limit, in µs: `tat` of the admitted requests (measured
 * against the soft limit) and `att` of every attempt, refused ones included (measured against
 * the hard one). A limit whose times are in the past is empty; the state then means nothing
 * and may be forgotten.
 */
export interface Cells {
  tat: number;
  att: number;
}

/** The synchronous state the reference algorithm works on (a Map-like in-memory store). */
export interface CellStore {
  block(key: string, now_us: number): { left_ms: number; offence: number } | undefined;
  cells(key: string): Cells | undefined;
  setCells(key: string, cells: Cells): void;
  /** Counts one more offence (remembered for `memory_ms`) and returns the count. */
  offend(key: string, memory_ms: number): number;
  setBlock(key: string, offence: number, until_us: number): void;
}

/**
 * The generic cell rate algorithm with a hard limit and escalating blocks, over one store. The
 * Redis Lua script (redis-script.ts) is the same algorithm step for step; this one decides in
 * memory when Redis is unreachable, and is the reference the unit tests pin.
 */
export function decide(
  store: CellStore,
  limits: Limit[],
  settings: { hard_pct: number; blocks: BlockSettings },
  now_us: number,
): Decision {
  // 1. A subject already blocked is answered at once.
  for (const [index, limit] of limits.entries()) {
    const block = store.block(keysOf(limit).block, now_us);
    if (block) return { outcome: 'blocked', index, ...block };
  }
  // 2. Room under every soft limit?
  const seen = limits.map((limit) => {
    const c = cellsOf(limit.policy, settings.hard_pct);
    const stored = store.cells(keysOf(limit).cells);
    return { ...c, tat: Math.max(stored?.tat ?? 0, now_us), att: Math.max(stored?.att ?? 0, now_us) };
  });
  const admit = seen.every((s) => s.tat + s.interval_us - now_us <= s.soft_us);
  // 3. Every attempt counts toward the hard limit: past it the subject is blocked, longer each time.
  for (const [index, s] of seen.entries()) {
    if (s.att + s.interval_us - now_us <= s.hard_us) continue;
    const limit = limits[index]!;
    const keys = keysOf(limit);
    const offence = store.offend(keys.offences, settings.blocks.offence_memory_ms);
    const periods = settings.blocks.periods_ms;
    const period_ms = periods[Math.min(offence, periods.length) - 1]!;
    store.setBlock(keys.block, offence, now_us + period_ms * 1_000);
    // The block pays for the excess: the refused attempts are forgiven, the admitted ones still count.
    store.setCells(keys.cells, { tat: s.tat, att: s.tat });
    return { outcome: 'blocked', index, left_ms: period_ms, offence };
  }
  // 4. Charge: the admitted stream if admitted, the attempts always.
  let wait_us = 0;
  let pressure = 0;
  const states: LimitState[] = seen.map((s, index) => {
    const tat = admit ? s.tat + s.interval_us : s.tat;
    const att = s.att + s.interval_us;
    store.setCells(keysOf(limits[index]!).cells, { tat, att });
    if (!admit && s.tat + s.interval_us - now_us > s.soft_us) {
      wait_us = Math.max(wait_us, s.tat + s.interval_us - now_us - s.soft_us);
      const span = s.hard_us - s.soft_us;
      pressure = Math.max(pressure, span <= 0 ? 1 : Math.min(1, (att - now_us - s.soft_us) / span));
    }
    return {
      remaining: Math.max(0, Math.floor((s.soft_us - (tat - now_us)) / s.interval_us)),
      reset_ms: Math.ceil((tat - now_us) / 1_000),
    };
  });
  if (admit) return { outcome: 'admitted', limits: states };
  return { outcome: 'limited', limits: states, wait_ms: Math.ceil(wait_us / 1_000), pressure };
}
