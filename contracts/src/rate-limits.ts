import { z } from 'zod';
import { Timestamp } from './primitives';

/** A client blocked for going past a hard rate limit, as operators see it. */
export const RateLimitBlock = z
  .object({
    subject: z
      .enum(['ip', 'key', 'tenant'])
      .meta({ description: 'What is blocked: a client IP, an API key, a tenant' }),
    id: z.string().meta({ description: 'The IP address, API key id or tenant id' }),
    offence: z
      .number()
      .int()
      .min(1)
      .meta({ description: 'Which offence this block is for (blocks escalate)' }),
    expires_at: Timestamp,
  })
  .meta({ id: 'RateLimitBlock' });

export type RateLimitBlock = z.infer<typeof RateLimitBlock>;

export const RateLimitBlockList = z
  .object({ data: z.array(RateLimitBlock), next_cursor: z.null() })
  .meta({ id: 'RateLimitBlockList' });
