import type { Logger } from '../../../platform/logger';
import type { Pool } from '../../../platform/postgres';
import { createWakeableSleep } from '../../../platform/wakeable-sleep';
import { renewLeases } from '../data-access/attempt-claims';

/** Leases are renewed this many times per lease period. */
const RENEWALS_PER_LEASE = 3;

/**
 * Keeps the leases of the attempts this dispatcher holds (in flight or waiting for a slot): knows
 * when each runs out, and renews them all every third of a lease until stopped, so a lease can be
 * short (a crashed dispatcher's work is taken over soon) and still never run out under a request
 * that is taking its time. A renewal that fails is logged and tried again at the next period.
 */
export function createLeaseKeeper(options: {
  pool: Pool;
  leaseToken: string;
  lease_ms: number;
  logger: Logger;
}) {
  /** When each held attempt's lease (as last claimed or renewed) runs out, by attempt id, epoch ms. */
  const leaseUntil = new Map<string, number>();
  const renewals = createWakeableSleep();
  let renewing: Promise<void> | undefined;
  let over = false;

  async function renewForever(): Promise<void> {
    while (!over) {
      await renewals.sleep(options.lease_ms / RENEWALS_PER_LEASE, { kicks: false });
      const ids = [...leaseUntil.keys()];
      if (over || ids.length === 0) continue;
      const renewedAt = Date.now();
      try {
        const held = await renewLeases(options.pool, ids, options.leaseToken, options.lease_ms);
        for (const id of held) if (leaseUntil.has(id)) leaseUntil.set(id, renewedAt + options.lease_ms);
      } catch (error) {
        options.logger.warn({ err: error, held: ids.length }, 'renewing leases failed; retrying');
      }
    }
  }

  return {
    /** An attempt claimed at `claimedAt` (epoch ms) is held from now on. */
    hold(id: string, claimedAt: number): void {
      leaseUntil.set(id, claimedAt + options.lease_ms);
    },
    /** The attempt is no longer held (recorded or given back). */
    drop(id: string): void {
      leaseUntil.delete(id);
    },
    /** What is left of the attempt's lease as last known, ms (negative once run out; -now if unknown). */
    left_ms: (id: string): number => (leaseUntil.get(id) ?? 0) - Date.now(),
    start(): void {
      renewing = renewForever();
    },
    /** Stops renewing (call once nothing held is in flight any more) and forgets every lease. */
    async stop(): Promise<void> {
      over = true;
      renewals.stop();
      await renewing;
      leaseUntil.clear();
    },
  };
}
