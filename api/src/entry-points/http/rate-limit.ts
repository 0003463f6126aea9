import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { retryAfterSeconds } from '../../domain/rate-limits/backoff';
import { rateLimitHeader, rateLimitPolicyHeader } from './rate-limit-headers';
import type { Decision } from '../../domain/rate-limits/decision';
import type { Decided, RateLimiter } from '../../use-cases/rate-limiter';
import type { Limit, Subject } from '../../domain/rate-limits/policies';
import { ApiError } from './api-error';

const WHO: Record<Subject, string> = {
  ip: 'this client address',
  key: 'this API key',
  tenant: 'this tenant (all its API keys)',
};

/**
 * Counts each request against its limits (one Redis round trip, or memory during an outage),
 * announces them in the RateLimit headers, and refuses at once when a limit has no room:
 * 429 rate_limited with a backed-off, jittered Retry-After; 429 rate_limit_blocked with the
 * time left once a hard limit was crossed. Nothing waits on the server, and refusals happen
 * before any PostgreSQL or Kafka work of the route.
 */
export function rateLimit(
  limiter: RateLimiter,
  backoff: { base_ms: number; max_ms: number },
  limitsOf: (req: Request, res: Response) => Limit[],
  decisions?: RateLimitDecisions,
): RequestHandler {
  const answer = ({ decision, limits }: Decided, res: Response, next: NextFunction): void => {
    decisions?.count(decidingPolicy(decision, limits), decision.outcome);
    // setHeader, not express's res.set: plain strings need none of its content-type handling.
    res.setHeader('RateLimit-Policy', rateLimitPolicyHeader(limits));
    switch (decision.outcome) {
      case 'admitted':
        res.setHeader('RateLimit', rateLimitHeader(limits, decision.limits));
        next();
        return;
      case 'limited': {
        const retryAfter = retryAfterSeconds(decision, backoff);
        res.setHeader('RateLimit', rateLimitHeader(limits, decision.limits));
        throw new ApiError(
          'rate_limited',
          'too many requests; retry after the time in Retry-After (it grows while requests keep coming too fast)',
          undefined,
          { 'Retry-After': String(retryAfter) },
        );
      }
      case 'blocked': {
        const left = Math.max(1, Math.ceil(decision.left_ms / 1_000));
        const limit = limits[decision.index]!;
        res.setHeader('RateLimit', `"${limit.policy.name}";r=0;t=${left}`);
        throw new ApiError(
          'rate_limit_blocked',
          `${WHO[limit.subject]} kept going past its rate limit and is blocked for ${left} s more (offence ${decision.offence}; blocks grow on repeat offences)`,
          undefined,
          { 'Retry-After': String(left) },
        );
      }
    }
  };
  // A request decided at once (a lease, or memory) goes on in the same turn: no promise to wait on.
  return (req, res, next) => {
    const decided = limiter.decide(limitsOf(req, res));
    if (decided instanceof Promise) return decided.then((d) => answer(d, res, next));
    answer(decided, res, next);
  };
}

/** Counts decisions (metrics): by the policy that decided and the outcome (admitted, limited, blocked). */
export interface RateLimitDecisions {
  count(policy: string, outcome: Decision['outcome']): void;
}

/** The policy a decision is about: the blocked or exhausted one, else the request's first. */
function decidingPolicy(decision: Decision, limits: Limit[]): string {
  const index =
    decision.outcome === 'blocked'
      ? decision.index
      : decision.outcome === 'limited'
        ? Math.max(
            0,
            decision.limits.findIndex((l) => l.remaining <= 0),
          )
        : 0;
  return limits[index]?.policy.name ?? 'none';
}
