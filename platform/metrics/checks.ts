import { readdir } from 'node:fs/promises';
import type { Consumer } from 'kafkajs';
import type { Redis } from 'ioredis';
import { resolveDir } from '../migrate';
import type { OpsDb } from './ops-pool';
import type { ReadinessCheck } from './readiness';

/** PostgreSQL answers `SELECT 1` (through the ops connections, so within their short timeout). */
export function postgresCheck(db: OpsDb): ReadinessCheck {
  return {
    name: 'postgres',
    critical: true,
    async run() {
      await db.query('SELECT 1');
      return { ok: true };
    },
  };
}

/** Every migration file of this build is recorded as applied (the schema is the one the code expects). */
export function migrationsCheck(db: OpsDb, dir = resolveDir()): ReadinessCheck {
  let files: Promise<string[]> | undefined;
  return {
    name: 'migrations',
    critical: true,
    async run() {
      // The files ship with the build: read once.
      files ??= readdir(dir).then((names) => names.filter((f) => f.endsWith('.sql')).sort());
      const wanted = await files.catch((error: unknown) => {
        files = undefined;
        throw error;
      });
      const rows = await db.query<{ name: string }>(
        `SELECT name FROM schema_migrations WHERE name = ANY($1::text[])`,
        [wanted],
      );
      const applied = new Set(rows.map((r) => r.name));
      const missing = wanted.filter((f) => !applied.has(f));
      return missing.length === 0
        ? { ok: true, detail: `${wanted.length} applied` }
        : { ok: false, detail: `not applied: ${missing.slice(0, 5).join(', ')}` };
    },
  };
}

/**
 * Tracks a consumer's membership from kafkajs's instrumentation events: ready once the group is
 * joined with partitions assigned; not ready again when the consumer crashes, stops or
 * disconnects (until it joins again), or while the group rebalances.
 */
export function consumerGroupCheck(consumer: Consumer, name = 'kafka_consumer'): ReadinessCheck {
  let state: { joined: boolean; partitions: number; detail: string } = {
    joined: false,
    partitions: 0,
    detail: 'not joined yet',
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = Object.values(payload.memberAssignment).reduce((n, list) => n + list.length, 0);
    state = { joined: true, partitions, detail: `${partitions} partitions assigned` };
  });
  consumer.on(consumer.events.REBALANCING, () => {
    state = { joined: false, partitions: 0, detail: 'rebalancing' };
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    state = {
      joined: false,
      partitions: 0,
      detail: `crashed (${payload.error.message})${payload.restart ? '; restarting' : ''}`,
    };
  });
  consumer.on(consumer.events.STOP, () => {
    state = { joined: false, partitions: 0, detail: 'stopped' };
  });
  consumer.on(consumer.events.DISCONNECT, () => {
    state = { joined: false, partitions: 0, detail: 'disconnected' };
  });
  return {
    name,
    critical: true,
    run: async () => ({ ok: state.joined && state.partitions > 0, detail: state.detail }),
  };
}

/** A state the service already tracks (e.g. its publisher's availability), as a check. */
export function availabilityCheck(name: string, critical: boolean, isUp: () => boolean): ReadinessCheck {
  return {
    name,
    critical,
    run: async () => (isUp() ? { ok: true, detail: 'available' } : { ok: false, detail: 'unavailable' }),
  };
}

/** Informational: whether the Redis client is connected (no round trip; commands would queue). */
export function redisCheck(redis: Redis, critical = false): ReadinessCheck {
  return {
    name: 'redis',
    critical,
    run: async () => ({ ok: redis.status === 'ready', detail: redis.status }),
  };
}
