import type { Producer } from 'kafkajs';
import type { TransferCommandV1 } from '../../../contracts/src';
import type { Logger } from '../../../platform/logger';
import type { Pool } from '../../../platform/postgres';
import { backoffDelay, EXPIRY_SWEEP_FAILURE, withTimeout } from '../../../platform/retry';
import { createWakeableSleep } from '../../../platform/wakeable-sleep';
import { claimDueHolds } from '../data-access/holds';

/** What the sweeper reports of each batch of expiry commands it published (see expiryMetrics). */
export interface ExpiryObserver {
  /** `first`: holds whose expiry was asked for the first time; `again`: asked once more. */
  published(first: number, again: number): void;
}

export interface HoldExpirySweeperOptions {
  pool: Pool;
  producer: Pick<Producer, 'send'>;
  commandsTopic: string;
  logger: Logger;
  /** How often it looks for due holds when there were none, ms. */
  interval_ms: number;
  /** A hold still open this long after its expiry was asked for is asked for again, ms. */
  againAfter_ms: number;
  /** Due holds claimed and published per round. */
  batchSizeMax: number;
  /** Longest wait for Kafka to take a round's commands, ms. */
  sendTimeout_ms: number;
  observer?: ExpiryObserver;
}

/**
 * Expires holds without a client: publishes a `transfer.expire` command for each open hold past
 * its `expires_at`, keyed by the hold's source account, so that the expiry reaches the hold's
 * partition and is ordered there with its capture and void (whichever is first wins; the processor
 * rejects a capture or void that comes after as `hold_not_open`, and skips an expiry of a hold no
 * longer open). A capture or void decided at or after `expires_at` never wins, even before this
 * expiry arrives: the processor expires the hold in its place (decide-batch.ts). Runs in every
 * processor: a claim (FOR UPDATE SKIP LOCKED, stamped `expiry_requested_at`) shares due holds
 * among them, and whatever is published twice (two sweepers, a crash between the claim and the
 * send, a lost send asked again after `againAfter_ms`) expires the hold once, as the processor
 * acts only on an open hold, under its row lock, and records the expiry under a key of the hold's
 * own.
 */
export function createHoldExpirySweeper(options: HoldExpirySweeperOptions) {
  const { logger } = options;
  const pause = createWakeableSleep();
  let stopping = false;
  let loop: Promise<void> | undefined;

  /** Publishes expiries of one batch of due holds; returns how many. */
  async function sweep(): Promise<number> {
    const due = await claimDueHolds(options.pool, options.againAfter_ms, options.batchSizeMax);
    if (due.length === 0) return 0;
    const occurred_at = new Date().toISOString();
    await withTimeout(
      options.producer.send({
        topic: options.commandsTopic,
        acks: -1,
        messages: due.map((h) => {
          const command: TransferCommandV1 = {
            type: 'transfer.expire',
            version: 1,
            occurred_at,
            payload: { tenant_id: h.tenant_id, hold_id: h.id },
          };
          return { key: h.source_account_id, value: JSON.stringify(command) };
        }),
      }),
      options.sendTimeout_ms,
      'publishing hold expiries',
    );
    const again = due.filter((h) => h.again).length;
    options.observer?.published(due.length - again, again);
    logger.debug({ count: due.length, again }, 'asked for the expiry of due holds');
    return due.length;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      let wait = options.interval_ms;
      try {
        const count = await sweep();
        failures = 0;
        if (count === options.batchSizeMax) continue;
      } catch (error) {
        // The claimed holds are asked for again after againAfter_ms; nothing is lost.
        if (failures++ === 0) logger.warn({ err: error }, 'hold expiry sweep failed; retrying');
        wait = Math.max(wait, backoffDelay(failures, EXPIRY_SWEEP_FAILURE));
      }
      await pause.sleep(wait);
    }
  }

  return {
    start(): void {
      loop = run();
    },
    async stop(): Promise<void> {
      stopping = true;
      pause.stop();
      await loop;
    },
    sweep,
  };
}
