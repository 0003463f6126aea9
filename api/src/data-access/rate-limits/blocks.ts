import type { RateLimitBlock } from '../../../../contracts/src';
import type { Redis } from '../../../../platform/redis';
import { blockKeyOf, offencesKeyOf } from '../../domain/rate-limits/decision';
import type { Subject } from '../../domain/rate-limits/policies';

export const SUBJECTS: readonly Subject[] = ['ip', 'key', 'tenant'];

/** Blocks in Redis, as operators see and lift them. Blocks made in memory during an outage live only in their process. */
export function createBlockAdmin(redis: Redis, prefix: string) {
  return {
    /** Current blocks, at most `max` (a SCAN over the limiter's keys, not KEYS: Redis is never stalled). */
    async list(max = 1_000): Promise<RateLimitBlock[]> {
      const found: RateLimitBlock[] = [];
      const pattern = `${prefix}:block:*`;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        for (const key of keys) {
          if (found.length >= max) return found;
          const [subject, ...rest] = key.slice(prefix.length + ':block:'.length).split(':');
          const [offence, pttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
          if (offence === null || pttl <= 0 || !SUBJECTS.includes(subject as Subject)) continue;
          found.push({
            subject: subject as Subject,
            id: rest.join(':'),
            offence: Number(offence),
            expires_at: new Date(Date.now() + pttl).toISOString(),
          });
        }
      } while (cursor !== '0');
      return found;
    },
    /** Lifts a block and forgets the subject's offences (an operator lifting judges them undeserved). */
    async lift(subject: Subject, id: string): Promise<boolean> {
      if ((await redis.del(`${prefix}:${blockKeyOf(subject, id)}`)) === 0) return false;
      await redis.del(`${prefix}:${offencesKeyOf(subject, id)}`);
      return true;
    },
  };
}

export type BlockAdmin = ReturnType<typeof createBlockAdmin>;
