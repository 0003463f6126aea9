/**
 * What is limited and how much: plain data, built once from the configuration.
 *
 * A policy admits `quota` requests per `window_s` seconds as a generic cell rate (a token
 * bucket of `quota` tokens refilled evenly over the window): a full quota may come as one
 * burst, then one request per window/quota. Past it requests are refused (the soft limit);
 * a subject whose attempts, refused ones included, reach `hard_pct` % of the quota within the
 * window is blocked (the hard limit).
 */
export interface Policy {
  /** Announced in the RateLimit headers, e.g. "key-write". */
  name: string;
  quota: number;
  window_s: number;
}

/** Who a limit counts: the client IP on public routes; the API key and its tenant on protected ones. */
export type Subject = 'ip' | 'key' | 'tenant';

/** Route classes with their own budgets. Paths never matter (ids in paths make no separate buckets). */
export type RouteClass = 'signup' | 'read' | 'write';

/** One limit applying to one request: a policy, and the subject instance it counts. */
export interface Limit {
  policy: Policy;
  subject: Subject;
  id: string;
}

export interface BlockSettings {
  /** Block periods for the 1st, 2nd, 3rd... offence; the last repeats. */
  periods_ms: number[];
  /** How long an offence is remembered for escalation. */
  offence_memory_ms: number;
}

export interface LimitSettings {
  policies: {
    signup_per_ip: Policy;
    read_per_key: Policy;
    write_per_key: Policy;
    read_per_tenant: Policy;
    write_per_tenant: Policy;
  };
  /** Attempts within a window, as a percentage of the quota, past which a subject is blocked. */
  hard_pct: number;
  blocks: BlockSettings;
  backoff: { base_ms: number; max_ms: number };
}

/** The limits one request is counted against, in the order they are announced. */
export function limitsFor(
  settings: LimitSettings,
  request: { class: 'signup'; ip: string } | { class: 'read' | 'write'; keyId: string; tenantId: string },
): Limit[] {
  const p = settings.policies;
  switch (request.class) {
    case 'signup':
      return [{ policy: p.signup_per_ip, subject: 'ip', id: request.ip }];
    case 'read':
      return [
        { policy: p.read_per_key, subject: 'key', id: request.keyId },
        { policy: p.read_per_tenant, subject: 'tenant', id: request.tenantId },
      ];
    case 'write':
      return [
        { policy: p.write_per_key, subject: 'key', id: request.keyId },
        { policy: p.write_per_tenant, subject: 'tenant', id: request.tenantId },
      ];
  }
}

/** GET and HEAD read; every other method writes. */
export const routeClassOf = (method: string): Exclude<RouteClass, 'signup'> =>
  method === 'GET' || method === 'HEAD' ? 'read' : 'write';

/**
 * A policy as one of `processes` processes counting alone enforces it (the in-memory fallback):
 * its share of the quota, at least 1, so together they admit no more than the shared limit
 * would (rounding down), and none runs unlimited.
 */
export const shareOf = (policy: Policy, processes: number): Policy => ({
  ...policy,
  quota: Math.max(1, Math.floor(policy.quota / processes)),
});

/** The cell arithmetic of a policy, in microseconds (integers, exact in a double and in Lua). */
export function cellsOf(policy: Policy, hardPct: number) {
  const interval_us = Math.max(1, Math.floor((policy.window_s * 1_000_000) / policy.quota));
  const soft_us = interval_us * policy.quota;
  const hard_us = Math.floor((soft_us * hardPct) / 100);
  return { interval_us, soft_us, hard_us };
}
