import type { LimitState } from '../../domain/rate-limits/decision';
import type { Limit, Policy } from '../../domain/rate-limits/policies';

/** A lease is given only out of at least this much room, and never more than 1/SHARE of it. */
export const LEASE_ROOM_MIN = 64;
export const LEASE_ROOM_SHARE = 8;
/** A process asks for a lease once it saw this many requests of a limit in a lease period. */
const DEMAND_MIN = 8;
const LEASE_TOKENS_MAX = 512;

/** What this process knows and holds of one limit between its Redis calls. */
interface Held {
  /** Leased tokens left to spend without asking, until `until` (performance.now() ms). */
  tokens: number;
  until: number;
  /** For the headers of requests admitted from the lease: the limit's remaining in Redis right after it, and when it is whole again. */
  remaining: number;
  reset_at: number;
  /** Script calls in flight that name this limit: while one is, no other call settles the lease. */
  calls: number;
  /** A renewal is wanted (set when a spend finds the lease low; cleared by the call that settles it). */
  due: boolean;
  /** When a live lease is renewed: at this many tokens left or at this time, whichever comes first. */
  renew_below: number;
  renew_at: number;
  /** Requests seen in this lease period and the one before: what a lease is sized by. */
  period_start: number;
  seen: number;
  seen_before: number;
}

/**
 * What a script call says about one limit's lease (see the KEYS/ARGV of redis-store.ts), and
 * where its answer goes: the tokens leased (0: none), the tokens of the live lease Redis let it
 * keep (0: none, drop them), and where the limit stands after; or that the call failed (its
 * answer, and any lease in it, unknown: Redis counts such a lease as spent).
 *
 * A call that settles the lease either closes it (it has ended or is spent: what is left goes
 * back) or renews it while it is live (the process keeps spending what it holds, Redis extends
 * it and adds to it), so a busy limit's requests never wait for a lease to be renewed.
 */
export interface OpenedLease {
  settles: boolean;
  back: number;
  keeps: number;
  asks: number;
  settle(sent: number, lease: { give: number; kept: number }, state: LimitState): void;
  failed(): void;
}

const NOT_LEASING: OpenedLease = {
  settles: false,
  back: 0,
  keeps: 0,
  asks: 0,
  settle() {},
  failed() {},
};

/** The result of spending: the limits' states for the headers, and whether a renewal is due. */
export interface Spent {
  states: LimitState[];
  due: boolean;
}

/**
 * The process's side of the leases the Redis script hands out: a busy API key's (or tenant's)
 * requests are then admitted here, without a round trip, from tokens Redis already charged to
 * the limit. A lease running low is renewed by a call sent while it still covers the requests
 * coming meanwhile, so as long as a limit stays busy none of its requests waits for Redis.
 * Exactness is kept in Redis (the floor described in redis-store.ts); here a lease is only ever
 * spent before its end, measured from before the call that got (or renewed) it, so never after
 * Redis stops counting it.
 *
 * What a lease costs: a block set by another process reaches requests admitted from a lease only
 * at its next renewal or its end (at most `lease_ms`), and a process that stops sending (or dies)
 * holding a lease leaves its unspent tokens charged until the limit refills them (at most 1/8 of
 * the room, 512).
 */
export function createLeases(options: { lease_ms: number; entries_max?: number }) {
  const entriesMax = options.entries_max ?? 10_000;
  // By policy (its figures, as in the limit's Redis key: policies alike share), then subject id.
  // No text is built and nothing is hashed anew per request: a policy's text is made once, and
  // an id (from the authentication cache) hashes once.
  const held = new Map<string, Map<string, Held>>();
  const policyTexts = new WeakMap<Policy, string>();
  // Redis ends a lease `lease_ms` after it ran the script, which is after the call was sent; the
  // 5 % spare also covers two clocks that do not run at exactly the same rate.
  const spendable_ms = options.lease_ms * 0.95;

  const idsOf = (policy: Policy): Map<string, Held> => {
    let text = policyTexts.get(policy);
    if (text === undefined)
      policyTexts.set(policy, (text = `${policy.name}:${policy.quota}/${policy.window_s}`));
    let ids = held.get(text);
    if (!ids) held.set(text, (ids = new Map()));
    return ids;
  };

  /**
   * Makes room for one more entry: drops the oldest of the first few that no call is settling
   * (dropping one would let a second call settle the same lease in Redis). Its tokens, if any,
   * stay charged until the limit refills them.
   */
  const makeRoom = (ids: Map<string, Held>): void => {
    let looked = 0;
    for (const [id, h] of ids) {
      if (h.calls === 0) {
        ids.delete(id);
        return;
      }
      if (++looked >= 8) return;
    }
  };

  const entry = (limit: Limit, now: number): Held => {
    const ids = idsOf(limit.policy);
    let h = ids.get(limit.id);
    if (!h) {
      if (ids.size >= entriesMax) makeRoom(ids);
      h = {
        tokens: 0,
        until: 0,
        remaining: 0,
        reset_at: 0,
        calls: 0,
        due: false,
        renew_below: 0,
        renew_at: 0,
        period_start: now,
        seen: 0,
        seen_before: 0,
      };
      ids.set(limit.id, h);
    }
    return h;
  };

  const enabled = options.lease_ms > 0;
  return {
    enabled,
    /**
     * Counts one request of these limits and, if every one has leased tokens left, spends one of
     * each; `due` once a lease runs low (a quarter of its tokens, or half its time) and is to be
     * renewed by a call made now, while it still has tokens and time to cover the round trip.
     */
    spend(limits: Limit[], now: number): Spent | undefined {
      let covered = true;
      const entries = limits.map((limit) => {
        const h = entry(limit, now);
        if (now - h.period_start >= options.lease_ms) {
          h.seen_before = now - h.period_start < 2 * options.lease_ms ? h.seen : 0;
          h.seen = 0;
          h.period_start = now;
        }
        h.seen++;
        if (h.tokens <= 0 || now >= h.until) covered = false;
        return h;
      });
      if (!covered) return undefined;
      let due = false;
      const states = entries.map((h) => {
        h.tokens--;
        if (!h.due && h.calls === 0 && (h.tokens <= h.renew_below || now >= h.renew_at)) h.due = due = true;
        return { remaining: h.remaining + h.tokens, reset_ms: Math.max(0, Math.ceil(h.reset_at - now)) };
      });
      return { states, due };
    },
    /**
     * For a script call about to be sent: settles the lease (closing it and giving back what is
     * left, or renewing it while live) and sizes the next one. The answer goes to the entry opened
     * here, which is kept while the call is out.
     */
    open(limit: Limit, now: number): OpenedLease {
      if (!enabled) return NOT_LEASING;
      const h = entry(limit, now);
      h.calls++;
      const settles = h.calls === 1;
      const done = {
        settle(sent: number, lease: { give: number; kept: number }, state: LimitState) {
          h.calls--;
          if (!settles) return;
          // What is left of the kept tokens (spent meanwhile, or dropped by a block) goes on.
          h.tokens = (lease.kept > 0 ? Math.min(h.tokens, lease.kept) : 0) + lease.give;
          if (h.tokens <= 0) return;
          h.until = sent + spendable_ms;
          h.remaining = state.remaining;
          h.reset_at = sent + state.reset_ms;
          h.renew_below = Math.floor(h.tokens / 4);
          h.renew_at = sent + options.lease_ms / 2;
        },
        failed() {
          h.calls--;
        },
      };
      if (!settles) return { settles, back: 0, keeps: 0, asks: 0, ...done };
      h.due = false;
      const demand = Math.max(h.seen, h.seen_before);
      const wanted = demand >= DEMAND_MIN ? Math.min(LEASE_TOKENS_MAX, 2 * demand) : 0;
      // A live lease is renewed: its tokens are kept (and go on being spent while the call is out).
      if (h.tokens > 0 && now < h.until)
        return { settles, back: 0, keeps: h.tokens, asks: Math.max(0, wanted - h.tokens), ...done };
      // Tokens of an ended lease are given back too: they were never spent and never will be.
      const back = h.tokens;
      h.tokens = 0;
      return { settles, back, keeps: 0, asks: wanted, ...done };
    },
    /** Stops spending a limit's lease (its subject was just blocked). */
    drop(limit: Limit): void {
      const h = idsOf(limit.policy).get(limit.id);
      if (h) h.tokens = 0;
    },
  };
}
