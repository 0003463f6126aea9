import type { Limit, Subject } from './policies';

/** Where one limit stands after a decision: requests left now, and when its quota is whole again. */
export interface LimitState {
  remaining: number;
  reset_ms: number;
}

/**
 * The outcome of counting one request against its limits (all of them, atomically):
 * - admitted: every limit had room; each is charged.
 * - limited: some limit had no room (the soft limit); nothing is charged but the attempt.
 *   `wait_ms` is the time until one request would pass, `pressure` (0..1) how far the
 *   subject's attempts went from the soft limit toward the hard one.
 * - blocked: a subject is blocked (now, or earlier and still): `left_ms` of its block remain.
 */
export type Decision =
  | {
      outcome: 'admitted';
      limits: LimitState[];
      /** From tokens Redis leased this process (no round trip). */ leased?: true;
    }
  | { outcome: 'limited'; limits: LimitState[]; wait_ms: number; pressure: number }
  | { outcome: 'blocked'; index: number; left_ms: number; offence: number };

/**
 * Makes the decision for a list of limits; the Redis store and the in-memory fallback both are
 * one. A decision made without a round trip (in memory, or from a lease) is returned as it is,
 * not as a promise: a request admitted at once goes on in the same turn of the event loop.
 */
export interface DecisionStore {
  decide(limits: Limit[]): Decision | Promise<Decision>;
}

/** Where a subject's block and its offence count are kept (a block is per subject, not per policy). */
export const blockKeyOf = (subject: Subject, id: string) => `block:${subject}:${id}`;
export const offencesKeyOf = (subject: Subject, id: string) => `offences:${subject}:${id}`;

/**
 * Where a limit's cells are kept. The policy's figures are part of the name: state kept under
 * other figures means nothing here.
 */
export const cellsKeyOf = (limit: Limit) =>
  `gcra:${limit.policy.name}:${limit.policy.quota}/${limit.policy.window_s}:${limit.id}`;

/** Names of the state a limit keeps, shared by Redis and memory so both read alike. */
export const keysOf = (limit: Limit) => ({
  cells: cellsKeyOf(limit),
  block: blockKeyOf(limit.subject, limit.id),
  offences: offencesKeyOf(limit.subject, limit.id),
});
