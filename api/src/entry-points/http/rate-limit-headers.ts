import type { LimitState } from '../../domain/rate-limits/decision';
import type { Limit, Policy } from '../../domain/rate-limits/policies';

/**
 * The IETF httpapi RateLimit fields (draft-ietf-httpapi-ratelimit-headers), as structured-field
 * lists with one member per limit that applied to the request (the API key's and its tenant's
 * ceiling, or the client IP's):
 *   RateLimit-Policy: "key-write";q=100;w=1, "tenant-write";q=300;w=1   (quota per window, s)
 *   RateLimit: "key-write";r=99;t=1, "tenant-write";r=299;t=1           (remaining, s to reset)
 * Policy names are lower-case tokens, valid sf-strings as they are.
 */
export function rateLimitPolicyHeader(limits: Limit[]): string {
  // The same one or two policies (from the configuration, or their in-memory shares, each made
  // once) on every request of a route class: their text is made once.
  const [first, second] = [limits[0]?.policy, limits[1]?.policy];
  if (!first || limits.length > 2) return policyText(limits);
  let bySecond = policyTexts.get(first);
  if (!bySecond) policyTexts.set(first, (bySecond = new Map()));
  let text = bySecond.get(second);
  if (text === undefined) bySecond.set(second, (text = policyText(limits)));
  return text;
}

const policyTexts = new WeakMap<Policy, Map<Policy | undefined, string>>();
const policyText = (limits: Limit[]): string =>
  limits.map((l) => `"${l.policy.name}";q=${l.policy.quota};w=${l.policy.window_s}`).join(', ');

export const rateLimitHeader = (limits: Limit[], states: LimitState[]): string =>
  limits
    .map((l, i) => {
      const s = states[i]!;
      return `"${l.policy.name}";r=${s.remaining};t=${Math.ceil(s.reset_ms / 1_000)}`;
    })
    .join(', ');
