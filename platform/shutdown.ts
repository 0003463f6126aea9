import type { Logger } from './logger';

/**
 * Runs the given steps in order on SIGTERM/SIGINT (stop intake first, close clients last),
 * then exits. A second signal or a step outliving the deadline forces the exit.
 */
export function onShutdown(logger: Logger, steps: Array<() => Promise<unknown>>, deadline_ms = 20_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, deadline_ms);
    timer.unref();
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error }, 'shutdown step failed');
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
