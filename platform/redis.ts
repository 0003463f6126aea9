import { Redis } from 'ioredis';
import type { Logger } from './logger';
import { backoffDelay, REDIS_RECONNECT } from './retry';

export type { Redis };

export interface RedisOptions {
  logger: Logger;
  /** Names the connection in logs and in Redis's CLIENT LIST. */
  name: string;
  /**
   * Longest a command may wait for its reply, ms. Redis is optional for the API (rate limits
   * fall back to memory), so its commands get a few tens of ms, never the seconds a stuck
   * connection would otherwise cost every request.
   */
  commandTimeout_ms?: number;
  /**
   * Queue commands while disconnected and send them on reconnect. Off by default: a command
   * issued during an outage fails at once instead of holding its caller for the outage. A
   * subscriber turns it on so that a SUBSCRIBE issued while Redis is still down is sent
   * as soon as it is up (nothing awaits it).
   */
  offlineQueue?: boolean;
  /**
   * Commands issued in the same tick leave in one write (default). Off for a client whose caller
   * batches its own work into one command at a time: ioredis's per-tick pipeline would only add
   * its bookkeeping to every command.
   */
  autoPipelining?: boolean;
}

/**
 * A Redis client that never ends the process and never holds a caller through an outage: every
 * error is handled (logged once per outage, and once when Redis is back), reconnection goes on
 * forever with bounded jittered backoff, and commands fail fast while disconnected.
 */
export function createRedis(url: string, options: RedisOptions): Redis {
  const offlineQueue = options.offlineQueue ?? false;
  const redis = new Redis(url, {
    connectionName: `ledger-${options.name}`,
    connectTimeout: 2_000,
    commandTimeout: options.commandTimeout_ms,
    // With the offline queue a command waits for the connection: for a subscriber that is the
    // point (forever); otherwise commands fail at once and are never retried behind the caller.
    maxRetriesPerRequest: offlineQueue ? null : 0,
    enableOfflineQueue: offlineQueue,
    lazyConnect: false,
    retryStrategy: (attempt) => backoffDelay(attempt, REDIS_RECONNECT),
    // Commands issued in the same tick (one per request under load) leave in one write: fewer
    // syscalls and round trips. Subscriptions are never pipelined by ioredis.
    enableAutoPipelining: options.autoPipelining ?? true,
  });
  const log = options.logger.child({ component: 'redis', connection: options.name });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: error }, 'Redis unreachable; reconnecting in the background');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('Redis reachable again');
  });
  return redis;
}

/** Closes a client without ever waiting on an outage: QUIT when connected, else drop the socket and stop reconnecting. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    const quit = redis.quit().then(() => undefined);
    // QUIT on a connection that dies meanwhile must not hold a shutdown either.
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref());
    await Promise.race([quit.catch(() => undefined), timeout]);
  }
  redis.disconnect();
}

/**
 * Resolves once the client is ready, or after `timeout_ms` whatever its state: for optional uses
 * of Redis, a start-up that gives it a moment to connect but never waits on an outage.
 * @returns whether the client is ready
 */
export async function readyWithin(redis: Redis, timeout_ms: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeout_ms);
    redis.on('ready', onReady);
  });
}
