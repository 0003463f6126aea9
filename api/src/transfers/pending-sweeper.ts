import type { TransferCommandV1 } from '../../../contracts/src';
import type { Logger } from '../../../platform/logger';
import type { Pool } from '../../../platform/postgres';
import { claimStalePending } from '../data-access/transfers';
import { partitionKey, type CommandPublisher } from './command-publisher';

const SWEEP_BATCH_MAX = 500;

/**
 * Keeps the 202 promise when a publish was lost (Kafka down, a crash between the insert and the
 * send): pending transfers older than `ageMs` are published again. The processor deduplicates,
 * so a second copy of a command that did arrive changes nothing.
 */
export function createPendingSweeper(options: {
  pool: Pool;
  publisher: CommandPublisher;
  logger: Logger;
  intervalMs: number;
  ageMs: number;
}) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function sweep(): Promise<number> {
    const stale = await claimStalePending(options.pool, options.ageMs, SWEEP_BATCH_MAX);
    await Promise.all(
      stale.map((row) => {
        const command: TransferCommandV1 = {
          type: 'transfer.requested',
          version: 1,
          occurred_at: new Date().toISOString(),
          payload: row.command,
        };
        return options.publisher.publish({ key: partitionKey(row.command), value: JSON.stringify(command) });
      }),
    );
    if (stale.length > 0) options.logger.warn({ count: stale.length }, 're-published pending transfers');
    return stale.length;
  }

  const tick = () => {
    running = sweep()
      .then(() => undefined)
      .catch((error: unknown) => options.logger.error({ err: error }, 'sweep failed'))
      .finally(() => {
        if (timer) timer = setTimeout(tick, options.intervalMs);
      });
  };

  return {
    start(): void {
      timer = setTimeout(tick, options.intervalMs);
    },
    async stop(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
    sweep,
  };
}
