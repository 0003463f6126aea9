import { Redis } from 'ioredis';

export type { Redis };

export function createRedis(url: string): Redis {
  return new Redis(url, {
    connectTimeout: 5_000,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    // Commands issued in the same tick (one per request under load) leave in one write: fewer
    // syscalls and round trips. Subscriptions are never pipelined by ioredis.
    enableAutoPipelining: true,
  });
}
