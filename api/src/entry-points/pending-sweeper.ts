import type { Message } from 'kafkajs';
import type { Logger } from '../../../platform/logger';
import type { Pool } from '../../../platform/postgres';
import { backoffDelay, KAFKA_PROBE } from '../../../platform/retry';
import { createWakeableSleep } from '../../../platform/wakeable-sleep';
import { claimStalePending } from '../data-access/transfers';
import type { CommandPublisher } from '../data-access/command-publisher';
import { commandMessage } from '../data-access/command-message';

const SWEEP_BATCH_MAX = 500;
/**
 * After Kafka returns, young pending rows are swept too, for this long: not only until a sweep
 * finds none, since rows a failed probe claimed just before the return are held back for
 * recoveryAge_ms and are due a moment later.
 */
const CATCH_UP_MS = 10_000;

/**
 * Keeps the 202 promise when a publish was lost (Kafka down, a crash between the insert and the
 * send): pending transfers older than `age_ms` are published again. The processor deduplicates,
 * so a second copy of a command that did arrive changes nothing.
 *
 * While Kafka is unreachable (the publisher is unavailable) the sweeper is how the API finds out
 * it is back: it probes every second or so, with whatever pending rows are older than
 * `recoveryAge_ms` (the publish timeout: the submissions that gave up on Kafka), and once a probe
 * gets through it keeps sweeping those young rows for CATCH_UP_MS, instead of waiting for them
 * to be `age_ms` old.
 */
export function createPendingSweeper(options: {
  pool: Pool;
  publisher: Pick<CommandPublisher, 'probe' | 'available' | 'onRecovered'>;
  logger: Logger;
  interval_ms: number;
  age_ms: number;
  recoveryAge_ms: number;
}) {
  const { logger, publisher } = options;
  const pause = createWakeableSleep();
  let stopping = false;
  let loop: Promise<void> | undefined;
  let catchUpUntil = 0;
  publisher.onRecovered(() => {
    catchUpUntil = Date.now() + CATCH_UP_MS;
    pause.kick();
  });

  /** Publishes one batch of pending rows older than `olderThan_ms`; returns how many. */
  async function sweep(olderThan_ms: number): Promise<number> {
    const stale = await claimStalePending(options.pool, olderThan_ms, SWEEP_BATCH_MAX);
    if (stale.length === 0) {
      if (!publisher.available) await publisher.probe([]);
      return 0;
    }
    const messages: Message[] = stale.map((row) =>
      commandMessage({
        kind: row.kind,
        sourceAccountId: row.source_account_id,
        destinationAccountId: row.destination_account_id,
        payload: row.command,
      }),
    );
    await publisher.probe(messages);
    logger.info({ count: stale.length }, 're-published pending transfers');
    return stale.length;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      const catchingUp = !publisher.available || Date.now() < catchUpUntil;
      try {
        const count = await sweep(catchingUp ? options.recoveryAge_ms : options.age_ms);
        failures = 0;
        if (count === SWEEP_BATCH_MAX) continue;
      } catch (error) {
        if (failures++ === 0) logger.warn({ err: error }, 'sweep failed; retrying');
      }
      let wait = options.interval_ms;
      if (!publisher.available) wait = backoffDelay(failures, KAFKA_PROBE);
      else if (Date.now() < catchUpUntil) wait = options.recoveryAge_ms;
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
